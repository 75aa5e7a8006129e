use std::fmt;
use std::time::Duration;

/// What trips a [`CircuitBreaker`](super::CircuitBreaker) open.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::breaker::Trip;
///
/// let t = Trip::FailureRate { threshold: 0.5, window: Duration::from_secs(10), min_calls: 20 };
/// assert_ne!(t, Trip::ConsecutiveFailures(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Trip {
    /// This many failures in a row (a success resets the count).
    ConsecutiveFailures(u32),
    /// At least `threshold` (0 < threshold ≤ 1) of the calls that ended within the last
    /// `window` failed, once at least `min_calls` ended within it. The window slides in steps
    /// of a tenth of its length, so it covers between 90 % and 100 % of `window`.
    FailureRate {
        /// The failure fraction that trips the breaker.
        threshold: f64,
        /// How far back calls count.
        window: Duration,
        /// The fewest calls in the window before the rate means anything.
        min_calls: u32,
    },
}

/// Why a [`CircuitBreaker`](super::CircuitBreaker) could not be built.
///
/// # Examples
///
/// ```
/// use wrangle::breaker::{CircuitBreaker, InvalidBreaker};
///
/// wrangle::sim::run(1, |rt| async move {
///     let err = CircuitBreaker::builder().consecutive_failures(0).build(rt).unwrap_err();
///     assert_eq!(err, InvalidBreaker::ZeroThreshold);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum InvalidBreaker {
    /// A threshold of zero consecutive failures would open on the first call.
    ZeroThreshold,
    /// A failure-rate threshold must be above 0 and at most 1.
    RateOutOfRange(f64),
    /// A zero window holds no calls.
    ZeroWindow,
    /// A zero cooldown would never keep the breaker open.
    ZeroCooldown,
    /// Zero half-open trials would never let the breaker close again.
    ZeroTrials,
}

impl fmt::Display for InvalidBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroThreshold => f.write_str(
                "invalid circuit breaker: a threshold of 0 consecutive failures would open it \
                 before any call",
            ),
            Self::RateOutOfRange(r) => write!(
                f,
                "invalid circuit breaker: the failure-rate threshold must be in (0, 1], got {r}"
            ),
            Self::ZeroWindow => f.write_str("invalid circuit breaker: a zero window holds no calls"),
            Self::ZeroCooldown => f.write_str(
                "invalid circuit breaker: a zero cooldown would never keep the breaker open",
            ),
            Self::ZeroTrials => f.write_str(
                "invalid circuit breaker: zero half-open trial calls would never let it close again",
            ),
        }
    }
}

impl std::error::Error for InvalidBreaker {}
