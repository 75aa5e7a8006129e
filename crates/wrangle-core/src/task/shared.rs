//! The state a task handle shares with the job that runs the task.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::task::Waker;

use super::JoinError;
use crate::loom_sync::{AtomicU8, AtomicWaker, Mutex};

/// Cancellation was requested (the handle was dropped or aborted).
const CANCEL: u8 = 1 << 0;
/// The outcome is stored and the task's future (or closure) is gone.
const DONE: u8 = 1 << 1;
/// The `Task` handle is gone (dropped or detached): nobody will take the outcome, so it is
/// dropped at once rather than kept alive by an `AbortHandle`.
const RELEASED: u8 = 1 << 2;

pub(crate) struct Shared<T> {
    state: AtomicU8,
    output: Mutex<Option<Result<T, JoinError>>>,
    /// Woken to deliver a cancellation request to the job.
    job_waker: AtomicWaker,
    /// Woken when the outcome is stored.
    join_waker: AtomicWaker,
}

impl<T> Shared<T> {
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(0),
            output: Mutex::new(None),
            job_waker: AtomicWaker::new(),
            join_waker: AtomicWaker::new(),
        }
    }

    pub(crate) fn is_cancel_requested(&self) -> bool {
        self.state.load(Ordering::Acquire) & CANCEL != 0
    }

    pub(crate) fn is_done(&self) -> bool {
        self.state.load(Ordering::Acquire) & DONE != 0
    }

    /// Asks the job to drop its future at its next scheduling point.
    pub(crate) fn request_cancel(&self) {
        let prev = self.state.fetch_or(CANCEL, Ordering::AcqRel);
        if prev & (CANCEL | DONE) == 0 {
            self.job_waker.wake();
        }
    }

    pub(crate) fn register_job(&self, waker: &Waker) {
        self.job_waker.register(waker);
    }

    /// Stores the outcome (the first one wins) and wakes the handle. Called only once the
    /// future or closure has been dropped, so a joiner that sees `DONE` knows the work is gone.
    pub(crate) fn complete(&self, outcome: Result<T, JoinError>) {
        let discarded;
        {
            let mut slot = self.output.lock().unwrap_or_else(PoisonError::into_inner);
            if self.state.load(Ordering::Acquire) & DONE != 0 {
                return;
            }
            *slot = Some(outcome);
            // `RELEASED` is read from this read-modify-write, not from the load above: a
            // `release` between the two would otherwise miss `DONE` and leave the outcome
            // stored for nobody, kept alive by an `AbortHandle` (found by the loom model
            // `released_while_completing`). `release` sets `RELEASED` with a read-modify-write
            // too, so exactly one of us sees the other's flag and drops the outcome.
            let prev = self.state.fetch_or(DONE, Ordering::AcqRel);
            discarded = if prev & RELEASED != 0 {
                slot.take()
            } else {
                None
            };
        }
        // Dropped outside the lock: an output's `Drop` may do anything.
        drop(discarded);
        self.join_waker.wake();
    }

    /// The handle is gone: cancel unless detached, and drop an outcome already stored.
    pub(crate) fn release(&self, cancel: bool) {
        let flags = if cancel { RELEASED | CANCEL } else { RELEASED };
        let prev = self.state.fetch_or(flags, Ordering::AcqRel);
        if cancel && prev & (CANCEL | DONE) == 0 {
            self.job_waker.wake();
        }
        if prev & DONE != 0 {
            let stored = self
                .output
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            drop(stored);
        }
    }

    /// Registers the joiner's waker and takes the outcome if it is there.
    ///
    /// `None` means "not yet"; a second take after success yields `None` as well, which the
    /// caller reports as a poll after completion.
    pub(crate) fn poll_take(&self, waker: &Waker) -> Option<Option<Result<T, JoinError>>> {
        if !self.is_done() {
            self.join_waker.register(waker);
            if !self.is_done() {
                return None;
            }
        }
        Some(
            self.output
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        )
    }
}

/// loom models (RELIABILITY.md, "loom"): the job and the handle on threads of their own,
/// through the real [`Job`](super::Job), [`BlockingJob`](super::BlockingJob) and
/// [`Task`](super::Task).
#[cfg(all(test, loom))]
mod loom_tests {
    use std::future::{Future, pending, poll_fn};
    use std::sync::Arc;
    use std::sync::atomic::Ordering::SeqCst;
    use std::task::Poll;

    use loom::future::block_on;
    use loom::thread;

    use super::super::{JoinError, new, new_blocking};
    use crate::loom_sync::{AtomicUsize, model};

    /// A task's output that counts how many were made and how many dropped.
    struct Output(Arc<Counts>);

    #[derive(Default)]
    struct Counts {
        made: AtomicUsize,
        dropped: AtomicUsize,
    }

    impl Output {
        fn new(counts: &Arc<Counts>) -> Self {
            counts.made.fetch_add(1, SeqCst);
            Self(counts.clone())
        }
    }

    impl Drop for Output {
        fn drop(&mut self) {
            self.0.dropped.fetch_add(1, SeqCst);
        }
    }

    /// Ready with an [`Output`] at its second poll, having woken itself at the first.
    fn yield_then_output(counts: Arc<Counts>) -> impl Future<Output = Output> + Send {
        let mut yielded = false;
        poll_fn(move |cx| {
            if yielded {
                return Poll::Ready(Output::new(&counts));
            }
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }

    /// The joiner registers its waker while the job completes: the outcome reaches it.
    #[test]
    fn join_is_woken_by_completion() {
        model(|| {
            let (job, task) = new(async { 7 });
            let runner = thread::spawn(move || block_on(job));
            assert_eq!(block_on(task.join()).ok(), Some(7));
            runner.join().expect("the job's thread panicked");
        });
    }

    /// An abort from another thread reaches a job whose future never wakes it: the job must
    /// be woken through its registered waker, drop the future and report the cancellation.
    #[test]
    fn abort_wakes_a_pending_job() {
        model(|| {
            let (job, task) = new(pending::<u32>());
            let abort = task.abort_handle();
            let runner = thread::spawn(move || block_on(job));
            let aborter = thread::spawn(move || abort.abort());
            assert!(matches!(block_on(task.join()), Err(JoinError::Cancelled)));
            runner.join().expect("the job's thread panicked");
            aborter.join().expect("the aborting thread panicked");
        });
    }

    /// An abort racing the future's completion: the joiner gets the output or the
    /// cancellation, and the output, if one was made, is dropped exactly once.
    #[test]
    fn abort_races_completion() {
        model(|| {
            let counts = Arc::new(Counts::default());
            let (job, task) = new(yield_then_output(counts.clone()));
            let abort = task.abort_handle();
            let runner = thread::spawn(move || block_on(job));
            let aborter = thread::spawn(move || abort.abort());
            match block_on(task.join()) {
                Ok(output) => drop(output),
                Err(JoinError::Cancelled) => {}
                Err(JoinError::Panicked(_)) => panic!("nothing panicked"),
            }
            runner.join().expect("the job's thread panicked");
            aborter.join().expect("the aborting thread panicked");
            let made = counts.made.load(SeqCst);
            assert!(made <= 1);
            assert_eq!(counts.dropped.load(SeqCst), made, "the output dropped once");
        });
    }

    /// The handle is dropped (or detached) while the blocking job completes, and an
    /// `AbortHandle` outlives both: nobody can take the output any more, so it must be
    /// dropped by the time both sides are done, not kept alive by the `AbortHandle`.
    fn released_while_completing(detach: bool) {
        model(move || {
            let counts = Arc::new(Counts::default());
            let (job, task) = {
                let counts = counts.clone();
                new_blocking(move || Output::new(&counts))
            };
            let abort = task.abort_handle();
            let runner = thread::spawn(move || job.run());
            if detach {
                task.detach();
            } else {
                drop(task);
            }
            runner.join().expect("the job's thread panicked");
            let made = counts.made.load(SeqCst);
            assert_eq!(
                counts.dropped.load(SeqCst),
                made,
                "the output of a released task is dropped, not kept for its AbortHandle"
            );
            drop(abort);
        });
    }

    #[test]
    fn dropped_handle_while_completing() {
        released_while_completing(false);
    }

    #[test]
    fn detached_handle_while_completing() {
        released_while_completing(true);
    }
}
