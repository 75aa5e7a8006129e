//! The engine under every in-task combinator: a set of futures pinned in a slab, each with a
//! waker of its own, polled only when woken.
//!
//! - Slots live in chunks allocated on demand — the first holds one word's worth of slots
//!   (64 on 64-bit targets), each next one twice as many, each capped by how many slots can
//!   still be needed — and are never moved or freed before the set is, so a future is pinned
//!   where it was inserted ([`pinned`]) and a free slot is reused by the next input. A set of
//!   `limit` slots costs O(limit) memory and a handful of allocations, whatever the number
//!   of inputs.
//! - Each slot has one waker, made the first time the slot is used and reused by every
//!   future stored there since: no allocation per item.
//! - A wake sets the slot's bit in an atomic bitset ([`ready`]); a pass takes the bits and
//!   polls exactly those slots, once each, so one pass costs O(woken), not O(slots), and a
//!   child woken while the pass runs is polled in the next pass (one round trip through the
//!   executor per pass, not per item).
//! - A pass may stop at an output (a race has its winner, a stream its next item): the woken
//!   slots it took but did not poll are kept, in order, and the next pass polls them before
//!   it takes any new wake. So no output is taken from a child before the caller wants it,
//!   and every child woken before a pass is polled before any child is polled twice.
//! - A pass has a budget: it stops, the same way, once [`PENDING_RUN`] woken children in a
//!   row have returned `Pending`, or at the [`SELF_WAKES`]-th woken child that woke itself
//!   while polled (a new input's first poll counts toward neither: it is pulled once, and
//!   its `Pending` is usually just the child starting). That is what a runtime's
//!   cooperative budget looks like from here: once a task has used up tokio's budget, each
//!   of tokio's resources returns `Pending` and wakes the task (at once inside `block_on`,
//!   or once the task yields), and polling the other woken children then only wastes the
//!   turn — every child would be polled once per turn for a handful of them to make
//!   progress, which is quadratic in the number of children. The caller wakes its own task
//!   and returns `Pending`, so the runtime gets its turn (and refills its budget) and the
//!   next poll resumes where this one stopped.

mod driver;
mod kit;
mod pinned;
mod ready;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

pub(crate) use driver::{Driver, Sink, Unordered};
use kit::Kit;
use pinned::PinnedSlots;
use ready::{ChunkBits, Shared, SlotWakerRef, WORD, slot_waker};

/// The tag of an empty slot, and the end of the free list.
const NONE: usize = usize::MAX;

/// A pass stops once this many child polls in a row returned `Pending`: tokio's cooperative
/// budget is 128 polls per task turn, and once it is spent each resource returns `Pending`
/// (waking the task at once or when it yields), which from here looks like a long run of
/// `Pending`s.
pub(crate) const PENDING_RUN: u32 = 128;

/// A pass also stops at the this-many-th woken child that woke itself while it was polled:
/// inside tokio's `block_on` a resource refusing a spent budget wakes its task at once, and
/// a run of such refusals is cut short here long before [`PENDING_RUN`]. Not at the first
/// (as `FuturesUnordered` stops at its second): a child that yields (`yield_now`) wakes
/// itself too, and each stop is a round trip through the executor.
pub(crate) const SELF_WAKES: u32 = 4;

/// What one pass may spend before it hands the thread back to the runtime.
#[derive(Debug, Default, Clone, Copy)]
struct Budget {
    /// Child polls in a row that returned `Pending`.
    pending_run: u32,
    /// Woken children that woke themselves while they were polled, this pass.
    self_wakes: u32,
    /// The pass must stop: put every other woken child off to the next one.
    spent: bool,
}

impl Budget {
    fn ready(&mut self) {
        self.pending_run = 0;
    }

    fn pending(&mut self, woke_itself: bool) {
        self.pending_run += 1;
        self.self_wakes += u32::from(woke_itself);
        if self.pending_run >= PENDING_RUN || self.self_wakes >= SELF_WAKES {
            self.spent = true;
        }
    }
}

/// log2 of [`WORD`].
const WORD_SHIFT: u32 = usize::BITS.trailing_zeros();

/// Chunk `k` holds slot ids `[WORD·(2^k − 1), WORD·(2^(k+1) − 1))` (or a prefix of them).
fn locate(id: usize) -> (usize, usize) {
    let j = id + WORD;
    let k = (usize::BITS - 1 - j.leading_zeros() - WORD_SHIFT) as usize;
    (k, j - (WORD << k))
}

/// The first slot id of chunk `k`.
fn chunk_base(k: usize) -> usize {
    (WORD << k) - WORD
}

pin_project! {
    /// Everything about one slot, together in memory.
    struct Slot<F> {
        // The input index of the future here; `NONE` when empty.
        tag: usize,
        // The next free slot id while this one is free.
        next_free: usize,
        #[pin]
        future: Option<F>,
    }
}

struct Chunk<F> {
    slots: PinnedSlots<Slot<F>>,
    bits: Arc<ChunkBits>,
    /// Each slot's waker: made the first time the slot is used, then reused by every future
    /// stored there.
    wakers: Box<[Option<SlotWakerRef>]>,
}

/// A set of futures, each tagged with the index of its input.
pub(crate) struct FutureSet<F> {
    shared: Arc<Shared>,
    /// The untyped parts of the first chunk, until it is made.
    kit: Option<Kit>,
    chunks: Vec<Chunk<F>>,
    /// The most recently freed slot id, heading a list linked through `next_free`.
    free: usize,
    /// Slots of the last chunk never used yet: `fresh..fresh_end`.
    fresh: usize,
    fresh_end: usize,
    /// Woken slot ids taken from the bitset by a pass that stopped early, not polled yet:
    /// the next pass polls them first, in order.
    carry: VecDeque<usize>,
    len: usize,
    allocated: usize,
    /// How many slots the set can ever need (the limit, or the number of inputs if smaller).
    want: usize,
    /// What the current pass has spent.
    budget: Budget,
}

impl<F> FutureSet<F> {
    /// An empty set that will hold at most `want` futures at once (a hint for sizing chunks;
    /// more may be inserted).
    pub(crate) fn new(want: usize) -> Self {
        let kit = Kit::take();
        Self {
            shared: kit.bits.shared().clone(),
            kit: Some(kit),
            chunks: Vec::new(),
            free: NONE,
            fresh: 0,
            fresh_end: 0,
            carry: VecDeque::new(),
            len: 0,
            allocated: 0,
            want: want.max(1),
            budget: Budget::default(),
        }
    }

    /// The number of futures in the set.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Registers the waker of the task polling the set, to be woken when a child is.
    pub(crate) fn register(&self, waker: &Waker) {
        self.shared.register(waker);
    }

    /// Inserts `future`, tagged `tag` (not `usize::MAX`), and returns its slot id. The
    /// future is not polled and not marked woken: poll it with
    /// [`poll_slot`](Self::poll_slot), or use [`insert_woken`](Self::insert_woken).
    pub(crate) fn insert(&mut self, tag: usize, future: F) -> usize {
        let id = if self.free != NONE {
            let id = self.free;
            let (k, off) = locate(id);
            self.free = self.chunks[k].slots.get_ref(off).next_free;
            id
        } else if self.fresh < self.fresh_end {
            self.fresh += 1;
            self.fresh - 1
        } else {
            self.grow()
        };
        let (k, off) = locate(id);
        let chunk = &mut self.chunks[k];
        if chunk.wakers[off].is_none() {
            chunk.wakers[off] = Some(slot_waker(&chunk.bits, off));
        }
        let slot = chunk.slots.get(off).project();
        *slot.tag = tag;
        let mut future_slot = slot.future;
        future_slot.set(Some(future));
        self.len += 1;
        id
    }

    /// Inserts `future` and marks it woken, so the next pass polls it.
    pub(crate) fn insert_woken(&mut self, tag: usize, future: F) {
        let id = self.insert(tag, future);
        let (k, off) = locate(id);
        self.chunks[k].bits.mark(off);
    }

    /// Allocates the next chunk and returns its first slot id; the others become fresh.
    fn grow(&mut self) -> usize {
        let k = self.chunks.len();
        let full = WORD << k;
        // Up to `want`, allocate no more than can be used; past it (a wrong hint), double.
        let len = if self.allocated < self.want {
            full.min(self.want - self.allocated)
        } else {
            full
        };
        let (bits, wakers) = match self.kit.take() {
            // The first chunk: its bitset and wakers come from the thread's cache, sized for
            // a full first chunk, of which `len` slots are used.
            Some(kit) => (kit.bits, kit.wakers),
            None => (
                Arc::new(ChunkBits::new(self.shared.clone(), k as u32, len)),
                (0..len).map(|_| None).collect(),
            ),
        };
        self.chunks.push(Chunk {
            slots: PinnedSlots::new(len, |_| Slot {
                tag: NONE,
                next_free: NONE,
                future: None,
            }),
            bits,
            wakers,
        });
        self.allocated += len;
        let base = chunk_base(k);
        self.fresh = base + 1;
        self.fresh_end = base + len;
        base
    }

    /// Empties slot `id` (dropping its future in place) and returns its tag.
    fn remove(&mut self, id: usize) -> usize {
        let (k, off) = locate(id);
        let slot = self.chunks[k].slots.get(off).project();
        let mut future = slot.future;
        future.set(None);
        *slot.next_free = self.free;
        self.free = id;
        self.len -= 1;
        std::mem::replace(slot.tag, NONE)
    }

    /// Drops every future in the set, in place, in slot order.
    pub(crate) fn clear(&mut self) {
        self.carry.clear();
        for k in 0..self.chunks.len() {
            let base = chunk_base(k);
            for off in 0..self.chunks[k].slots.len() {
                if self.chunks[k].slots.get_ref(off).tag != NONE {
                    self.remove(base + off);
                }
            }
        }
    }

    /// Takes the ids of the slots woken since the last call, without polling them, for a
    /// caller that polls them itself with [`poll_slot`](Self::poll_slot) and may put some off
    /// to a later pass (the spawning gather, when a runtime's cooperative budget runs out).
    /// Register the parent's waker first, as for [`poll_woken`](Self::poll_woken).
    pub(crate) fn take_woken(&self, mut f: impl FnMut(usize)) {
        let mut chunks = self.shared.take_chunks();
        while chunks != 0 {
            let k = chunks.trailing_zeros() as usize;
            chunks &= chunks - 1;
            let base = chunk_base(k);
            self.chunks[k].bits.drain(&mut |off| f(base + off));
        }
    }

    /// Calls `f` with each future in the set, in slot order (to abort spawned tasks whose
    /// handles the set holds, say).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&F)) {
        for chunk in &self.chunks {
            for off in 0..chunk.slots.len() {
                if let Some(future) = &chunk.slots.get_ref(off).future {
                    f(future);
                }
            }
        }
    }

    /// The tags of the futures in the set, in slot order.
    pub(crate) fn tags(&self) -> Vec<usize> {
        let mut tags = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            for off in 0..chunk.slots.len() {
                let tag = chunk.slots.get_ref(off).tag;
                if tag != NONE {
                    tags.push(tag);
                }
            }
        }
        tags
    }
}

impl<F> Drop for FutureSet<F> {
    /// Drops the futures, in place, then offers the first chunk's untyped parts to the
    /// thread's cache (see [`kit`]).
    fn drop(&mut self) {
        let mut chunks = std::mem::take(&mut self.chunks);
        let kit = match (self.kit.take(), chunks.len()) {
            (Some(kit), _) => Some(kit),
            (None, 1) => chunks.pop().map(
                |Chunk {
                     slots,
                     bits,
                     wakers,
                 }| {
                    drop(slots);
                    Kit { bits, wakers }
                },
            ),
            (None, _) => None,
        };
        drop(chunks);
        if let Some(kit) = kit {
            kit.recycle();
        }
    }
}

impl<F: Future> FutureSet<F> {
    /// Polls the future in slot `id`, if any, with the slot's own waker; when it completes
    /// it is dropped in place and its slot freed, and its tag is returned with its output.
    /// Not counted against the pass's budget (see [`poll_counted`](Self::poll_counted)).
    pub(crate) fn poll_slot(&mut self, id: usize) -> Poll<(usize, F::Output)> {
        match self.poll_slot_inner(id) {
            Polled::Ready(tag, output) => Poll::Ready((tag, output)),
            Polled::Pending(..) | Polled::Empty => Poll::Pending,
        }
    }

    fn poll_slot_inner(&mut self, id: usize) -> Polled<F::Output> {
        let (k, off) = locate(id);
        let chunk = &mut self.chunks[k];
        let slot = chunk.slots.get(off).project();
        let (Some(future), Some(waker)) = (slot.future.as_pin_mut(), &chunk.wakers[off]) else {
            // A stale wake for a slot emptied since.
            return Polled::Empty;
        };
        match future.poll(&mut Context::from_waker(&waker.waker)) {
            Poll::Ready(output) => Polled::Ready(self.remove(id), output),
            Poll::Pending => Polled::Pending(k, off),
        }
    }

    /// [`poll_slot`](Self::poll_slot), counted against the pass's budget: a long run of
    /// `Pending`s, or enough children that woke themselves while polled, spends it.
    pub(crate) fn poll_counted(&mut self, id: usize) -> Poll<(usize, F::Output)> {
        match self.poll_slot_inner(id) {
            Polled::Ready(tag, output) => {
                self.budget.ready();
                Poll::Ready((tag, output))
            }
            Polled::Pending(k, off) => {
                let woke_itself = self.chunks[k].bits.is_marked(off);
                self.budget.pending(woke_itself);
                Poll::Pending
            }
            Polled::Empty => Poll::Pending,
        }
    }

    /// Polls a future just inserted into slot `id`: a `Pending` here is the future starting
    /// (registering a timer, say), not a sign of a spent budget, so it does not count toward
    /// the run; each input is pulled once, so pulls cannot repeat work.
    pub(crate) fn poll_fresh(&mut self, id: usize) -> Poll<(usize, F::Output)> {
        let polled = self.poll_slot(id);
        if polled.is_ready() {
            self.budget.ready();
        }
        polled
    }

    /// Starts a pass with a full budget.
    pub(crate) fn start_pass(&mut self) {
        self.budget = Budget::default();
    }

    /// Whether the current pass has spent its budget: it polls nothing more, and its caller
    /// should wake its own task and return `Pending`.
    pub(crate) fn budget_spent(&self) -> bool {
        self.budget.spent
    }

    /// One pass over the woken children: polls each child woken since the last pass once,
    /// handing `f` the tag and output of each that completes. A child woken during the pass
    /// is polled in the next one, unless its mark lands in a part of the bitset this pass
    /// has not reached yet.
    ///
    /// Once `f` returns `false`, or the pass's budget is spent, the pass stops: the woken
    /// children it has not polled are kept, in order, and the next pass polls them before
    /// it takes any new wake. Returns whether the pass went to the end (`false`: it stopped).
    /// The budget is the one [`start_pass`](Self::start_pass) set.
    pub(crate) fn poll_woken(&mut self, mut f: impl FnMut(usize, F::Output) -> bool) -> bool {
        // First what a stopped pass left, in the order it was woken.
        while !self.budget.spent {
            let Some(id) = self.carry.pop_front() else {
                break;
            };
            if let Poll::Ready((tag, output)) = self.poll_counted(id)
                && !f(tag, output)
            {
                return false;
            }
        }
        let mut chunks = self.shared.take_chunks();
        let mut go_on = !self.budget.spent;
        while chunks != 0 {
            let k = chunks.trailing_zeros() as usize;
            chunks &= chunks - 1;
            let base = chunk_base(k);
            let bits = self.chunks[k].bits.clone();
            bits.drain(&mut |off| {
                if !go_on {
                    self.carry.push_back(base + off);
                } else if let Poll::Ready((tag, output)) = self.poll_counted(base + off) {
                    go_on = f(tag, output);
                } else if self.budget.spent {
                    go_on = false;
                }
            });
        }
        go_on
    }
}

/// What polling a slot found.
enum Polled<T> {
    Ready(usize, T),
    /// Still pending; the slot's chunk and offset (so the caller need not locate it again).
    Pending(usize, usize),
    /// No future there (a stale wake).
    Empty,
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::pin::Pin;

    use super::*;

    #[test]
    fn locate_round_trips() {
        let mut id = 0;
        for k in 0..6 {
            assert_eq!(chunk_base(k), id);
            for off in 0..(WORD << k) {
                assert_eq!(locate(id), (k, off));
                id += 1;
            }
        }
    }

    /// Ready after `n` polls, waking itself each time.
    struct Countdown(u32);

    impl Future for Countdown {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.0 == 0 {
                return Poll::Ready(7);
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Runs passes until one is not stopped by its budget, the way a caller that wakes
    /// itself on a spent budget is polled again; returns whether the last went to the end,
    /// and how many passes it took.
    fn until_unspent<F: Future>(
        set: &mut FutureSet<F>,
        mut f: impl FnMut(usize, F::Output) -> bool,
    ) -> (bool, usize) {
        let mut passes = 0;
        loop {
            set.start_pass();
            passes += 1;
            let finished = set.poll_woken(&mut f);
            if !set.budget_spent() {
                return (finished, passes);
            }
        }
    }

    #[test]
    fn grows_by_chunks_and_reuses_slots() {
        let mut set = FutureSet::new(usize::MAX);
        for i in 0..200 {
            set.insert_woken(i, Countdown(1));
        }
        assert_eq!(set.len(), 200);
        assert_eq!(set.chunks.len(), 3); // WORD + 2·WORD + 4·WORD ≥ 200 on 64-bit
        // Every child wakes itself the first time: each pass stops at the `SELF_WAKES`-th,
        // and the next resumes there; once every child has been polled once, the children
        // woken since (all of them, in the order they were woken) complete in that pass.
        let mut tags = Vec::new();
        let (finished, passes) = until_unspent(&mut set, |tag, out| {
            assert_eq!(out, 7);
            tags.push(tag);
            true
        });
        assert!(finished);
        // Each pass stops at a self-wake; the one after the last stop polls the last pending
        // children, if any, and then every child woken since, which completes.
        assert_eq!(passes, 200 / SELF_WAKES as usize + 1);
        assert_eq!(tags, (0..200).collect::<Vec<_>>());
        assert!(set.is_empty());
        let id = set.insert(5, Countdown(0));
        assert!(id < 200);
        assert_eq!(set.poll_slot(id), Poll::Ready((5, 7)));
    }

    #[test]
    fn a_stopped_pass_resumes_where_it_stopped() {
        let mut set = FutureSet::new(8);
        for i in 0..5 {
            set.insert_woken(i, Countdown(0));
        }
        let mut seen = Vec::new();
        set.start_pass();
        assert!(!set.poll_woken(|tag, _| {
            seen.push(tag);
            false
        }));
        assert_eq!(seen, [0]);
        // Slot 0 is reused by a child woken now: the children the stopped pass did not
        // reach come first, though their slots come after it.
        set.insert_woken(5, Countdown(0));
        set.start_pass();
        assert!(!set.poll_woken(|tag, _| {
            seen.push(tag);
            false
        }));
        assert_eq!(seen, [0, 1]);
        set.start_pass();
        assert!(set.poll_woken(|tag, _| {
            seen.push(tag);
            true
        }));
        assert_eq!(seen, [0, 1, 2, 3, 4, 5]);
        assert!(set.is_empty());
    }

    /// Pending until `ready` is set; never wakes itself.
    struct Gate<'a> {
        ready: &'a Cell<bool>,
        polls: &'a Cell<usize>,
    }

    impl Future for Gate<'_> {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            self.polls.set(self.polls.get() + 1);
            if self.ready.get() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn a_run_of_pending_children_spends_the_budget() {
        // A runtime whose budget is spent: its resources return `Pending` (and wake their
        // task later). The pass gives up after `PENDING_RUN` of them, and the next resumes
        // with the rest, in order.
        let ready = Cell::new(false);
        let polls = Cell::new(0);
        let n = PENDING_RUN as usize * 2 + 10;
        let mut set = FutureSet::new(n);
        for i in 0..n {
            set.insert_woken(
                i,
                Gate {
                    ready: &ready,
                    polls: &polls,
                },
            );
        }
        set.start_pass();
        assert!(!set.poll_woken(|_, _| true));
        assert!(set.budget_spent());
        assert_eq!(polls.get(), PENDING_RUN as usize);
        ready.set(true);
        let mut tags = Vec::new();
        set.start_pass();
        assert!(set.poll_woken(|tag, ()| {
            tags.push(tag);
            true
        }));
        assert!(!set.budget_spent(), "outputs reset the run");
        assert_eq!(tags, (PENDING_RUN as usize..n).collect::<Vec<_>>());
        assert_eq!(polls.get(), n);
    }

    #[test]
    fn small_want_makes_small_chunks() {
        let mut set = FutureSet::new(3);
        for i in 0..3 {
            set.insert(i, Countdown(5));
        }
        assert_eq!(set.allocated, 3);
        assert_eq!(set.chunks.len(), 1);
        assert_eq!(set.tags(), [0, 1, 2]);
        set.insert(3, Countdown(5));
        assert_eq!(set.chunks.len(), 2);
        set.clear();
        assert!(set.is_empty());
        assert!(set.tags().is_empty());
    }
}
