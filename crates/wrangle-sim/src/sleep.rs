use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::state::{Inner, TimerKey};

/// Future for the [`Timer::sleep_until`](wrangle_core::Timer::sleep_until) method of
/// [`Sim`](crate::Sim).
///
/// It completes once the virtual clock has reached its deadline: at once if it already has
/// (without moving the clock), otherwise when the simulation runs out of other work and jumps
/// the clock to it. Its timer is registered at the first pending poll, so a sleep that is
/// created but never polled does not hold anything.
///
/// After [`Sim::shutdown`](crate::Sim::shutdown) a sleep that has not completed never does.
///
/// # Cancellation
///
/// Dropping the sleep removes its timer.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::Timer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let deadline = rt.now() + Duration::from_secs(60);
///     rt.sleep_until(deadline).await;
///     assert_eq!(rt.now(), deadline);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct SimSleep {
    inner: Arc<Inner>,
    deadline: Instant,
    key: Option<TimerKey>,
}

impl SimSleep {
    pub(crate) fn new(inner: Arc<Inner>, deadline: Instant) -> Self {
        Self {
            inner,
            deadline,
            key: None,
        }
    }

    /// The instant on the virtual clock at which the sleep completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Timer;
    ///
    /// let rt = wrangle::sim::Sim::new(1);
    /// let deadline = rt.now() + Duration::from_secs(1);
    /// assert_eq!(rt.sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Future for SimSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut state = this.inner.lock();
        if state.now >= this.deadline {
            // The clock only moves in `State::advance`, which removes every timer due by the
            // new `now`: a registered timer of ours is already gone, no need to look it up.
            drop(state);
            this.key = None;
            return Poll::Ready(());
        }
        if state.shutdown {
            return Poll::Pending;
        }
        let stale = match this.key.and_then(|key| state.timers.get_mut(&key)) {
            Some(entry) if entry.waker.will_wake(cx.waker()) => None,
            Some(entry) => Some(std::mem::replace(&mut entry.waker, cx.waker().clone())),
            None => {
                this.key = Some(state.insert_timer(this.deadline, cx.waker().clone(), false));
                None
            }
        };
        drop(state);
        // Dropping a waker may reschedule its task, which takes the lock.
        drop(stale);
        Poll::Pending
    }
}

impl Drop for SimSleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let entry = self.inner.lock().timers.remove(&key);
            drop(entry);
        }
    }
}

impl fmt::Debug for SimSleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimSleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.key.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Waker};
    use std::time::Duration;

    use wrangle_core::Timer;

    use crate::Sim;

    #[test]
    fn registers_on_poll_and_unregisters_on_drop() {
        let rt = Sim::new(1);
        let mut sleep = Box::pin(rt.sleep_until(rt.now() + Duration::from_secs(1)));
        assert!(format!("{sleep:?}").contains("registered: false"));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        assert!(format!("{sleep:?}").contains("registered: true"));
        assert!(format!("{rt:?}").contains("timers: 1"));
        drop(sleep);
        assert!(format!("{rt:?}").contains("timers: 0"));
    }

    #[test]
    fn a_deadline_now_is_ready_at_once() {
        let rt = Sim::new(1);
        let mut sleep = Box::pin(rt.sleep_until(rt.now()));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
        assert_eq!(rt.elapsed(), Duration::ZERO);
    }
}
