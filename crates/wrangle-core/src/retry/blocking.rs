use std::thread;
use std::time::{Duration, Instant};

use super::backoff::delay;
use super::{Attempt, Classification, FailedAttempt, Jitter, RetryError, RetryPolicy, StopReason};

/// Retries a blocking call, for synchronous code: the same policy, the same errors and the
/// same statistics as [`retry()`](super::retry()), with `std::thread::sleep` between attempts
/// and the system clock.
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
    mut classify: impl FnMut(&E) -> Classification,
    mut call: impl FnMut(Attempt) -> Result<R, E>,
) -> Result<R, RetryError<E>> {
    let start = Instant::now();
    let deadline = policy.deadline.and_then(|d| start.checked_add(d));
    let mut total_delay = Duration::ZERO;
    let mut previous = None;
    let mut number: u32 = 1;
    loop {
        let attempt = Attempt {
            number,
            elapsed: start.elapsed(),
            previous_delay: previous,
        };
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
        let retries_so_far = number - 1;
        let stop = |reason| RetryError {
            failure: FailedAttempt::Error(error),
            reason,
            stats: super::RetryStats {
                attempts: number,
                total_delay,
                elapsed: start.elapsed(),
            },
        };
        let wait = match classification {
            Classification::Permanent => return Err(stop(StopReason::Permanent)),
            _ if retries_so_far >= policy.max_retries => return Err(stop(StopReason::Exhausted)),
            Classification::RetryAfter(hint) => hint.min(policy.max_delay),
            Classification::Transient => {
                let random = if policy.jitter == Jitter::None {
                    0
                } else {
                    fastrand::u64(..)
                };
                delay(
                    &policy.backoff,
                    policy.jitter,
                    policy.max_delay,
                    retries_so_far,
                    previous,
                    random,
                )
            }
        };
        let now = Instant::now();
        if deadline.is_some_and(|d| now.checked_add(wait).is_none_or(|w| w >= d)) {
            return Err(stop(StopReason::Deadline));
        }
        if policy.budget.as_ref().is_some_and(|b| !b.try_spend()) {
            return Err(stop(StopReason::Budget));
        }
        thread::sleep(wait);
        total_delay = total_delay.saturating_add(wait);
        previous = Some(wait);
        number = number.saturating_add(1);
    }
}
