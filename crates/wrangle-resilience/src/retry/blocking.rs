use std::thread;
use std::time::{Duration, Instant};

use super::decide::{Clock, SystemClock, next_delay};
use super::{Attempt, Classification, FailedAttempt, RetryError, RetryPolicy, RetryStats};
use crate::Runtime;

/// Retries a blocking call, for synchronous code: the same policy, the same errors and the
/// same statistics as [`retry()`](super::retry()), with `std::thread::sleep` between attempts
/// and the system clock. To run on a runtime's clock (wrangle-sim's virtual time included),
/// use [`retry_blocking_on`].
///
/// `classify` decides what each error means (use `|_| Classification::Transient` to retry
/// every error). A per-attempt timeout cannot interrupt a blocking call, so the policy's
/// `attempt_timeout` is not applied here; its total deadline is checked between attempts.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{retry_blocking, Classification, RetryPolicy};
///
/// let policy = RetryPolicy::builder().constant(Duration::from_millis(1)).build()?;
/// let mut calls = 0;
/// let value = retry_blocking(&policy, |_| Classification::Transient, |_attempt| {
///     calls += 1;
///     if calls < 3 { Err("flaky") } else { Ok(calls) }
/// });
/// assert_eq!(value.unwrap(), 3);
/// # Ok::<(), wrangle::retry::InvalidPolicy>(())
/// ```
///
/// # Errors
///
/// [`RetryError`] when the call gave up, with the last error and why.
pub fn retry_blocking<R, E>(
    policy: &RetryPolicy,
    classify: impl FnMut(&E) -> Classification,
    call: impl FnMut(Attempt) -> Result<R, E>,
) -> Result<R, RetryError<E>> {
    run(
        &SystemClock,
        |now, delay| {
            // The rest of the delay, if reading the clock took any of it.
            let wake = now.checked_add(delay);
            thread::sleep(wake.map_or(delay, |w| w.saturating_duration_since(Instant::now())));
        },
        policy,
        classify,
        call,
    )
}

/// Retries a blocking call on `rt`'s clock: [`retry_blocking`] with the delays, the deadline
/// and the jitter of [`retry()`](super::retry()) on the same runtime, from the same decision.
///
/// Between attempts the thread blocks in [`rt.block_on`](Runtime::block_on) on the
/// runtime's sleep, so on wrangle-sim a blocking job retrying this way runs on virtual time:
/// its clock moves only while the job sleeps, and the jitter comes from the simulation's
/// seeded random source, the same on every run with the same seed. `rt` is taken by value,
/// borrowed (`&rt`) or owned.
///
/// Call it where blocking is allowed: a job of [`spawn_blocking`](wrangle_core::Spawn::spawn_blocking)
/// (or of wrangle's blocking bridge), or a thread of your own, not inside a task.
///
/// # Examples
///
/// A call that fails twice, in a blocking job on virtual time, after delays of 0.1 and 0.2 s:
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{retry_blocking_on, Classification, RetryPolicy};
/// use wrangle::Spawn;
///
/// let policy = RetryPolicy::builder().exponential(Duration::from_millis(100), 2.0).build()?;
/// wrangle::sim::run(1, |rt| async move {
///     let sim = rt.clone();
///     let value = rt
///         .spawn_blocking(move || {
///             retry_blocking_on(&sim, &policy, |_| Classification::Transient, |attempt| {
///                 if attempt.number() < 3 { Err("flaky") } else { Ok(attempt.number()) }
///             })
///         })
///         .await;
///     assert_eq!(value.unwrap(), 3);
///     assert_eq!(rt.elapsed(), Duration::from_millis(300));
/// });
/// # Ok::<(), wrangle::retry::InvalidPolicy>(())
/// ```
///
/// # Errors
///
/// [`RetryError`] when the call gave up, with the last error and why.
///
/// # Panics
///
/// As [`Runtime::block_on`] does, when called on a thread that is driving wrangle work (in a
/// task, or inside another `block_on`) and a delay is to be slept, or when `rt` has been shut
/// down.
pub fn retry_blocking_on<Rt: Runtime, R, E>(
    rt: Rt,
    policy: &RetryPolicy,
    classify: impl FnMut(&E) -> Classification,
    call: impl FnMut(Attempt) -> Result<R, E>,
) -> Result<R, RetryError<E>> {
    run(
        &rt,
        |now, delay| rt.block_on(super::future::sleep_until_or_never(&rt, now, delay)),
        policy,
        classify,
        call,
    )
}

/// The blocking forms' loop: attempt, decide (the same decision as the async forms'), sleep.
fn run<C: Clock, R, E>(
    clock: &C,
    mut sleep: impl FnMut(Instant, Duration),
    policy: &RetryPolicy,
    mut classify: impl FnMut(&E) -> Classification,
    mut call: impl FnMut(Attempt) -> Result<R, E>,
) -> Result<R, RetryError<E>> {
    let begin = clock.now();
    let mut start = Some(begin);
    let deadline = policy.deadline.and_then(|d| begin.checked_add(d));
    let mut stats = RetryStats {
        attempts: 1,
        total_delay: Duration::ZERO,
        elapsed: Duration::ZERO,
    };
    let mut attempt = Attempt {
        number: 1,
        elapsed: Duration::ZERO,
        previous_delay: None,
    };
    loop {
        let error = match call(attempt) {
            Ok(value) => {
                if let Some(budget) = &policy.budget {
                    budget.deposit();
                }
                return Ok(value);
            }
            Err(e) => e,
        };
        let classification = classify(&error);
        let decided = next_delay(
            clock,
            policy,
            attempt.previous_delay,
            &mut start,
            deadline,
            attempt,
            classification,
        );
        let (now, delay) = match decided {
            Ok(decided) => decided,
            Err(reason) => {
                stats.elapsed = clock.now().saturating_duration_since(begin);
                return Err(RetryError {
                    failure: FailedAttempt::Error(error),
                    reason,
                    stats,
                });
            }
        };
        // The error is dropped before the sleep, as the async forms drop the attempt.
        drop(error);
        if let Some(now) = now.filter(|_| !delay.is_zero()) {
            sleep(now, delay);
        }
        stats.total_delay = stats.total_delay.saturating_add(delay);
        stats.attempts = attempt.number.saturating_add(1);
        attempt = Attempt {
            number: stats.attempts,
            elapsed: clock.now().saturating_duration_since(begin),
            previous_delay: Some(delay),
        };
    }
}
