//! Time limits on any future: [`timeout()`] and [`timeout_at()`] (borrowed or owned timer),
//! their method forms [`TimerExt::timeout`](crate::TimerExt::timeout) (owned) and
//! [`FutureExt::timeout`](crate::FutureExt::timeout), and the [`Elapsed`] error.

mod deadline;
mod error;
mod future;

// Hidden: as_completed and wait (wrangle-combinators) keep their overall deadline with it.
#[doc(hidden)]
pub use deadline::Deadline;
pub use error::Elapsed;
pub use future::Timeout;

use std::future::Future;
use std::time::{Duration, Instant};

use crate::Timer;

/// Runs `future` with a time limit of `duration` on `timer`'s clock: its output, or
/// [`Elapsed`] if the limit passes first.
///
/// The inner future is always polled first, so a future that is ready when polled wins even
/// with a zero `duration`, or one that has already passed. **The limit starts counting at the
/// first poll at which the inner future is not ready** (its first `Pending`): a future ready
/// at once costs no clock read and arms no timer — the timeout adds next to nothing to it —
/// and one that waits is given `duration` from then on. (In practice that is the first poll:
/// only the inner future's own synchronous work in that poll is not counted.) For a limit
/// counted from a fixed instant, use [`timeout_at()`].
///
/// Once armed, the deadline is checked against the clock each time the inner future is still
/// pending, besides the timer's own wake-up: a runtime whose sleeps honour a cooperative
/// budget (tokio's do) may report a passed deadline as pending when the task has used up its
/// budget, and an inner future that keeps using it up must not escape its timeout that way.
/// A `duration` too large to add to the clock (such as [`Duration::MAX`]) means "never": no
/// timer is armed and nothing overflows.
///
/// A timeout cannot interrupt code that never yields: it is checked only when the inner
/// future returns `Pending`. A blocking call or a busy loop inside it runs to its end;
/// offload such work with [`Spawn::spawn_blocking`](crate::Spawn::spawn_blocking).
///
/// The timer is taken by value, and the [`Timeout`] holds it: pass `&rt` to borrow the
/// runtime (no clone, nothing counted; the timeout then borrows `rt`), or an owned handle
/// (`rt.clone()`) for a timeout that is `'static` whenever `future` is, so it can be spawned,
/// returned or stored. The method form [`rt.timeout(d, fut)`](crate::TimerExt::timeout) is
/// the owned form; it costs one handle clone.
///
/// # Cancellation
///
/// Dropping the timeout drops the inner future. When the limit passes the inner future is
/// *not* dropped by the timeout itself — [`Timeout::into_inner`] can take it back — but
/// `.await` drops the `Timeout` and with it the inner future before the caller sees the
/// error, so its `Drop` cleanup has run by then.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::{Spawn, TimerExt};
///
/// wrangle::sim::run(1, |rt| async move {
///     let slow = wrangle::sleep(&rt, Duration::from_secs(5));
///     let err = wrangle::timeout(&rt, Duration::from_millis(5), slow).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
///
///     // A ready future wins, even with no time at all.
///     let v = wrangle::timeout(&rt, Duration::ZERO, async { 7 }).await;
///     assert_eq!(v, Ok(7));
///
///     // In a spawned task: the method form owns a clone of the handle.
///     let task = rt.spawn(rt.timeout(Duration::from_secs(5), async { "fast" }));
///     assert_eq!(task.await, Ok("fast"));
/// });
/// ```
///
/// # Errors
///
/// [`Elapsed`] when the limit passes while the inner future is still pending.
///
/// # Panics
///
/// When the inner future panics, or is polled after it completed.
#[doc(alias = "wait_for")]
#[inline]
pub fn timeout<T, F>(timer: T, duration: Duration, future: F) -> Timeout<F, T>
where
    T: Timer,
    F: Future,
{
    Timeout::new(timer, Deadline::after(duration), future)
}

/// Runs `future` until `deadline` on `timer`'s clock: its output, or [`Elapsed`] if the
/// deadline passes first.
///
/// As [`timeout()`], with a fixed deadline: the inner future is polled first, so one that is
/// ready wins even when `deadline` has passed; no clock is read and no timer armed unless the
/// inner future returns `Pending`. The timer is taken by value as in [`timeout()`]: `&rt`
/// borrows, an owned handle gives a `'static` timeout; the method form is
/// [`rt.timeout_at(deadline, fut)`](crate::TimerExt::timeout_at).
///
/// # Cancellation
///
/// As [`timeout()`](timeout()#cancellation).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::Timer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let deadline = rt.now() + Duration::from_millis(5);
///     let first = wrangle::timeout_at(&rt, deadline, async { 1 }).await;
///     let second = wrangle::timeout_at(&rt, deadline, std::future::pending::<u8>()).await;
///     assert_eq!(first, Ok(1));
///     assert!(second.is_err());
///     assert_eq!(rt.now(), deadline);
/// });
/// ```
///
/// # Errors
///
/// [`Elapsed`] when the deadline passes while the inner future is still pending.
///
/// # Panics
///
/// When the inner future panics, or is polled after it completed.
pub fn timeout_at<T, F>(timer: T, deadline: Instant, future: F) -> Timeout<F, T>
where
    T: Timer,
    F: Future,
{
    Timeout::new(timer, Deadline::at(deadline), future)
}
