//! Method forms of the time helpers on every [`Timer`]: [`TimerExt`].

use std::future::Future;
use std::time::{Duration, Instant};

use crate::Timer;
use crate::time::{Interval, Sleep, ZeroPeriod};
use crate::timeout::Timeout;

/// The time helpers as methods on any runtime: `rt.sleep(d)`, `rt.timeout(d, fut)`,
/// `rt.timeout_at(deadline, fut)`, `rt.interval(period)`. (`rt.retry(policy, factory)` is
/// wrangle-resilience's `RetryExt`.)
///
/// Implemented for every [`Timer`] (every runtime, and `&` of one). The methods take `&self`,
/// and a future that needs the timer after it is created **owns a clone of the handle**: it is
/// `'static` whenever its inner future is, so it can be spawned, returned from a function or
/// stored in a struct. Its price is that one clone (an `Arc` increment for every wrangle
/// runtime), paid when the future is made.
///
/// The free functions are the borrowed forms: `wrangle::timeout(&rt, d, fut)` borrows `rt` and
/// clones nothing, for a hot loop that awaits in place. Both are the same [`Timeout`] type,
/// `Timeout<F, R>` owned and `Timeout<F, &R>` borrowed.
///
/// A sleep holds no handle at all ([`Sleep`]), so `rt.sleep(d)` clones nothing either. There is
/// no `sleep_until` method: [`Timer::sleep_until`] is the runtime's own primitive; use the free
/// function [`sleep_until()`](crate::sleep_until()) for its overflow-safe form.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::{Spawn, TimerExt};
///
/// wrangle::sim::run(1, |rt| async move {
///     // Spawned with its own handle: no `let timer = rt.clone()`.
///     let task = rt.spawn(rt.timeout(Duration::from_secs(1), async { 7 }));
///     assert_eq!(task.await, Ok(7));
///
///     rt.sleep(Duration::from_secs(2)).await;
///     assert_eq!(rt.elapsed(), Duration::from_secs(2));
/// });
/// ```
pub trait TimerExt: Timer {
    /// Waits until `duration` has passed on this timer's clock: [`sleep()`](crate::sleep())
    /// as a method.
    ///
    /// The returned [`Sleep`] holds no handle (only the runtime's own sleep), so this clones
    /// nothing, and the sleep is `'static`: create it, then move it into a task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{Spawn, TimerExt};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let nap = rt.sleep(Duration::from_secs(3));
    ///     let task = rt.spawn(async move {
    ///         nap.await;
    ///         "awake"
    ///     });
    ///     assert_eq!(task.await, "awake");
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(3));
    /// });
    /// ```
    fn sleep(&self, duration: Duration) -> Sleep<Self> {
        crate::sleep(self, duration)
    }

    /// Runs `future` with a time limit of `duration`: [`timeout()`](crate::timeout()) as a
    /// method, owning a clone of this handle.
    ///
    /// The limit counts from the inner future's first `Pending`, as for
    /// [`timeout()`](crate::timeout()). The returned [`Timeout`] owns its handle, so it is
    /// `'static` (and can be spawned) whenever `future` is; that costs one handle clone.
    /// `wrangle::timeout(&rt, duration, future)` is the borrowed, clone-free form.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{Spawn, TimerExt};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let slow = rt.sleep(Duration::from_secs(10));
    ///     let task = rt.spawn(rt.timeout(Duration::from_secs(1), slow));
    ///     let err = task.await.unwrap_err();
    ///     assert_eq!(err.to_string(), "deadline has elapsed");
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// The future resolves to [`Elapsed`](crate::Elapsed) when the limit passes while `future`
    /// is still pending.
    fn timeout<F: Future>(&self, duration: Duration, future: F) -> Timeout<F, Self> {
        crate::timeout(self.clone(), duration, future)
    }

    /// Runs `future` until `deadline`: [`timeout_at()`](crate::timeout_at()) as a method,
    /// owning a clone of this handle.
    ///
    /// As [`timeout`](Self::timeout) with a fixed deadline; one handle clone.
    /// `wrangle::timeout_at(&rt, deadline, future)` is the borrowed, clone-free form.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{Timer, TimerExt};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let deadline = rt.now() + Duration::from_secs(5);
    ///     assert_eq!(rt.timeout_at(deadline, async { 1 }).await, Ok(1));
    ///     let late = rt.timeout_at(deadline, std::future::pending::<()>()).await;
    ///     assert!(late.is_err());
    ///     assert_eq!(rt.now(), deadline);
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// The future resolves to [`Elapsed`](crate::Elapsed) when the deadline passes while
    /// `future` is still pending.
    fn timeout_at<F: Future>(&self, deadline: Instant, future: F) -> Timeout<F, Self> {
        crate::timeout_at(self.clone(), deadline, future)
    }

    /// Ticks every `period`, the first tick at once: [`interval()`](crate::interval()) as a
    /// method, owning a clone of this handle.
    ///
    /// The returned [`Interval`] is `'static`, so it can be moved into a spawned task; one
    /// handle clone. `wrangle::interval(&rt, period)` is the borrowed form.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{Spawn, TimerExt};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let mut ticks = rt.interval(Duration::from_secs(1)).unwrap();
    ///     let task = rt.spawn(async move {
    ///         for _ in 0..3 {
    ///             ticks.tick().await;
    ///         }
    ///     });
    ///     task.await;
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(2)); // at 0, 1 and 2 s
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// [`ZeroPeriod`] when `period` is zero.
    fn interval(&self, period: Duration) -> Result<Interval<Self>, ZeroPeriod> {
        crate::interval(self.clone(), period)
    }
}

impl<T: Timer> TimerExt for T {}
