//! What runs inside each task of a [`TaskSet`](super::TaskSet): the user's future, wrapped so
//! that its outcome — value, panic, or cancellation — goes to the set's ready queue the moment
//! it exists, in completion order.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use pin_project_lite::pin_project;

use crate::JoinError;
use crate::task::Panic;

/// One finished task: its slot in the set and its outcome.
pub(super) type Outcome<T> = (usize, Result<T, JoinError>);

/// The queue the tasks of one set push their outcomes to, and the waker of the set's joiner.
#[derive(Debug)]
pub(super) struct ReadyQueue<T> {
    queue: Mutex<VecDeque<Outcome<T>>>,
    waker: AtomicWaker,
    /// The set is gone: outcomes are dropped where they happen instead of being kept.
    closed: AtomicBool,
}

impl<T> ReadyQueue<T> {
    pub(super) fn new() -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            waker: AtomicWaker::new(),
            closed: AtomicBool::new(false),
        }
    }

    fn push(&self, outcome: Outcome<T>) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(outcome);
        self.waker.wake();
    }

    /// Moves every outcome queued so far into `into` (empty), under one lock.
    pub(super) fn drain_into(&self, into: &mut VecDeque<Outcome<T>>) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::swap(&mut *queue, into);
    }

    pub(super) fn register(&self, cx: &Context<'_>) {
        self.waker.register(cx.waker());
    }

    /// The set is dropped: drops what is queued, and every outcome from now on.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let queued =
            std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        drop(queued);
    }
}

pin_project! {
    /// A task of a set: runs `future`, catches its panic, and pushes exactly one outcome for
    /// `slot` — `Cancelled` if it is dropped unfinished (aborted, or its runtime shut down).
    /// The future itself is dropped before its outcome is pushed, so a joiner that sees the
    /// outcome knows the future's `Drop` has run.
    pub(super) struct Tracked<F: Future> {
        #[pin]
        future: Option<F>,
        slot: usize,
        ready: Option<Arc<ReadyQueue<F::Output>>>,
    }

    impl<F: Future> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if let Some(ready) = this.ready.take() {
                let outcome = match catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
                    Ok(()) => Err(JoinError::Cancelled),
                    Err(payload) => Err(JoinError::Panicked(Panic::new(payload))),
                };
                ready.push((*this.slot, outcome));
            }
        }
    }
}

impl<F: Future> Tracked<F> {
    pub(super) fn new(future: F, slot: usize, ready: Arc<ReadyQueue<F::Output>>) -> Self {
        Self {
            future: Some(future),
            slot,
            ready: Some(ready),
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(JoinError::Panicked(Panic::new(payload))),
        };
        // The future's own `Drop` runs before its outcome can be seen; a panic there wins
        // over a value, as it does in a group.
        let outcome = match (
            catch_unwind(AssertUnwindSafe(|| this.future.set(None))),
            outcome,
        ) {
            (Err(payload), Ok(_)) => Err(JoinError::Panicked(Panic::new(payload))),
            (_, outcome) => outcome,
        };
        if let Some(ready) = this.ready.take() {
            ready.push((*this.slot, outcome));
        }
        Poll::Ready(())
    }
}
