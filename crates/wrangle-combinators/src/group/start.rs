//! `start`: a child that signals when it is ready, the future that waits for the signal, and
//! the wrapper that tells that future how the child ended if it never signalled.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_core::FusedFuture;
use pin_project_lite::pin_project;

use super::{SpawnRefused, StartError, TaskStatus};

enum SlotState<V> {
    Waiting(Option<Waker>),
    Signalled(V),
    Ended(StartError),
    Taken,
}

/// What a [`TaskStatus`] and its [`Start`] share.
pub(super) struct Slot<V> {
    state: Mutex<SlotState<V>>,
}

impl<V> Slot<V> {
    fn lock(&self) -> MutexGuard<'_, SlotState<V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves from waiting to `to`, waking the waiter; later moves are ignored.
    fn settle(&self, to: SlotState<V>) {
        let waker = {
            let mut state = self.lock();
            match &mut *state {
                SlotState::Waiting(waker) => {
                    let waker = waker.take();
                    *state = to;
                    waker
                }
                _ => None,
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(super) fn signal(&self, value: V) {
        self.settle(SlotState::Signalled(value));
    }

    fn end(&self, why: StartError) {
        self.settle(SlotState::Ended(why));
    }
}

/// A status for the child and the future its starter awaits.
pub(super) fn pair<V>() -> (TaskStatus<V>, Start<V>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(SlotState::Waiting(None)),
    });
    (TaskStatus::new(slot.clone()), Start { slot })
}

/// Future for the [`TaskGroup::start`](super::TaskGroup::start) and
/// [`Nursery::start`](super::Nursery::start) methods: the value the child signalled, or why
/// there is none.
///
/// # Cancellation
///
/// Dropping it stops the waiting only: the child runs on as a child of its group, and a
/// value it signals is dropped.
///
/// # Examples
///
/// ```
/// use wrangle::group::Start;
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
/// let start: Start<u8> = group.start(|status| async move { status.started(1); Ok(()) });
/// assert_eq!(start.await, Ok(1));
/// # group.join().await.unwrap();
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Start<V> {
    slot: Arc<Slot<V>>,
}

impl<V> Start<V> {
    pub(super) fn slot(&self) -> Arc<Slot<V>> {
        self.slot.clone()
    }

    pub(super) fn refused(refused: SpawnRefused) -> Self {
        let (_, start) = pair();
        start.slot.end(StartError::Refused(refused));
        start
    }
}

impl<V> Future for Start<V> {
    type Output = Result<V, StartError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.lock();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Waiting(_) => {
                *state = SlotState::Waiting(Some(cx.waker().clone()));
                Poll::Pending
            }
            SlotState::Signalled(value) => Poll::Ready(Ok(value)),
            SlotState::Ended(why) => Poll::Ready(Err(why)),
            SlotState::Taken => panic!("`Start` polled after completion"),
        }
    }
}

/// Terminated once it has returned, for `futures::select!`.
impl<V> FusedFuture for Start<V> {
    fn is_terminated(&self) -> bool {
        matches!(*self.slot.lock(), SlotState::Taken)
    }
}

impl<V> fmt::Debug for Start<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match *self.slot.lock() {
            SlotState::Waiting(_) => "waiting",
            SlotState::Signalled(_) => "signalled",
            SlotState::Ended(_) => "ended",
            SlotState::Taken => "taken",
        };
        f.debug_struct("Start").field("state", &state).finish()
    }
}

pin_project! {
    /// The child of a `start`: tells the slot how it ended if it ended before signalling.
    pub(super) struct Starting<F, V> {
        #[pin]
        future: Option<F>,
        slot: Option<Arc<Slot<V>>>,
    }

    impl<F, V> PinnedDrop for Starting<F, V> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before it finished: cancelled (a no-op if it signalled) — once the
            // child's future is gone, so its `Drop` has run when `start` reports it.
            let mut this = this.project();
            if let Some(slot) = this.slot.take() {
                this.future.set(None);
                slot.end(StartError::Cancelled);
            }
        }
    }
}

impl<F, V> Starting<F, V> {
    pub(super) fn new(future: F, slot: Arc<Slot<V>>) -> Self {
        Self {
            future: Some(future),
            slot: Some(slot),
        }
    }
}

impl<F, V, T, E> Future for Starting<F, V>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`start`'s child polled after completion");
        };
        // A panic unwinds through here: `drop` then reports the child cancelled, which is
        // corrected below by the guard.
        let guard = PanicGuard(this.slot.as_ref());
        let polled = future.poll(cx);
        std::mem::forget(guard);
        let output = std::task::ready!(polled);
        if let Some(slot) = this.slot.take() {
            slot.end(match output {
                Ok(_) => StartError::NeverSignalled,
                Err(_) => StartError::Failed,
            });
        }
        Poll::Ready(output)
    }
}

/// Ends the slot as failed if the child's poll panics (before `Drop` calls it cancelled).
struct PanicGuard<'a, V>(Option<&'a Arc<Slot<V>>>);

impl<V> Drop for PanicGuard<'_, V> {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            slot.end(StartError::Failed);
        }
    }
}
