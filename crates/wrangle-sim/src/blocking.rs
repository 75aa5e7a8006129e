//! Blocking work: a real thread per job, and the sim-aware sleep such a job calls to stand in
//! for a slow blocking call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

use wrangle_core::{SpawnError, Task};

use crate::role::{self, Role};
use crate::state::{Inner, NAME};

/// Counts a blocking job as running from spawn until its closure returns (or its thread
/// failed to start).
struct RunningGuard(Arc<Inner>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.lock().running_jobs -= 1;
        self.0.changed.notify_all();
    }
}

pub(crate) fn spawn_blocking<F, T>(inner: &Arc<Inner>, f: F) -> Result<Task<T>, SpawnError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    {
        let mut state = inner.lock();
        if state.shutdown {
            return Err(SpawnError::shutdown(NAME));
        }
        // Counted before the thread starts, so the clock cannot move in between.
        state.running_jobs += 1;
    }
    let running = RunningGuard(inner.clone());
    let (job, task) = wrangle_core::task::new_blocking(f);
    let sim = inner.id;
    let spawned = thread::Builder::new()
        .name("wrangle-sim-blocking".into())
        .spawn(move || {
            let _role = role::enter(sim, Role::Job);
            let _running = running;
            job.run();
        });
    // A thread that could not start dropped the closure: the job is uncounted and its task
    // joins as cancelled.
    drop(spawned);
    Ok(task)
}

/// Wakes a thread parked in `sleep_blocking`.
struct Parker {
    thread: Thread,
    fired: AtomicBool,
}

impl Wake for Parker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fired.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Parks the current thread until the virtual clock reaches `deadline`; `None` parks it for
/// good.
pub(crate) fn sleep_until(inner: &Inner, deadline: Option<Instant>) {
    let role = role::current(inner.id);
    assert!(
        role != Some(Role::Driver),
        "Sim::sleep_blocking called on the thread driving the simulation, so virtual time could \
         never advance; await wrangle::sleep instead, or call it inside spawn_blocking"
    );
    let job = role == Some(Role::Job);
    let parker = Arc::new(Parker {
        thread: thread::current(),
        fired: AtomicBool::new(false),
    });
    {
        let mut state = inner.lock();
        if deadline.is_some_and(|deadline| state.now >= deadline) {
            return;
        }
        // After shutdown the clock never moves again: the sleep never ends.
        if let Some(deadline) = deadline.filter(|_| !state.shutdown) {
            state.insert_timer(deadline, Waker::from(parker.clone()), job);
        }
        if job {
            // Parked: no longer holds the clock still. The driver counts the job as running
            // again when it fires the timer.
            state.park_job();
        }
    }
    inner.changed.notify_all();
    while !parker.fired.load(Ordering::Acquire) {
        thread::park();
    }
}
