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
use std::sync::atomic::Ordering;
use std::task::{Wake, Waker};

use crate::loom_sync::{AtomicUsize, AtomicWaker};

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

    /// Whether slot `offset` is marked woken and not taken yet: checked right after a child
    /// returns `Pending`, it tells whether the child woke itself while it was polled.
    pub(crate) fn is_marked(&self, offset: usize) -> bool {
        let word = &self.words[offset >> WORD_SHIFT];
        word.load(Ordering::Relaxed) & (1usize << (offset & (WORD - 1))) != 0
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

/// loom models (RELIABILITY.md, "loom"): two threads wake slots while the parent drains, the
/// way [`FutureSet::take_woken`](super::FutureSet::take_woken) does.
#[cfg(all(test, loom))]
mod loom_tests {
    use std::future::poll_fn;
    use std::task::Poll;

    use loom::future::block_on;
    use loom::thread;

    use super::*;

    /// What a child publishes before it wakes its slot: the parent must see it when it takes
    /// the wake (the slot's future is polled right after, and reads what the waker's thread
    /// wrote).
    struct Child {
        bits: Arc<ChunkBits>,
        offset: usize,
        progress: Arc<AtomicUsize>,
    }

    /// Two children, each woken once from a thread of its own, at `(chunk, offset)`; the
    /// parent polls until it has taken both wakes, registering its waker and then taking the
    /// chunk bitmap and draining each chunk it names. A lost wake leaves the parent asleep,
    /// which loom reports as a deadlock; a wake taken twice, or whose child's progress is not
    /// visible to the parent, fails an assertion.
    fn two_wakes_one_drain(lens: [usize; 2], marks: [(usize, usize); 2]) {
        crate::loom_sync::model(move || {
            let shared = Arc::new(Shared::default());
            let chunks: Vec<Arc<ChunkBits>> = (0..2)
                .map(|k| Arc::new(ChunkBits::new(shared.clone(), k as u32, lens[k])))
                .collect();
            let children: Vec<Child> = marks
                .iter()
                .map(|&(k, offset)| Child {
                    bits: chunks[k].clone(),
                    offset,
                    progress: Arc::new(AtomicUsize::new(0)),
                })
                .collect();
            let threads: Vec<_> = children
                .iter()
                .map(|child| {
                    let waker = slot_waker(&child.bits, child.offset).waker;
                    let progress = child.progress.clone();
                    thread::spawn(move || {
                        progress.store(1, Ordering::Relaxed);
                        waker.wake();
                    })
                })
                .collect();

            let mut seen: Vec<(usize, usize)> = Vec::new();
            block_on(poll_fn(|cx| {
                shared.register(cx.waker());
                let mut taken = shared.take_chunks();
                while taken != 0 {
                    let k = taken.trailing_zeros() as usize;
                    taken &= taken - 1;
                    chunks[k].drain(&mut |off| {
                        let child = children
                            .iter()
                            .find(|c| Arc::ptr_eq(&c.bits, &chunks[k]) && c.offset == off)
                            .expect("a woken slot is one that was woken");
                        assert_eq!(
                            child.progress.load(Ordering::Relaxed),
                            1,
                            "the wake of slot {off} of chunk {k} was taken before what its \
                             child did became visible"
                        );
                        seen.push((k, off));
                    });
                }
                if seen.len() >= marks.len() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            for t in threads {
                t.join().expect("the waking thread panicked");
            }
            let mut want = marks.to_vec();
            want.sort_unstable();
            seen.sort_unstable();
            assert_eq!(seen, want, "each wake taken exactly once");
            // Nothing left behind: at most a stale chunk bit (a spurious wake), no slot.
            for bits in &chunks {
                bits.drain(&mut |off| panic!("slot {off} still marked after both wakes"));
            }
        });
    }

    /// Two slots in different leaf words of one two-level chunk: both marks climb to the
    /// top word and race there, and with the drain's top-down `swap`s.
    #[test]
    fn two_leaf_words_of_one_chunk() {
        two_wakes_one_drain([WORD + 1, 1], [(0, 0), (0, WORD)]);
    }

    /// Two slots in one leaf word: only the mark that finds it empty climbs.
    #[test]
    fn one_leaf_word() {
        two_wakes_one_drain([WORD + 1, 1], [(0, 1), (0, WORD - 1)]);
    }

    /// Two chunks (one of them two-level): the marks race on the chunk bitmap, and the one
    /// that finds it empty wakes the parent.
    #[test]
    fn two_chunks() {
        two_wakes_one_drain([WORD + 1, 1], [(0, WORD), (1, 0)]);
    }
}
