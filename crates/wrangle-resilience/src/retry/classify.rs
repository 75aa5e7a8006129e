use std::time::Duration;

/// What a failed attempt means for the next one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::Classification;
///
/// fn classify(status: u16, retry_after: Option<u64>) -> Classification {
///     match (status, retry_after) {
///         (429 | 503, Some(secs)) => Classification::RetryAfter(Duration::from_secs(secs)),
///         (500..=599 | 429, _) => Classification::Transient,
///         _ => Classification::Permanent,
///     }
/// }
/// assert_eq!(classify(404, None), Classification::Permanent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Classification {
    /// Worth retrying after the policy's delay.
    Transient,
    /// Not worth retrying: the call stops with this error.
    Permanent,
    /// Worth retrying after this delay, a server's hint such as HTTP `Retry-After`; capped by
    /// the policy's maximum delay and its deadline.
    RetryAfter(Duration),
}

/// An error that knows whether it is worth retrying; used by
/// [`Retry::classify_by_error`](super::Retry::classify_by_error).
///
/// # Examples
///
/// ```
/// use wrangle::retry::{Classification, Retryable};
///
/// enum ApiError { RateLimited, NotFound }
/// impl Retryable for ApiError {
///     fn classification(&self) -> Classification {
///         match self {
///             ApiError::RateLimited => Classification::Transient,
///             ApiError::NotFound => Classification::Permanent,
///         }
///     }
/// }
/// ```
pub trait Retryable {
    /// What this error means for the next attempt.
    fn classification(&self) -> Classification;
}

/// Decides what an error means for the next attempt. Implemented for every
/// `FnMut(&E) -> Classification`.
pub trait Classify<E> {
    /// Classifies one error.
    fn classify(&mut self, error: &E) -> Classification;
}

impl<E, F: FnMut(&E) -> Classification> Classify<E> for F {
    fn classify(&mut self, error: &E) -> Classification {
        self(error)
    }
}

/// The default classifier: every error is transient.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysTransient;

impl<E> Classify<E> for AlwaysTransient {
    fn classify(&mut self, _: &E) -> Classification {
        Classification::Transient
    }
}

/// A predicate as a classifier: `true` is transient, `false` permanent.
#[derive(Debug, Clone, Copy)]
pub struct When<P>(pub(crate) P);

impl<E, P: FnMut(&E) -> bool> Classify<E> for When<P> {
    fn classify(&mut self, error: &E) -> Classification {
        if (self.0)(error) {
            Classification::Transient
        } else {
            Classification::Permanent
        }
    }
}

/// Asks the error itself, through [`Retryable`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ByError;

impl<E: Retryable> Classify<E> for ByError {
    fn classify(&mut self, error: &E) -> Classification {
        error.classification()
    }
}
