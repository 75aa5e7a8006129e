use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use super::{Deadline, Elapsed};
use crate::Timer;

pin_project! {
    /// Future for the [`timeout()`](super::timeout()) and
    /// [`timeout_at()`](super::timeout_at()) functions.
    ///
    /// It holds its timer `T` by value: `wrangle::timeout(&rt, ..)` gives a `Timeout<F, &R>`
    /// that borrows `rt` (no clone), `rt.timeout(..)` (from [`TimerExt`](crate::TimerExt)) or
    /// `wrangle::timeout(rt.clone(), ..)` one that owns its handle and is `'static` whenever
    /// `F` is.
    ///
    /// # Examples
    ///
    /// An owned timeout returned from a function and spawned:
    ///
    /// ```
    /// use std::future::Future;
    /// use std::time::Duration;
    /// use wrangle::timeout::Timeout;
    /// use wrangle::{Spawn, Timer, TimerExt};
    ///
    /// fn fetch<T: Timer>(timer: &T) -> Timeout<impl Future<Output = u32> + use<T>, T> {
    ///     timer.timeout(Duration::from_secs(1), async { 7 })
    /// }
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     assert_eq!(rt.spawn(fetch(&rt)).await, Ok(7));
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F, T: Timer> {
        #[pin]
        future: F,
        #[pin]
        deadline: Deadline<T>,
        timer: T,
    }
}

impl<F, T: Timer> Timeout<F, T> {
    #[inline]
    pub(crate) fn new(timer: T, deadline: Deadline<T>, future: F) -> Self {
        Self {
            future,
            deadline,
            timer,
        }
    }

    /// The inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # let rt = wrangle::sim::Sim::new(1);
    ///
    /// let t = wrangle::timeout(&rt, Duration::from_secs(1), std::future::ready(3));
    /// assert!(format!("{:?}", t.get_ref()).contains("Ready"));
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Runtime;
    /// # let rt = wrangle::sim::Sim::new(1);
    ///
    /// let mut t = wrangle::timeout(&rt, Duration::from_secs(1), std::future::ready(3));
    /// *t.get_mut() = std::future::ready(4);
    /// assert_eq!(rt.block_on(t), Ok(4));
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The inner future, taken back; after an [`Elapsed`] it can be awaited further.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let slow = wrangle::sleep(&rt, Duration::from_secs(20));
    ///     let mut t = Box::pin(wrangle::timeout(&rt, Duration::from_secs(1), slow));
    ///     assert!(t.as_mut().await.is_err());
    ///     // Keep waiting after all (`into_inner` needs the timeout unpinned).
    ///     let t = *std::pin::Pin::into_inner(t);
    ///     t.into_inner().await;
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(20));
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The deadline, once known: fixed for [`timeout_at()`](super::timeout_at()); for
    /// [`timeout()`](super::timeout()) set at the inner future's first `Pending`. `None`
    /// before that, and for a limit too large to represent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Timer;
    /// # let rt = wrangle::sim::Sim::new(1);
    ///
    /// let at = rt.now() + Duration::from_secs(1);
    /// assert_eq!(wrangle::timeout_at(&rt, at, async {}).deadline(), Some(at));
    /// assert_eq!(wrangle::timeout(&rt, Duration::MAX, async {}).deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.instant()
    }
}

impl<F: Future, T: Timer> Future for Timeout<F, T> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if this.deadline.poll_elapsed(&*this.timer, cx) {
            Poll::Ready(Err(Elapsed::new()))
        } else {
            Poll::Pending
        }
    }
}

impl<F: fmt::Debug, T: Timer> fmt::Debug for Timeout<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("future", &self.future)
            .field("deadline", &self.deadline)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use futures_lite::future::block_on;

    use super::*;
    use crate::{timeout, timeout_at};

    /// A clock that moves only when told to, counting its reads; its sleeps complete once
    /// the clock has reached them.
    #[derive(Clone, Debug)]
    struct Manual {
        base: Instant,
        offset_ms: Arc<AtomicUsize>,
        reads: Arc<AtomicUsize>,
    }

    impl Manual {
        fn new() -> Self {
            Self {
                base: Instant::now(),
                offset_ms: Arc::default(),
                reads: Arc::default(),
            }
        }
        fn advance(&self, ms: usize) {
            self.offset_ms.fetch_add(ms, Ordering::SeqCst);
        }
        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
        fn at(&self) -> Instant {
            self.base + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst) as u64)
        }
    }

    struct ManualSleep(Manual, Instant);

    impl Future for ManualSleep {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0.at() >= self.1 {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    impl Timer for Manual {
        type Sleep = ManualSleep;
        fn sleep_until(&self, deadline: Instant) -> ManualSleep {
            ManualSleep(self.clone(), deadline)
        }
        fn now(&self) -> Instant {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.at()
        }
        fn random_u64(&self) -> u64 {
            4
        }
    }

    fn noop_cx() -> Context<'static> {
        Context::from_waker(std::task::Waker::noop())
    }

    #[test]
    fn smoke() {
        let timer = Manual::new();
        let mut t = std::pin::pin!(timeout(
            &timer,
            Duration::from_millis(10),
            std::future::pending::<()>()
        ));
        assert!(t.as_mut().poll(&mut noop_cx()).is_pending());
        timer.advance(9);
        assert!(t.as_mut().poll(&mut noop_cx()).is_pending());
        timer.advance(1);
        assert_eq!(
            t.as_mut().poll(&mut noop_cx()),
            Poll::Ready(Err(Elapsed::new()))
        );
    }

    #[test]
    fn ready_future_reads_no_clock() {
        let timer = Manual::new();
        assert_eq!(
            block_on(timeout(&timer, Duration::ZERO, async { 1 })),
            Ok(1)
        );
        assert_eq!(block_on(timeout_at(&timer, timer.at(), async { 2 })), Ok(2));
        assert_eq!(timer.reads(), 0);
    }

    #[test]
    fn zero_timeout_on_pending_future_elapses_at_once() {
        let timer = Manual::new();
        let out = block_on(timeout(
            &timer,
            Duration::ZERO,
            std::future::pending::<()>(),
        ));
        assert_eq!(out, Err(Elapsed::new()));
    }

    #[test]
    fn deadline_starts_at_first_pending() {
        let timer = Manual::new();
        let mut t = std::pin::pin!(timeout(
            &timer,
            Duration::from_millis(10),
            std::future::pending::<()>()
        ));
        timer.advance(100); // before the first poll: not counted
        assert_eq!(t.deadline(), None);
        assert!(t.as_mut().poll(&mut noop_cx()).is_pending());
        assert_eq!(t.deadline(), Some(timer.at() + Duration::from_millis(10)));
        assert_eq!(timer.reads(), 1);
    }

    #[test]
    fn duration_max_is_never() {
        let timer = Manual::new();
        let mut t = std::pin::pin!(timeout(&timer, Duration::MAX, std::future::pending::<()>()));
        assert!(t.as_mut().poll(&mut noop_cx()).is_pending());
        timer.advance(1 << 30);
        assert!(t.as_mut().poll(&mut noop_cx()).is_pending());
        assert_eq!(t.deadline(), None);
    }

    #[test]
    fn clock_checked_when_sleep_stays_pending() {
        // A sleep that never completes (as a budget-exhausted one would answer): the clock
        // check still fires the timeout.
        #[derive(Clone, Debug)]
        struct Stuck(Manual);
        impl Timer for Stuck {
            type Sleep = std::future::Pending<()>;
            fn sleep_until(&self, _: Instant) -> Self::Sleep {
                std::future::pending()
            }
            fn now(&self) -> Instant {
                self.0.now()
            }
            fn random_u64(&self) -> u64 {
                4
            }
        }
        let timer = Stuck(Manual::new());
        let mut t = std::pin::pin!(timeout(
            &timer,
            Duration::from_millis(5),
            std::future::pending::<()>()
        ));
        assert!(t.as_mut().poll(&mut noop_cx()).is_pending());
        timer.0.advance(5);
        assert!(t.as_mut().poll(&mut noop_cx()).is_ready());
    }

    #[test]
    fn debug() {
        let timer = Manual::new();
        let t = timeout(&timer, Duration::from_secs(1), std::future::ready(1));
        assert_eq!(
            format!("{t:?}"),
            "Timeout { future: Ready(Some(1)), deadline: after 1s from the first wait }"
        );
    }
}
