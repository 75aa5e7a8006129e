//! The retry decision, shared by every form of retry: after a failed attempt, whether to go
//! on and after how long. [`retry()`](super::retry()) (and [`retry_with`](super::retry_with))
//! drive it from their future, [`retry_blocking`](super::retry_blocking) and
//! [`retry_blocking_on`](super::retry_blocking_on) from a loop on their thread; each reads the
//! clock and the random source through [`Clock`], so on a [`Timer`] the decision is the
//! timer's: exact and reproducible on wrangle-sim's virtual time.
//!
//! The order is the contract's: a permanent error stops the call; so does the last allowed
//! retry; then the delay (a `Retry-After` hint, capped by the policy's `max_delay`, or the
//! backoff's capped and jittered delay); then the deadline (no point sleeping to wake at or
//! past it); then the budget.

use std::time::{Duration, Instant};

use super::backoff::delay;
use super::{Attempt, Classification, Jitter, RetryPolicy, StopReason};
use crate::Timer;

/// Where the decision reads the time and draws its jitter from.
pub(crate) trait Clock {
    fn now(&self) -> Instant;
    fn random_u64(&self) -> u64;
}

impl<T: Timer> Clock for T {
    #[inline]
    fn now(&self) -> Instant {
        Timer::now(self)
    }

    #[inline]
    fn random_u64(&self) -> u64 {
        Timer::random_u64(self)
    }
}

/// The system clock and the process's random generator, for [`retry_blocking`](super::retry_blocking).
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Instant {
        Instant::now()
    }

    #[inline]
    fn random_u64(&self) -> u64 {
        fastrand::u64(..)
    }
}

/// Decides whether to retry after `attempt` failed as `classification` says, and after how
/// long: `Ok((now, delay))`, with the clock's reading if it was read, or why the call stops.
///
/// `start` is when the call started, if the clock has been read: the clock is read only when
/// something needs it (a deadline, a delay to sleep, or timing asked for when the call
/// started); otherwise (an immediate retry) it starts later, at the first read.
#[inline]
pub(crate) fn next_delay<C: Clock>(
    clock: &C,
    policy: &RetryPolicy,
    previous: Option<Duration>,
    start: &mut Option<Instant>,
    deadline: Option<Instant>,
    attempt: Attempt,
    classification: Classification,
) -> Result<(Option<Instant>, Duration), StopReason> {
    let retries_so_far = attempt.number.saturating_sub(1);
    match classification {
        Classification::Permanent => return Err(StopReason::Permanent),
        _ if retries_so_far >= policy.max_retries => return Err(StopReason::Exhausted),
        _ => {}
    }
    let delay = match classification {
        Classification::RetryAfter(hint) => hint.min(policy.max_delay),
        _ => {
            let random = if policy.jitter == Jitter::None {
                0
            } else {
                clock.random_u64()
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
    let now = (deadline.is_some() || !delay.is_zero() || start.is_some()).then(|| clock.now());
    if let Some(now) = now {
        start.get_or_insert(now);
    }
    if let (Some(deadline), Some(now)) = (deadline, now) {
        // No point sleeping to wake at (or past) the deadline with no time for an attempt.
        if now.checked_add(delay).is_none_or(|wake| wake >= deadline) {
            return Err(StopReason::Deadline);
        }
    }
    if let Some(budget) = &policy.budget
        && !budget.try_spend()
    {
        return Err(StopReason::Budget);
    }
    Ok((now, delay))
}
