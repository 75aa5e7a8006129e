use std::fmt;

/// A call refused by [`LoadShed`](super::LoadShed): the service was not ready for it.
///
/// # Examples
///
/// ```
/// let err: wrangle::tower::BoxError = Box::new(wrangle::tower::Overloaded::new());
/// assert!(err.is::<wrangle::tower::Overloaded>());
/// assert_eq!(err.to_string(), "service overloaded: the call was refused, not queued");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Overloaded(());

impl Overloaded {
    /// The error (for services that shed load themselves).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wrangle::tower::Overloaded::new(), wrangle::tower::Overloaded::default());
    /// ```
    pub fn new() -> Self {
        Self(())
    }
}

impl fmt::Display for Overloaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("service overloaded: the call was refused, not queued")
    }
}

impl std::error::Error for Overloaded {}
