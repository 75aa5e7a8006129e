//! A per-thread cache of the untyped parts of a set's first chunk — its bitset, the set's
//! shared state and the slot wakers — so a small gather allocates its wakers once per thread
//! rather than once per gather.
//!
//! A kit goes back to the cache only when nothing outside the set holds any of its wakers
//! (a timer, say, that a child registered with): then no stale wake can reach the next set
//! that takes it. The cache is small and bounded; a full cache drops what it is offered.

use std::cell::RefCell;
use std::sync::Arc;

use super::ready::{ChunkBits, Shared, SlotWakerRef, WORD};

/// At most this many kits per thread.
const CACHED: usize = 8;

/// The untyped parts of a first chunk of [`WORD`] slots; the set's shared state is the
/// bitset's.
pub(super) struct Kit {
    pub(super) bits: Arc<ChunkBits>,
    pub(super) wakers: Box<[Option<SlotWakerRef>]>,
}

thread_local! {
    static KITS: RefCell<Vec<Kit>> = const { RefCell::new(Vec::new()) };
}

impl Kit {
    /// A kit from this thread's cache, or a new one.
    pub(super) fn take() -> Self {
        KITS.try_with(|kits| kits.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| {
                let shared = Arc::new(Shared::default());
                Kit {
                    bits: Arc::new(ChunkBits::new(shared, 0, WORD)),
                    wakers: (0..WORD).map(|_| None).collect(),
                }
            })
    }

    /// Puts the kit back in this thread's cache if no one else holds a part of it. Call it
    /// while the set still holds its own reference to the shared state, and no other.
    pub(super) fn recycle(self) {
        // Slots are first used in order, so the wakers made are a prefix.
        let made = self.wakers.iter().take_while(|w| w.is_some()).count();
        let wakers = self.wakers[..made].iter().flatten();
        let unique = wakers.clone().all(SlotWakerRef::is_unique)
            && self.wakers[made..].iter().all(Option::is_none)
            // The kit, plus one per waker.
            && Arc::strong_count(&self.bits) == 1 + made
            // The set and the bitset.
            && Arc::strong_count(self.bits.shared()) == 2;
        if !unique {
            return;
        }
        self.bits.reset();
        self.bits.shared().reset();
        let _ = KITS.try_with(|kits| {
            let mut kits = kits.borrow_mut();
            if kits.len() < CACHED {
                kits.push(self);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use super::super::FutureSet;
    use super::*;

    /// Pending until polled a second time; keeps a clone of its waker if asked to.
    struct Twice(bool, Option<Waker>, bool);

    impl Future for Twice {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            if self.2 {
                self.1 = Some(cx.waker().clone());
            }
            Poll::Pending
        }
    }

    fn shared_of<F>(set: &FutureSet<F>) -> *const Shared {
        Arc::as_ptr(&set.shared)
    }

    #[test]
    fn kits_are_reused_on_one_thread() {
        KITS.with(|k| k.borrow_mut().clear());
        let mut set = FutureSet::new(4);
        let id = set.insert(0, Twice(false, None, false));
        assert!(set.poll_slot(id).is_pending());
        let first = shared_of(&set);
        drop(set);
        assert_eq!(KITS.with(|k| k.borrow().len()), 1);
        let set = FutureSet::<Twice>::new(4);
        assert_eq!(shared_of(&set), first, "the cached kit is taken");
        assert_eq!(KITS.with(|k| k.borrow().len()), 0);
    }

    #[test]
    fn a_kit_whose_waker_is_held_elsewhere_is_not_reused() {
        KITS.with(|k| k.borrow_mut().clear());
        let mut set = FutureSet::new(4);
        let id = set.insert(0, Twice(false, None, true));
        assert!(set.poll_slot(id).is_pending());
        let outside = {
            let (k, off) = super::super::locate(id);
            set.chunks[k].wakers[off].as_ref().map(|w| w.waker.clone())
        };
        drop(set);
        assert_eq!(KITS.with(|k| k.borrow().len()), 0);
        drop(outside);
    }
}
