//! One shard of the deadline queue: a binary min-heap of `(deadline, id, slot)` and a slab of
//! wakers, behind one mutex. Each thread arms into its own shard, so two workers arming at
//! once do not share a lock; the driver thread visits every shard when it wakes.
//!
//! A cancelled entry frees its slot (and its waker) at once; its heap record becomes a
//! tombstone, dropped when it reaches the top, when the heap holds more than twice the live
//! entries (plus 64), or all at once when the shard empties.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;

/// Where a shard holds one armed sleep: its slot, and the id that tells it from a later
/// occupant of the same slot. Ids count up per shard and never repeat (2^64 arms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) slot: u32,
    pub(crate) id: u64,
}

#[derive(Debug)]
struct Slot {
    /// 0 when free.
    id: u64,
    waker: Option<Waker>,
}

/// Capacity kept when a shard empties; more than this is given back.
const KEEP: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Entries {
    /// Min-heap on `(deadline, id)`: equal deadlines fire in the order they were armed.
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    next_id: u64,
}

impl Entries {
    /// Arms a new entry; `None` when the shard already holds `u32::MAX` entries.
    pub(crate) fn insert(&mut self, deadline: u64, waker: Waker) -> Option<Key> {
        self.next_id += 1;
        let id = self.next_id;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Slot {
                    id,
                    waker: Some(waker),
                };
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).ok()?;
                self.slots.push(Slot {
                    id,
                    waker: Some(waker),
                });
                slot
            }
        };
        self.heap.push(Reverse((deadline, id, slot)));
        self.live += 1;
        Some(Key { slot, id })
    }

    /// Whether `key` is still armed (not fired, not cancelled).
    pub(crate) fn contains(&self, key: Key) -> bool {
        self.slots
            .get(key.slot as usize)
            .is_some_and(|s| s.id == key.id)
    }

    /// Replaces the waker of an armed entry, returning the old one (to drop outside the lock).
    pub(crate) fn update(&mut self, key: Key, waker: &Waker) -> Option<Waker> {
        let slot = self.slots.get_mut(key.slot as usize)?;
        if slot.id != key.id {
            return None;
        }
        match &slot.waker {
            Some(old) if old.will_wake(waker) => None,
            _ => slot.waker.replace(waker.clone()),
        }
    }

    /// Frees `key`'s slot if it is still armed, returning its waker (to drop outside the lock).
    pub(crate) fn remove(&mut self, key: Key) -> Option<Waker> {
        let slot = self.slots.get_mut(key.slot as usize)?;
        if slot.id != key.id {
            return None;
        }
        let waker = self.free_slot(key.slot);
        if self.live == 0 {
            self.clear();
        } else if self.heap.len() > 2 * self.live + 64 {
            let slots = &self.slots;
            self.heap
                .retain(|Reverse((_, id, slot))| slots[*slot as usize].id == *id);
        }
        waker
    }

    /// Drops every record and slot of an empty shard, keeping at most `KEEP` of capacity.
    fn clear(&mut self) {
        self.heap.clear();
        self.slots.clear();
        self.free.clear();
        self.heap.shrink_to(KEEP);
        self.slots.shrink_to(KEEP);
        self.free.shrink_to(KEEP);
    }

    fn free_slot(&mut self, slot: u32) -> Option<Waker> {
        let s = &mut self.slots[slot as usize];
        s.id = 0;
        self.free.push(slot);
        self.live -= 1;
        s.waker.take()
    }

    /// Fires every entry due at `now` into `wakers` and returns the earliest deadline still
    /// armed (`u64::MAX` if none). Entries due at once fire in deadline order, then arming order.
    pub(crate) fn fire(&mut self, now: u64, wakers: &mut Vec<Waker>) -> u64 {
        while let Some(&Reverse((deadline, id, slot))) = self.heap.peek() {
            let armed = self.slots[slot as usize].id == id;
            if armed && deadline > now {
                return deadline;
            }
            self.heap.pop();
            if armed {
                wakers.extend(self.free_slot(slot));
            }
        }
        if self.live == 0 {
            self.clear();
        }
        u64::MAX
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Elements held (heap records, live or not, and slots, used or free) and the capacity
    /// held, for the test hook.
    pub(crate) fn footprint(&self) -> (usize, usize) {
        (
            self.heap.len() + self.slots.len(),
            self.heap.capacity() + self.slots.capacity() + self.free.capacity(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn fires_in_deadline_then_arming_order() {
        let mut e = Entries::default();
        let a = e.insert(5, Waker::noop().clone()).unwrap();
        let b = e.insert(3, Waker::noop().clone()).unwrap();
        let c = e.insert(5, Waker::noop().clone()).unwrap();
        let mut wakers = Vec::new();
        assert_eq!(e.fire(2, &mut wakers), 3);
        assert!(wakers.is_empty());
        assert_eq!(e.fire(3, &mut wakers), 5);
        assert_eq!(wakers.len(), 1);
        assert!(!e.contains(b));
        assert!(e.contains(a) && e.contains(c));
        assert_eq!(e.fire(5, &mut wakers), u64::MAX);
        assert_eq!(wakers.len(), 3);
        assert_eq!(e.live(), 0);
    }

    #[test]
    fn cancel_frees_and_empties() {
        let mut e = Entries::default();
        let keys: Vec<_> = (0..1000)
            .map(|i| e.insert(i, Waker::noop().clone()).unwrap())
            .collect();
        for &k in &keys[..999] {
            assert!(e.remove(k).is_some());
            assert!(e.heap.len() <= 2 * e.live() + 65);
        }
        assert!(e.remove(keys[0]).is_none(), "a second remove is a no-op");
        assert!(e.remove(keys[999]).is_some());
        assert_eq!(e.footprint().0, 0);
        // A stale key does not match a later occupant of its slot.
        let k = e.insert(1, Waker::noop().clone()).unwrap();
        assert_eq!(k.slot, keys[0].slot);
        assert!(!e.contains(keys[0]));
        assert!(e.contains(k));
    }
}
