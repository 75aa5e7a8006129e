//! The runtime-side halves of a task: a future to hand to a runtime's own `spawn`, and a
//! closure to hand to its blocking pool.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::shared::Shared;
use super::{JoinError, Panic};
use crate::context;

/// Marks the task cancelled if its job is dropped before it stored an outcome, as happens
/// when a runtime shuts down with the task still pending.
struct CompleteOnDrop<T>(Arc<Shared<T>>);

impl<T> Drop for CompleteOnDrop<T> {
    fn drop(&mut self) {
        self.0.complete(Err(JoinError::Cancelled));
    }
}

pin_project! {
    /// The future an adapter hands to its runtime's native `spawn`, created by
    /// [`task::new`](crate::task::new).
    ///
    /// It polls the user's future, catches its panic, stores the outcome for the
    /// [`Task`](crate::Task), and drops the user's future at its next poll once the task is
    /// cancelled. It always completes with `()`, so the native handle can be detached.
    #[must_use = "a job does nothing unless a runtime polls it"]
    pub struct Job<F: Future> {
        // Declared before `done` so the user's future is dropped before the task is marked
        // done: a joiner that sees the outcome knows the future's `Drop` has run.
        #[pin]
        future: Option<F>,
        done: CompleteOnDrop<F::Output>,
    }
}

impl<F: Future> Job<F> {
    pub(crate) fn new(future: F, shared: Arc<Shared<F::Output>>) -> Self {
        Self {
            future: Some(future),
            done: CompleteOnDrop(shared),
        }
    }
}

/// Drops the pinned future, catching a panic from its `Drop`.
fn drop_future<F>(future: Pin<&mut Option<F>>) -> Result<(), JoinError> {
    let mut future = future;
    catch_unwind(AssertUnwindSafe(|| future.set(None)))
        .map_err(|payload| JoinError::Panicked(Panic::new(payload)))
}

impl<F: Future> Future for Job<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let shared = &this.done.0;
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        if shared.is_cancel_requested() {
            let outcome = drop_future(this.future).and(Err(JoinError::Cancelled));
            shared.complete(outcome);
            return Poll::Ready(());
        }
        let polled = {
            let _driving = context::enter();
            catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        };
        let outcome = match polled {
            Ok(Poll::Pending) => {
                // Register only after a Pending poll, so a task that is ready at once never
                // pays for it; then look again so a cancel that raced us is not lost.
                shared.register_job(cx.waker());
                if !shared.is_cancel_requested() {
                    return Poll::Pending;
                }
                drop_future(this.future.as_mut()).and(Err(JoinError::Cancelled))
            }
            Ok(Poll::Ready(output)) => drop_future(this.future.as_mut()).map(|()| output),
            Err(payload) => {
                // The future's own drop may panic again; the first panic is the one to report.
                let _ = drop_future(this.future.as_mut());
                Err(JoinError::Panicked(Panic::new(payload)))
            }
        };
        shared.complete(outcome);
        Poll::Ready(())
    }
}

impl<F: Future> fmt::Debug for Job<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("running", &self.future.is_some())
            .finish_non_exhaustive()
    }
}

/// The closure an adapter hands to its runtime's blocking pool, created by
/// [`task::new_blocking`](crate::task::new_blocking).
///
/// Calling [`run`](BlockingJob::run) runs the user's closure unless the task was cancelled
/// first, catches its panic and stores the outcome. Dropping it unrun marks the task cancelled.
#[must_use = "a blocking job does nothing unless it is run"]
pub struct BlockingJob<F, T> {
    f: Option<F>,
    done: CompleteOnDrop<T>,
}

impl<F, T> BlockingJob<F, T>
where
    F: FnOnce() -> T,
{
    pub(crate) fn new(f: F, shared: Arc<Shared<T>>) -> Self {
        Self {
            f: Some(f),
            done: CompleteOnDrop(shared),
        }
    }

    /// Runs the closure on the current thread, unless its task was cancelled before it
    /// started. A call that has started runs to the end; if the task was dropped meanwhile,
    /// the result is discarded.
    pub fn run(mut self) {
        let shared = &self.done.0;
        let Some(f) = self.f.take() else { return };
        if shared.is_cancel_requested() {
            drop(f);
            shared.complete(Err(JoinError::Cancelled));
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(f))
            .map_err(|payload| JoinError::Panicked(Panic::new(payload)));
        shared.complete(outcome);
    }

    /// Whether the task was cancelled before the closure started: running it would be wasted.
    pub fn is_cancelled(&self) -> bool {
        self.done.0.is_cancel_requested()
    }
}

impl<F, T> fmt::Debug for BlockingJob<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingJob")
            .field("pending", &self.f.is_some())
            .finish()
    }
}
