use std::error::Error;
use std::fmt;
use std::io;

/// Every error of a set of futures that all failed, in input order: the error of
/// [`race_ok()`](crate::race_ok()).
///
/// Its `Display` is a summary ("all 2 futures failed"); the errors themselves are reached
/// through [`errors`](Self::errors), and [`source`](Error::source) is the first of them, so
/// an error report prints each layer once.
///
/// # Examples
///
/// ```
/// # wrangle::sim::run(1, |_rt| async move {
/// let err = wrangle::race_ok([
///     std::future::ready(Err::<(), _>("a down")),
///     std::future::ready(Err("b down")),
/// ])
/// .await
/// .unwrap_err();
/// assert_eq!(err.len(), 2);
/// assert_eq!(err.to_string(), "all 2 futures failed");
/// assert_eq!(err.into_errors(), ["a down", "b down"]);
/// # });
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
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let err = wrangle::race_ok([async { Err::<(), _>(1) }]).await.unwrap_err();
    /// assert_eq!(err.errors(), [1]);
    /// # });
    /// ```
    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// The errors, in input order, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let err = wrangle::race_ok([async { Err::<(), _>(1) }]).await.unwrap_err();
    /// assert_eq!(err.into_errors(), vec![1]);
    /// # });
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        self.errors
    }

    /// How many errors there are: one per input.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let err = wrangle::race_ok([async { Err::<(), _>(1) }]).await.unwrap_err();
    /// assert_eq!(err.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there are none (the input was empty).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let inputs: Vec<std::future::Ready<Result<(), ()>>> = Vec::new();
    /// let err = wrangle::race_ok(inputs).await.unwrap_err();
    /// assert!(err.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl<E> fmt::Display for AggregateError<E> {
    /// A summary: the errors are reached through the type, and the first is the `source`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.len() {
            0 => f.write_str("no futures to run"),
            1 => f.write_str("the only future failed"),
            n => write!(f, "all {n} futures failed"),
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
        assert_eq!(err.to_string(), "all 2 futures failed");
        assert_eq!(
            AggregateError::new(vec![1]).to_string(),
            "the only future failed"
        );
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
