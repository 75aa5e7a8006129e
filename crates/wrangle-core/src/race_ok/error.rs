use std::error::Error;
use std::fmt;
use std::io;

/// Every error of a set of futures that all failed, in input order: the error of
/// [`race_ok()`](crate::race_ok()).
///
/// # Examples
///
/// ```
/// let err = futures_lite::future::block_on(wrangle_core::race_ok([
///     std::future::ready(Err::<(), _>("a down")),
///     std::future::ready(Err("b down")),
/// ]))
/// .unwrap_err();
/// assert_eq!(err.len(), 2);
/// assert_eq!(err.to_string(), "all 2 futures failed; the first: a down");
/// assert_eq!(err.into_errors(), ["a down", "b down"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateError<E> {
    errors: Vec<E>,
}

impl<E> AggregateError<E> {
    pub(crate) fn new(errors: Vec<E>) -> Self {
        Self { errors }
    }

    /// The errors, in input order.
    ///
    /// # Examples
    ///
    /// ```
    /// # let err = futures_lite::future::block_on(wrangle_core::race_ok([async { Err::<(), _>(1) }])).unwrap_err();
    /// assert_eq!(err.errors(), [1]);
    /// ```
    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// The errors, in input order, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// # let err = futures_lite::future::block_on(wrangle_core::race_ok([async { Err::<(), _>(1) }])).unwrap_err();
    /// assert_eq!(err.into_errors(), vec![1]);
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        self.errors
    }

    /// How many errors there are: one per input.
    ///
    /// # Examples
    ///
    /// ```
    /// # let err = futures_lite::future::block_on(wrangle_core::race_ok([async { Err::<(), _>(1) }])).unwrap_err();
    /// assert_eq!(err.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there are none (the input was empty).
    ///
    /// # Examples
    ///
    /// ```
    /// let inputs: Vec<std::future::Ready<Result<(), ()>>> = Vec::new();
    /// let err = futures_lite::future::block_on(wrangle_core::race_ok(inputs)).unwrap_err();
    /// assert!(err.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl<E: fmt::Display> fmt::Display for AggregateError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.first() {
            None => f.write_str("no futures to run"),
            Some(first) => write!(
                f,
                "all {} futures failed; the first: {first}",
                self.errors.len()
            ),
        }
    }
}

impl<E: Error + 'static> Error for AggregateError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.errors.first().map(|e| e as &(dyn Error + 'static))
    }
}

impl<E: Error + Send + Sync + 'static> From<AggregateError<E>> for io::Error {
    fn from(err: AggregateError<E>) -> Self {
        io::Error::other(err)
    }
}

impl<E> IntoIterator for AggregateError<E> {
    type Item = E;
    type IntoIter = std::vec::IntoIter<E>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_source_and_io() {
        let err = AggregateError::new(vec![io::Error::other("a down"), io::Error::other("b down")]);
        assert_eq!(err.to_string(), "all 2 futures failed; the first: a down");
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("a down")
        );
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::Other);
        let empty = AggregateError::<io::Error>::new(Vec::new());
        assert_eq!(empty.to_string(), "no futures to run");
        assert!(empty.source().is_none());
    }

    #[test]
    fn into_iter_keeps_order() {
        let err = AggregateError::new(vec![3, 1, 2]);
        assert_eq!(err.into_iter().collect::<Vec<_>>(), [3, 1, 2]);
    }
}
