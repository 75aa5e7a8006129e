//! The driver: runs the main future, the tasks and the virtual clock on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};

use async_task::Runnable;
use wrangle_core::{BlockOnError, context};

use crate::role::{self, Role};
use crate::state::{Inner, NAME};

/// The waker of the future passed to `block_on`.
struct MainWaker {
    inner: Weak<Inner>,
    woken: AtomicBool,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match self.inner.upgrade() {
            Some(inner) => {
                // Set under the lock, so a driver about to wait cannot miss it.
                let state = inner.lock();
                self.woken.store(true, Ordering::Release);
                let waiting = state.driver_waiting;
                drop(state);
                if waiting {
                    inner.changed.notify_all();
                }
            }
            None => self.woken.store(true, Ordering::Release),
        }
    }
}

/// What the driver does next.
enum Step {
    PollMain,
    Run(Runnable),
    Wake(Vec<Waker>),
    Shutdown,
    Deadlock(usize),
}

/// Holds the right to drive. A blocking job of the same simulation that calls `block_on`
/// counts as parked while it waits for that right and while it drives, so the clock is not
/// held still by a thread that is itself waiting for the clock.
struct DriveGuard<'a> {
    inner: &'a Inner,
    job: bool,
    _drive: MutexGuard<'a, ()>,
}

impl<'a> DriveGuard<'a> {
    fn acquire(inner: &'a Inner) -> Self {
        let job = role::current(inner.id) == Some(Role::Job);
        if job {
            inner.lock().park_job();
            inner.changed.notify_all();
        }
        let drive = inner.drive.lock().unwrap_or_else(PoisonError::into_inner);
        Self {
            inner,
            job,
            _drive: drive,
        }
    }
}

impl Drop for DriveGuard<'_> {
    fn drop(&mut self) {
        if self.job {
            // Running again before another driver can move the clock.
            self.inner.lock().unpark_job();
        }
    }
}

pub(crate) fn block_on<F: Future>(
    inner: &Arc<Inner>,
    future: F,
) -> Result<F::Output, BlockOnError> {
    if context::is_driving() {
        return Err(BlockOnError::Nested);
    }
    if inner.lock().shutdown {
        return Err(BlockOnError::Shutdown(NAME));
    }
    let _drive = DriveGuard::acquire(inner);
    let _role = role::enter(inner.id, Role::Driver);
    let _driving = context::enter();

    let main = Arc::new(MainWaker {
        inner: Arc::downgrade(inner),
        woken: AtomicBool::new(true),
    });
    let waker = Waker::from(main.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match next_step(inner, &main) {
            Step::PollMain => {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return Ok(output);
                }
            }
            Step::Run(runnable) => {
                runnable.run();
            }
            Step::Wake(wakers) => wakers.into_iter().for_each(Waker::wake),
            Step::Shutdown => return Err(BlockOnError::Shutdown(NAME)),
            Step::Deadlock(stuck) => {
                return Err(BlockOnError::Deadlock {
                    stuck,
                    names: Vec::new(),
                });
            }
        }
    }
}

/// Decides the next step under the lock, waiting while only blocking jobs can make progress.
fn next_step(inner: &Inner, main: &MainWaker) -> Step {
    let mut state = inner.lock();
    loop {
        if state.shutdown {
            return Step::Shutdown;
        }
        // The main future takes part in the draw like any task: polling it first whenever it
        // is woken would starve the tasks of a main future that spins on `yield_now`.
        let main_woken = main.woken.load(Ordering::Acquire);
        let candidates = state.ready.len() + usize::from(main_woken);
        if candidates > 0 {
            let pick = state.sched_rng.usize(..candidates);
            if pick == state.ready.len() {
                main.woken.store(false, Ordering::Release);
                return Step::PollMain;
            }
            return Step::Run(state.ready.swap_remove(pick));
        }
        if state.running_jobs > 0 {
            state.driver_waiting = true;
            state = inner
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.driver_waiting = false;
            continue;
        }
        if let Some(due) = state.advance() {
            return Step::Wake(due);
        }
        return Step::Deadlock(state.active.len() + state.parked_jobs + 1);
    }
}
