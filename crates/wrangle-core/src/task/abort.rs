use std::fmt;
use std::sync::Arc;

use super::shared::Shared;

/// What an [`AbortHandle`] needs of a task's shared state, whatever its output type.
pub(crate) trait Abortable: Send + Sync {
    fn abort(&self);
    fn is_finished(&self) -> bool;
}

impl<T: Send> Abortable for Shared<T> {
    fn abort(&self) {
        self.request_cancel();
    }
    fn is_finished(&self) -> bool {
        self.is_done()
    }
}

/// Cancels a task without owning it: the task goes on running until it is aborted or
/// finishes, and dropping the `AbortHandle` does nothing.
///
/// Created by [`Task::abort_handle`](crate::Task::abort_handle). Cloneable, and the same
/// type whatever the task's output, so handles to different tasks can be kept together.
///
/// # Examples
///
/// ```
/// # use wrangle_core::Runtime;
/// # fn demo<R: Runtime>(rt: &R) { rt.block_on(async {
/// let task = rt.spawn(std::future::pending::<()>());
/// let handle = task.abort_handle();
/// handle.abort();
/// assert!(task.join().await.unwrap_err().is_cancelled());
/// assert!(handle.is_finished());
/// # }) }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    shared: Arc<dyn Abortable>,
}

impl AbortHandle {
    pub(crate) fn new(shared: Arc<dyn Abortable>) -> Self {
        Self { shared }
    }

    /// Requests cancellation: the task's future is dropped at its next scheduling point.
    pub fn abort(&self) {
        self.shared.abort();
    }

    /// Whether the task has finished (its future is gone).
    pub fn is_finished(&self) -> bool {
        self.shared.is_finished()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("finished", &self.is_finished()).finish()
    }
}
