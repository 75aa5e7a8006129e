use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::gcra::{Booking, Gcra};
use super::{OwnedThrottled, Quota, Throttled};
use crate::Timer;
use crate::time::{Sleep, sleep, sleep_until};

/// A rate limiter: admits calls at the rate of a [`Quota`], on a [`Timer`]'s clock.
///
/// The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one
/// timestamp): in any window of time `w` it admits at most `w / interval + burst` calls.
///
/// - [`acquire`](RateLimiter::acquire) waits for an admission. Waiters are served in the order
///   they first polled (**FIFO**): each books the next free place in the schedule, so a
///   later caller can never overtake an earlier one, and [`try_acquire`] cannot barge in
///   ahead of waiters either.
/// - [`try_acquire`](RateLimiter::try_acquire) admits now or says how long to wait.
/// - [`throttle`](RateLimiter::throttle) wraps a future so it starts only once admitted;
///   with `gather`) this gives concurrency and rate limits together.
///
/// The futures of `acquire` and `throttle` borrow the limiter; their owning twins,
/// [`acquire_owned`](RateLimiter::acquire_owned) and
/// [`throttle_owned`](RateLimiter::throttle_owned), hold a clone of it instead (an `Arc`
/// increment), so they are `'static` whenever the timer (and the throttled future) are: they
/// can be spawned, returned or stored, as tokio's `Semaphore::acquire_owned`.
///
/// Cheap to clone: clones share the schedule. Under wrangle-sim every admission is exact.
///
/// # Cancellation
///
/// An `acquire` dropped before its turn gives its place back if nobody booked after it;
/// otherwise the place goes unused (the limiter errs on the side of admitting fewer).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::rate::{Quota, RateLimiter};
///
/// wrangle::sim::run(1, |rt| async move {
///     let limiter = RateLimiter::new(&rt, Quota::per_second(2)?);
///     for _ in 0..5 {
///         limiter.acquire().await;
///     }
///     // 5 admissions at 2 per second: at 0, 0.5, 1, 1.5 and 2 s.
///     assert_eq!(rt.elapsed(), Duration::from_secs(2));
///     Ok::<(), wrangle::rate::InvalidQuota>(())
/// })?;
/// # Ok::<(), wrangle::rate::InvalidQuota>(())
/// ```
///
/// [`try_acquire`]: RateLimiter::try_acquire
pub struct RateLimiter<T: Timer> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    timer: T,
    base: Instant,
    gcra: Mutex<Gcra>,
}

impl<T: Timer> Clone for RateLimiter<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Timer> RateLimiter<T> {
    /// A limiter for `quota` on `timer`'s clock.
    pub fn new(timer: T, quota: Quota) -> Self {
        let base = timer.now();
        Self {
            inner: Arc::new(Inner {
                timer,
                base,
                gcra: Mutex::new(Gcra::new(quota)),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Gcra> {
        self.inner
            .gcra
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now_nanos(&self) -> u128 {
        nanos_since(self.inner.base, self.inner.timer.now())
    }

    /// Admits a call now, or says how long until one would be admitted. Never waits and never
    /// overtakes a waiting [`acquire`](RateLimiter::acquire).
    ///
    /// # Errors
    ///
    /// [`RateLimited`] with the time until the next admission.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::rate::{Quota, RateLimiter};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let limiter = RateLimiter::new(rt, Quota::per_second(1).unwrap());
    ///     assert!(limiter.try_acquire().is_ok());
    ///     let err = limiter.try_acquire().unwrap_err();
    ///     assert_eq!(err.retry_after(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn try_acquire(&self) -> Result<(), RateLimited> {
        let now = self.now_nanos();
        self.lock().try_admit(now).map_err(|wait| RateLimited {
            retry_after: duration_from_nanos(wait),
        })
    }

    /// Waits for an admission, in arrival order. The future borrows the limiter;
    /// [`acquire_owned`](RateLimiter::acquire_owned) is its owning twin.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before it completes gives its place back when it can (see the type's
    /// `# Cancellation`); it never admits a call that was not awaited to the end.
    pub fn acquire(&self) -> Acquire<'_, T> {
        Acquire {
            limiter: self,
            waiting: Waiting::new(),
        }
    }

    /// [`acquire`](RateLimiter::acquire) with a future that owns a clone of the limiter:
    /// `'static` whenever the timer is, so it can be spawned or stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Spawn;
    /// use wrangle::rate::{Quota, RateLimiter};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
    ///     limiter.acquire().await;
    ///     let admitted = limiter.acquire_owned();
    ///     rt.spawn(admitted).await;
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn acquire_owned(&self) -> OwnedAcquire<T> {
        OwnedAcquire {
            limiter: self.clone(),
            waiting: Waiting::new(),
        }
    }

    /// Runs `future` once admitted. The future borrows the limiter;
    /// [`throttle_owned`](RateLimiter::throttle_owned) is its owning twin.
    ///
    /// # Examples
    ///
    /// Six calls of 1 s, at most 2 starts per second (add `.limit(n)` to the gather to cap
    /// how many run at once as well):
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::rate::{Quota, RateLimiter};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let limiter = RateLimiter::new(&rt, Quota::per_second(2).unwrap());
    ///     let rt = &rt;
    ///     let calls = (0..6).map(|i| {
    ///         limiter.throttle(async move {
    ///             wrangle::sleep(rt, Duration::from_secs(1)).await;
    ///             i
    ///         })
    ///     });
    ///     let out = wrangle::gather(calls).await;
    ///     assert_eq!(out, [0, 1, 2, 3, 4, 5]);
    ///     // Starts at 0, 0.5, 1, 1.5, 2, 2.5 s: the last ends at 3.5 s.
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(3500));
    /// });
    /// ```
    pub fn throttle<F: Future>(&self, future: F) -> Throttle<'_, T, F> {
        Throttle {
            acquire: self.acquire(),
            future,
            admitted: false,
        }
    }

    /// [`throttle`](RateLimiter::throttle) with a future that owns a clone of the limiter:
    /// `'static` whenever the timer and `future` are, so it can be spawned or stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Spawn;
    /// use wrangle::rate::{Quota, RateLimiter};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(4).unwrap());
    ///     let tasks: Vec<_> = (0..4)
    ///         .map(|i| rt.spawn(limiter.throttle_owned(async move { i * 10 })))
    ///         .collect();
    ///     let mut out = Vec::new();
    ///     for task in tasks {
    ///         out.push(task.await);
    ///     }
    ///     assert_eq!(out, [0, 10, 20, 30]);
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(750));
    /// });
    /// ```
    pub fn throttle_owned<F: Future>(&self, future: F) -> OwnedThrottle<T, F> {
        OwnedThrottle {
            acquire: self.acquire_owned(),
            future,
            admitted: false,
        }
    }

    /// Every future `inputs` yields, [throttled](RateLimiter::throttle) by this limiter: feed
    /// it to `gather`, `as_completed` or `wait` (wrangle-combinators) for concurrency and
    /// rate together (aiometer's `max_at_once` and `max_per_second`). The iterator is lazy, so
    /// with `.limit(n)` an input is taken, and starts waiting for its admission, only when a
    /// place within the limit is free; while it waits it holds that place.
    ///
    /// # Examples
    ///
    /// At most 3 in flight and at most 2 starts a second, over six calls of 1 s:
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::rate::{Quota, RateLimiter};
    ///
    /// wrangle::sim::run(0, |rt| async move {
    ///     let rt = &rt;
    ///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(2).unwrap());
    ///     let calls = (0..6).map(|i| async move {
    ///         wrangle::sleep(rt, Duration::from_secs(1)).await;
    ///         i
    ///     });
    ///     let out = wrangle::gather(limiter.throttled(calls)).limit(3).await;
    ///     assert_eq!(out, [0, 1, 2, 3, 4, 5]);
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(3500)); // starts 0.5 s apart
    /// });
    /// ```
    ///
    /// In completion order:
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::StreamExt;
    /// use wrangle::rate::{Quota, RateLimiter};
    ///
    /// wrangle::sim::run(0, |rt| async move {
    ///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(4).unwrap());
    ///     let n = wrangle::as_completed(limiter.throttled((0..5).map(|i| async move { i })))
    ///         .count()
    ///         .await;
    ///     assert_eq!(n, 5);
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1)); // admitted 0.25 s apart
    /// });
    /// ```
    pub fn throttled<I>(&self, inputs: I) -> Throttled<'_, I::IntoIter, T>
    where
        I: IntoIterator,
        I::Item: Future,
    {
        Throttled::new(inputs.into_iter(), self)
    }

    /// [`throttled`](RateLimiter::throttled) for spawned work: each future owns a clone of the
    /// limiter, so it is `'static` whenever the timer and the input are — what
    /// `spawn_gather` and `try_spawn_gather` need.
    ///
    /// # Examples
    ///
    /// At most 3 in flight and at most 2 starts a second, over six calls of 1 s:
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::rate::{Quota, RateLimiter};
    ///
    /// wrangle::sim::run(0, |rt| async move {
    ///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(2).unwrap());
    ///     let calls = (0..6).map(|i| {
    ///         let rt = rt.clone(); // the call's sleep starts when it runs
    ///         async move {
    ///             wrangle::sleep(&rt, Duration::from_secs(1)).await;
    ///             Ok::<_, ()>(i)
    ///         }
    ///     });
    ///     let out = wrangle::try_spawn_gather(&rt, limiter.throttled_owned(calls)).limit(3).await;
    ///     assert_eq!(out, Ok(vec![0, 1, 2, 3, 4, 5]));
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(3500)); // starts 0.5 s apart
    /// });
    /// ```
    pub fn throttled_owned<I>(&self, inputs: I) -> OwnedThrottled<I::IntoIter, T>
    where
        I: IntoIterator,
        I::Item: Future,
    {
        OwnedThrottled::new(inputs.into_iter(), self)
    }

    /// The quota in force.
    pub fn quota(&self) -> Quota {
        self.lock().quota
    }

    /// Changes the quota at once: the next admission comes one new interval after the last
    /// one. Waiters already booked keep their places.
    pub fn set_quota(&self, quota: Quota) {
        let now = self.now_nanos();
        self.lock().set_quota(quota, now);
    }
}

impl<T: Timer> fmt::Debug for RateLimiter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("quota", &self.quota())
            .finish_non_exhaustive()
    }
}

pub(crate) fn nanos_since(base: Instant, now: Instant) -> u128 {
    now.saturating_duration_since(base).as_nanos()
}

/// `nanos` as a duration, saturating at [`Duration::MAX`].
pub(crate) fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    match u64::try_from(nanos / NANOS_PER_SEC) {
        // The remainder is below 10^9: it fits.
        Ok(secs) => Duration::new(secs, (nanos % NANOS_PER_SEC) as u32),
        Err(_) => Duration::MAX,
    }
}

/// A sleep until `nanos` after `base`. A turn too far away for the clock to represent never
/// comes: taking it for "now" (or for `base`) would admit at once what the quota holds back
/// for centuries.
pub(crate) fn sleep_until_nanos<T: Timer>(timer: &T, base: Instant, nanos: u128) -> Sleep<T> {
    match base.checked_add(duration_from_nanos(nanos)) {
        Some(at) => sleep_until(timer, at),
        None => sleep(timer, Duration::MAX),
    }
}

/// One acquisition's place in the schedule: what [`Acquire`] and [`OwnedAcquire`] share.
struct Waiting<T: Timer> {
    booking: Option<Booking>,
    sleep: Option<Pin<Box<Sleep<T>>>>,
    /// Open while waiting for the turn (feature `tracing`; zero-sized without it).
    span: crate::trace::Span,
}

impl<T: Timer> Waiting<T> {
    fn new() -> Self {
        Self {
            booking: None,
            sleep: None,
            span: crate::trace::Span::default(),
        }
    }

    fn poll(&mut self, limiter: &RateLimiter<T>, cx: &mut Context<'_>) -> Poll<()> {
        if self.booking.is_none() {
            let now = limiter.now_nanos();
            let booking = limiter.lock().book(now);
            if booking.at <= now {
                // Admitted at once: nothing to give back on drop.
                return Poll::Ready(());
            }
            // Kept before the sleep is made, so that a timer that panics there still
            // gives the place back when this future is dropped.
            let at = booking.at;
            self.booking = Some(booking);
            self.span = crate::trace::Span::rate_wait(duration_from_nanos(at - now));
            let inner = &limiter.inner;
            self.sleep = Some(Box::pin(sleep_until_nanos(&inner.timer, inner.base, at)));
        }
        match self.sleep.as_mut().map(|s| s.as_mut().poll(cx)) {
            Some(Poll::Pending) => Poll::Pending,
            _ => {
                self.booking = None;
                self.sleep = None;
                self.span = crate::trace::Span::default();
                Poll::Ready(())
            }
        }
    }

    /// Gives the place back, if one is held (the future is dropped before its turn).
    fn cancel(&mut self, limiter: &RateLimiter<T>) {
        if let Some(booking) = self.booking.take() {
            limiter.lock().cancel(&booking);
        }
    }
}

/// Future for the [`RateLimiter::acquire`] method.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Acquire<'a, T: Timer> {
    limiter: &'a RateLimiter<T>,
    waiting: Waiting<T>,
}

impl<T: Timer> Future for Acquire<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiting.poll(this.limiter, cx)
    }
}

impl<T: Timer> Drop for Acquire<'_, T> {
    fn drop(&mut self) {
        self.waiting.cancel(self.limiter);
    }
}

impl<T: Timer> fmt::Debug for Acquire<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("waiting", &self.waiting.booking.is_some())
            .finish()
    }
}

/// Future for the [`RateLimiter::acquire_owned`] method.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedAcquire<T: Timer> {
    limiter: RateLimiter<T>,
    waiting: Waiting<T>,
}

impl<T: Timer> Future for OwnedAcquire<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiting.poll(&this.limiter, cx)
    }
}

impl<T: Timer> Drop for OwnedAcquire<T> {
    fn drop(&mut self) {
        self.waiting.cancel(&self.limiter);
    }
}

impl<T: Timer> fmt::Debug for OwnedAcquire<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedAcquire")
            .field("waiting", &self.waiting.booking.is_some())
            .finish()
    }
}

pin_project! {
    /// Future for the [`RateLimiter::throttle`] method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Throttle<'a, T: Timer, F> {
        acquire: Acquire<'a, T>,
        #[pin]
        future: F,
        admitted: bool,
    }
}

pin_project! {
    /// Future for the [`RateLimiter::throttle_owned`] method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OwnedThrottle<T: Timer, F> {
        acquire: OwnedAcquire<T>,
        #[pin]
        future: F,
        admitted: bool,
    }
}

macro_rules! throttle_impls {
    ($name:ident [$($lt:lifetime)?]) => {
        impl<$($lt,)? T: Timer, F> $name<$($lt,)? T, F> {
            /// The wrapped future.
            pub fn get_ref(&self) -> &F {
                &self.future
            }

            /// The wrapped future, unpinned.
            pub fn into_inner(self) -> F
            where
                F: Unpin,
            {
                self.future
            }
        }

        impl<$($lt,)? T: Timer, F: Future> Future for $name<$($lt,)? T, F> {
            type Output = F::Output;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
                let this = self.project();
                if !*this.admitted {
                    if Pin::new(this.acquire).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    *this.admitted = true;
                }
                this.future.poll(cx)
            }
        }

        impl<$($lt,)? T: Timer, F> fmt::Debug for $name<$($lt,)? T, F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("admitted", &self.admitted)
                    .finish_non_exhaustive()
            }
        }
    };
}

throttle_impls!(Throttle['a]);
throttle_impls!(OwnedThrottle[]);

/// [`RateLimiter::try_acquire`] found no admission free.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::rate::{Quota, RateLimiter};
///
/// wrangle::sim::run(0, |rt| async move {
///     let limiter = RateLimiter::new(rt, Quota::per_second(1).unwrap());
///     limiter.try_acquire().unwrap();
///     let err = limiter.try_acquire().unwrap_err();
///     assert_eq!(err.retry_after(), Duration::from_secs(1));
///     assert_eq!(err.to_string(), "rate limited: next admission in 1s");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    retry_after: Duration,
}

impl RateLimited {
    pub(crate) fn after(retry_after: Duration) -> Self {
        Self { retry_after }
    }

    /// How long until the limiter would admit a call.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited: next admission in {:?}", self.retry_after)
    }
}

impl std::error::Error for RateLimited {}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, Instant};

    use super::RateLimiter;
    use crate::rate::{KeyedRateLimiter, Quota};

    /// A timer whose clock stands still and whose sleeps cannot be made.
    #[derive(Clone)]
    struct PanickingSleeps(Instant);

    impl crate::Timer for PanickingSleeps {
        type Sleep = std::future::Pending<()>;
        fn sleep_until(&self, _: Instant) -> Self::Sleep {
            panic!("no sleeps here")
        }
        fn now(&self) -> Instant {
            self.0
        }
        fn random_u64(&self) -> u64 {
            4
        }
    }

    fn poll_once(future: impl Future<Output = ()>) -> Poll<()> {
        let mut future = pin!(future);
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }

    /// A place booked just before the timer panics is given back when the future unwinds.
    #[test]
    fn a_panicking_sleep_gives_the_place_back() {
        let timer = PanickingSleeps(Instant::now());
        let quota = Quota::per(1, Duration::from_secs(1)).unwrap();
        let limiter = RateLimiter::new(timer.clone(), quota);
        assert!(limiter.try_acquire().is_ok());
        let unwound = catch_unwind(AssertUnwindSafe(|| poll_once(limiter.acquire())));
        assert!(unwound.is_err(), "the timer panicked");
        let retry_after = limiter.try_acquire().unwrap_err().retry_after();
        assert_eq!(
            retry_after,
            Duration::from_secs(1),
            "the place was not given back"
        );

        let keyed = KeyedRateLimiter::new(timer, quota);
        assert!(keyed.try_acquire(&"a").is_ok());
        let unwound = catch_unwind(AssertUnwindSafe(|| poll_once(keyed.acquire("a"))));
        assert!(unwound.is_err(), "the timer panicked");
        let retry_after = keyed.try_acquire(&"a").unwrap_err().retry_after();
        assert_eq!(
            retry_after,
            Duration::from_secs(1),
            "the place was not given back"
        );
    }
}
