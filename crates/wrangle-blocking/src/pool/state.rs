//! The pool's shared state: its queue, its workers' slots, its counters and the flags and
//! condition variables its threads wait on. Nothing here starts, runs or parks a thread:
//! that is `threads`, which depends on this module, never the reverse.
//!
//! # Counting and waking
//!
//! `threads` counts every live thread of the pool (workers and the supervisor) and never
//! exceeds `max_threads`: a thread is reserved with a compare-and-swap before it is spawned.
//! Idle workers first spin briefly (`spinning`), then park on a condition variable
//! (`parked`, changed only under the `sleep` lock). A submission pushes its call, then wakes
//! a parked worker only if no worker is spinning, and starts a worker only if none is idle
//! and fewer than `eager_threads` exist (`push`). Every step that decides to
//! sleep re-checks the queue after announcing itself (a sequentially consistent store-load
//! pair on both sides), so a call pushed at the same moment is never left without a thread.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use concurrent_queue::ConcurrentQueue;
use event_listener::Event;

use crate::call::{Entry, Host};
use crate::sync::{
    AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Condvar, Mutex, MutexGuard, fence,
};

/// A pool's settings, checked by `PoolBuilder`.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_threads: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) eager_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) grow_after: Duration,
    pub(crate) batch_wakeups: bool,
    pub(crate) thread_name: String,
}

/// One worker's progress, read by the supervisor to tell a blocked thread from a busy one.
///
/// Aligned to its own cache lines: the worker writes it twice per call.
#[repr(align(128))]
pub(crate) struct Slot {
    /// Bumped when a call starts and when it ends: odd while a call runs.
    ticks: AtomicU64,
    /// `ticks` as the supervisor last saw it.
    seen: AtomicU64,
    /// `ticks` of the call last found blocked, so each call's thread is probed once.
    blocked_at: AtomicU64,
    /// The worker's thread id as the OS knows it (Linux), 0 when unknown.
    tid: AtomicU32,
    /// Wake-ups of completed calls the worker holds back, to deliver in a batch.
    deferred: Mutex<Vec<Arc<dyn Host>>>,
    deferred_len: AtomicUsize,
    /// `ticks` when the supervisor last checked the held-back wake-ups.
    rescue_seen: AtomicU64,
}

impl Slot {
    fn new() -> Self {
        Self {
            ticks: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            blocked_at: AtomicU64::new(u64::MAX),
            tid: AtomicU32::new(0),
            deferred: Mutex::new(Vec::new()),
            deferred_len: AtomicUsize::new(0),
            rescue_seen: AtomicU64::new(u64::MAX),
        }
    }

    /// Holds back a completed call's wake-up.
    pub(crate) fn defer(&self, host: Arc<dyn Host>) {
        let mut deferred = self.deferred.lock().unwrap_or_else(PoisonError::into_inner);
        deferred.push(host);
        self.deferred_len.store(deferred.len(), Ordering::SeqCst);
    }

    pub(crate) fn deferred(&self) -> usize {
        self.deferred_len.load(Ordering::SeqCst)
    }

    /// Delivers every held-back wake-up.
    pub(crate) fn flush(&self) {
        if self.deferred() == 0 {
            return;
        }
        let list = {
            let mut deferred = self.deferred.lock().unwrap_or_else(PoisonError::into_inner);
            self.deferred_len.store(0, Ordering::SeqCst);
            std::mem::take(&mut *deferred)
        };
        // Outside the lock: a wake-up may run arbitrary code.
        for host in &list {
            crate::call::wake_awaiting(host);
        }
    }

    /// The supervisor's check: a worker holding back wake-ups that is still on the same
    /// call as at the last check (it may be blocked) has them delivered by the supervisor.
    fn rescue(&self) {
        let ticks = self.ticks.load(Ordering::Acquire);
        let seen = self.rescue_seen.swap(ticks, Ordering::Relaxed);
        if self.deferred() > 0 && ticks == seen {
            self.flush();
        }
    }

    /// Called by the worker on its own thread when it starts.
    pub(crate) fn record_thread(&self) {
        if let Some(tid) = os::current_tid() {
            self.tid.store(tid, Ordering::Relaxed);
        }
    }

    /// Only the slot's own worker writes `ticks`, so a load and a store suffice.
    pub(crate) fn bump(&self) {
        let ticks = self.ticks.load(Ordering::Relaxed);
        self.ticks.store(ticks.wrapping_add(1), Ordering::Release);
    }

    fn is_running(&self) -> bool {
        self.ticks.load(Ordering::Acquire) & 1 == 1
    }

    /// Whether the worker is blocked: the same call has been running since the
    /// supervisor's last look, and (where the OS tells) its thread is asleep, not running
    /// or waiting for a CPU. Records this look.
    fn is_blocked(&self) -> bool {
        let ticks = self.ticks.load(Ordering::Acquire);
        let seen = self.seen.swap(ticks, Ordering::Relaxed);
        if ticks & 1 == 0 || ticks != seen {
            return false;
        }
        if self.blocked_at.load(Ordering::Relaxed) == ticks {
            return true;
        }
        // A call that keeps its thread busy (or is preempted on a loaded machine) gains
        // nothing from more threads; one that sleeps in a system call does.
        let tid = self.tid.load(Ordering::Relaxed);
        if tid != 0 && os::is_on_cpu(tid) == Some(true) {
            return false;
        }
        self.blocked_at.store(ticks, Ordering::Relaxed);
        true
    }
}

/// What the OS says about a thread, where it says anything (Linux's procfs).
mod os {
    /// The calling thread's id, from `/proc/thread-self` (`<pid>/task/<tid>`).
    pub(super) fn current_tid() -> Option<u32> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        link.file_name()?.to_str()?.parse().ok()
    }

    /// Whether the thread is running or waiting for a CPU (`R`), rather than asleep.
    pub(super) fn is_on_cpu(tid: u32) -> Option<bool> {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
        // `pid (comm) state ...`; `comm` may contain anything, so look after the last ')'.
        let state = stat
            .get(stat.rfind(')')? + 1..)?
            .trim_start()
            .chars()
            .next()?;
        Some(state == 'R')
    }
}

pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) queue: ConcurrentQueue<Entry>,
    /// Callers waiting for room in a full queue.
    pub(super) not_full: Event,
    /// How many callers are (about to be) waiting on `not_full`.
    space_waiters: AtomicUsize,

    /// Live threads, the supervisor included; at most `max_threads`.
    threads: AtomicUsize,
    /// Live workers.
    pub(crate) workers: AtomicUsize,
    /// Workers spinning for a call.
    pub(crate) spinning: AtomicUsize,
    /// Workers parked on `wake`; changed only under `sleep`.
    pub(crate) parked: AtomicUsize,
    peak_threads: AtomicUsize,
    /// Every handle is gone: threads exit once the queue is empty instead of waiting.
    pub(crate) closed: AtomicBool,
    pub(crate) sleep: Mutex<()>,
    pub(crate) wake: Condvar,

    /// The workers' slots, for the supervisor and for `metrics().running`.
    slots: Mutex<Vec<Arc<Slot>>>,
    pub(crate) supervisor: Supervisor,
    /// Worker and supervisor spawns still to fail on purpose (the crate's tests only).
    #[cfg(test)]
    pub(crate) fail_spawns: [std::sync::atomic::AtomicUsize; 2],
}

impl State {
    pub(crate) fn new(config: Config) -> Self {
        Self {
            queue: ConcurrentQueue::bounded(config.queue_capacity),
            config,
            not_full: Event::new(),
            space_waiters: AtomicUsize::new(0),
            threads: AtomicUsize::new(0),
            workers: AtomicUsize::new(0),
            spinning: AtomicUsize::new(0),
            parked: AtomicUsize::new(0),
            peak_threads: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
            slots: Mutex::new(Vec::new()),
            supervisor: Supervisor::new(),
            #[cfg(test)]
            fail_spawns: Default::default(),
        }
    }

    pub(crate) fn lock_sleep(&self) -> MutexGuard<'_, ()> {
        self.sleep.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn lock_slots(&self) -> MutexGuard<'_, Vec<Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the next call. Callers waiting for room are woken together once the queue is
    /// at most three quarters full, not one by one: a flood of submissions then costs one
    /// wake-up per quarter queue, not one per call.
    pub(crate) fn pop(&self) -> Option<Entry> {
        let entry = self.queue.pop().ok()?;
        if self.space_waiters.load(Ordering::SeqCst) > 0 {
            let cap = self.config.queue_capacity;
            if self.queue.len() <= cap - cap / 4 {
                self.not_full.notify_additional(usize::MAX);
            }
        }
        Some(entry)
    }

    /// Registers interest in room in the queue; the caller then retries its push before it
    /// waits on the listener.
    pub(crate) fn listen_for_space(&self) -> event_listener::EventListener {
        self.space_waiters.fetch_add(1, Ordering::SeqCst);
        let listener = self.not_full.listen();
        fence(Ordering::SeqCst);
        listener
    }

    pub(crate) fn stop_listening_for_space(&self) {
        self.space_waiters.fetch_sub(1, Ordering::SeqCst);
    }

    pub(crate) fn wake_one(&self) {
        let _sleep = self.lock_sleep();
        self.wake.notify_one();
    }

    pub(crate) fn wake_all(&self) {
        let _sleep = self.lock_sleep();
        self.wake.notify_all();
    }

    /// Reserves room for one more thread, if the cap allows.
    pub(crate) fn reserve_thread(&self) -> bool {
        let mut threads = self.threads.load(Ordering::SeqCst);
        loop {
            if threads >= self.config.max_threads {
                return false;
            }
            match self.threads.compare_exchange_weak(
                threads,
                threads + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    self.peak_threads.fetch_max(threads + 1, Ordering::Relaxed);
                    return true;
                }
                Err(now) => threads = now,
            }
        }
    }

    pub(crate) fn release_thread(&self) {
        self.threads.fetch_sub(1, Ordering::SeqCst);
    }

    pub(crate) fn new_slot(&self) -> Arc<Slot> {
        let slot = Arc::new(Slot::new());
        self.lock_slots().push(slot.clone());
        slot
    }

    pub(crate) fn drop_slot(&self, slot: &Arc<Slot>) {
        let mut slots = self.lock_slots();
        if let Some(i) = slots.iter().position(|s| Arc::ptr_eq(s, slot)) {
            slots.swap_remove(i);
        }
    }

    /// Counts, at a supervisor's tick, all workers and those blocked in their call.
    pub(crate) fn census(&self) -> (usize, usize) {
        let slots = self.lock_slots();
        let blocked = slots.iter().filter(|slot| slot.is_blocked()).count();
        (slots.len(), blocked)
    }

    /// Delivers the wake-ups held back by workers stuck on a call; returns whether any
    /// worker still holds some back.
    pub(crate) fn rescue_wakes(&self) -> bool {
        // Not under the lock: delivering a wake-up may run arbitrary code.
        let slots: Vec<_> = self.lock_slots().clone();
        slots.iter().for_each(|slot| slot.rescue());
        slots.iter().any(|slot| slot.deferred() > 0)
    }

    /// Delivers every held-back wake-up, now.
    pub(crate) fn flush_all_wakes(&self) {
        let slots: Vec<_> = self.lock_slots().clone();
        slots.iter().for_each(|slot| slot.flush());
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads.load(Ordering::SeqCst)
    }

    pub(crate) fn running(&self) -> usize {
        self.lock_slots()
            .iter()
            .filter(|slot| slot.is_running())
            .count()
    }

    pub(crate) fn peak_threads(&self) -> usize {
        self.peak_threads.load(Ordering::Relaxed)
    }

    /// The last handle is gone: idle threads exit, the queue is still drained.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake_all();
        self.supervisor.wake();
    }
}

/// The supervisor's flags (its thread is `threads`' business). On `std`,
/// not on the loom stand-ins: the loom models configure a pool that never starts one.
pub(crate) struct Supervisor {
    /// A supervisor thread runs, or is being started.
    pub(super) alive: std::sync::atomic::AtomicBool,
    /// The supervisor waits on `cv` for a poke.
    pub(super) parked: std::sync::atomic::AtomicBool,
    /// Set by a poke, under the lock, so a parking supervisor cannot miss it.
    pub(super) poked: std::sync::Mutex<bool>,
    pub(super) cv: std::sync::Condvar,
}

impl Supervisor {
    fn new() -> Self {
        Self {
            alive: std::sync::atomic::AtomicBool::new(false),
            parked: std::sync::atomic::AtomicBool::new(false),
            poked: std::sync::Mutex::new(false),
            cv: std::sync::Condvar::new(),
        }
    }

    pub(crate) fn wake(&self) {
        let mut poked = self.poked.lock().unwrap_or_else(PoisonError::into_inner);
        *poked = true;
        self.cv.notify_one();
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// The supervisor thread about to start did not, or has stopped.
    pub(crate) fn stopped(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }
}
