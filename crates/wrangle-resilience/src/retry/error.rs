use std::fmt;
use std::time::Duration;

/// How an attempt failed: what [`RetryError::failure`] and the
/// [`before_sleep`](super::Retry::before_sleep) hook see.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailedAttempt<E> {
    /// The attempt returned this error.
    Error(E),
    /// The attempt ran past its timeout, or the call's deadline, and was dropped.
    TimedOut,
}

impl<E> FailedAttempt<E> {
    /// The error, unless the attempt timed out.
    pub fn error(&self) -> Option<&E> {
        match self {
            Self::Error(e) => Some(e),
            Self::TimedOut => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for FailedAttempt<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Error(e) => e.fmt(f),
            Self::TimedOut => f.write_str("the attempt timed out"),
        }
    }
}

/// Why a retried call stopped without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// Every retry the policy allows was used.
    Exhausted,
    /// The total deadline passed, or the next delay would have ended past it.
    Deadline,
    /// The classifier called the error permanent.
    Permanent,
    /// The shared [`RetryBudget`](super::RetryBudget) had no retry left.
    Budget,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Exhausted => "retries exhausted",
            Self::Deadline => "deadline reached",
            Self::Permanent => "permanent error",
            Self::Budget => "retry budget exhausted",
        })
    }
}

/// What a retried call cost: attempts made, time slept, time elapsed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{retry, RetryPolicy};
///
/// wrangle::sim::run(1, |rt| async move {
///     let policy = RetryPolicy::builder().constant(Duration::from_millis(1)).build().unwrap();
///     let (value, stats) = retry(&rt, &policy, |a| async move { if a.is_first() { Err(()) } else { Ok(5) } })
///         .with_stats()
///         .await
///         .unwrap();
///     assert_eq!((value, stats.attempts()), (5, 2));
///     assert_eq!(stats.total_delay(), Duration::from_millis(1));
///     assert_eq!(stats.elapsed(), Duration::from_millis(1));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryStats {
    pub(crate) attempts: u32,
    pub(crate) total_delay: Duration,
    pub(crate) elapsed: Duration,
}

impl RetryStats {
    /// Attempts made, the first one included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time spent sleeping between attempts.
    pub fn total_delay(&self) -> Duration {
        self.total_delay
    }

    /// Time since the call started (see [`RetryError::elapsed`] for when the clock starts).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// A retried call that gave up: the last failure, how many attempts were made, how long it
/// took and why it stopped.
///
/// # Examples
///
/// Its `Display` is its own layer only ("retry gave up after 4 attempts in 0ns (retries
/// exhausted)"); the last error is its [`source`](std::error::Error::source), for the error
/// reporter to print, and [`last_error`](RetryError::last_error) for code.
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{retry, RetryPolicy, StopReason};
///
/// let policy = RetryPolicy::builder().constant(Duration::ZERO).max_retries(3).build()?;
/// wrangle::sim::run(1, |rt| async move {
///     let err = retry(&rt, &policy, |_| async { Err::<(), _>("down") }).await.unwrap_err();
///     assert_eq!(err.attempts(), 4);
///     assert_eq!(err.reason(), StopReason::Exhausted);
///     assert_eq!(err.last_error(), Some(&"down"));
///     assert_eq!(err.to_string(), "retry gave up after 4 attempts in 0ns (retries exhausted)");
/// });
/// # Ok::<(), wrangle::retry::InvalidPolicy>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryError<E> {
    pub(crate) failure: FailedAttempt<E>,
    pub(crate) reason: StopReason,
    pub(crate) stats: RetryStats,
}

impl<E> RetryError<E> {
    /// The last attempt's failure.
    pub fn failure(&self) -> &FailedAttempt<E> {
        &self.failure
    }

    /// The last attempt's error, unless it timed out.
    pub fn last_error(&self) -> Option<&E> {
        self.failure.error()
    }

    /// The last attempt's error, unless it timed out.
    pub fn into_last_error(self) -> Option<E> {
        match self.failure {
            FailedAttempt::Error(e) => Some(e),
            FailedAttempt::TimedOut => None,
        }
    }

    /// Whether the last attempt timed out.
    pub fn timed_out(&self) -> bool {
        matches!(self.failure, FailedAttempt::TimedOut)
    }

    /// Why the call stopped.
    pub fn reason(&self) -> StopReason {
        self.reason
    }

    /// Attempts made, the first one included.
    pub fn attempts(&self) -> u32 {
        self.stats.attempts
    }

    /// Time spent sleeping between attempts.
    pub fn total_delay(&self) -> Duration {
        self.stats.total_delay
    }

    /// Time since the call started, on the timer's clock.
    ///
    /// The clock is read when the call starts only if something needs it then (a deadline, a
    /// per-attempt timeout, or [`with_stats`](super::Retry::with_stats)), so that a call that
    /// succeeds at once reads no clock at all. Otherwise it starts when the first attempt
    /// fails, and the first attempt's own duration is not counted.
    pub fn elapsed(&self) -> Duration {
        self.stats.elapsed
    }

    /// Attempts, delay and elapsed time together.
    pub fn stats(&self) -> RetryStats {
        self.stats
    }
}

/// This layer only: the attempts, the time and why it stopped, and whether the last attempt
/// timed out. The last error is the [`source`](std::error::Error::source), never repeated here.
impl<E> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = self.stats.attempts;
        let plural = if attempts == 1 { "" } else { "s" };
        write!(
            f,
            "retry gave up after {attempts} attempt{plural} in {:?} ({})",
            self.stats.elapsed, self.reason
        )?;
        if self.timed_out() {
            f.write_str(": the last attempt timed out")?;
        }
        Ok(())
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.last_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
