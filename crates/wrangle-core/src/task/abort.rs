use std::fmt;
use std::sync::Arc;

use super::shared::Shared;

/// What an [`AbortHandle`] needs of a task, whatever its output type; implemented by adapters
/// whose runtime has its own abort handle.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use wrangle::AbortHandle;
/// use wrangle::task::Abortable;
///
/// struct Flag(AtomicBool);
/// impl Abortable for Flag {
///     fn abort(&self) { self.0.store(true, Ordering::SeqCst) }
///     fn is_finished(&self) -> bool { self.0.load(Ordering::SeqCst) }
/// }
///
/// let handle = AbortHandle::new(Arc::new(Flag(AtomicBool::new(false))));
/// handle.abort();
/// assert!(handle.is_finished());
/// ```
pub trait Abortable: Send + Sync + 'static {
    /// Requests cancellation.
    fn abort(&self);
    /// Whether the task has finished (its future is gone).
    fn is_finished(&self) -> bool;
}

impl<T: Send + 'static> Abortable for Shared<T> {
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
/// # use wrangle::Runtime;
/// # fn demo<R: Runtime>(rt: &R) { rt.block_on(async {
/// let task = rt.spawn(std::future::pending::<()>());
/// let handle = task.abort_handle();
/// handle.abort();
/// assert!(task.join().await.unwrap_err().is_cancelled());
/// assert!(handle.is_finished());
/// # }) }
/// # demo(&wrangle::sim::Sim::new(1));
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    shared: Arc<dyn Abortable>,
}

impl AbortHandle {
    /// An abort handle over any [`Abortable`] task.
    pub fn new(task: Arc<dyn Abortable>) -> Self {
        Self { shared: task }
    }

    /// A handle to a task that has already finished: aborting it does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wrangle::AbortHandle::finished().is_finished());
    /// ```
    pub fn finished() -> Self {
        struct Finished;
        impl Abortable for Finished {
            fn abort(&self) {}
            fn is_finished(&self) -> bool {
                true
            }
        }
        Self::new(Arc::new(Finished))
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
        f.debug_struct("AbortHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
