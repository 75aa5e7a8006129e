//! The one-line entry points: [`run`] and [`try_run`].

use std::future::Future;

use wrangle_core::{BlockOnError, Runtime};

use crate::Sim;

/// Runs the future `f` builds on a new simulation seeded with `seed`, and returns its output.
///
/// The simulation is shut down when the future returns (or fails): tasks still pending are
/// cancelled. Blocking jobs parked for good are left behind with their threads.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let waited = wrangle::sim::run(42, |rt| async move {
///     wrangle::sleep(&rt, Duration::from_secs(86_400)).await;
///     rt.elapsed()
/// });
/// assert_eq!(waited, Duration::from_secs(86_400));
/// ```
///
/// # Panics
///
/// With the message of the [`BlockOnError`] that [`try_run`] would return and the seed, such
/// as `deadlock at 100ms: tasks "A" and "B" wait on each other and no timer is pending
/// (wrangle-sim seed 1)`, and when the future itself panics.
pub fn run<F, Fut>(seed: u64, f: F) -> Fut::Output
where
    F: FnOnce(Sim) -> Fut,
    Fut: Future,
{
    match try_run(seed, f) {
        Ok(output) => output,
        Err(err) => panic!("{err} (wrangle-sim seed {seed})"),
    }
}

/// Like [`run`], but returns the [`BlockOnError`] instead of panicking.
///
/// # Examples
///
/// ```
/// use wrangle::{BlockOnError, Spawn};
///
/// let outcome = wrangle::sim::try_run(1, |rt| async move {
///     rt.spawn_named("waiter", std::future::pending::<()>()).await
/// });
/// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!("{outcome:?}") };
/// assert_eq!(deadlock.stuck(), 2); // the main future and "waiter"
/// assert!(deadlock.names().eq(["waiter"]));
/// ```
///
/// # Errors
///
/// [`BlockOnError::Deadlock`] when the future can never complete, and
/// [`BlockOnError::Nested`] when called on a thread already driving wrangle work (inside
/// `block_on` or a task). [`BlockOnError::Shutdown`] when the future shuts the simulation down
/// before it completes.
pub fn try_run<F, Fut>(seed: u64, f: F) -> Result<Fut::Output, BlockOnError>
where
    F: FnOnce(Sim) -> Fut,
    Fut: Future,
{
    let sim = ShutdownOnDrop(Sim::new(seed));
    let future = f(sim.0.clone());
    sim.0.try_block_on(future)
}

/// Shuts the simulation down however the run ends, a panic included, so pending tasks (and
/// the handles they hold) are dropped.
struct ShutdownOnDrop(Sim);

impl Drop for ShutdownOnDrop {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}
