//! [`Sim`], the handle to one simulation, and its runtime traits.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wrangle_core::{BlockOnError, Runtime, Spawn, SpawnError, Task, Timer};

use crate::state::{Inner, NAME};
use crate::{SimSleep, block_on, blocking, spawn};

/// A deterministic runtime with a virtual clock: a handle to one simulation.
///
/// Tasks run one at a time on the thread inside [`block_on`](Runtime::block_on), in an order
/// drawn from a generator seeded with [`seed`](Sim::seed). The clock moves only when every
/// task is waiting and no blocking job is doing real work, and then jumps straight to the
/// next timer, so an hour-long sleep costs microseconds. See the [crate docs](crate) for what
/// is deterministic and what is not.
///
/// `Sim` is a cheap handle (an [`Arc`] inside): clones drive, spawn on and read the clock of
/// the same simulation. Tasks left pending keep alive whatever they hold, handles to the
/// simulation included, until [`shutdown`](Sim::shutdown) drops them; [`run`](crate::run)
/// shuts its simulation down when the main future returns, as dropping a tokio runtime
/// cancels its tasks.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::{Runtime, Spawn};
/// use wrangle::sim::Sim;
///
/// let rt = Sim::new(7);
/// let answer = rt.block_on(async {
///     // The sleep is made here (it holds no handle) and awaited in the task.
///     let nap = wrangle::sleep(&rt, Duration::from_secs(3600));
///     let task = rt.spawn(async move {
///         nap.await;
///         42
///     });
///     task.await
/// });
/// assert_eq!(answer, 42);
/// assert_eq!(rt.elapsed(), Duration::from_secs(3600));
/// ```
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

impl Sim {
    /// A new simulation whose scheduling and random numbers are drawn from `seed`. Any seed is
    /// valid, 0 included.
    ///
    /// Virtual time starts at the real instant of the call and stays there until a sleep
    /// moves it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = wrangle::sim::Sim::new(0);
    /// assert_eq!(rt.elapsed(), std::time::Duration::ZERO);
    /// ```
    pub fn new(seed: u64) -> Self {
        Self {
            inner: Arc::new(Inner::new(seed)),
        }
    }

    /// The seed the simulation was created with, to report alongside a failure so it can be
    /// replayed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wrangle::sim::Sim::new(42).seed(), 42);
    /// ```
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// Virtual time since the simulation was created.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     wrangle::sleep(&rt, Duration::from_millis(1500)).await;
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(1500));
    /// });
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.inner.elapsed()
    }

    /// The timers held (armed sleeps) and the capacity their structure holds: the test hook
    /// the conformance suite counts entries with. Not part of the API (hidden, exempt from
    /// semver).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = wrangle::sim::Sim::new(1);
    /// assert_eq!(rt.timer_footprint().0, 0);
    /// ```
    #[doc(hidden)]
    pub fn timer_footprint(&self) -> (usize, usize) {
        self.inner.lock().timer_footprint()
    }

    /// Stops the simulation for good.
    ///
    /// Afterwards [`try_spawn`](Spawn::try_spawn) and
    /// [`try_spawn_blocking`](Spawn::try_spawn_blocking) return [`SpawnError`] and
    /// [`try_block_on`](Runtime::try_block_on) returns [`BlockOnError::Shutdown`]; a
    /// `block_on` in progress returns it at its next step, dropping its future. Every
    /// pending task is dropped and joins as [`JoinError::Cancelled`](wrangle_core::JoinError),
    /// and the clock never moves again, so pending sleeps never complete. A blocking job
    /// already running cannot be stopped: it runs on, and if it calls
    /// [`sleep_blocking`](Sim::sleep_blocking) its thread stays parked for good. Calling
    /// `shutdown` again does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::{BlockOnError, Runtime, Spawn};
    ///
    /// let rt = wrangle::sim::Sim::new(1);
    /// let pending = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown();
    /// assert!(wrangle::blocking::block_on(pending.join()).unwrap_err().is_cancelled());
    /// assert!(rt.try_spawn(async {}).is_err());
    /// assert_eq!(rt.try_block_on(async {}), Err(BlockOnError::Shutdown("sim")));
    /// ```
    pub fn shutdown(&self) {
        self.inner.shutdown();
    }

    /// Whether [`shutdown`](Sim::shutdown) has been called.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = wrangle::sim::Sim::new(1);
    /// assert!(!rt.is_shut_down());
    /// rt.shutdown();
    /// assert!(rt.is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        self.inner.lock().shutdown
    }

    /// Blocks the current thread until `duration` has passed on the virtual clock: the
    /// stand-in for a slow blocking call inside [`spawn_blocking`](Spawn::spawn_blocking).
    ///
    /// Called from a blocking job of this simulation, the job counts as parked while it
    /// waits, so the clock may move on, and it returns exactly when the clock reaches the
    /// deadline. A job doing anything else holds the clock still. A duration too large for the
    /// clock (such as [`Duration::MAX`]) parks the thread for good: it does not stop
    /// `block_on` from returning once its future completes, and the thread is leaked.
    ///
    /// Called from any other thread, it waits until some thread driving the simulation (inside
    /// `block_on`) moves the clock far enough; such a thread does not hold the clock still.
    /// After [`shutdown`](Sim::shutdown), it never returns unless the deadline has already
    /// passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Spawn;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let job = rt.spawn_blocking({
    ///         let rt = rt.clone();
    ///         move || {
    ///             rt.sleep_blocking(Duration::from_secs(2)); // a slow blocking call
    ///             rt.elapsed()
    ///         }
    ///     });
    ///     assert_eq!(job.await, Duration::from_secs(2));
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// When called on the thread driving this simulation (in the main future or a task):
    /// there the clock could never move. Await [`sleep`](wrangle_core::sleep) instead.
    pub fn sleep_blocking(&self, duration: Duration) {
        let deadline = self.inner.now().checked_add(duration);
        blocking::sleep_until(&self.inner, deadline);
    }

    /// Blocks the current thread until the virtual clock reaches `deadline`; returns at once
    /// if it already has. See [`sleep_blocking`](Sim::sleep_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{Spawn, Timer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let deadline = rt.now() + Duration::from_secs(5);
    ///     let job = rt.spawn_blocking({
    ///         let rt = rt.clone();
    ///         move || {
    ///             rt.sleep_blocking_until(deadline);
    ///             rt.now()
    ///         }
    ///     });
    ///     assert_eq!(job.await, deadline);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// When called on the thread driving this simulation, as
    /// [`sleep_blocking`](Sim::sleep_blocking).
    pub fn sleep_blocking_until(&self, deadline: Instant) {
        blocking::sleep_until(&self.inner, Some(deadline));
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl Timer for Sim {
    type Sleep = SimSleep;

    fn sleep_until(&self, deadline: Instant) -> SimSleep {
        SimSleep::new(self.inner.clone(), deadline)
    }

    /// The virtual clock: the real instant the simulation was created at, plus
    /// [`elapsed`](Sim::elapsed).
    fn now(&self) -> Instant {
        self.inner.now()
    }

    /// From a generator seeded with the simulation's seed (independent of the scheduler's),
    /// so jitter is the same on every run with the same seed.
    fn random_u64(&self) -> u64 {
        self.inner.random_u64()
    }
}

impl Spawn for Sim {
    /// Queues `future` as a task; it runs only while some thread is inside `block_on`.
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn::spawn(&self.inner, future)
    }

    /// Runs `f` on a new real thread. While it runs (and is not parked in
    /// [`sleep_blocking`](Sim::sleep_blocking)) the virtual clock stands still.
    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        blocking::spawn_blocking(&self.inner, f)
    }
}

impl Runtime for Sim {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Drives the simulation on the calling thread until `future` completes.
    ///
    /// Only one thread drives at a time; others wait their turn, except a blocking job of
    /// this simulation (S17's crossing back): while another thread drives, the job polls its
    /// future itself whenever it is woken, and between polls counts as parked, so the clock
    /// and the driver go on; it takes over driving if the drive falls free first.
    ///
    /// # Errors
    ///
    /// [`BlockOnError::Nested`] on a thread already driving wrangle work,
    /// [`BlockOnError::Shutdown`] once the simulation is shut down, and
    /// [`BlockOnError::Deadlock`] when nothing can make progress any more: no task is
    /// runnable, no timer is pending and no blocking job is running. Its
    /// [`Deadlock`](wrangle_core::Deadlock) says at which virtual instant, lists every live
    /// task in spawn order (by the name given to
    /// [`spawn_named`](wrangle_core::Spawn::spawn_named) or a group's
    /// `spawn_named`, else by number), and
    /// counts the blocking jobs parked for good (in `sleep_blocking` or `block_on`) other than
    /// the caller. See the [crate docs](crate#deadlocks).
    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError> {
        block_on::block_on(&self.inner, future)
    }
}

#[cfg(test)]
mod tests {
    use wrangle_core::{AnyRuntime, Runtime, Spawn, Timer};

    use super::Sim;

    #[test]
    fn smoke() {
        let rt = Sim::new(1);
        assert_eq!(rt.name(), "sim");
        assert_eq!(rt.block_on(async { rt.spawn(async { 2 + 2 }).await }), 4);
    }

    #[test]
    fn clones_share_one_simulation() {
        let rt = Sim::new(1);
        let other = rt.clone();
        rt.block_on(wrangle_core::sleep(&rt, std::time::Duration::from_secs(3)));
        assert_eq!(other.elapsed(), std::time::Duration::from_secs(3));
        assert_eq!(other.now(), rt.now());
    }

    #[test]
    fn works_behind_any_runtime() {
        let rt = AnyRuntime::new(Sim::new(1));
        let start = rt.now();
        rt.block_on(wrangle_core::sleep(&rt, std::time::Duration::from_secs(7)));
        assert_eq!(rt.now() - start, std::time::Duration::from_secs(7));
    }

    #[test]
    fn debug() {
        let text = format!("{:?}", Sim::new(5));
        assert_eq!(
            text,
            "Sim { seed: 5, elapsed: 0ns, tasks: 0, ready: 0, timers: 0, running_jobs: 0, \
             parked_jobs: 0, shut_down: false }"
        );
    }
}
