//! The one place wrangle-core uses `unsafe`: pinning the futures of a set in place, in a
//! boxed slice allocated once, without a `Box` per future.
//!
//! Boxing each child instead costs an allocation per item: such a version reached only
//! 1.4–2.8× the speed of `futures::stream::iter(..).buffered(n)`, where this slab (with a
//! waker per slot and a bitset of woken slots) measures 4.4–7.8× on every runtime
//! (`benches/gather.rs`: 200 000 yield-once futures at limit 64 and 1024). The crate's unit
//! tests run under miri (`cargo +nightly miri test -p wrangle-core --lib`).
#![allow(unsafe_code)]

use std::pin::Pin;

/// A fixed-length slice of slots, each pinned in place for as long as the slice lives.
///
/// The slice is boxed, pinned, and never moved out of, resized or reallocated; an element is
/// only ever reached mutably through [`PinnedSlots::get`], as a `Pin<&mut T>`, so whatever
/// pinned data a slot holds (a future, projected with `pin-project-lite`) is never moved: it
/// is replaced or dropped in place with [`Pin::set`], and the box drops every element in
/// place when the slots are dropped.
pub(crate) struct PinnedSlots<T> {
    slots: Pin<Box<[T]>>,
}

impl<T> PinnedSlots<T> {
    /// `len` slots made by `make`.
    pub(crate) fn new(len: usize, make: impl FnMut(usize) -> T) -> Self {
        Self {
            slots: Box::into_pin((0..len).map(make).collect()),
        }
    }

    /// The slot at `index`, shared (pinning allows that without `unsafe`).
    ///
    /// # Panics
    ///
    /// When `index` is out of bounds.
    pub(crate) fn get_ref(&self, index: usize) -> &T {
        &self.slots[index]
    }

    /// The number of slots.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The slot at `index`, pinned.
    ///
    /// # Panics
    ///
    /// When `index` is out of bounds.
    pub(crate) fn get(&mut self, index: usize) -> Pin<&mut T> {
        // SAFETY: the elements of a pinned slice are structurally pinned here. The slice is
        // never moved out of its box (the box is only reached through `self.slots`, which is
        // never replaced), never resized, and no code hands out an unpinned `&mut` to an
        // element: this function is the only way to reach one, and it returns it pinned. The
        // elements are dropped in place when the box is. Indexing panics on an out-of-bounds
        // index before any reference is returned, and `map_unchecked_mut` projects to a
        // field of the pinned value without moving anything.
        unsafe {
            self.slots
                .as_mut()
                .map_unchecked_mut(|slots| &mut slots[index])
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// A future that records its own address at each poll and fails if it moved.
    struct Unmoved {
        seen: Cell<Option<usize>>,
        _pin: std::marker::PhantomPinned,
    }

    impl Future for Unmoved {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            let here = std::ptr::from_ref::<Unmoved>(&self) as usize;
            let seen = self.seen.get().unwrap_or(here);
            assert_eq!(seen, here, "the future moved");
            self.seen.set(Some(here));
            Poll::Pending
        }
    }

    #[test]
    fn futures_stay_put() {
        let mut slots = PinnedSlots::new(4, |_| None);
        assert_eq!(slots.len(), 4);
        let mut cx = Context::from_waker(Waker::noop());
        for i in 0..4 {
            slots.get(i).set(Some(Unmoved {
                seen: Cell::new(None),
                _pin: std::marker::PhantomPinned,
            }));
        }
        for _ in 0..3 {
            for i in 0..4 {
                let slot = slots.get(i);
                let fut = slot.as_pin_mut().expect("occupied");
                assert!(fut.poll(&mut cx).is_pending());
            }
        }
        slots.get(2).set(None);
        assert!(slots.get(2).is_none());
        assert!(slots.get_ref(1).is_some());
    }

    #[test]
    fn drops_in_place() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        struct Counted;
        impl Drop for Counted {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::SeqCst);
            }
        }
        let mut slots = PinnedSlots::new(3, |_| None);
        slots.get(0).set(Some(Counted));
        slots.get(1).set(Some(Counted));
        slots.get(0).set(None);
        assert_eq!(DROPS.load(Ordering::SeqCst), 1);
        drop(slots);
        assert_eq!(DROPS.load(Ordering::SeqCst), 2);
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn out_of_bounds_panics() {
        let mut slots = PinnedSlots::new(1, |_| ());
        let _ = slots.get(1);
    }
}
