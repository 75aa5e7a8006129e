use std::time::Duration;

/// What an attempt knows about the call so far; passed to the factory of
/// [`retry()`](super::retry()).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{retry, RetryPolicy};
///
/// wrangle::sim::run(1, |rt| async move {
///     let policy = RetryPolicy::builder().constant(Duration::from_millis(5)).build().unwrap();
///     let outcome = retry(&rt, &policy, |attempt| async move {
///         if attempt.number() < 3 { Err("not yet") } else { Ok(attempt.previous_delay()) }
///     })
///     .await;
///     assert_eq!(outcome.unwrap(), Some(Duration::from_millis(5)));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub(crate) number: u32,
    pub(crate) elapsed: Duration,
    pub(crate) previous_delay: Option<Duration>,
}

impl Attempt {
    /// The attempt's number, from 1; saturates at `u32::MAX`.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Whether this is the first attempt.
    pub fn is_first(&self) -> bool {
        self.number == 1
    }

    /// Time since the call started, on the timer's clock. See
    /// [`RetryError::elapsed`](super::RetryError::elapsed) for when the clock starts.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The delay slept before this attempt; `None` for the first.
    pub fn previous_delay(&self) -> Option<Duration> {
        self.previous_delay
    }
}
