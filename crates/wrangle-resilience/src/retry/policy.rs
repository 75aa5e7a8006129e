use std::fmt;
use std::time::Duration;

use super::{Backoff, Jitter, RetryBudget};

/// The default number of retries: three, so at most four attempts.
///
/// Finite on purpose: a default that retries forever turns a dependency's outage into a
/// retry storm from every caller, and hides the outage from the caller's own error handling.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The default cap on a single delay: 30 seconds.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// The default backoff: exponential from 100 ms, doubling.
pub const DEFAULT_BACKOFF: Backoff = Backoff::Exponential {
    initial: Duration::from_millis(100),
    factor: 2.0,
};

/// What a retry does: the backoff, the jitter, and when to stop.
///
/// Immutable and cheap to clone: every per-call counter lives in the future that
/// [`retry()`](super::retry()) returns, so one policy serves any number of concurrent calls.
/// Built, and validated, by [`RetryPolicy::builder`].
///
/// | Setting | Default |
/// |---|---|
/// | backoff | exponential from 100 ms, factor 2 |
/// | jitter | none |
/// | max delay (cap on one delay) | 30 s |
/// | max retries | 3 (at most 4 attempts) |
/// | total deadline | none |
/// | per-attempt timeout | none |
/// | budget | none |
///
/// # Examples
///
/// Base delay 0.1 s, doubling, at most 3 retries (docs/scenarios.md, S9).
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::builder()
///     .exponential(Duration::from_millis(100), 2.0)
///     .max_retries(3)
///     .jitter(Jitter::Full)
///     .build()?;
/// assert_eq!(policy.max_retries(), 3);
/// # Ok::<(), wrangle::retry::InvalidPolicy>(())
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub(crate) backoff: Backoff,
    pub(crate) jitter: Jitter,
    pub(crate) max_delay: Duration,
    pub(crate) max_retries: u32,
    pub(crate) deadline: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) budget: Option<RetryBudget>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            backoff: DEFAULT_BACKOFF,
            jitter: Jitter::None,
            max_delay: DEFAULT_MAX_DELAY,
            max_retries: DEFAULT_MAX_RETRIES,
            deadline: None,
            attempt_timeout: None,
            budget: None,
        }
    }
}

impl RetryPolicy {
    /// A builder starting from the defaults.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: Self::default(),
        }
    }

    /// The backoff.
    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The jitter.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The cap on a single delay.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The most retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The total deadline, counting attempts as well as delays.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The timeout of each attempt: see
    /// [`RetryPolicyBuilder::attempt_timeout`].
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// The shared retry budget.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    /// The delay before retry `k` (counting from 0) without jitter: what the backoff and the
    /// cap say. Useful to document or test a policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = wrangle::retry::RetryPolicy::default();
    /// let delays: Vec<_> = (0..3).map(|k| policy.base_delay(k)).collect();
    /// assert_eq!(delays, [100, 200, 400].map(Duration::from_millis));
    /// ```
    pub fn base_delay(&self, k: u32) -> Duration {
        self.backoff.base(k).min(self.max_delay)
    }
}

/// Builds a [`RetryPolicy`]; [`build`](RetryPolicyBuilder::build) rejects settings that make
/// no sense, saying why.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::RetryPolicy;
///
/// let err = RetryPolicy::builder()
///     .exponential(Duration::from_millis(100), 0.5)
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("factor"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// The same delay before every retry. A zero delay retries at once, without arming a timer;
    /// after 32 retries in one poll (zero delays, or sleeps already over when first polled,
    /// as a nanosecond's is on some runtimes) the retry yields to its executor (it wakes
    /// itself and goes on at its next poll), so an attempt that fails at once cannot keep its
    /// thread for `max_retries` retries in a row.
    pub fn constant(mut self, delay: Duration) -> Self {
        self.policy.backoff = Backoff::Constant(delay);
        self
    }

    /// A delay of `initial`, growing by `step` each retry.
    pub fn linear(mut self, initial: Duration, step: Duration) -> Self {
        self.policy.backoff = Backoff::Linear { initial, step };
        self
    }

    /// A delay of `initial`, multiplied by `factor` (at least 1) each retry.
    pub fn exponential(mut self, initial: Duration, factor: f64) -> Self {
        self.policy.backoff = Backoff::Exponential { initial, factor };
        self
    }

    /// Delays following the Fibonacci sequence from `initial`.
    pub fn fibonacci(mut self, initial: Duration) -> Self {
        self.policy.backoff = Backoff::Fibonacci { initial };
        self
    }

    /// Any [`Backoff`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// How randomness spreads the delays.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy.jitter = jitter;
        self
    }

    /// The cap on a single delay, jitter and server hints included (default 30 s).
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.policy.max_delay = max_delay;
        self
    }

    /// At most `n` retries after the first attempt, so `n + 1` attempts: `max_retries(3)` makes
    /// at most 4 attempts. `u32::MAX` is as good as unbounded; counts saturate, never wrap.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.policy.max_retries = n;
        self
    }

    /// A total deadline for the whole call, attempts and delays together. An attempt still
    /// running at the deadline is dropped, and no delay is started that would end past it.
    /// `Duration::MAX` means no deadline.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.policy.deadline = (deadline != Duration::MAX).then_some(deadline);
        self
    }

    /// A timeout for each attempt: an attempt still running after it is dropped and counts as
    /// a transient failure, retried like an error. `Duration::MAX` means none.
    ///
    /// This is the way to time attempts out. An attempt wrapped in a timeout of its own
    /// (`|_| call().timeout(&rt, d)`) does not compile: a failed call would arrive as
    /// `Ok(Err(e))` and never be retried (see [the module docs](super#timeouts-per-attempt)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::retry::{retry, RetryPolicy, StopReason};
    ///
    /// let policy = RetryPolicy::builder()
    ///     .constant(Duration::ZERO)
    ///     .attempt_timeout(Duration::from_secs(2))
    ///     .max_retries(2)
    ///     .build()?;
    /// wrangle::sim::run(1, |rt| async move {
    ///     let slow = |_| async {
    ///         wrangle::sleep(&rt, Duration::from_secs(60)).await;
    ///         Ok::<_, std::io::Error>("late")
    ///     };
    ///     let err = retry(&rt, &policy, slow).await.unwrap_err();
    ///     assert!(err.timed_out());
    ///     assert_eq!((err.attempts(), err.reason()), (3, StopReason::Exhausted));
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(6));
    /// });
    /// # Ok::<(), wrangle::retry::InvalidPolicy>(())
    /// ```
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.policy.attempt_timeout = (timeout != Duration::MAX).then_some(timeout);
        self
    }

    /// A budget shared with other calls, which every retry spends from.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.policy.budget = Some(budget);
        self
    }

    /// Checks the settings and builds the policy.
    ///
    /// # Errors
    ///
    /// [`InvalidPolicy`], saying why, for a growth factor below 1 (or not a number), a first
    /// delay above the cap, a zero deadline, or a zero per-attempt timeout.
    pub fn build(self) -> Result<RetryPolicy, InvalidPolicy> {
        let p = self.policy;
        if let Backoff::Exponential { factor, .. } = p.backoff
            && (factor.is_nan() || factor < 1.0)
        {
            return Err(InvalidPolicy::FactorBelowOne(factor));
        }
        let initial = p.backoff.initial();
        if initial > p.max_delay {
            return Err(InvalidPolicy::InitialAboveCap {
                initial,
                max_delay: p.max_delay,
            });
        }
        if p.deadline == Some(Duration::ZERO) {
            return Err(InvalidPolicy::ZeroDeadline);
        }
        if p.attempt_timeout == Some(Duration::ZERO) {
            return Err(InvalidPolicy::ZeroAttemptTimeout);
        }
        Ok(p)
    }
}

/// Why a [`RetryPolicyBuilder`] refused to build.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{InvalidPolicy, RetryPolicy};
///
/// let err = RetryPolicy::builder().deadline(Duration::ZERO).build().unwrap_err();
/// assert_eq!(err, InvalidPolicy::ZeroDeadline);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InvalidPolicy {
    /// An exponential factor below 1 (or NaN) would shrink the delays.
    FactorBelowOne(f64),
    /// The first delay is above the cap on any delay.
    InitialAboveCap {
        /// The first delay.
        initial: Duration,
        /// The cap.
        max_delay: Duration,
    },
    /// A zero total deadline would allow no attempt at all.
    ZeroDeadline,
    /// A zero per-attempt timeout would fail every attempt.
    ZeroAttemptTimeout,
}

impl fmt::Display for InvalidPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FactorBelowOne(factor) => write!(
                f,
                "invalid retry policy: the exponential factor must be at least 1, got {factor} \
                 (a smaller factor makes the delays shrink)"
            ),
            Self::InitialAboveCap { initial, max_delay } => write!(
                f,
                "invalid retry policy: the first delay ({initial:?}) is above the maximum delay \
                 ({max_delay:?})"
            ),
            Self::ZeroDeadline => f.write_str(
                "invalid retry policy: a zero deadline allows no attempt; use Duration::MAX for \
                 no deadline",
            ),
            Self::ZeroAttemptTimeout => f.write_str(
                "invalid retry policy: a zero per-attempt timeout fails every attempt; use \
                 Duration::MAX for none",
            ),
        }
    }
}

impl std::error::Error for InvalidPolicy {}
