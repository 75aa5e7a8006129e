//! The pool's thread lifecycle, all of it: starting workers and the supervisor, what each
//! runs, how they park, and how they retire. It depends on `State` (the queue, slots and
//! counters); the state knows nothing of threads. The push protocol
//! (`push`) calls in here to start a worker or the supervisor; nothing here
//! calls back into it.
//!
//! # Workers
//!
//! A worker takes calls off the queue and runs them, spins briefly when it runs out, then
//! parks until a call arrives or its keep-alive runs out, and retires.
//!
//! # The supervisor
//!
//! The one thread that starts workers for calls that block. While calls are queued it wakes
//! every `grow_after` and looks at each worker's slot. A worker whose call has been running
//! since the last look is *blocked* if its thread is asleep (on Linux, its state in
//! `/proc/self/task/<tid>/stat` is not `R`, read once per call; elsewhere, every such worker
//! counts as blocked). A thread that is running, or waiting for a CPU on a loaded machine, is
//! busy, not blocked: more threads would not help it. When fewer than `eager_threads`
//! workers are making progress and calls are waiting, it starts more: as many as there are
//! queued calls when every worker is blocked (a burst of blocking calls is served at once),
//! else enough to bring the workers making progress back to `eager_threads`. It counts
//! toward `max_threads`; when the cap leaves it no room to start the worker it needs, it
//! becomes that worker itself.
//!
//! It parks when the queue has stayed empty for a while, is woken by the next submission,
//! and exits after the keep-alive or when the pool closes with nothing queued.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use super::state::{Slot, State};
use crate::call::{Entry, Host, WakeSink};
use crate::sync::{fence, thread};

/// Rounds of polling the queue before parking: a few busy-wait rounds, then a few yields,
/// about 10 µs in all. Enough to catch the next call of a steady stream without a wake-up,
/// short enough not to burn a core when the stream stops.
#[cfg(not(all(loom, test)))]
const SPIN_ROUNDS: u32 = 16;
/// Two rounds in the loom models: every round is the same pop, and each one multiplies the
/// interleavings loom explores. (`std::hint::spin_loop` is a CPU hint, not a scheduling point,
/// so loom's own, which yields, is not used.)
#[cfg(all(loom, test))]
const SPIN_ROUNDS: u32 = 2;
const BUSY_ROUNDS: u32 = 6;

/// Completed calls whose wake-ups a worker holds back at most, before delivering them.
const BATCH: usize = 16;
/// Wake-ups are held back only while at least this many calls are queued.
const LOW_WATER: usize = 32;

/// Ticks with an empty queue before the supervisor parks: long enough that a steady stream
/// of short calls does not park and wake it over and over.
const QUIET_TICKS: u32 = 100;

// ---------------------------------------------------------------------------------------
// Starting threads

/// A thread the pool has counted (and, for a worker, its slot) but not yet started: given
/// back when dropped, unless [`keep`](Reserved::keep) says the thread runs. So neither a
/// failed spawn nor a panic while spawning leaks a place under `max_threads`.
struct Reserved<'a> {
    state: &'a State,
    /// The worker's slot, counted in `workers` too; `None` for the supervisor.
    slot: Option<&'a Arc<Slot>>,
    /// The supervisor's `alive` flag was set for this thread.
    supervisor: bool,
}

impl Reserved<'_> {
    /// The thread started: it owns what was reserved for it.
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            self.state.drop_slot(slot);
            self.state.workers.fetch_sub(1, Ordering::SeqCst);
        }
        self.state.release_thread();
        if self.supervisor {
            self.state.supervisor.stopped();
        }
    }
}

/// Starts one more worker if the cap allows; returns whether it did.
pub(super) fn spawn_worker(state: &Arc<State>) -> bool {
    if !state.reserve_thread() {
        return false;
    }
    state.workers.fetch_add(1, Ordering::SeqCst);
    let slot = state.new_slot();
    // Everything counted above is given back if the thread does not start, whether the
    // spawn fails or panics.
    let reserved = Reserved {
        state,
        slot: Some(&slot),
        supervisor: false,
    };
    let theirs = (state.clone(), slot.clone());
    let spawned = match injected_spawn_failure(state, false) {
        Some(err) => Err(err),
        None => thread::Builder::new()
            .name(state.config.thread_name.clone())
            .spawn(move || run_worker(theirs.0, theirs.1))
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
            spawn_failed(state, &err);
            false
        }
    }
}

/// Called after each push: wakes a parked supervisor, or starts one once the eager
/// threads are all running and there is room for another thread.
pub(super) fn poke_supervisor(state: &Arc<State>) {
    let sup = &state.supervisor;
    if sup.parked.load(Ordering::SeqCst) {
        sup.wake();
    } else if !sup.alive.load(Ordering::SeqCst)
        && state.workers.load(Ordering::SeqCst) >= state.config.eager_threads
    {
        start_supervisor(state);
    }
}

fn start_supervisor(state: &Arc<State>) {
    let sup = &state.supervisor;
    if sup
        .alive
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return;
    }
    if !state.reserve_thread() {
        sup.stopped();
        return;
    }
    // Given back if the thread does not start, whether the spawn fails or panics.
    let reserved = Reserved {
        state,
        slot: None,
        supervisor: true,
    };
    let theirs = state.clone();
    let spawned = match injected_spawn_failure(state, true) {
        Some(err) => Err(err),
        None => std::thread::Builder::new()
            .name(state.config.thread_name.clone())
            .spawn(move || supervise(theirs))
            .map(drop),
    };
    match spawned {
        Ok(()) => reserved.keep(),
        Err(err) => {
            drop(reserved);
            spawn_failed(state, &err);
        }
    }
}

/// A spawn failure injected by the crate's own tests: the next `fail_spawns[0]` worker
/// spawns and `fail_spawns[1]` supervisor spawns fail as if the operating system had
/// refused them.
#[cfg(test)]
fn injected_spawn_failure(state: &State, supervisor: bool) -> Option<std::io::Error> {
    use std::sync::atomic::Ordering::SeqCst;
    state.fail_spawns[usize::from(supervisor)]
        .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
        .ok()
        .map(|_| std::io::Error::other("injected spawn failure"))
}

#[cfg(not(test))]
#[inline]
fn injected_spawn_failure(_state: &State, _supervisor: bool) -> Option<std::io::Error> {
    None
}

/// The operating system refused a thread. If the pool has no worker left to run the
/// queued calls, they are cancelled so that their callers see an error instead of
/// waiting forever.
fn spawn_failed(state: &State, err: &std::io::Error) {
    tracing::error!(
        target: "wrangle_blocking",
        error = %err,
        "the blocking pool could not start a thread"
    );
    if state.workers.load(Ordering::SeqCst) == 0 {
        while let Some(entry) = state.pop() {
            drop(entry);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Workers

fn run_worker(state: Arc<State>, slot: Arc<Slot>) {
    slot.record_thread();
    if state.config.batch_wakeups {
        crate::call::set_wake_sink(Some(Arc::new(Batch {
            state: state.clone(),
            slot: slot.clone(),
        })));
    }
    loop {
        while let Some(entry) = state.pop() {
            run_one(&slot, entry);
            if slot.deferred() >= BATCH {
                slot.flush();
            }
        }
        slot.flush();
        if let Some(entry) = spin(&state) {
            wake_sibling(&state);
            run_one(&slot, entry);
            continue;
        }
        if let Some(entry) = park_worker(&state) {
            wake_sibling(&state);
            run_one(&slot, entry);
            continue;
        }
        if retire_worker(&state) {
            break;
        }
    }
    crate::call::set_wake_sink(None);
    slot.flush();
    state.drop_slot(&slot);
}

/// Holds back the wake-ups of a worker's completed calls while many calls are queued, so
/// the awaiting side is woken once per batch rather than once per call.
///
/// A held-back wake-up is delivered when the worker has held back `BATCH` of them, when
/// fewer than `LOW_WATER` calls remain queued (so the awaiting side refills the queue
/// before the workers run dry), or, if the worker's next call blocks, by the supervisor
/// within two of its ticks. Without a supervisor nothing is held back.
struct Batch {
    state: Arc<State>,
    slot: Arc<Slot>,
}

impl WakeSink for Batch {
    fn defer(&self, host: Arc<dyn Host>) -> Result<(), Arc<dyn Host>> {
        let sup = &self.state.supervisor;
        if !sup.is_alive() || self.state.queue.len() < LOW_WATER {
            // Running low: wake the awaiting side now (with what is held back), so it
            // refills the queue before the workers run dry.
            self.slot.flush();
            return Err(host);
        }
        self.slot.defer(host);
        // The supervisor may have stopped meanwhile (it flushes every slot when it does):
        // if so, deliver now rather than rely on it.
        if !sup.is_alive() {
            self.slot.flush();
        }
        Ok(())
    }
}

fn run_one(slot: &Slot, entry: Entry) {
    slot.bump();
    // The closure's own panic is caught by its job; this catches what may still unwind
    // (an output's `Drop`), so the worker survives it and its counts stay right.
    let _ = catch_unwind(AssertUnwindSafe(|| entry.run()));
    slot.bump();
}

/// Polls the queue for a little while before the worker parks.
fn spin(state: &State) -> Option<Entry> {
    state.spinning.fetch_add(1, Ordering::SeqCst);
    let mut found = None;
    for round in 0..SPIN_ROUNDS {
        if let Some(entry) = state.pop() {
            found = Some(entry);
            break;
        }
        if round < BUSY_ROUNDS {
            for _ in 0..(1u32 << round) {
                std::hint::spin_loop();
            }
        } else {
            thread::yield_now();
        }
    }
    state.spinning.fetch_sub(1, Ordering::SeqCst);
    found
}

/// A worker that was idle found a call: if more are queued and no other worker is looking,
/// wake one, so a burst is taken up in parallel.
fn wake_sibling(state: &State) {
    if !state.queue.is_empty()
        && state.spinning.load(Ordering::SeqCst) == 0
        && state.parked.load(Ordering::SeqCst) > 0
    {
        state.wake_one();
    }
}

/// Waits for a call until the keep-alive runs out or the pool closes; `None` means the
/// worker should retire.
fn park_worker(state: &State) -> Option<Entry> {
    let deadline = Instant::now().checked_add(state.config.keep_alive);
    let mut sleep = state.lock_sleep();
    state.parked.fetch_add(1, Ordering::SeqCst);
    fence(Ordering::SeqCst);
    let found = loop {
        if let Some(entry) = state.pop() {
            break Some(entry);
        }
        if state.closed.load(Ordering::SeqCst) {
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
                state
                    .wake
                    .wait_timeout(sleep, timeout)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => state
                .wake
                .wait(sleep)
                .unwrap_or_else(PoisonError::into_inner),
        };
    };
    state.parked.fetch_sub(1, Ordering::SeqCst);
    found
}

/// A worker retires; returns `false` if it must stay because a call raced in.
fn retire_worker(state: &State) -> bool {
    state.workers.fetch_sub(1, Ordering::SeqCst);
    state.release_thread();
    fence(Ordering::SeqCst);
    if state.queue.is_empty() || !state.reserve_thread() {
        return true;
    }
    state.workers.fetch_add(1, Ordering::SeqCst);
    false
}

// ---------------------------------------------------------------------------------------
// The supervisor

fn supervise(state: Arc<State>) {
    let mut quiet = 0;
    loop {
        std::thread::sleep(state.config.grow_after);
        let holding = state.rescue_wakes();
        let queued = state.queue.len();
        if queued == 0 {
            quiet += 1;
            let done = state.closed.load(Ordering::SeqCst) || quiet >= QUIET_TICKS;
            if done && !holding {
                quiet = 0;
                if !park_supervisor(&state) && retire_supervisor(&state) {
                    return;
                }
            }
            continue;
        }
        quiet = 0;
        if grow(&state, queued) {
            // No room left for the worker the calls need: become it.
            state.workers.fetch_add(1, Ordering::SeqCst);
            state.supervisor.stopped();
            // Workers hold back wake-ups only while a supervisor can deliver them.
            state.flush_all_wakes();
            let slot = state.new_slot();
            run_worker(state, slot);
            return;
        }
    }
}

/// Starts workers if the queued calls need them; returns whether the supervisor should
/// become a worker itself.
fn grow(state: &Arc<State>, queued: usize) -> bool {
    let (workers, blocked) = state.census();
    let progressing = workers - blocked;
    let eager = state.config.eager_threads;
    if progressing >= eager {
        // Enough workers are making progress. If some are parked with calls queued, a
        // wake-up went astray somewhere: wake them all (cheap insurance).
        if state.parked.load(Ordering::SeqCst) > 0 {
            state.wake_all();
        }
        return false;
    }
    let want = if progressing == 0 {
        queued
    } else {
        queued.min(eager - progressing)
    };
    let mut started = 0;
    while started < want && spawn_worker(state) {
        started += 1;
    }
    started < want && progressing == 0 && state.threads() >= state.config.max_threads
}

/// Parks until poked; returns `false` when the keep-alive ran out (or the pool closed) with
/// nothing queued.
fn park_supervisor(state: &State) -> bool {
    let sup = &state.supervisor;
    let deadline = Instant::now().checked_add(state.config.keep_alive);
    let mut poked = sup.poked.lock().unwrap_or_else(PoisonError::into_inner);
    sup.parked.store(true, Ordering::SeqCst);
    std::sync::atomic::fence(Ordering::SeqCst);
    let woken = loop {
        if *poked || !state.queue.is_empty() {
            break true;
        }
        if state.closed.load(Ordering::SeqCst) {
            break false;
        }
        let left = match deadline {
            None => None,
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => break false,
            },
        };
        poked = match left {
            Some(left) => {
                sup.cv
                    .wait_timeout(poked, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => sup.cv.wait(poked).unwrap_or_else(PoisonError::into_inner),
        };
    };
    *poked = false;
    sup.parked.store(false, Ordering::SeqCst);
    woken
}

/// The supervisor exits; returns `false` if it must stay because calls raced in.
fn retire_supervisor(state: &State) -> bool {
    let sup = &state.supervisor;
    sup.stopped();
    state.flush_all_wakes();
    state.release_thread();
    std::sync::atomic::fence(Ordering::SeqCst);
    if state.queue.is_empty() {
        return true;
    }
    if sup
        .alive
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        // Another supervisor started meanwhile.
        return true;
    }
    if state.reserve_thread() {
        return false;
    }
    sup.stopped();
    true
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

    fn counts(inner: &State) -> (usize, usize, usize) {
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
        let inner = Arc::new(State::new(config));
        let caught = catch_unwind(AssertUnwindSafe(|| spawn_worker(&inner)));
        assert!(caught.is_err(), "std accepted a NUL in a thread name");
        assert_eq!(counts(&inner), (0, 0, 0));
        let caught = catch_unwind(AssertUnwindSafe(|| start_supervisor(&inner)));
        assert!(caught.is_err());
        assert_eq!(counts(&inner), (0, 0, 0));
        assert!(!inner.supervisor.is_alive());
    }
}
