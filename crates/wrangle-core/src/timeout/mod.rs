//! Time limits on any future: [`timeout()`] and [`timeout_at()`], and the [`Elapsed`] error.

mod deadline;
mod error;
mod future;

pub(crate) use deadline::Deadline;
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
/// The timer is borrowed, not cloned, so a timeout costs no reference count; to move a
/// timeout into a spawned task, create it inside the task (see the examples).
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
/// use wrangle_core::{Runtime, Spawn};
///
/// # fn demo<R: Runtime>(rt: &R) {
/// rt.block_on(async {
///     let slow = wrangle_core::sleep(rt, Duration::from_secs(5));
///     let err = wrangle_core::timeout(rt, Duration::from_millis(5), slow).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
///
///     // A ready future wins, even with no time at all.
///     let v = wrangle_core::timeout(rt, Duration::ZERO, async { 7 }).await;
///     assert_eq!(v, Ok(7));
///
///     // In a spawned task: create the timeout inside it, with its own handle.
///     let timer = rt.clone();
///     let task = rt.spawn(async move {
///         wrangle_core::timeout(&timer, Duration::from_secs(5), async { "fast" }).await
///     });
///     assert_eq!(task.await, Ok("fast"));
/// });
/// # }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
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
pub fn timeout<T, F>(timer: &T, duration: Duration, future: F) -> Timeout<'_, F, T>
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
/// inner future returns `Pending`.
///
/// # Cancellation
///
/// As [`timeout()`](timeout()#cancellation).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle_core::{Runtime, Timer};
///
/// # fn demo<R: Runtime>(rt: &R) {
/// rt.block_on(async {
///     let deadline = rt.now() + Duration::from_millis(5);
///     let first = wrangle_core::timeout_at(rt, deadline, async { 1 }).await;
///     let second = wrangle_core::timeout_at(rt, deadline, std::future::pending::<u8>()).await;
///     assert_eq!(first, Ok(1));
///     assert!(second.is_err());
///     assert!(rt.now() >= deadline);
/// });
/// # }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
/// ```
///
/// # Errors
///
/// [`Elapsed`] when the deadline passes while the inner future is still pending.
///
/// # Panics
///
/// When the inner future panics, or is polled after it completed.
pub fn timeout_at<T, F>(timer: &T, deadline: Instant, future: F) -> Timeout<'_, F, T>
where
    T: Timer,
    F: Future,
{
    Timeout::new(timer, Deadline::at(deadline), future)
}
