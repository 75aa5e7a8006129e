//! The state a task handle shares with the job that runs the task.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::task::Waker;

use super::JoinError;
use crate::sync::{AtomicU8, AtomicWaker, Mutex};

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
            let state = self.state.load(Ordering::Acquire);
            if state & DONE != 0 {
                return;
            }
            if state & RELEASED == 0 {
                *slot = Some(outcome);
                discarded = None;
            } else {
                discarded = Some(outcome);
            }
            self.state.fetch_or(DONE, Ordering::AcqRel);
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
