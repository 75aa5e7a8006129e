//! The supervisor: the one thread that starts workers for calls that block.
//!
//! While calls are queued it wakes every `grow_after` and looks at each worker's slot. A
//! worker whose call has been running since the last look is *blocked* if its thread is
//! asleep (on Linux, its state in `/proc/self/task/<tid>/stat` is not `R`, read once per
//! call; elsewhere, every such worker counts as blocked). A thread that is running, or
//! waiting for a CPU on a loaded machine, is busy, not blocked: more threads would not help
//! it. When fewer than `eager_threads` workers are making progress and calls are waiting,
//! it starts more: as many as there are queued calls when every worker is blocked (a burst
//! of blocking calls is served at once), else enough to bring the workers making progress
//! back to `eager_threads`. It counts toward `max_threads`; when the cap leaves it
//! no room to start the worker it needs, it becomes that worker itself.
//!
//! It parks when the queue has stayed empty for a while, is woken by the next submission,
//! and exits after the keep-alive or when the pool closes with nothing queued.

use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::Instant;

use super::inner::{Inner, Reserved};
use super::worker;

/// Ticks with an empty queue before the supervisor parks: long enough that a steady stream
/// of short calls does not park and wake it over and over.
const QUIET_TICKS: u32 = 100;

pub(crate) struct Supervisor {
    alive: AtomicBool,
    parked: AtomicBool,
    /// Set by a poke, under the lock, so a parking supervisor cannot miss it.
    poked: Mutex<bool>,
    cv: Condvar,
}

impl Supervisor {
    pub(crate) fn new() -> Self {
        Self {
            alive: AtomicBool::new(false),
            parked: AtomicBool::new(false),
            poked: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    /// Called after each push: wakes a parked supervisor, or starts one once the eager
    /// threads are all running and there is room for another thread.
    pub(crate) fn poke(&self, inner: &Arc<Inner>) {
        if self.parked.load(Ordering::SeqCst) {
            self.wake();
        } else if !self.alive.load(Ordering::SeqCst)
            && inner.workers.load(Ordering::SeqCst) >= inner.config.eager_threads
        {
            start(inner);
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

    /// The supervisor thread about to start did not.
    pub(crate) fn stopped(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }
}

pub(super) fn start(inner: &Arc<Inner>) {
    let sup = &inner.supervisor;
    if sup
        .alive
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return;
    }
    if !inner.reserve_thread() {
        sup.stopped();
        return;
    }
    // Given back if the thread does not start, whether the spawn fails or panics.
    let reserved = Reserved {
        inner,
        slot: None,
        supervisor: true,
    };
    let theirs = inner.clone();
    let spawned = match inner.injected_spawn_failure(true) {
        Some(err) => Err(err),
        None => thread::Builder::new()
            .name(inner.config.thread_name.clone())
            .spawn(move || supervise(theirs))
            .map(drop),
    };
    match spawned {
        Ok(()) => reserved.keep(),
        Err(err) => {
            drop(reserved);
            inner.spawn_failed(&err);
        }
    }
}

fn supervise(inner: Arc<Inner>) {
    let mut quiet = 0;
    loop {
        thread::sleep(inner.config.grow_after);
        let holding = inner.rescue_wakes();
        let queued = inner.queue.len();
        if queued == 0 {
            quiet += 1;
            let done = inner.closed.load(Ordering::SeqCst) || quiet >= QUIET_TICKS;
            if done && !holding {
                quiet = 0;
                if !park(&inner) && retire(&inner) {
                    return;
                }
            }
            continue;
        }
        quiet = 0;
        if grow(&inner, queued) {
            // No room left for the worker the calls need: become it.
            inner.workers.fetch_add(1, Ordering::SeqCst);
            inner.supervisor.alive.store(false, Ordering::SeqCst);
            // Workers hold back wake-ups only while a supervisor can deliver them.
            inner.flush_all_wakes();
            let slot = inner.new_slot();
            worker::run(inner, slot);
            return;
        }
    }
}

/// Starts workers if the queued calls need them; returns whether the supervisor should
/// become a worker itself.
fn grow(inner: &Arc<Inner>, queued: usize) -> bool {
    let (workers, blocked) = inner.census();
    let progressing = workers - blocked;
    let eager = inner.config.eager_threads;
    if progressing >= eager {
        // Enough workers are making progress. If some are parked with calls queued, a
        // wake-up went astray somewhere: wake them all (cheap insurance).
        if inner.parked.load(Ordering::SeqCst) > 0 {
            inner.wake_all();
        }
        return false;
    }
    let want = if progressing == 0 {
        queued
    } else {
        queued.min(eager - progressing)
    };
    let mut started = 0;
    while started < want && inner.spawn_worker() {
        started += 1;
    }
    started < want && progressing == 0 && inner.threads() >= inner.config.max_threads
}

/// Parks until poked; returns `false` when the keep-alive ran out (or the pool closed) with
/// nothing queued.
fn park(inner: &Inner) -> bool {
    let sup = &inner.supervisor;
    let deadline = Instant::now().checked_add(inner.config.keep_alive);
    let mut poked = sup.poked.lock().unwrap_or_else(PoisonError::into_inner);
    sup.parked.store(true, Ordering::SeqCst);
    fence(Ordering::SeqCst);
    let woken = loop {
        if *poked || !inner.queue.is_empty() {
            break true;
        }
        if inner.closed.load(Ordering::SeqCst) {
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
fn retire(inner: &Inner) -> bool {
    let sup = &inner.supervisor;
    sup.alive.store(false, Ordering::SeqCst);
    inner.flush_all_wakes();
    inner.release_thread();
    fence(Ordering::SeqCst);
    if inner.queue.is_empty() {
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
    if inner.reserve_thread() {
        return false;
    }
    sup.alive.store(false, Ordering::SeqCst);
    true
}
