use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::Timer;

/// Waits until `duration` has passed on `timer`'s clock.
///
/// A duration too large to add to the current instant (such as [`Duration::MAX`]) means
/// "never": the sleep stays pending forever instead of panicking on overflow.
///
/// The timer is used only here, to read the clock and make the runtime's sleep: the
/// [`Sleep`] holds no handle, so it is `'static` even when `timer` is borrowed. Create it
/// before spawning and move it in (`let nap = wrangle::sleep(&rt, d);
/// rt.spawn(async move { nap.await; .. })`). [`rt.sleep(d)`](crate::TimerExt::sleep) is the
/// same as a method.
///
/// # Cancellation
///
/// Dropping the sleep cancels it; it holds no other resource.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::{Spawn, Timer};
///
/// wrangle::sim::run(1, |rt| async move {
///     let start = rt.now();
///     wrangle::sleep(&rt, Duration::from_secs(5)).await;
///     assert_eq!(rt.now() - start, Duration::from_secs(5));
///
///     // The sleep holds no handle: make it here, await it in a task.
///     let nap = wrangle::sleep(&rt, Duration::from_secs(1));
///     rt.spawn(async move { nap.await; "rested" }).await;
///     assert_eq!(rt.now() - start, Duration::from_secs(6));
/// });
/// ```
pub fn sleep<T: Timer>(timer: &T, duration: Duration) -> Sleep<T> {
    match timer.now().checked_add(duration) {
        Some(deadline) => sleep_until(timer, deadline),
        None => Sleep {
            deadline: None,
            inner: None,
        },
    }
}

/// Waits until `timer`'s clock reaches `deadline`; a deadline in the past completes at the
/// first poll.
///
/// # Examples
///
/// Like [`sleep()`], the timer is only used to make the sleep, which holds no handle.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::Timer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let past = rt.now();
///     wrangle::sleep_until(&rt, past).await; // at once
///     let deadline = rt.now() + Duration::from_secs(2);
///     wrangle::sleep_until(&rt, deadline).await;
///     assert_eq!(rt.now(), deadline);
/// });
/// ```
pub fn sleep_until<T: Timer>(timer: &T, deadline: Instant) -> Sleep<T> {
    Sleep {
        deadline: Some(deadline),
        inner: Some(timer.sleep_until(deadline)),
    }
}

pin_project! {
    /// Future for the [`sleep()`] and [`sleep_until()`] functions, and for
    /// [`TimerExt::sleep`](crate::TimerExt::sleep).
    ///
    /// It holds the runtime's own sleep ([`Timer::Sleep`]) and no handle, so it is `Send` and
    /// `'static` whatever timer made it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::time::Sleep;
    /// use wrangle::sim::Sim;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let nap: Sleep<Sim> = wrangle::sleep(&rt, Duration::from_secs(1));
    ///     nap.await;
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep<T: Timer> {
        deadline: Option<Instant>,
        #[pin]
        inner: Option<T::Sleep>,
    }
}

impl<T: Timer> Sleep<T> {
    /// The instant the sleep completes at, or `None` for a sleep that never completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Timer;
    /// # let rt = wrangle::sim::Sim::new(1);
    ///
    /// let nap = wrangle::sleep(&rt, Duration::from_secs(1));
    /// assert_eq!(nap.deadline(), Some(rt.now() + Duration::from_secs(1)));
    /// assert_eq!(wrangle::sleep(&rt, Duration::MAX).deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl<T: Timer> Future for Sleep<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.as_pin_mut() {
            Some(inner) => inner.poll(cx),
            None => Poll::Pending,
        }
    }
}

impl<T: Timer> fmt::Debug for Sleep<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}
