use wrangle_resilience::breaker::CircuitOpen;
use wrangle_resilience::rate::RateLimited;
use wrangle_resilience::retry::Classification;

use crate::BoxError;

/// What a [`Retry`](super::Retry) does with a response or an error.
///
/// [`response`](Classifier::response) says whether a response is retried: `None` (or
/// `Some(Permanent)`) hands it to the caller; `Some(Transient)` retries after the policy's
/// backoff; `Some(RetryAfter(d))` after `d`, capped by the policy's maximum delay.
/// [`error`](Classifier::error) classifies errors; by default [`classify_error`].
///
/// Implemented by [`ErrorsOnly`] (responses are never retried), by closures
/// `Fn(&Response) -> Option<Classification>` (with the default for errors), and, with the
/// `http` feature, by `http::HttpStatus`.
///
/// # Examples
///
/// ```
/// use wrangle::retry::Classification;
/// use wrangle::tower::retry::Classifier;
///
/// let busy = |code: &u16| (*code == 503).then_some(Classification::Transient);
/// assert_eq!(busy.response(&503), Some(Classification::Transient));
/// assert_eq!(busy.response(&200), None);
/// ```
pub trait Classifier<Res> {
    /// How `response` is treated: `None` accepts it.
    fn response(&self, response: &Res) -> Option<Classification>;

    /// How `error` is treated; [`classify_error`] unless overridden.
    fn error(&self, error: &BoxError) -> Classification {
        classify_error(error)
    }
}

impl<Res, F: Fn(&Res) -> Option<Classification>> Classifier<Res> for F {
    #[inline]
    fn response(&self, response: &Res) -> Option<Classification> {
        self(response)
    }
}

/// The default [`Classifier`]: responses are accepted, errors classified by
/// [`classify_error`].
///
/// # Examples
///
/// ```
/// use wrangle::tower::retry::{Classifier, ErrorsOnly};
///
/// assert_eq!(Classifier::<u16>::response(&ErrorsOnly, &503), None);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorsOnly;

impl<Res> Classifier<Res> for ErrorsOnly {
    #[inline]
    fn response(&self, _: &Res) -> Option<Classification> {
        None
    }
}

/// The default classification of an error: a breaker that is open
/// ([`CircuitOpen`]) or a rate limit that refused ([`RateLimited`]) is retried after the time
/// it names; any other error (a timeout, a connection error, [`Overloaded`](crate::Overloaded))
/// is transient.
///
/// # Examples
///
/// ```
/// use wrangle::retry::Classification;
/// use wrangle::tower::{BoxError, Overloaded};
///
/// let err: BoxError = Box::new(Overloaded::new());
/// assert_eq!(wrangle::tower::retry::classify_error(&err), Classification::Transient);
/// ```
pub fn classify_error(error: &BoxError) -> Classification {
    if let Some(open) = error.downcast_ref::<CircuitOpen>() {
        Classification::RetryAfter(open.retry_after())
    } else if let Some(limited) = error.downcast_ref::<RateLimited>() {
        Classification::RetryAfter(limited.retry_after())
    } else {
        Classification::Transient
    }
}
