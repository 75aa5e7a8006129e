//! What runs inside each child of a group: the user's future wrapped so that it is dropped
//! when the group is cancelled, its panic is caught, and its failure is stamped in time and
//! cancels its siblings in a fail-fast group.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::error::{ChildError, Record};
use crate::task::Panic;
use crate::{CancellationToken, cancel::OwnedCancelled};
pub(crate) use wrangle_core::name::NameScope;

/// `Shared::cause`: `kill` has not been cancelled through the group.
const RUNNING: u8 = 0;
/// `Shared::cause`: a failure in a fail-fast group cancelled `kill` first.
const FAILED: u8 = 1;
/// `Shared::cause`: the group itself was cancelled (`cancel`, drop, a shutdown's grace).
const CANCELLED: u8 = 2;

/// What the children of one group share: the order of failures, and the policy.
#[derive(Debug)]
pub(crate) struct Shared {
    seq: AtomicU64,
    pub(crate) fail_fast: bool,
    /// The group's hard cancellation: children drop their future when it fires.
    pub(crate) kill: CancellationToken,
    /// What cancelled `kill` first, as far as the group knows: a linked token cancels it
    /// without saying, and counts as [`CANCELLED`].
    cause: AtomicU8,
}

impl Shared {
    pub(crate) fn new(fail_fast: bool) -> Self {
        Self {
            seq: AtomicU64::new(0),
            fail_fast,
            kill: CancellationToken::new(),
            cause: AtomicU8::new(RUNNING),
        }
    }

    /// Cancels every child at its next scheduling point, without letting it run again.
    pub(crate) fn cancel(&self) {
        self.cause.store(CANCELLED, Ordering::Release);
        self.kill.cancel();
    }

    /// Stamps a failure in time and, in a fail-fast group, cancels the siblings.
    ///
    /// The cancellation is deferred by one scheduling round (DESIGN's fail-fast rule): the
    /// siblings are woken now, and each runs once more before it is dropped (see
    /// [`Child`]'s poll), so one that was woken at the same instant as the failing child and
    /// completes then keeps its outcome — two failures at one instant are both reported, as
    /// asyncio's `TaskGroup` and tokio's `JoinSet` report them. Done by the failing child
    /// itself, so it holds whether or not the group is being awaited.
    pub(crate) fn failed(&self) -> u64 {
        let seq = self.seq.fetch_add(1, Ordering::AcqRel);
        if self.fail_fast {
            if !self.kill.is_cancelled() {
                // Only the first cause counts: a group cancelled before stays cancelled.
                let _ = self.cause.compare_exchange(
                    RUNNING,
                    FAILED,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
            }
            self.kill.cancel();
        }
        seq
    }

    /// Whether a child that finds `kill` cancelled runs once more first: only when a
    /// sibling's failure cancelled it.
    fn runs_once_more(&self) -> bool {
        self.cause.load(Ordering::Acquire) == FAILED
    }
}

/// Drops the pinned future, catching a panic from its `Drop`.
pub(crate) fn drop_caught<F>(mut future: Pin<&mut Option<F>>) -> Result<(), Panic> {
    catch_unwind(AssertUnwindSafe(|| future.set(None))).map_err(Panic::new)
}

/// Turns what a child's `poll` produced into its record; the future has been dropped.
pub(crate) fn record<T, E>(
    shared: &Shared,
    polled: Result<Result<T, E>, Panic>,
    dropped: Result<(), Panic>,
) -> Record<T, E> {
    // A panic wins over a value or an error: it is a bug, and must not be lost. The first
    // panic wins over one from the future's `Drop`.
    let result = match (polled, dropped) {
        (Err(panic), _) | (Ok(_), Err(panic)) => Err(ChildError::Panicked(panic)),
        (Ok(Ok(value)), Ok(())) => Ok(value),
        (Ok(Err(err)), Ok(())) => Err(ChildError::Failed(err)),
    };
    let seq = if result.is_err() {
        shared.failed()
    } else {
        u64::MAX
    };
    Record { result, seq }
}

pin_project! {
    /// A spawned child: its future, the group's cancellation, and where to stamp a failure.
    pub(crate) struct Child<F> {
        #[pin]
        future: Option<F>,
        kill: OwnedCancelled,
        shared: Arc<Shared>,
        name: Option<Arc<str>>,
    }
}

impl<F> Child<F> {
    pub(crate) fn new(future: F, shared: Arc<Shared>, name: Option<Arc<str>>) -> Self {
        Self {
            future: Some(future),
            kill: shared.kill.clone().cancelled_owned(),
            shared,
            name,
        }
    }
}

impl<F, T, E> Future for Child<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Record<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Record<T, E>> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("group child polled after completion");
        };
        // Cancellation takes hold before the future runs again, except one cancelled by a
        // sibling's failure: it runs once more, so a child woken at the instant the sibling
        // failed (or before) keeps the outcome it reaches then. Either way it is dropped in
        // this poll unless it finishes.
        let cancelled = this.kill.token().is_cancelled();
        if !cancelled || this.shared.runs_once_more() {
            let polled = {
                let _name = NameScope::enter(this.name.as_ref());
                catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
            };
            let polled = match polled {
                Ok(Poll::Pending) => None,
                Ok(Poll::Ready(output)) => Some(Ok(output)),
                Err(payload) => Some(Err(Panic::new(payload))),
            };
            if let Some(polled) = polled {
                let dropped = drop_caught(this.future);
                return Poll::Ready(record(this.shared, polled, dropped));
            }
            // Registered only once the future waits, so a child ready at once costs no
            // listener; looked at again so a cancel that raced the poll is not lost.
            if !cancelled && Pin::new(&mut *this.kill).poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        Poll::Ready(match drop_caught(this.future) {
            Ok(()) => Record::cancelled(),
            Err(panic) => Record {
                result: Err(ChildError::Panicked(panic)),
                seq: this.shared.failed(),
            },
        })
    }
}

impl<F> fmt::Debug for Child<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("name", &self.name)
            .field("running", &self.future.is_some())
            .finish_non_exhaustive()
    }
}
