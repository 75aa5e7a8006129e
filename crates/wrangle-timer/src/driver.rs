//! The process-wide deadline queue and the thread that fires it.
//!
//! # The protocol
//!
//! `next_wake` is the deadline (in nanoseconds since `base`) the driver thread will wake up
//! for at the latest, or `u64::MAX` while it is scanning or not running. Arming inserts into
//! the arming thread's shard and then loads `next_wake`: only if the new deadline is earlier
//! does it touch the thread (`fetch_min` and an unpark). The driver stores `u64::MAX` before
//! it visits the shards and `fetch_min`s what it found after, so an arm either lands in a
//! shard before the driver visits it (and is counted), or reads `u64::MAX` or a deadline not
//! later than its own (and is covered): the loom model at the end of this file checks it.

use std::fmt;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{OnceLock, PoisonError};
use std::task::Waker;
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::shard::{Entries, Key};
use crate::sync::{AtomicU64, AtomicUsize, Mutex};

/// Deadlines this far from the driver's start (about 292 years) or further are never reached:
/// such a sleep stays pending without an entry.
pub(crate) const NEVER: u64 = u64::MAX / 2;

/// While no [`Driver`](crate::Driver) is held, the thread looks this often (in nanoseconds)
/// whether every sleep is gone, and exits if so.
const IDLE_CHECK: u64 = 1_000_000_000;

/// One shard on its own cache lines.
#[repr(align(128))]
#[derive(Debug, Default)]
struct Shard {
    entries: Mutex<Entries>,
}

pub(crate) struct Global {
    base: Instant,
    shards: Box<[Shard]>,
    /// What the driver thread is armed for; `u64::MAX` while it scans or is not running.
    next_wake: AtomicU64,
    /// A lower bound of the clock, in nanoseconds since `base`, stored by each scan: a sleep
    /// whose deadline is not later is due without reading the clock.
    last_now: AtomicU64,
    /// Live [`Driver`](crate::Driver) handles: the thread runs while there are any, or entries.
    users: AtomicUsize,
    thread: Mutex<Option<Thread>>,
    next_shard: AtomicUsize,
}

impl fmt::Debug for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Global")
            .field("shards", &self.shards.len())
            .field("next_wake", &self.next_wake.load(Relaxed))
            .finish_non_exhaustive()
    }
}

static GLOBAL: OnceLock<Global> = OnceLock::new();

/// The process's driver state, created (without a thread) at first use.
pub(crate) fn global() -> &'static Global {
    GLOBAL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Global::new((2 * cores).next_power_of_two().min(64))
    })
}

/// The driver's state as the test hook sees it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Elements held: heap records (armed or cancelled, not yet dropped) plus slots (used or
    /// free). Zero once every sleep has fired or been dropped.
    pub entries: usize,
    /// Armed sleeps.
    pub armed: usize,
    /// Elements of capacity held by the heaps, slabs and free lists together.
    pub capacity: usize,
    /// Whether the driver thread is running.
    pub thread_running: bool,
}

/// What one arm did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Armed {
    /// In `shard` under `key`.
    At(usize, Key),
    /// Already due: no entry.
    Due,
}

std::thread_local! {
    static MY_SHARD: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

fn lock<T>(m: &Mutex<T>) -> crate::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Global {
    pub(crate) fn new(shards: usize) -> Self {
        Self {
            base: Instant::now(),
            shards: (0..shards.max(1)).map(|_| Shard::default()).collect(),
            next_wake: AtomicU64::new(u64::MAX),
            last_now: AtomicU64::new(0),
            users: AtomicUsize::new(0),
            thread: Mutex::new(None),
            next_shard: AtomicUsize::new(0),
        }
    }

    /// `deadline` in nanoseconds since `base`: 0 if earlier, `NEVER` or more if unreachable.
    #[inline]
    pub(crate) fn nanos(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.base);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    fn now(&self) -> u64 {
        self.nanos(Instant::now())
    }

    /// A lower bound of the clock: a deadline not later than this is due.
    #[inline]
    pub(crate) fn known_past(&self) -> u64 {
        self.last_now.load(Relaxed)
    }

    #[inline]
    fn my_shard(&self) -> usize {
        let mask = self.shards.len() - 1;
        MY_SHARD.with(|cell| {
            let mut i = cell.get();
            if i == usize::MAX {
                i = self.next_shard.fetch_add(1, Relaxed);
                cell.set(i);
            }
            i & mask
        })
    }

    /// Arms `deadline` (below [`NEVER`]) for `waker` in the calling thread's shard.
    pub(crate) fn arm(&self, deadline: u64, waker: &Waker) -> Armed {
        self.arm_in(self.my_shard(), deadline, waker, true)
    }

    fn arm_in(&self, shard: usize, deadline: u64, waker: &Waker, may_start: bool) -> Armed {
        let key = lock(&self.shards[shard].entries).insert(deadline, waker.clone());
        let Some(key) = key else {
            // A full shard (2^32 entries): try the next one.
            return self.arm_in((shard + 1) % self.shards.len(), deadline, waker, may_start);
        };
        if deadline < self.next_wake.load(SeqCst) {
            // Earlier than the driver is armed for (or it scans, or has not started): the
            // one case that touches the thread. A deadline already past needs no entry.
            if deadline <= self.now() {
                drop(self.cancel(shard, key));
                return Armed::Due;
            }
            self.notify(deadline, may_start);
        }
        Armed::At(shard, key)
    }

    fn notify(&self, deadline: u64, may_start: bool) {
        self.next_wake.fetch_min(deadline, SeqCst);
        let mut thread = lock(&self.thread);
        match &*thread {
            Some(t) => t.unpark(),
            None if may_start => *thread = self.start(),
            None => {}
        }
    }

    /// Whether `key` in `shard` is still armed; if so, with `waker` as its waker.
    pub(crate) fn poll_armed(&self, shard: usize, key: Key, waker: &Waker) -> bool {
        let mut entries = lock(&self.shards[shard].entries);
        if !entries.contains(key) {
            return false;
        }
        let old = entries.update(key, waker);
        drop(entries);
        drop(old);
        true
    }

    /// Frees `key`'s entry if it is still armed; returns its waker, to drop by the caller.
    pub(crate) fn cancel(&self, shard: usize, key: Key) -> Option<Waker> {
        lock(&self.shards[shard].entries).remove(key)
    }

    /// Fires what is due at `now` into `wakers`; returns the earliest deadline left and the
    /// number of entries armed. The caller publishes the deadline with [`Global::publish`].
    fn scan(&self, now: u64, wakers: &mut Vec<Waker>) -> (u64, usize) {
        self.next_wake.store(u64::MAX, SeqCst);
        self.last_now.fetch_max(now, Relaxed);
        let mut earliest = u64::MAX;
        let mut live = 0;
        for shard in &self.shards {
            let mut entries = lock(&shard.entries);
            earliest = earliest.min(entries.fire(now, wakers));
            live += entries.live();
        }
        (earliest, live)
    }

    /// Makes `earliest` what the driver waits for (unless an arm asked for earlier meanwhile)
    /// and returns what it waits for.
    fn publish(&self, earliest: u64) -> u64 {
        self.next_wake.fetch_min(earliest, SeqCst).min(earliest)
    }

    /// Starts the driver thread. When the system has no thread to give, the sleeps armed so
    /// far wait until a later arm starts one: late, never early.
    fn start(&self) -> Option<Thread> {
        let spawned = std::thread::Builder::new()
            .name("wrangle-timer".into())
            .spawn(|| global().run());
        spawned.ok().map(|handle| handle.thread().clone())
    }

    fn run(&self) {
        let mut wakers = Vec::new();
        loop {
            let now = self.now();
            let (earliest, live) = self.scan(now, &mut wakers);
            for waker in wakers.drain(..) {
                waker.wake();
            }
            if live == 0 && self.users.load(SeqCst) == 0 && self.try_exit() {
                return;
            }
            let mut wake_at = self.publish(earliest);
            if self.users.load(SeqCst) == 0 {
                // No runtime holds the thread: look again within `IDLE_CHECK`, so that it exits
                // soon after its last sleep is dropped, not at that sleep's deadline.
                wake_at = wake_at.min(now.saturating_add(IDLE_CHECK));
            }
            if wake_at == u64::MAX {
                std::thread::park();
            } else {
                // Woken up to the kernel's timer slack late (50 µs by default on Linux). Parking
                // short and yielding through the rest was tried and measured worse on 2 cores:
                // the yielding thread takes the workers' time (BENCHMARKS.md, issue 19).
                let at = self.base + Duration::from_nanos(wake_at);
                let wait = at.saturating_duration_since(Instant::now());
                if !wait.is_zero() {
                    std::thread::park_timeout(wait);
                }
            }
        }
    }

    /// Stops the thread if no handle and no entry is left, under the lock that arms take to
    /// start one: an arm racing with the exit either is counted here or starts a new thread.
    fn try_exit(&self) -> bool {
        let mut thread = lock(&self.thread);
        let live: usize = self.shards.iter().map(|s| lock(&s.entries).live()).sum();
        if live != 0 || self.users.load(SeqCst) != 0 {
            return false;
        }
        *thread = None;
        self.next_wake.store(u64::MAX, SeqCst);
        true
    }

    pub(crate) fn add_user(&self) {
        self.users.fetch_add(1, SeqCst);
    }

    pub(crate) fn remove_user(&self) {
        if self.users.fetch_sub(1, SeqCst) == 1 {
            // Let the thread see it may exit.
            if let Some(t) = &*lock(&self.thread) {
                t.unpark();
            }
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        let mut stats = Stats {
            entries: 0,
            armed: 0,
            capacity: 0,
            thread_running: lock(&self.thread).is_some(),
        };
        for shard in &self.shards {
            let entries = lock(&shard.entries);
            let (held, capacity) = entries.footprint();
            stats.entries += held;
            stats.armed += entries.live();
            stats.capacity += capacity;
        }
        stats
    }
}

/// Models of the arm / scan / cancel race (RELIABILITY.md, "loom"):
/// `RUSTFLAGS="--cfg loom" cargo test --release -p wrangle-timer --lib loom_tests`.
#[cfg(all(loom, test))]
mod loom_tests {
    use std::task::Waker;

    use super::*;

    /// Far enough from `base` that the clock never reaches it while a model runs.
    const D: u64 = 1 << 50;

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(f);
    }

    /// An arm racing with the driver's scan: whatever the interleaving, the driver ends up
    /// waking no later than the new deadline (it saw the entry, or the arm lowered
    /// `next_wake` and unparked it). The driver is armed for an earlier deadline first, so
    /// the arm may take the cheap path that does not touch the thread.
    #[test]
    fn arm_racing_a_scan_is_never_missed() {
        model(|| {
            let g = loom::sync::Arc::new(Global::new(2));
            g.next_wake.store(D / 2, SeqCst);
            let g2 = g.clone();
            let driver = loom::thread::spawn(move || {
                let mut wakers = Vec::new();
                let (earliest, _) = g2.scan(0, &mut wakers);
                assert!(wakers.is_empty());
                g2.publish(earliest)
            });
            let armed = g.arm_in(1, D, Waker::noop(), false);
            assert!(matches!(armed, Armed::At(1, _)));
            let waits_for = driver.join().expect("driver");
            let wake = g.next_wake.load(SeqCst);
            assert!(
                waits_for <= D || wake <= D,
                "the driver waits for {waits_for}, next_wake {wake}: the arm at {D} is lost"
            );
        });
    }

    /// A sleep dropped while the driver fires it: its waker is either woken by the driver or
    /// handed back to the drop, never both, never neither, and the shard ends empty.
    #[test]
    fn cancel_racing_fire_settles_once() {
        model(|| {
            let g = loom::sync::Arc::new(Global::new(1));
            let Armed::At(shard, key) = g.arm_in(0, D, Waker::noop(), false) else {
                panic!("armed");
            };
            let g2 = g.clone();
            let driver = loom::thread::spawn(move || {
                let mut wakers = Vec::new();
                g2.scan(D, &mut wakers);
                wakers.len()
            });
            let cancelled = g.cancel(shard, key).is_some();
            let fired = driver.join().expect("driver");
            assert_eq!(usize::from(cancelled) + fired, 1);
            let stats = g.stats();
            assert_eq!((stats.entries, stats.armed), (0, 0));
        });
    }
}
