//! The state every handle of one simulation shares, behind one lock.
//!
//! Nothing that can run user code (polling a task, waking a waker, dropping a future or a
//! waker) happens while the lock is held: every such step takes what it needs out of the
//! state, lets go of the lock, and only then acts.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

use async_task::Runnable;
use fastrand::Rng;

/// The name of the runtime, for [`Runtime::name`](wrangle_core::Runtime::name) and errors.
pub(crate) const NAME: &str = "sim";

/// Tells simulations apart, so a thread knows which one it is driving or working for.
static NEXT_SIM_ID: AtomicU64 = AtomicU64::new(1);

/// A registered timer: its deadline, then the order it was registered in.
pub(crate) type TimerKey = (Instant, u64);

/// Who to wake when a timer fires.
pub(crate) struct TimerEntry {
    pub(crate) waker: Waker,
    /// The sleeper is a blocking job of this simulation parked in `sleep_blocking`: firing
    /// the timer counts it as running again, before it has even woken up, so the clock
    /// cannot move on while it resumes.
    pub(crate) job: bool,
}

pub(crate) struct State {
    /// The virtual clock; never moves backwards.
    pub(crate) now: Instant,
    /// Tasks ready to be polled, in no particular order: the scheduler picks at random.
    pub(crate) ready: Vec<Runnable>,
    /// Picks the next task; seeded, so the same seed gives the same interleaving.
    pub(crate) sched_rng: Rng,
    pub(crate) timers: BTreeMap<TimerKey, TimerEntry>,
    next_timer: u64,
    /// A waker for every live task (spawned, not yet finished or dropped), to count them for
    /// deadlock reports and to cancel them at shutdown.
    pub(crate) active: BTreeMap<u64, Waker>,
    /// The name of each live task that has one (seen at its first poll: a task spawned with
    /// `spawn_named`, or a named group child), to name the stuck tasks of a deadlock.
    pub(crate) names: BTreeMap<u64, Arc<str>>,
    /// Some thread holds `Inner::drive`. Set and cleared under the lock by that thread.
    pub(crate) driving: bool,
    /// Blocking jobs in `block_on` while another thread drives: each polls its own future
    /// and waits, parked, to be woken. Woken (and so counted as running) when the driver
    /// lets go of the drive, which one of them may then take, and at shutdown.
    pub(crate) guests: BTreeMap<u64, Waker>,
    /// Blocking jobs of this simulation doing real work: they hold the clock still.
    pub(crate) running_jobs: usize,
    /// Blocking jobs of this simulation parked in `sleep_blocking`, or in `block_on` (waiting
    /// for their future to be woken, or driving the simulation).
    pub(crate) parked_jobs: usize,
    pub(crate) shutdown: bool,
    /// `shutdown` is dropping tasks. A task woken meanwhile (by the drop of another: a group
    /// cancelling its children, a channel closing) is put in `doomed` instead of being
    /// dropped inside its waker, where the waking code may hold a lock the task's drop
    /// takes (event-listener does), and `shutdown` drops it once the waker has returned.
    reaping: bool,
    doomed: Vec<Runnable>,
    /// The driver is blocked on `Inner::changed`. Set and cleared under the lock, so a
    /// notifier that reads it under the lock never misses a waiting driver, and the common
    /// case (the driver is busy) costs no futex syscall.
    pub(crate) driver_waiting: bool,
}

impl State {
    /// Registers a timer; the caller has checked that `deadline` is still ahead.
    pub(crate) fn insert_timer(&mut self, deadline: Instant, waker: Waker, job: bool) -> TimerKey {
        let key = (deadline, self.next_timer);
        self.next_timer += 1;
        self.timers.insert(key, TimerEntry { waker, job });
        key
    }

    /// Moves the clock straight to the earliest deadline and removes every timer that is due
    /// then, returning their wakers (in deadline, then registration order) for the caller to
    /// wake once the lock is released. `None` when no timer is pending.
    pub(crate) fn advance(&mut self) -> Option<Vec<Waker>> {
        let (&(deadline, _), _) = self.timers.first_key_value()?;
        self.now = self.now.max(deadline);
        let mut due = Vec::new();
        while let Some(first) = self.timers.first_entry() {
            if first.key().0 > self.now {
                break;
            }
            let entry = first.remove();
            if entry.job {
                self.parked_jobs -= 1;
                self.running_jobs += 1;
            }
            due.push(entry.waker);
        }
        Some(due)
    }

    /// Timers held and the capacity held for them (a `BTreeMap` holds exactly its entries).
    pub(crate) fn timer_footprint(&self) -> (usize, usize) {
        (self.timers.len(), self.timers.len())
    }

    /// Counts a blocking job of this simulation as parked instead of running.
    pub(crate) fn park_job(&mut self) {
        self.running_jobs -= 1;
        self.parked_jobs += 1;
    }

    /// Counts a parked blocking job of this simulation as running again.
    pub(crate) fn unpark_job(&mut self) {
        self.parked_jobs -= 1;
        self.running_jobs += 1;
    }
}

pub(crate) struct Inner {
    pub(crate) id: u64,
    pub(crate) seed: u64,
    /// The real instant the simulation was created at; virtual time starts there.
    pub(crate) base: Instant,
    state: Mutex<State>,
    /// Notified whenever the driver may have something new to do: a task became ready, the
    /// main future was woken, a blocking job finished or parked, or the simulation shut down.
    pub(crate) changed: Condvar,
    /// Held by the one thread driving the simulation.
    pub(crate) drive: Mutex<()>,
    random: Mutex<Rng>,
    next_task: AtomicU64,
    next_guest: AtomicU64,
}

impl Inner {
    pub(crate) fn new(seed: u64) -> Self {
        // Two independent streams from one seed: scheduling and `random_u64` do not disturb
        // each other, so adding a `random_u64` call does not reshuffle the interleaving.
        let mut seeder = Rng::with_seed(seed);
        let sched_rng = Rng::with_seed(seeder.u64(..));
        let random = Rng::with_seed(seeder.u64(..));
        let base = Instant::now();
        Self {
            id: NEXT_SIM_ID.fetch_add(1, Ordering::Relaxed),
            seed,
            base,
            state: Mutex::new(State {
                now: base,
                ready: Vec::new(),
                sched_rng,
                timers: BTreeMap::new(),
                next_timer: 0,
                active: BTreeMap::new(),
                names: BTreeMap::new(),
                driving: false,
                guests: BTreeMap::new(),
                running_jobs: 0,
                parked_jobs: 0,
                shutdown: false,
                reaping: false,
                doomed: Vec::new(),
                driver_waiting: false,
            }),
            changed: Condvar::new(),
            drive: Mutex::new(()),
            random: Mutex::new(random),
            next_task: AtomicU64::new(0),
            next_guest: AtomicU64::new(0),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, but a poisoned lock must not turn into a
        // second panic in a `Drop`.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> Instant {
        self.lock().now
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.now().saturating_duration_since(self.base)
    }

    pub(crate) fn random_u64(&self) -> u64 {
        self.random
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .u64(..)
    }

    pub(crate) fn next_task_id(&self) -> u64 {
        self.next_task.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn next_guest_id(&self) -> u64 {
        self.next_guest.fetch_add(1, Ordering::Relaxed)
    }

    /// The schedule function of every task: queue it, or drop it (and with it the task's
    /// future) once the simulation has shut down.
    pub(crate) fn schedule(&self, runnable: Runnable) {
        let mut state = self.lock();
        if state.shutdown {
            if state.reaping {
                state.doomed.push(runnable);
                return;
            }
            drop(state);
            drop(runnable);
            return;
        }
        state.ready.push(runnable);
        let waiting = state.driver_waiting;
        drop(state);
        if waiting {
            self.changed.notify_all();
        }
    }

    /// Refuses further work, drops every queued task and timer, and cancels every live task.
    pub(crate) fn shutdown(&self) {
        let (ready, timers, active, guests) = {
            let mut state = self.lock();
            if state.shutdown {
                return;
            }
            state.shutdown = true;
            state.reaping = true;
            state.names.clear();
            (
                std::mem::take(&mut state.ready),
                std::mem::take(&mut state.timers),
                std::mem::take(&mut state.active),
                std::mem::take(&mut state.guests),
            )
        };
        self.changed.notify_all();
        // Dropping a runnable drops its task's future, which marks the task cancelled.
        drop(ready);
        // A task that is waiting is scheduled once more by its waker; `schedule` now drops
        // it instead of queueing it.
        for waker in active.into_values() {
            waker.wake();
        }
        drop(timers);
        // A job waiting in `block_on` returns `BlockOnError::Shutdown`.
        guests.into_values().for_each(Waker::wake);
        // The tasks woken by the drops above, and by theirs, until none is left.
        loop {
            let doomed = {
                let mut state = self.lock();
                if state.doomed.is_empty() {
                    state.reaping = false;
                    return;
                }
                std::mem::take(&mut state.doomed)
            };
            drop(doomed);
        }
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Sim")
            .field("seed", &self.seed)
            .field("elapsed", &state.now.saturating_duration_since(self.base))
            .field("tasks", &state.active.len())
            .field("ready", &state.ready.len())
            .field("timers", &state.timers.len())
            .field("running_jobs", &state.running_jobs)
            .field("parked_jobs", &state.parked_jobs)
            .field("shut_down", &state.shutdown)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;
    use std::time::Duration;

    use super::Inner;

    #[test]
    fn advance_jumps_to_the_earliest_deadline_and_fires_only_what_is_due() {
        let inner = Inner::new(1);
        let mut state = inner.lock();
        let start = state.now;
        let later = start + Duration::from_secs(2);
        let sooner = start + Duration::from_secs(1);
        state.insert_timer(later, Waker::noop().clone(), false);
        state.insert_timer(sooner, Waker::noop().clone(), false);
        state.insert_timer(sooner, Waker::noop().clone(), false);
        assert_eq!(state.advance().map(|due| due.len()), Some(2));
        assert_eq!(state.now, sooner);
        assert_eq!(state.advance().map(|due| due.len()), Some(1));
        assert_eq!(state.now, later);
        assert!(state.advance().is_none());
        assert_eq!(state.now, later);
    }

    #[test]
    fn firing_a_parked_job_counts_it_as_running() {
        let inner = Inner::new(1);
        let mut state = inner.lock();
        state.running_jobs = 1;
        state.park_job();
        let deadline = state.now + Duration::from_millis(5);
        state.insert_timer(deadline, Waker::noop().clone(), true);
        assert_eq!((state.running_jobs, state.parked_jobs), (0, 1));
        assert!(state.advance().is_some());
        assert_eq!((state.running_jobs, state.parked_jobs), (1, 0));
    }

    #[test]
    fn the_two_generators_differ() {
        let inner = Inner::new(0);
        let scheduled = inner.lock().sched_rng.u64(..);
        assert_ne!(scheduled, inner.random_u64());
    }

    #[test]
    fn debug() {
        let text = format!("{:?}", Inner::new(9));
        assert!(text.starts_with("Sim {"), "{text}");
        assert!(text.contains("seed: 9"), "{text}");
    }
}
