use std::error::Error;
use std::fmt;
use std::io;
use std::sync::Arc;

use crate::task::Panic;

/// Which child of a group: its index (the order it was spawned in, from 0) and its name, if
/// it was spawned with one.
///
/// # Examples
///
/// ```
/// use wrangle::group::TaskGroup;
///
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = TaskGroup::new(&rt);
/// group.spawn_named("fetch-user", async { Err::<(), _>("timed out") });
/// let err = group.join().await.unwrap_err();
/// let child = err.first().child();
/// assert_eq!((child.index(), child.name()), (0, Some("fetch-user")));
/// assert_eq!(child.to_string(), "child #0 \"fetch-user\"");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildInfo {
    index: usize,
    name: Option<Arc<str>>,
}

impl ChildInfo {
    pub(crate) fn new(index: usize, name: Option<Arc<str>>) -> Self {
        Self { index, name }
    }

    /// The child's index: its place in the order children were spawned, from 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Ok::<_, ()>(()) });
    /// # group.spawn(async { Err::<(), _>(()) });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.first().child().index(), 1);
    /// # });
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The name the child was spawned with, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Err::<(), _>(()) });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.first().child().name(), None);
    /// # });
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for ChildInfo {
    /// `child #3`, or `child #3 "name"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "child #{}", self.index)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        Ok(())
    }
}

/// Why one child of a group produced no value, in the outcomes of
/// [`join_outcomes`](crate::group::TaskGroup::join_outcomes) and
/// [`shutdown`](crate::group::TaskGroup::shutdown).
///
/// # Examples
///
/// ```
/// use wrangle::group::{ChildError, TaskGroup};
///
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = TaskGroup::collect_all(&rt);
/// group.spawn(async { Ok(1) });
/// group.spawn(async { Err("no stock") });
/// group.spawn(async { panic!("bug") });
/// let outcomes = group.join_outcomes().await;
/// assert!(matches!(outcomes[0], Ok(1)));
/// assert!(matches!(outcomes[1], Err(ChildError::Failed("no stock"))));
/// assert!(outcomes[2].as_ref().is_err_and(ChildError::is_panic));
/// # });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ChildError<E> {
    /// The child returned `Err`.
    Failed(E),
    /// The child panicked; the payload is kept so it can be re-raised.
    Panicked(Panic),
    /// The child was cancelled before it finished: by a sibling's failure, by the group's
    /// [`cancel`](crate::group::TaskGroup::cancel) or a token it was linked to, by a
    /// shutdown's grace running out, or by its runtime shutting down. A child spawned into a
    /// group that was already cancelled is never started and ends here too.
    Cancelled,
}

impl<E> ChildError<E> {
    /// Whether the child returned `Err`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wrangle::group::ChildError::Failed(()).is_failed());
    /// ```
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }

    /// Whether the child panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!wrangle::group::ChildError::<()>::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }

    /// Whether the child was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wrangle::group::ChildError::<()>::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }

    /// The error the child returned, if it failed that way.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::group::ChildError;
    ///
    /// assert_eq!(ChildError::Failed("down").into_failed(), Some("down"));
    /// assert_eq!(ChildError::<&str>::Cancelled.into_failed(), None);
    /// ```
    pub fn into_failed(self) -> Option<E> {
        match self {
            Self::Failed(err) => Some(err),
            _ => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for ChildError<E> {
    /// `Failed` is transparent: it prints the child's own error, and its `source` is that
    /// error's source, so a report prints the error once.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(err) => err.fmt(f),
            Self::Panicked(panic) => write!(f, "panicked: {}", panic.message()),
            Self::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl<E: Error + 'static> Error for ChildError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Failed(err) => err.source(),
            _ => None,
        }
    }
}

/// One failed child: which one, and its error.
///
/// Its `Display` says which child failed (`child #0 "pay" failed`); the child's error is
/// its [`source`](Error::source) (and [`error`](Self::error)), so a report prints it once.
///
/// # Examples
///
/// ```
/// use wrangle::group::TaskGroup;
///
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = TaskGroup::new(&rt);
/// group.spawn_named("pay", async { Err::<(), _>("card declined") });
/// let failure = group.join().await.unwrap_err().into_failures().remove(0);
/// assert_eq!(failure.child().name(), Some("pay"));
/// assert_eq!(failure.to_string(), "child #0 \"pay\" failed");
/// assert_eq!(failure.into_error(), "card declined");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildFailure<E> {
    child: ChildInfo,
    error: E,
}

impl<E> ChildFailure<E> {
    /// Which child failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Err::<(), _>(7) });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.first().child().index(), 0);
    /// # });
    /// ```
    pub fn child(&self) -> &ChildInfo {
        &self.child
    }

    /// The error the child returned.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Err::<(), _>(7) });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(*err.first().error(), 7);
    /// # });
    /// ```
    pub fn error(&self) -> &E {
        &self.error
    }

    /// The error the child returned, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Err::<(), _>(7) });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.into_first(), 7);
    /// # });
    /// ```
    pub fn into_error(self) -> E {
        self.error
    }
}

impl<E> fmt::Display for ChildFailure<E> {
    /// Which child failed; its error is the `source`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.child)
    }
}

impl<E: Error + 'static> Error for ChildFailure<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}

/// Why a group's [`join`](crate::group::TaskGroup::join) returned no values: every child that
/// failed, **the first failure in time first**, and every child that was cancelled.
///
/// In a fail-fast group the first entry is the failure that cancelled the others; later
/// entries are failures of children that finished with an error before the cancellation
/// reached them (on a multi-thread runtime, a sibling may be mid-poll when it is cancelled).
/// In a collect-all group every failure is kept, in the order they happened.
///
/// With no failure at all, the group was cancelled from outside — by
/// [`TaskGroup::cancel`](crate::group::TaskGroup::cancel), a token it was linked to with
/// [`cancel_on`](crate::group::TaskGroup::cancel_on), or its runtime shutting down — before
/// every child finished: [`is_cancelled`](Self::is_cancelled) says so, and
/// [`cancelled`](Self::cancelled) lists the children that did not finish.
///
/// # Examples
///
/// `docs/scenarios.md`, S8: task 2 fails at 2 s, task 3 is cancelled, task 1 had succeeded.
///
/// ```
/// use std::error::Error;
/// use std::time::Duration;
/// use wrangle::group::TaskGroup;
///
/// wrangle::sim::run(1, |rt| async move {
///     let step = |secs: u64, fails: bool| {
///         let nap = wrangle::sleep(&rt, Duration::from_secs(secs));
///         async move {
///             nap.await;
///             if fails { Err(std::io::Error::other(format!("task failed at {secs} s"))) } else { Ok(secs) }
///         }
///     };
///     let mut group = TaskGroup::new(&rt);
///     group.spawn_named("task 1", step(1, false));
///     group.spawn_named("task 2", step(2, true));
///     group.spawn_named("task 3", step(5, false));
///     let err = group.join().await.unwrap_err();
///     assert_eq!(rt.elapsed(), Duration::from_secs(2));
///     assert_eq!(err.first().error().to_string(), "task failed at 2 s");
///     assert_eq!(err.cancelled()[0].name(), Some("task 3"));
///     // A summary; the first failure is the source, and its source the child's own error.
///     assert_eq!(err.to_string(), "1 of 3 children failed, 1 cancelled");
///     let first = err.source().unwrap();
///     assert_eq!(first.to_string(), "child #1 \"task 2\" failed");
///     assert_eq!(first.source().unwrap().to_string(), "task failed at 2 s");
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupError<E> {
    /// In the order the failures happened; empty when the group was cancelled from outside.
    failures: Vec<ChildFailure<E>>,
    /// In spawn order.
    cancelled: Vec<ChildInfo>,
    /// How many children the group had.
    children: usize,
}

impl<E> GroupError<E> {
    /// The failures in the order they happened: the first is the failure that cancelled the
    /// rest (in a fail-fast group). Empty when the group was cancelled from outside.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = TaskGroup::collect_all(&rt);
    /// group.spawn(async { Err::<(), _>("a") });
    /// group.spawn(async { Err::<(), _>("b") });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.failures().len(), 2);
    /// # });
    /// ```
    pub fn failures(&self) -> &[ChildFailure<E>] {
        &self.failures
    }

    /// The failures, by value, first in time first.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Err::<(), _>("a") });
    /// let errors: Vec<_> = group.join().await.unwrap_err().into_failures()
    ///     .into_iter().map(|f| f.into_error()).collect();
    /// assert_eq!(errors, ["a"]);
    /// # });
    /// ```
    pub fn into_failures(self) -> Vec<ChildFailure<E>> {
        self.failures
    }

    /// The first failure in time.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Err::<(), _>("a") });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(*err.first().error(), "a");
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// When there was no failure: the group was cancelled from outside (check
    /// [`is_cancelled`](Self::is_cancelled), or use [`failures`](Self::failures)).
    pub fn first(&self) -> &ChildFailure<E> {
        match self.failures.first() {
            Some(first) => first,
            None => panic!("GroupError::first on a group that was cancelled, not failed"),
        }
    }

    /// The error of the first failure in time, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = TaskGroup::new(&rt);
    /// # group.spawn(async { Err::<(), _>("a") });
    /// assert_eq!(group.join().await.unwrap_err().into_first(), "a");
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// As [`first`](Self::first), when there was no failure.
    pub fn into_first(self) -> E {
        match self.failures.into_iter().next() {
            Some(first) => first.error,
            None => panic!("GroupError::into_first on a group that was cancelled, not failed"),
        }
    }

    /// The children that were cancelled before they finished, in spawn order.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = TaskGroup::new(&rt);
    /// group.spawn_named("idle", std::future::pending::<Result<(), ()>>());
    /// group.spawn(async { Err::<(), _>(()) });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.cancelled()[0].name(), Some("idle"));
    /// # });
    /// ```
    pub fn cancelled(&self) -> &[ChildInfo] {
        &self.cancelled
    }

    /// Whether no child failed: the group was cancelled from outside before every child
    /// finished.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::group::TaskGroup;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = TaskGroup::new(&rt);
    /// group.spawn(std::future::pending::<Result<(), &str>>());
    /// group.cancel();
    /// let err = group.join().await.unwrap_err();
    /// assert!(err.is_cancelled());
    /// assert_eq!(err.to_string(), "task group cancelled (1 of 1 child cancelled)");
    /// # });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.failures.is_empty()
    }
}

impl<E> fmt::Display for GroupError<E> {
    /// A summary ("2 of 3 children failed, 1 cancelled"): the failures are reached through
    /// the type, and the first of them is the `source`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (failed, cancelled, children) =
            (self.failures.len(), self.cancelled.len(), self.children);
        let noun = if children == 1 { "child" } else { "children" };
        if failed == 0 {
            return write!(
                f,
                "task group cancelled ({cancelled} of {children} {noun} cancelled)"
            );
        }
        write!(f, "{failed} of {children} {noun} failed")?;
        if cancelled > 0 {
            write!(f, ", {cancelled} cancelled")?;
        }
        Ok(())
    }
}

impl<E: Error + 'static> Error for GroupError<E> {
    /// The first failure in time (whose own source is the child's error).
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.failures
            .first()
            .map(|first| first as &(dyn Error + 'static))
    }
}

impl<E: Error + Send + Sync + 'static> From<GroupError<E>> for io::Error {
    fn from(err: GroupError<E>) -> Self {
        io::Error::other(err)
    }
}

/// How one child ended, and when it failed relative to its siblings.
#[derive(Debug)]
pub(crate) struct Record<T, E> {
    pub(crate) result: Result<T, ChildError<E>>,
    /// The order of failures (errors and panics) within the group; `u64::MAX` otherwise.
    pub(crate) seq: u64,
}

impl<T, E> Record<T, E> {
    pub(crate) fn cancelled() -> Self {
        Self {
            result: Err(ChildError::Cancelled),
            seq: u64::MAX,
        }
    }
}

/// Every child's outcome in spawn order: what `join_outcomes` returns.
pub(crate) fn into_outcomes<T, E>(
    records: impl IntoIterator<Item = Record<T, E>>,
) -> Vec<Result<T, ChildError<E>>> {
    records.into_iter().map(|r| r.result).collect()
}

/// What `join` returns: every value in spawn order, or the failures first in time first and
/// the cancelled children. A panic is re-raised (the first in time), once every child is gone.
pub(crate) fn into_result<T, E>(
    records: impl IntoIterator<Item = (ChildInfo, Record<T, E>)>,
) -> Result<Vec<T>, GroupError<E>> {
    let records = records.into_iter();
    let mut children = 0;
    let mut values = Vec::with_capacity(records.size_hint().0);
    let mut failures = Vec::new();
    let mut cancelled = Vec::new();
    let mut panic: Option<(u64, Panic)> = None;
    for (child, record) in records {
        children += 1;
        match record.result {
            Ok(value) => values.push(value),
            Err(ChildError::Failed(error)) => {
                failures.push((record.seq, ChildFailure { child, error }));
            }
            Err(ChildError::Cancelled) => cancelled.push(child),
            Err(ChildError::Panicked(p)) => {
                if panic.as_ref().is_none_or(|(seq, _)| record.seq < *seq) {
                    panic = Some((record.seq, p));
                }
            }
        }
    }
    if let Some((_, panic)) = panic {
        // Drop everything else first: the values' and errors' `Drop` runs before unwinding.
        drop((values, failures, cancelled));
        panic.resume();
    }
    if failures.is_empty() && cancelled.is_empty() {
        return Ok(values);
    }
    failures.sort_by_key(|(seq, _)| *seq);
    Err(GroupError {
        failures: failures.into_iter().map(|(_, f)| f).collect(),
        cancelled,
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(i: usize, name: Option<&str>) -> ChildInfo {
        ChildInfo::new(i, name.map(Arc::from))
    }

    #[test]
    fn display() {
        let err = GroupError {
            failures: vec![
                ChildFailure {
                    child: info(2, Some("b")),
                    error: "late",
                },
                ChildFailure {
                    child: info(0, None),
                    error: "later",
                },
            ],
            cancelled: vec![info(1, None), info(3, None)],
            children: 5,
        };
        assert_eq!(err.to_string(), "2 of 5 children failed, 2 cancelled");
        assert_eq!(err.failures()[0].to_string(), "child #2 \"b\" failed");
        let cancelled = GroupError::<&str> {
            failures: vec![],
            cancelled: vec![info(0, None)],
            children: 1,
        };
        assert_eq!(
            cancelled.to_string(),
            "task group cancelled (1 of 1 child cancelled)"
        );
        assert_eq!(ChildError::<&str>::Cancelled.to_string(), "cancelled");
        assert_eq!(
            ChildError::<&str>::Panicked(Panic::new(Box::new("x"))).to_string(),
            "panicked: x"
        );
    }

    #[test]
    fn failures_sorted_by_time_and_values_in_order() {
        let records = vec![
            (
                info(0, None),
                Record {
                    result: Err(ChildError::Failed("second")),
                    seq: 5,
                },
            ),
            (
                info(1, None),
                Record {
                    result: Ok(1),
                    seq: u64::MAX,
                },
            ),
            (
                info(2, None),
                Record {
                    result: Err(ChildError::Failed("first")),
                    seq: 2,
                },
            ),
            (info(3, None), Record::cancelled()),
        ];
        let err = into_result(records).unwrap_err();
        let order: Vec<_> = err.failures().iter().map(|f| *f.error()).collect();
        assert_eq!(order, ["first", "second"]);
        assert_eq!(err.cancelled(), [info(3, None)]);
        let ok = into_result::<_, ()>(vec![(
            info(0, None),
            Record {
                result: Ok(3),
                seq: u64::MAX,
            },
        )]);
        assert_eq!(ok, Ok(vec![3]));
    }

    #[test]
    fn first_panic_in_time_is_reraised() {
        let records = vec![
            (
                info(0, None),
                Record::<(), ()> {
                    result: Err(ChildError::Panicked(Panic::new(Box::new("late")))),
                    seq: 9,
                },
            ),
            (
                info(1, None),
                Record {
                    result: Err(ChildError::Panicked(Panic::new(Box::new("early")))),
                    seq: 1,
                },
            ),
        ];
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = into_result(records);
        }))
        .unwrap_err();
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"early"));
    }

    #[test]
    fn io_conversion_and_source() {
        let err = GroupError {
            failures: vec![ChildFailure {
                child: info(0, None),
                error: io::Error::other("down"),
            }],
            cancelled: vec![],
            children: 1,
        };
        assert_eq!(err.to_string(), "1 of 1 child failed");
        let first = err.source().unwrap_or_else(|| unreachable!());
        assert_eq!(first.to_string(), "child #0 failed");
        assert_eq!(
            first.source().map(ToString::to_string).as_deref(),
            Some("down")
        );
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::Other);
    }
}
