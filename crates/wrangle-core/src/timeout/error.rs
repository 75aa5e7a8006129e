use std::fmt;
use std::io;

/// A deadline passed before the work was done: the error of [`timeout()`](crate::timeout()),
/// [`timeout_at()`](crate::timeout_at()) and of an
/// `as_completed()`) stream with a deadline.
///
/// Its `Display` is "deadline has elapsed" and it has no [`source`](std::error::Error::source);
/// it converts into an [`io::Error`] of kind [`TimedOut`](io::ErrorKind::TimedOut).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::timeout::Elapsed;
///
/// let err: Elapsed = wrangle::sim::run(1, |rt| async move {
///     wrangle::timeout(&rt, Duration::from_secs(1), std::future::pending::<()>()).await
/// })
/// .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Elapsed(());

impl Elapsed {
    #[doc(hidden)]
    #[inline]
    pub fn new() -> Self {
        Self(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(err: Elapsed) -> Self {
        io::Error::new(io::ErrorKind::TimedOut, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_io_kind() {
        let err = Elapsed::new();
        assert_eq!(err.to_string(), "deadline has elapsed");
        assert_eq!(format!("{err:?}"), "Elapsed(())");
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::TimedOut);
    }
}
