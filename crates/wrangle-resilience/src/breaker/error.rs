use std::fmt;
use std::time::Duration;

/// The breaker is open: the call failed at once, without reaching the service.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::breaker::CircuitBreaker;
///
/// wrangle::sim::run(0, |rt| async move {
///     let breaker = CircuitBreaker::builder().consecutive_failures(1).build(rt).unwrap();
///     let _ = breaker.call(async { Err::<(), _>("boom") }).await;
///     let open = breaker.try_enter().unwrap_err();
///     assert_eq!(open.retry_after(), Duration::from_secs(5));
///     assert_eq!(open.to_string(), "circuit open: calls fail fast for another 5s");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitOpen {
    pub(crate) retry_after: Duration,
}

impl CircuitOpen {
    /// How long until the breaker lets a trial call through (zero while it is half-open and
    /// its trial calls are all taken).
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit open: calls fail fast for another {:?}",
            self.retry_after
        )
    }
}

impl std::error::Error for CircuitOpen {}

/// The outcome of a call through a breaker that did not succeed.
///
/// Its `Display` is this layer only: the open breaker's message, or "the call through the
/// circuit breaker failed" with the call's own error as the
/// [`source`](std::error::Error::source), for the error reporter to print (never repeated in
/// `Display`).
///
/// # Examples
///
/// ```
/// use std::error::Error as _;
/// use wrangle::breaker::{BreakerError, CircuitBreaker};
///
/// wrangle::sim::run(0, |rt| async move {
///     let breaker = CircuitBreaker::builder().build(&rt).unwrap();
///     let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
///     let err = breaker.call(async { Err::<(), _>(refused) }).await.unwrap_err();
///     assert_eq!(err.to_string(), "the call through the circuit breaker failed");
///     assert_eq!(err.source().unwrap().to_string(), "refused");
///     assert!(matches!(err, BreakerError::Inner(_)));
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakerError<E> {
    /// The breaker was open; the call never started.
    Open(CircuitOpen),
    /// The call ran and failed with this error.
    Inner(E),
}

impl<E> BreakerError<E> {
    /// Whether the breaker rejected the call.
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open(_))
    }

    /// The call's own error, if it ran.
    pub fn into_inner(self) -> Option<E> {
        match self {
            Self::Inner(e) => Some(e),
            Self::Open(_) => None,
        }
    }
}

impl<E> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The rejection is this layer's own news: said here, and no source.
            Self::Open(open) => open.fmt(f),
            Self::Inner(_) => f.write_str("the call through the circuit breaker failed"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for BreakerError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open(_) => None,
            Self::Inner(e) => Some(e),
        }
    }
}
