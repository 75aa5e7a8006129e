//! The driver: runs the main future, the tasks and the virtual clock on the calling thread;
//! and the guest, a blocking job in `block_on` while another thread drives.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard, PoisonError, TryLockError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use async_task::Runnable;
use wrangle_core::{BlockOnError, Deadlock, StuckTask, context};

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
    Deadlock(Deadlock),
}

/// Holds the right to drive, and says so in the state (`driving`) so a guest can tell a
/// busy drive from one about to be free. A blocking job of the same simulation that drives
/// counts as parked while it does, so the clock is not held still by a thread that is
/// itself waiting for the clock.
struct DriveGuard<'a> {
    inner: &'a Inner,
    job: bool,
    drive: Option<MutexGuard<'a, ()>>,
}

impl<'a> DriveGuard<'a> {
    fn new(inner: &'a Inner, drive: MutexGuard<'a, ()>, job: bool) -> Self {
        let mut state = inner.lock();
        state.driving = true;
        if job {
            state.park_job();
        }
        drop(state);
        if job {
            inner.changed.notify_all();
        }
        Self {
            inner,
            job,
            drive: Some(drive),
        }
    }
}

impl Drop for DriveGuard<'_> {
    fn drop(&mut self) {
        // Let go of the drive first, so the guests woken below can take it.
        drop(self.drive.take());
        let guests = {
            let mut state = self.inner.lock();
            state.driving = false;
            if self.job {
                // Running again before another driver can move the clock.
                state.unpark_job();
            }
            std::mem::take(&mut state.guests)
        };
        // Each is counted as running again, and looks for the drive.
        guests.into_values().for_each(Waker::wake);
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
    let mut future = pin!(future);
    let job = role::current(inner.id) == Some(Role::Job);
    let drive = if job {
        // A job never waits for the drive: while another thread drives, it polls its
        // future itself, as a guest.
        match guest(inner, future.as_mut()) {
            Guest::Done(outcome) => return outcome,
            Guest::Drive(drive) => drive,
        }
    } else {
        inner.drive.lock().unwrap_or_else(PoisonError::into_inner)
    };
    let _drive = DriveGuard::new(inner, drive, job);
    let _role = role::enter(inner.id, Role::Driver);
    let _driving = context::enter();

    let main = Arc::new(MainWaker {
        inner: Arc::downgrade(inner),
        woken: AtomicBool::new(true),
    });
    let waker = Waker::from(main.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        match next_step(inner, &main, job) {
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
            Step::Deadlock(deadlock) => return Err(BlockOnError::Deadlock(deadlock)),
        }
    }
}

/// Decides the next step under the lock, waiting while only blocking jobs can make progress.
/// `job`: the driver is a blocking job, counted among the parked ones.
fn next_step(inner: &Inner, main: &MainWaker, job: bool) -> Step {
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
        // Stuck: the future itself, every live task, and every other parked job.
        let tasks = state
            .active
            .keys()
            .map(|&id| StuckTask::new(id, state.names.get(&id).cloned()))
            .collect();
        let at = state.now.saturating_duration_since(inner.base);
        let parked = state.parked_jobs - usize::from(job);
        return Step::Deadlock(Deadlock::new(at, tasks, parked));
    }
}

/// How a guest's `block_on` ended: with its future's outcome, or with the drive, free now.
enum Guest<'a, T> {
    Done(Result<T, BlockOnError>),
    Drive(MutexGuard<'a, ()>),
}

/// The waker of a guest's future. A wake counts a parked guest as running again at once,
/// under the lock, so the clock cannot move on before the guest has polled.
struct GuestWaker {
    inner: Weak<Inner>,
    thread: Thread,
    /// The future was woken and not polled since. Changed under the lock.
    woken: AtomicBool,
    /// The guest is counted as parked. Changed under the lock.
    parked: AtomicBool,
}

impl Wake for GuestWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(inner) = self.inner.upgrade() {
            let mut state = inner.lock();
            self.woken.store(true, Ordering::Release);
            if self.parked.swap(false, Ordering::AcqRel) {
                state.unpark_job();
            }
        } else {
            self.woken.store(true, Ordering::Release);
        }
        self.thread.unpark();
    }
}

/// Forgets a guest when its `block_on` ends.
struct GuestEntry<'a> {
    inner: &'a Inner,
    id: u64,
}

impl Drop for GuestEntry<'_> {
    fn drop(&mut self) {
        let waker = self.inner.lock().guests.remove(&self.id);
        drop(waker);
    }
}

/// A blocking job's `block_on` while another thread may be driving: polls `future` on the
/// job's thread whenever it is woken, and between polls counts as parked, so the clock and
/// the driver go on without it. Takes the drive as soon as it is free (nobody else drives,
/// or the driver returned).
fn guest<'a, F: Future>(inner: &'a Arc<Inner>, mut future: Pin<&mut F>) -> Guest<'a, F::Output> {
    let guest = Arc::new(GuestWaker {
        inner: Arc::downgrade(inner),
        thread: thread::current(),
        woken: AtomicBool::new(true),
        parked: AtomicBool::new(false),
    });
    let waker = Waker::from(guest.clone());
    let mut cx = Context::from_waker(&waker);
    let _entry = GuestEntry {
        inner,
        id: inner.next_guest_id(),
    };
    loop {
        match inner.drive.try_lock() {
            Ok(drive) => return Guest::Drive(drive),
            Err(TryLockError::Poisoned(poisoned)) => return Guest::Drive(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => {}
        }
        let mut state = inner.lock();
        if state.shutdown {
            return Guest::Done(Err(BlockOnError::Shutdown(NAME)));
        }
        if !state.driving {
            // The driver is letting go: take the drive.
            drop(state);
            thread::yield_now();
            continue;
        }
        if guest.woken.swap(false, Ordering::AcqRel) {
            drop(state);
            let polled = {
                // Nested `block_on` is refused inside the future, as on a driver.
                let _driving = context::enter();
                future.as_mut().poll(&mut cx)
            };
            if let Poll::Ready(output) = polled {
                return Guest::Done(Ok(output));
            }
            continue;
        }
        // Parked until woken: by the future's waker, by the driver letting go of the drive,
        // or by shutdown.
        guest.parked.store(true, Ordering::Release);
        state.park_job();
        state.guests.insert(_entry.id, waker.clone());
        drop(state);
        inner.changed.notify_all();
        while !guest.woken.load(Ordering::Acquire) {
            thread::park();
        }
    }
}
