use std::fmt;
use std::time::Duration;

/// How many admissions a [`RateLimiter`](super::RateLimiter) allows: one every `interval`
/// on average, with bursts of up to `burst` at once.
///
/// Over any window of time `w`, at most `w / interval + burst` calls are admitted (the
/// generic cell rate algorithm's guarantee, checked by property tests).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::rate::Quota;
///
/// let q = Quota::per_second(10)?.burst(5)?;
/// assert_eq!(q.interval(), Duration::from_millis(100));
/// assert_eq!(q.burst_size(), 5);
/// // "at least 0.5 s between two requests":
/// let polite = Quota::with_interval(Duration::from_millis(500))?;
/// assert_eq!(polite.burst_size(), 1);
/// # Ok::<(), wrangle::rate::InvalidQuota>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    interval: Duration,
    burst: u32,
}

impl Quota {
    /// `n` admissions per second, with bursts of one.
    ///
    /// # Errors
    ///
    /// [`InvalidQuota::ZeroRate`] for `n == 0`.
    pub fn per_second(n: u32) -> Result<Self, InvalidQuota> {
        Self::per(n, Duration::from_secs(1))
    }

    /// `n` admissions per `period`, with bursts of one.
    ///
    /// # Errors
    ///
    /// [`InvalidQuota::ZeroRate`] for `n == 0`, [`InvalidQuota::ZeroPeriod`] for a zero period.
    pub fn per(n: u32, period: Duration) -> Result<Self, InvalidQuota> {
        if n == 0 {
            return Err(InvalidQuota::ZeroRate);
        }
        if period.is_zero() {
            return Err(InvalidQuota::ZeroPeriod);
        }
        Self::with_interval(period / n)
    }

    /// One admission every `interval`, with bursts of one: "at least `interval` between two
    /// calls".
    ///
    /// # Errors
    ///
    /// [`InvalidQuota::ZeroPeriod`] for a zero interval (an unlimited rate is no limit: do
    /// not use a limiter).
    pub fn with_interval(interval: Duration) -> Result<Self, InvalidQuota> {
        if interval.is_zero() {
            return Err(InvalidQuota::ZeroPeriod);
        }
        Ok(Self { interval, burst: 1 })
    }

    /// Allows bursts of up to `burst` admissions at once.
    ///
    /// # Errors
    ///
    /// [`InvalidQuota::ZeroBurst`] for `burst == 0`, which would admit nothing.
    pub fn burst(self, burst: u32) -> Result<Self, InvalidQuota> {
        if burst == 0 {
            return Err(InvalidQuota::ZeroBurst);
        }
        Ok(Self { burst, ..self })
    }

    /// The average time between two admissions.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The most admissions at once.
    pub fn burst_size(&self) -> u32 {
        self.burst
    }

    /// The same quota with its interval multiplied by `factor` (at least 1), saturating: what
    /// a polite client does to a host that answered 429.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::rate::Quota;
    ///
    /// let q = Quota::with_interval(Duration::from_millis(500))?;
    /// assert_eq!(q.slowed(2).interval(), Duration::from_secs(1));
    /// # Ok::<(), wrangle::rate::InvalidQuota>(())
    /// ```
    pub fn slowed(self, factor: u32) -> Self {
        Self {
            interval: self.interval.saturating_mul(factor.max(1)),
            ..self
        }
    }

    pub(crate) fn interval_nanos(&self) -> u128 {
        self.interval.as_nanos()
    }

    /// How far ahead of now the schedule may run: `interval × (burst − 1)`, exact (at most
    /// 2^94 × 2^32 ns, far below `u128::MAX`).
    pub(crate) fn tolerance_nanos(&self) -> u128 {
        self.interval_nanos()
            .saturating_mul(u128::from(self.burst - 1))
    }
}

/// Why a [`Quota`] could not be built.
///
/// # Examples
///
/// ```
/// use wrangle::rate::{InvalidQuota, Quota};
///
/// assert_eq!(Quota::per_second(0), Err(InvalidQuota::ZeroRate));
/// assert!(InvalidQuota::ZeroBurst.to_string().contains("burst"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidQuota {
    /// A rate of zero admits nothing, ever.
    ZeroRate,
    /// A zero period or interval is an unlimited rate; so is a rate above one per
    /// nanosecond, whose interval rounds to zero.
    ZeroPeriod,
    /// A burst of zero admits nothing, ever.
    ZeroBurst,
}

impl fmt::Display for InvalidQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ZeroRate => "invalid quota: a rate of zero would admit nothing, ever",
            Self::ZeroPeriod => {
                "invalid quota: a zero period or interval (or a rate above one per nanosecond) is \
                 no limit at all; do not use a limiter"
            }
            Self::ZeroBurst => "invalid quota: a burst of zero would admit nothing, ever",
        })
    }
}

impl std::error::Error for InvalidQuota {}
