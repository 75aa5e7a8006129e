use std::task::{Context, Poll};

use super::{AbortHandle, JoinError};

/// A runtime's own task handle, adapted to wrangle's semantics, for
/// [`Task::from_native`](crate::Task::from_native).
///
/// Most adapters hand wrangle's [`Job`](crate::task::Job) to their runtime and let the
/// [`Task`](crate::Task) track it through shared state. A runtime whose own handle already
/// aborts synchronously, catches panics, and reports a task dropped at shutdown as cancelled
/// (tokio's `JoinHandle` does) can skip that state: the `Task` then wraps the native handle,
/// and spawning costs no more than the runtime's own spawn.
///
/// Implementations must keep wrangle's contract: `poll_join` yields
/// [`JoinError::Cancelled`] only once the task's future has been dropped, and
/// [`JoinError::Panicked`] with the payload when it panicked; dropping the implementation
/// detaches the task (the `Task` calls [`abort`](NativeHandle::abort) first unless it is being
/// detached).
///
/// # Examples
///
/// A handle over a task that has already finished:
///
/// ```
/// use std::task::{Context, Poll};
/// use wrangle::task::{NativeHandle, Task};
/// use wrangle::{AbortHandle, JoinError};
///
/// struct Ready(Option<u32>);
///
/// impl NativeHandle<u32> for Ready {
///     fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Result<u32, JoinError>> {
///         Poll::Ready(self.0.take().ok_or(JoinError::Cancelled))
///     }
///     fn abort(&self) {}
///     fn is_finished(&self) -> bool { true }
///     fn abort_handle(&self) -> AbortHandle { AbortHandle::finished() }
/// }
///
/// let task = Task::from_native(Box::new(Ready(Some(3))));
/// assert_eq!(wrangle::sim::run(1, |_rt| task), 3);
/// ```
pub trait NativeHandle<T>: Send + Sync {
    /// Polls for the task's outcome.
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    /// Requests cancellation: the task's future is dropped at its next scheduling point.
    fn abort(&self);
    /// Whether the task has finished and its future is gone.
    fn is_finished(&self) -> bool;
    /// A handle that can abort the task without owning it.
    fn abort_handle(&self) -> AbortHandle;
}
