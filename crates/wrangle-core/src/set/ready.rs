//! Which slots of a [`FutureSet`](super::FutureSet) were woken: one hierarchical atomic bitset
//! per chunk of slots, a bitmap of chunks with woken slots, and the parent's waker.
//!
//! A wake sets the slot's bit in the leaf word; only when that word was empty does it go up a
//! level, and so on to the top, where an empty chunk word sets the chunk's bit in the bitmap
//! and an empty bitmap wakes the parent. Whoever turns a word from empty to non-empty carries
//! the news upward, so no wake is lost and the parent is woken once per batch of wakes. The
//! parent takes words with `swap(0)` from the top down, so a pass visits only woken slots,
//! and costs O(woken × levels) however many slots there are.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Wake, Waker};

use atomic_waker::AtomicWaker;

/// Bits in a word.
pub(crate) const WORD: usize = usize::BITS as usize;
/// log2 of [`WORD`].
const WORD_SHIFT: u32 = usize::BITS.trailing_zeros();
/// Levels a chunk's bitset may need: enough for any chunk size on any pointer width.
const MAX_LEVELS: usize = 12;

/// What every slot of a set shares: the parent's waker and the bitmap of woken chunks.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    parent: AtomicWaker,
    chunks: AtomicUsize,
}

impl Shared {
    /// Registers the waker of the task polling the set. Call it before [`take_chunks`].
    ///
    /// [`take_chunks`]: Shared::take_chunks
    pub(crate) fn register(&self, waker: &Waker) {
        self.parent.register(waker);
    }

    /// Forgets every wake and the registered waker, for reuse by another set.
    pub(crate) fn reset(&self) {
        self.chunks.store(0, Ordering::Relaxed);
        drop(self.parent.take());
    }

    /// Takes the bitmap of chunks with woken slots, leaving it empty.
    pub(crate) fn take_chunks(&self) -> usize {
        if self.chunks.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        self.chunks.swap(0, Ordering::AcqRel)
    }
}

/// The woken-slot bitset of one chunk, shared with the chunk's slot wakers.
#[derive(Debug)]
pub(crate) struct ChunkBits {
    shared: Arc<Shared>,
    chunk: u32,
    /// Every level's words, leaves first; the last level is one word.
    words: Box<[AtomicUsize]>,
    /// Where each level starts in `words`.
    starts: [usize; MAX_LEVELS],
    levels: usize,
}

impl ChunkBits {
    /// A bitset for `len` slots (at least one) of chunk number `chunk`.
    pub(crate) fn new(shared: Arc<Shared>, chunk: u32, len: usize) -> Self {
        let mut starts = [0; MAX_LEVELS];
        let mut levels = 0;
        let mut total = 0;
        let mut width = len.max(1);
        loop {
            let words = width.div_ceil(WORD);
            starts[levels] = total;
            total += words;
            levels += 1;
            if words == 1 || levels == MAX_LEVELS {
                break;
            }
            width = words;
        }
        let words = (0..total).map(|_| AtomicUsize::new(0)).collect();
        Self {
            shared,
            chunk,
            words,
            starts,
            levels,
        }
    }

    /// The set's shared state.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Forgets every wake, for reuse by another set.
    pub(crate) fn reset(&self) {
        for word in &self.words {
            word.store(0, Ordering::Relaxed);
        }
    }

    /// Marks slot `offset` of this chunk woken, waking the parent if it may be asleep.
    pub(crate) fn mark(&self, offset: usize) {
        let mut index = offset;
        for level in 0..self.levels {
            let word = &self.words[self.starts[level] + (index >> WORD_SHIFT)];
            let bit = 1usize << (index & (WORD - 1));
            if word.fetch_or(bit, Ordering::AcqRel) != 0 {
                // Whoever made this word non-empty carries the news upward.
                return;
            }
            index >>= WORD_SHIFT;
        }
        let bit = 1usize << self.chunk;
        if self.shared.chunks.fetch_or(bit, Ordering::AcqRel) == 0 {
            self.shared.parent.wake();
        }
    }

    /// Takes every woken offset of this chunk, leaving its bitset empty, and hands each to
    /// `f`, in increasing order.
    pub(crate) fn drain(&self, f: &mut impl FnMut(usize)) {
        self.drain_word(self.levels - 1, 0, f);
    }

    fn drain_word(&self, level: usize, index: usize, f: &mut impl FnMut(usize)) {
        let word = &self.words[self.starts[level] + index];
        if word.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut bits = word.swap(0, Ordering::AcqRel);
        while bits != 0 {
            let child = (index << WORD_SHIFT) | bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if level == 0 {
                f(child);
            } else {
                self.drain_word(level - 1, child, f);
            }
        }
    }
}

/// The waker of one slot: marks the slot woken.
#[derive(Debug)]
pub(crate) struct SlotWaker {
    bits: Arc<ChunkBits>,
    offset: usize,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.bits.mark(self.offset);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.bits.mark(self.offset);
    }
}

/// A slot's waker, and the `Arc` behind it, kept to tell whether anyone else holds a clone.
#[derive(Debug)]
pub(crate) struct SlotWakerRef {
    pub(crate) waker: Waker,
    arc: Arc<SlotWaker>,
}

impl SlotWakerRef {
    /// Whether no clone of the waker exists outside this handle.
    pub(crate) fn is_unique(&self) -> bool {
        // One count for `arc`, one for `waker`.
        Arc::strong_count(&self.arc) == 2
    }
}

/// The waker of slot `offset` of the chunk whose bitset is `bits`.
pub(crate) fn slot_waker(bits: &Arc<ChunkBits>, offset: usize) -> SlotWakerRef {
    let arc = Arc::new(SlotWaker {
        bits: bits.clone(),
        offset,
    });
    SlotWakerRef {
        waker: Waker::from(arc.clone()),
        arc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drained(bits: &ChunkBits) -> Vec<usize> {
        let mut out = Vec::new();
        bits.drain(&mut |i| out.push(i));
        out
    }

    #[test]
    fn one_level() {
        let shared = Arc::new(Shared::default());
        let bits = ChunkBits::new(shared.clone(), 3, 10);
        assert_eq!(bits.levels, 1);
        bits.mark(7);
        bits.mark(2);
        bits.mark(7);
        assert_eq!(shared.take_chunks(), 1 << 3);
        assert_eq!(drained(&bits), [2, 7]);
        assert_eq!(drained(&bits), Vec::<usize>::new());
        assert_eq!(shared.take_chunks(), 0);
    }

    #[test]
    fn many_levels() {
        let shared = Arc::new(Shared::default());
        let len = WORD * WORD * 3 + 5;
        let bits = ChunkBits::new(shared.clone(), 0, len);
        assert_eq!(bits.levels, 3);
        let marks = [len - 1, 0, WORD, WORD * WORD, 77, len - 1];
        for &m in &marks {
            bits.mark(m);
        }
        assert_eq!(shared.take_chunks(), 1);
        let mut want: Vec<usize> = marks.to_vec();
        want.sort_unstable();
        want.dedup();
        assert_eq!(drained(&bits), want);
        bits.mark(5);
        assert_eq!(shared.take_chunks(), 1);
        assert_eq!(drained(&bits), [5]);
    }

    #[test]
    fn wakes_parent_once_per_batch() {
        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let shared = Arc::new(Shared::default());
        shared.register(&Waker::from(count.clone()));
        let bits = Arc::new(ChunkBits::new(shared.clone(), 0, 100));
        let wakers: Vec<Waker> = (0..100).map(|i| slot_waker(&bits, i).waker).collect();
        for w in &wakers {
            w.wake_by_ref();
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(shared.take_chunks(), 1);
        assert_eq!(drained(&bits).len(), 100);
        shared.register(&Waker::from(count.clone()));
        let owned: Waker = wakers[42].clone();
        drop(wakers);
        owned.wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
    }
}
