//! The task handle, [`Task`], and the pieces adapters use to build it.
//!
//! An adapter turns a future into a pair with [`new`]: a [`Job`] that it hands to its
//! runtime's own `spawn` (and detaches), and the [`Task`] it returns to the user. The job
//! carries wrangle's semantics: it catches panics, drops the future on cancellation, and marks
//! the task cancelled if the runtime drops it unfinished. Blocking closures get the same
//! treatment through [`new_blocking`] and [`BlockingJob`].

mod abort;
mod error;
mod handle;
mod job;
mod native;
mod shared;
#[cfg(feature = "tokio")]
mod tokio;

use std::future::Future;
use std::sync::Arc;

pub use abort::{AbortHandle, Abortable};
pub use error::{JoinError, Panic};
pub use handle::{Cancel, Join, Task};
pub use job::{BlockingJob, Job};
pub use native::NativeHandle;

/// Splits `future` into the [`Job`] a runtime runs and the [`Task`] handle a user holds.
///
/// # Examples
///
/// An adapter for a runtime whose own handles detach on drop:
///
/// ```
/// use std::future::Future;
/// use wrangle::Task;
/// # use futures_lite::future::block_on;
/// // `block_on`: the runtime's own way of running a future on a thread.
///
/// fn spawn_on_thread<F>(future: F) -> Task<F::Output>
/// where
///     F: Future + Send + 'static,
///     F::Output: Send + 'static,
/// {
///     let (job, task) = wrangle::task::new(future);
///     std::thread::spawn(move || block_on(job));
///     task
/// }
///
/// assert_eq!(block_on(spawn_on_thread(async { 5 })), 5);
/// ```
pub fn new<F: Future>(future: F) -> (Job<F>, Task<F::Output>) {
    let shared = Arc::new(shared::Shared::new());
    (Job::new(future, shared.clone()), Task::from_shared(shared))
}

/// Splits a blocking closure into the [`BlockingJob`] a thread pool runs and the [`Task`]
/// handle a user holds.
///
/// # Examples
///
/// ```
/// let (job, task) = wrangle::task::new_blocking(|| 6 * 7);
/// std::thread::spawn(move || job.run()).join().unwrap();
/// assert_eq!(wrangle::sim::run(1, |_rt| task), 42);
/// ```
pub fn new_blocking<F, T>(f: F) -> (BlockingJob<F, T>, Task<T>)
where
    F: FnOnce() -> T,
{
    let shared = Arc::new(shared::Shared::new());
    (
        BlockingJob::new(f, shared.clone()),
        Task::from_shared(shared),
    )
}
