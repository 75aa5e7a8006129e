//! The limiter's waiters: a FIFO that a dropped waiter can leave in O(1).
//!
//! A doubly linked list threaded through a slab: a waiter's key stays valid from the moment
//! it queues until its `AcquireCall` is done with it, whether it is still queued or has already
//! been handed a permit.

use std::task::Waker;

use slab::Slab;

struct Node {
    waker: Option<Waker>,
    /// Handed a permit: no longer in the list, waiting for its `AcquireCall` to take it.
    granted: bool,
    prev: Option<usize>,
    next: Option<usize>,
}

pub(super) struct Waiters {
    nodes: Slab<Node>,
    head: Option<usize>,
    tail: Option<usize>,
    /// Nodes still in the list (not granted).
    queued: usize,
}

impl Waiters {
    pub(super) fn new() -> Self {
        Self {
            nodes: Slab::new(),
            head: None,
            tail: None,
            queued: 0,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    pub(super) fn len(&self) -> usize {
        self.queued
    }

    /// Queues a waiter at the back; returns its key.
    pub(super) fn push_back(&mut self, waker: Waker) -> usize {
        let key = self.nodes.insert(Node {
            waker: Some(waker),
            granted: false,
            prev: self.tail,
            next: None,
        });
        match self.tail {
            Some(tail) => self.nodes[tail].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        self.queued += 1;
        key
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let node = &mut self.nodes[key];
            (node.prev.take(), node.next.take())
        };
        match prev {
            Some(prev) => self.nodes[prev].next = next,
            None => self.head = next,
        }
        match next {
            Some(next) => self.nodes[next].prev = prev,
            None => self.tail = prev,
        }
        self.queued -= 1;
    }

    /// Hands a permit to the oldest waiter: `Some(its waker)` if there was one.
    pub(super) fn grant_oldest(&mut self) -> Option<Option<Waker>> {
        let key = self.head?;
        self.unlink(key);
        let node = &mut self.nodes[key];
        node.granted = true;
        Some(node.waker.take())
    }

    /// Whether the waiter has been handed a permit; if not, keeps its waker up to date.
    pub(super) fn poll_granted(&mut self, key: usize, waker: &Waker) -> bool {
        let node = &mut self.nodes[key];
        if node.granted {
            return true;
        }
        match &mut node.waker {
            Some(w) if w.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        false
    }

    /// Forgets a waiter; returns whether it had been handed a permit (which the caller must
    /// then pass on or keep).
    pub(super) fn remove(&mut self, key: usize) -> bool {
        let granted = self.nodes[key].granted;
        if !granted {
            self.unlink(key);
        }
        self.nodes.remove(key);
        granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_removal_from_the_middle() {
        let mut w = Waiters::new();
        let keys: Vec<_> = (0..4).map(|_| w.push_back(Waker::noop().clone())).collect();
        assert!(!w.remove(keys[1]));
        assert_eq!(w.len(), 3);
        assert!(w.grant_oldest().is_some());
        assert!(w.poll_granted(keys[0], Waker::noop()));
        assert!(!w.poll_granted(keys[2], Waker::noop()));
        assert!(w.remove(keys[0]));
        assert!(w.grant_oldest().is_some());
        assert!(w.grant_oldest().is_some());
        assert!(w.grant_oldest().is_none());
        assert!(w.is_empty());
        assert!(w.remove(keys[2]) && w.remove(keys[3]));
    }
}
