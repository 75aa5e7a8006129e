//! [`compute()`] and [`compute_in()`]: CPU-heavy work on rayon's pool (feature `rayon`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use wrangle_core::Task;

/// Runs the CPU-heavy `f` on rayon's global thread pool (one thread per core) and returns
/// its [`Task`]; awaiting it yields `f`'s result.
///
/// CPU work belongs on a pool sized to the cores, not on blocking threads: a blocking pool
/// grows to serve calls that wait, and would run CPU work on more threads than there are
/// cores. The call starts at once (like `spawn_blocking`), not when the task is first
/// polled; rayon queues calls without a bound, so cap them with a
/// [`CallLimit`](crate::CallLimit) if callers can outpace the cores.
///
/// # Cancellation
///
/// Dropping the task before `f` starts means it never runs; once started it runs to the
/// end and its result is dropped.
///
/// If rayon cannot start its global pool (the operating system refuses its threads), `f`
/// is dropped unrun and the task joins as [`JoinError::Cancelled`](wrangle_core::JoinError):
/// the failure reaches the caller through the task rather than as a panic here.
///
/// # Examples
///
/// ```
/// let task = wrangle::blocking::compute(|| (1..=20u64).product::<u64>());
/// assert_eq!(wrangle::blocking::block_on(task), 2_432_902_008_176_640_000);
/// ```
///
/// # Panics
///
/// The await re-raises a panic of `f` (and [`Task::join`] gives it as
/// [`JoinError::Panicked`](wrangle_core::JoinError)).
pub fn compute<F, T>(f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (job, task) = wrangle_core::task::new_blocking(f);
    // rayon builds its global pool at the first call and panics if it cannot (and at every
    // later call). The closure, and with it `job`, is dropped in that panic, which cancels
    // the task.
    let spawned = catch_unwind(AssertUnwindSafe(|| rayon::spawn(move || job.run())));
    if spawned.is_err() {
        tracing::error!(
            target: "wrangle_blocking",
            "rayon could not start its global thread pool; the compute call was cancelled"
        );
    }
    task
}

/// Like [`compute()`], on the rayon pool `pool`.
///
/// # Examples
///
/// ```
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let task = wrangle::blocking::compute_in(&pool, || 6 * 7);
/// assert_eq!(wrangle::blocking::block_on(task), 42);
/// ```
///
/// # Panics
///
/// As [`compute()`].
pub fn compute_in<F, T>(pool: &rayon::ThreadPool, f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (job, task) = wrangle_core::task::new_blocking(f);
    pool.spawn(move || job.run());
    task
}
