/// Which responses count as failures for a breaker (every error does).
///
/// Implemented by [`ErrorsOnly`] (no response is a failure), by closures
/// `Fn(&Response) -> bool`, and, with the `http` feature, by
/// `http::ServerErrors` (5xx responses).
///
/// # Examples
///
/// ```
/// use wrangle::tower::breaker::IsFailure;
///
/// let negative = |n: &i32| *n < 0;
/// assert!(negative.is_failure(&-1));
/// assert!(!negative.is_failure(&1));
/// ```
pub trait IsFailure<Res> {
    /// Whether `response` counts as a failure.
    fn is_failure(&self, response: &Res) -> bool;
}

impl<Res, F: Fn(&Res) -> bool> IsFailure<Res> for F {
    #[inline]
    fn is_failure(&self, response: &Res) -> bool {
        self(response)
    }
}

/// The default [`IsFailure`]: every response is a success; only errors count.
///
/// # Examples
///
/// ```
/// use wrangle::tower::breaker::{ErrorsOnly, IsFailure};
///
/// assert!(!ErrorsOnly.is_failure(&500));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorsOnly;

impl<Res> IsFailure<Res> for ErrorsOnly {
    #[inline]
    fn is_failure(&self, _: &Res) -> bool {
        false
    }
}
