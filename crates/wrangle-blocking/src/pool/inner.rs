//! The state a pool's handles, threads and pending submissions share, and the submit path.
//!
//! # Counting and waking
//!
//! `threads` counts every live thread of the pool (workers and the supervisor) and never
//! exceeds `max_threads`: a thread is reserved with a compare-and-swap before it is spawned.
//! Idle workers first spin briefly (`spinning`), then park on a condition variable
//! (`parked`, changed only under the `sleep` lock). A submission pushes its call, then wakes
//! a parked worker only if no worker is spinning, and starts a worker only if none is idle
//! and fewer than `eager_threads` exist. Every step that decides to sleep re-checks the
//! queue after announcing itself (a sequentially consistent store-load pair on both sides),
//! so a call pushed at the same moment is never left without a thread.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use concurrent_queue::{ConcurrentQueue, PushError};
use event_listener::Event;

use super::builder::Config;
use super::supervisor::Supervisor;
use super::worker;
use crate::call::{Entry, Host};
use crate::sync::{
    AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Condvar, Mutex, MutexGuard, fence, thread,
};

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

/// A thread the pool has counted (and, for a worker, its slot) but not yet started: given
/// back when dropped, unless [`keep`](Reserved::keep) says the thread runs. So neither a
/// failed spawn nor a panic while spawning leaks a place under `max_threads`.
pub(crate) struct Reserved<'a> {
    pub(crate) inner: &'a Inner,
    /// The worker's slot, counted in `workers` too; `None` for the supervisor.
    pub(crate) slot: Option<&'a Arc<Slot>>,
    /// The supervisor's `alive` flag was set for this thread.
    pub(crate) supervisor: bool,
}

impl Reserved<'_> {
    /// The thread started: it owns what was reserved for it.
    pub(crate) fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            self.inner.drop_slot(slot);
            self.inner.workers.fetch_sub(1, Ordering::SeqCst);
        }
        self.inner.release_thread();
        if self.supervisor {
            self.inner.supervisor.stopped();
        }
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) queue: ConcurrentQueue<Entry>,
    /// Callers waiting for room in a full queue.
    not_full: Event,
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

impl Inner {
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

    fn lock_slots(&self) -> MutexGuard<'_, Vec<Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `entry`, or gives it back if the queue is full.
    pub(crate) fn try_push(self: &Arc<Self>, entry: Entry) -> Result<(), Entry> {
        match self.queue.push(entry) {
            Ok(()) => {
                self.after_push();
                Ok(())
            }
            Err(PushError::Full(entry) | PushError::Closed(entry)) => Err(entry),
        }
    }

    /// Makes sure a thread will take the call just pushed.
    fn after_push(self: &Arc<Self>) {
        // The push was a SeqCst read-modify-write; these SeqCst loads are ordered after it,
        // against the workers' SeqCst announcements (see the module docs).
        //
        // loom models SeqCst loads and read-modify-writes as AcqRel (its README, "Unsupported
        // features"): too weak for this store-load pair, so it reports a lost wake-up that
        // cannot happen. In the loom models a SeqCst fence stands in for the order they give.
        #[cfg(all(loom, test))]
        fence(Ordering::SeqCst);
        if self.spinning.load(Ordering::SeqCst) == 0 {
            if self.parked.load(Ordering::SeqCst) > 0 {
                self.wake_one();
            } else if self.workers.load(Ordering::SeqCst) < self.config.eager_threads {
                self.spawn_worker();
            }
        }
        self.supervisor.poke(self);
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

    /// Starts one more worker if the cap allows; returns whether it did.
    pub(crate) fn spawn_worker(self: &Arc<Self>) -> bool {
        if !self.reserve_thread() {
            return false;
        }
        self.workers.fetch_add(1, Ordering::SeqCst);
        let slot = self.new_slot();
        // Everything counted above is given back if the thread does not start, whether the
        // spawn fails or panics.
        let reserved = Reserved {
            inner: self,
            slot: Some(&slot),
            supervisor: false,
        };
        let inner = self.clone();
        let theirs = slot.clone();
        let spawned = match self.injected_spawn_failure(false) {
            Some(err) => Err(err),
            None => thread::Builder::new()
                .name(self.config.thread_name.clone())
                .spawn(move || worker::run(inner, theirs))
                .map(drop),
        };
        match spawned {
            // Detached: the pool never joins its threads.
            Ok(()) => {
                reserved.keep();
                true
            }
            Err(err) => {
                drop(reserved);
                self.spawn_failed(&err);
                false
            }
        }
    }

    /// A spawn failure injected by the crate's own tests: the next `fail_spawns[0]` worker
    /// spawns and `fail_spawns[1]` supervisor spawns fail as if the operating system had
    /// refused them.
    #[cfg(test)]
    pub(crate) fn injected_spawn_failure(&self, supervisor: bool) -> Option<std::io::Error> {
        use std::sync::atomic::Ordering::SeqCst;
        self.fail_spawns[usize::from(supervisor)]
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .ok()
            .map(|_| std::io::Error::other("injected spawn failure"))
    }

    #[cfg(not(test))]
    #[inline]
    pub(crate) fn injected_spawn_failure(&self, _supervisor: bool) -> Option<std::io::Error> {
        None
    }

    /// The operating system refused a thread. If the pool has no worker left to run the
    /// queued calls, they are cancelled so that their callers see an error instead of
    /// waiting forever.
    pub(crate) fn spawn_failed(&self, err: &std::io::Error) {
        tracing::error!(
            target: "wrangle_blocking",
            error = %err,
            "the blocking pool could not start a thread"
        );
        if self.workers.load(Ordering::SeqCst) == 0 {
            while let Some(entry) = self.pop() {
                drop(entry);
            }
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

    /// Waits for a call until the keep-alive runs out or the pool closes; `None` means the
    /// worker should retire.
    pub(crate) fn park(&self) -> Option<Entry> {
        let deadline = Instant::now().checked_add(self.config.keep_alive);
        let mut sleep = self.lock_sleep();
        self.parked.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let found = loop {
            if let Some(entry) = self.pop() {
                break Some(entry);
            }
            if self.closed.load(Ordering::SeqCst) {
                break None;
            }
            let timeout = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break None,
                },
            };
            sleep = match timeout {
                Some(timeout) => {
                    self.wake
                        .wait_timeout(sleep, timeout)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .wake
                    .wait(sleep)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        };
        self.parked.fetch_sub(1, Ordering::SeqCst);
        found
    }

    /// A worker retires; returns `false` if it must stay because a call raced in.
    pub(crate) fn retire(&self) -> bool {
        self.workers.fetch_sub(1, Ordering::SeqCst);
        self.release_thread();
        fence(Ordering::SeqCst);
        if self.queue.is_empty() || !self.reserve_thread() {
            return true;
        }
        self.workers.fetch_add(1, Ordering::SeqCst);
        false
    }
}

/// A thread the operating system refuses (injected), or a spawn that panics: the pool gives
/// back every place it counted for the thread, says so to the callers it cannot serve, and
/// works on.
#[cfg(all(test, not(loom)))]
mod spawn_failure_tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::mpsc;
    use std::time::Duration;

    use futures_lite::future::block_on;

    use super::*;
    use crate::BlockingPool;

    fn counts(inner: &Inner) -> (usize, usize, usize) {
        (
            inner.threads(),
            inner.workers.load(Ordering::SeqCst),
            inner.lock_slots().len(),
        )
    }

    #[test]
    fn a_refused_worker_gives_back_its_place_and_its_callers_are_told() {
        let pool = BlockingPool::builder()
            .max_threads(2)
            .eager_threads(1)
            .build()
            .unwrap();
        let inner = pool.inner().clone();
        inner.fail_spawns[0].store(1, Ordering::SeqCst);
        let task = block_on(pool.submit(|| 1));
        // No thread could start and none is left to run the call: it is cancelled, not
        // left waiting for ever.
        assert!(block_on(task.join()).unwrap_err().is_cancelled());
        assert_eq!(counts(&inner), (0, 0, 0));
        assert!(!inner.supervisor.is_alive());
        // The pool works on, up to its full cap.
        assert_eq!(block_on(pool.unblock(|| 2)), 2);
        assert!(pool.metrics().threads <= 2);
    }

    #[test]
    fn a_refused_supervisor_gives_back_its_place() {
        let pool = BlockingPool::builder()
            .max_threads(3)
            .eager_threads(1)
            .build()
            .unwrap();
        let inner = pool.inner().clone();
        // The first call starts the one eager worker, then the supervisor, which fails.
        inner.fail_spawns[1].store(1, Ordering::SeqCst);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let busy = block_on(pool.submit(move || {
            let _ = started_tx.send(());
            let _ = release_rx.recv_timeout(Duration::from_secs(10));
        }));
        started_rx.recv().unwrap();
        assert_eq!(inner.fail_spawns[1].load(Ordering::SeqCst), 0, "not tried");
        assert!(!inner.supervisor.is_alive());
        assert_eq!(counts(&inner), (1, 1, 1));
        // The next call starts it, and more threads for calls that block.
        let blocked = block_on(pool.submit(|| std::thread::sleep(Duration::from_millis(50))));
        let queued = block_on(pool.submit(|| 3));
        assert_eq!(block_on(queued.join()).unwrap(), 3);
        block_on(blocked.join()).unwrap();
        assert!(pool.metrics().peak_threads <= 3);
        release_tx.send(()).unwrap();
        block_on(busy.join()).unwrap();
    }

    #[test]
    fn a_panicking_spawn_gives_back_its_place() {
        // A name the builder rejects: std panics on it inside `spawn`.
        let mut config = crate::pool::PoolBuilder::new()
            .max_threads(2)
            .config()
            .unwrap();
        config.thread_name = "bad\0name".into();
        let inner = Arc::new(Inner::new(config));
        let caught = catch_unwind(AssertUnwindSafe(|| inner.spawn_worker()));
        assert!(caught.is_err(), "std accepted a NUL in a thread name");
        assert_eq!(counts(&inner), (0, 0, 0));
        let caught = catch_unwind(AssertUnwindSafe(|| super::super::supervisor::start(&inner)));
        assert!(caught.is_err());
        assert_eq!(counts(&inner), (0, 0, 0));
        assert!(!inner.supervisor.is_alive());
    }
}

/// loom models (RELIABILITY.md, "loom"): the submit path against a worker that runs out of
/// calls, spins, parks or retires, through the real `Inner`, `worker::run` and calls.
///
/// The supervisor is not in these models: it sleeps on real time and runs on `std`'s
/// threads. So the pool has one thread at most and two eager threads, a configuration the
/// builder would clamp (to one): `poke` starts a supervisor only once `workers` reaches
/// `eager_threads`, which never happens, while every push that finds no worker idle tries to
/// start one, which succeeds only when the one thread has retired.
#[cfg(all(test, loom))]
mod loom_tests {
    use std::time::Duration;

    use loom::future::block_on;
    use wrangle_core::Task;

    use super::*;
    use crate::sync::model;

    fn inner(keep_alive: Duration) -> Arc<Inner> {
        Arc::new(Inner::new(Config {
            max_threads: 1,
            queue_capacity: 2,
            eager_threads: 2,
            keep_alive,
            grow_after: Duration::from_millis(1),
            batch_wakeups: false,
            thread_name: "wrangle-loom".into(),
        }))
    }

    /// Closes the pool and waits for its workers to leave. They drop their slots under the
    /// slots' lock as they go, which orders everything they did before this returns: loom
    /// cannot see the `std` `Arc` they share with the caller, so without this it would take
    /// the caller's drop of the queue as racing with the workers' last look at it.
    fn close_and_wait(inner: &Inner) {
        inner.close();
        while !inner.lock_slots().is_empty() {
            loom::thread::yield_now();
        }
    }

    fn submit(inner: &Arc<Inner>, value: u32) -> Task<u32> {
        let (host, task) = crate::call::new(move || value, false);
        assert!(
            inner.try_push(Entry::new(host)).is_ok(),
            "the queue has room"
        );
        task
    }

    /// The first call starts the worker; the second is pushed while the worker, done with
    /// the first, spins and parks. The second must run (else loom reports a deadlock: the
    /// caller waits for ever), and closing the pool lets the worker exit.
    #[test]
    fn a_call_pushed_as_the_worker_parks_is_run() {
        model(|| {
            let inner = inner(Duration::MAX);
            assert_eq!(block_on(submit(&inner, 1)), 1);
            assert_eq!(block_on(submit(&inner, 2)), 2);
            close_and_wait(&inner);
        });
    }

    /// The same with no keep-alive: the worker retires as soon as it runs out of calls, so
    /// the second push races with it leaving. Either the push starts a new worker, or the
    /// retiring one sees the call and stays; the call must run.
    #[test]
    fn a_call_pushed_as_the_worker_retires_is_run() {
        model(|| {
            let inner = inner(Duration::ZERO);
            assert_eq!(block_on(submit(&inner, 1)), 1);
            assert_eq!(block_on(submit(&inner, 2)), 2);
            close_and_wait(&inner);
        });
    }
}
