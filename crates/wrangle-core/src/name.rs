//! Task names: the name of the task or group child being polled on this thread
//! ([`current_name`]), and what a runtime uses to report a stuck task by name
//! ([`poll_recording_name`]).
//!
//! A task gets a name from [`Spawn::spawn_named`](crate::Spawn::spawn_named), and a task
//! group's child from the group's `spawn_named`; both set the same thread-local name while
//! they are polled, so code they run — a logger, a detector of futures that block their
//! thread — can say which task it is running in.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

thread_local! {
    static CURRENT_NAME: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
    /// Inside [`poll_recording_name`]: the first child name entered during the poll, if any.
    static RECORDED_NAME: RefCell<Option<Option<Arc<str>>>> = const { RefCell::new(None) };
}

/// Runs `poll`, a runtime's poll of one of its tasks, and returns with its result the name
/// of the first named future polled inside it: for a task spawned with
/// [`Spawn::spawn_named`](crate::Spawn::spawn_named), or a group child spawned with
/// `TaskGroup::spawn_named` (wrangle-combinators), its own name.
///
/// For runtimes that report stuck tasks by name (wrangle-sim's
/// [`BlockOnError::Deadlock`](crate::BlockOnError::Deadlock)); calls nest.
///
/// # Examples
///
/// ```
/// use wrangle::group::poll_recording_name;
///
/// let (out, name) = poll_recording_name(|| 7);
/// assert_eq!((out, name), (7, None));
/// ```
pub fn poll_recording_name<R>(poll: impl FnOnce() -> R) -> (R, Option<Arc<str>>) {
    /// Restores the enclosing recording, even on unwind.
    struct Recording(Option<Option<Arc<str>>>);
    impl Drop for Recording {
        fn drop(&mut self) {
            let outer = self.0.take();
            RECORDED_NAME.with(|recorded| *recorded.borrow_mut() = outer);
        }
    }
    let recording = Recording(RECORDED_NAME.with(|recorded| recorded.replace(Some(None))));
    let out = poll();
    let name = RECORDED_NAME.with(|recorded| recorded.borrow_mut().take().flatten());
    drop(recording);
    (out, name)
}

/// The name of the task or group child being polled on this thread, if it was spawned with
/// one ([`Spawn::spawn_named`](crate::Spawn::spawn_named),
/// or a task group's `spawn_named`, in wrangle-combinators, local groups included); the innermost
/// one, when a named task runs a local group of named children.
///
/// Set only while the named future is inside `poll`, so code it runs — a logger, a detector
/// of futures that block their thread — can say which task it is running in. `None` outside
/// a named task or child.
///
/// # Examples
///
/// ```
/// use wrangle::group::{TaskGroup, current_name};
///
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = TaskGroup::new(&rt);
/// group.spawn_named("indexer", async { Ok::<_, ()>(current_name()) });
/// let names = group.join().await.unwrap();
/// assert_eq!(names[0].as_deref(), Some("indexer"));
/// assert_eq!(current_name(), None);
///
/// // A plain task named at spawn, on any runtime:
/// use wrangle::Spawn;
/// let name = rt.spawn_named("poller", async { current_name() }).await;
/// assert_eq!(name.as_deref(), Some("poller"));
/// # });
/// ```
pub fn current_name() -> Option<Arc<str>> {
    CURRENT_NAME.with(|current| current.borrow().clone())
}

/// Sets the current name for the duration of a poll, restoring the previous one (children of
/// nested groups) afterwards, even on unwind.
#[doc(hidden)]
#[derive(Debug)]
pub struct NameScope {
    previous: Option<Option<Arc<str>>>,
}

impl NameScope {
    /// Enters `name` (nothing when `None`) until the scope is dropped.
    // Inline: called around every poll of every group child, now from another crate.
    #[inline]
    pub fn enter(name: Option<&Arc<str>>) -> Self {
        let previous =
            name.map(|name| CURRENT_NAME.with(|current| current.replace(Some(name.clone()))));
        if let Some(name) = name {
            RECORDED_NAME.with(|recorded| {
                if let Some(first @ None) = &mut *recorded.borrow_mut() {
                    *first = Some(name.clone());
                }
            });
        }
        Self { previous }
    }
}

impl Drop for NameScope {
    #[inline]
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            CURRENT_NAME.with(|current| *current.borrow_mut() = previous);
        }
    }
}

pin_project! {
    /// A future polled under a name: what [`Spawn::spawn_named`](crate::Spawn::spawn_named)
    /// spawns, so the runtime's [`poll_recording_name`] and [`current_name`] see the name as
    /// they see a named group child's.
    pub(crate) struct Named<F> {
        #[pin]
        future: F,
        name: Arc<str>,
    }
}

impl<F> Named<F> {
    pub(crate) fn new(name: Arc<str>, future: F) -> Self {
        Self { future, name }
    }
}

impl<F: Future> Future for Named<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _name = NameScope::enter(Some(this.name));
        this.future.poll(cx)
    }
}

impl<F> fmt::Debug for Named<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Named")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
