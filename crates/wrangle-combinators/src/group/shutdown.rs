use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::TaskGroup;
use super::error::{ChildError, ChildInfo, into_outcomes};
use crate::Timer;
use crate::time::Sleep;

/// What a graceful shutdown found: every child's outcome in spawn order, and which children
/// did not finish within the grace period (they were cancelled after it).
///
/// Returned by [`TaskGroup::shutdown`] and [`LocalTaskGroup::shutdown`].
///
/// [`LocalTaskGroup::shutdown`]: crate::group::LocalTaskGroup::shutdown
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = wrangle::group::TaskGroup::new(&rt);
/// group.spawn_named("stuck", std::future::pending::<Result<(), ()>>());
/// let report = group.shutdown(&rt, Duration::ZERO).await;
/// assert!(!report.is_clean());
/// assert_eq!(report.unfinished()[0].to_string(), "child #0 \"stuck\"");
/// assert!(report.into_outcomes()[0].as_ref().unwrap_err().is_cancelled());
/// # });
/// ```
#[derive(Debug)]
pub struct ShutdownReport<T, E> {
    outcomes: Vec<Result<T, ChildError<E>>>,
    unfinished: Vec<ChildInfo>,
}

impl<T, E> ShutdownReport<T, E> {
    pub(crate) fn new(outcomes: Vec<Result<T, ChildError<E>>>, unfinished: Vec<ChildInfo>) -> Self {
        Self {
            outcomes,
            unfinished,
        }
    }

    /// Every child's outcome, in spawn order; the unfinished ones are
    /// [`ChildError::Cancelled`] (unless one finished between the end of the grace and its
    /// cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = wrangle::group::TaskGroup::new(&rt);
    /// # group.spawn(async { Ok::<_, ()>(5) });
    /// let report = group.shutdown(&rt, std::time::Duration::from_secs(1)).await;
    /// assert!(matches!(report.outcomes()[..], [Ok(5)]));
    /// # });
    /// ```
    pub fn outcomes(&self) -> &[Result<T, ChildError<E>>] {
        &self.outcomes
    }

    /// Every child's outcome, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let mut group = wrangle::group::TaskGroup::new(&rt);
    /// # group.spawn(async { Ok::<_, ()>(5) });
    /// let report = group.shutdown(&rt, std::time::Duration::ZERO).await;
    /// assert_eq!(report.into_outcomes().len(), 1);
    /// # });
    /// ```
    pub fn into_outcomes(self) -> Vec<Result<T, ChildError<E>>> {
        self.outcomes
    }

    /// The children still running when the grace period ran out, in spawn order.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
    /// let report = group.shutdown(&rt, std::time::Duration::ZERO).await;
    /// assert!(report.unfinished().is_empty());
    /// # });
    /// ```
    pub fn unfinished(&self) -> &[ChildInfo] {
        &self.unfinished
    }

    /// Whether every child finished within the grace period.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// # let group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
    /// assert!(group.shutdown(&rt, std::time::Duration::ZERO).await.is_clean());
    /// # });
    /// ```
    pub fn is_clean(&self) -> bool {
        self.unfinished.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not polled yet.
    Start,
    /// The token is cancelled; waiting for the children or the end of the grace.
    Grace,
    /// The grace ran out; the stragglers are being dropped.
    Killing,
    Done,
}

pin_project! {
    /// Future for the [`TaskGroup::shutdown`] method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct GroupShutdown<S, T, E, Tm: Timer> {
        group: TaskGroup<S, T, E>,
        next: usize,
        timer: Tm,
        grace: Duration,
        #[pin]
        sleep: Option<Sleep<Tm>>,
        phase: Phase,
        unfinished: Vec<ChildInfo>,
    }
}

impl<S, T, E, Tm: Timer> GroupShutdown<S, T, E, Tm> {
    pub(super) fn new(group: TaskGroup<S, T, E>, timer: Tm, grace: Duration) -> Self {
        Self {
            group,
            next: 0,
            timer,
            grace,
            sleep: None,
            phase: Phase::Start,
            unfinished: Vec::new(),
        }
    }
}

impl<S, T, E, Tm: Timer> Future for GroupShutdown<S, T, E, Tm> {
    type Output = ShutdownReport<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match *this.phase {
                Phase::Start => {
                    this.group.token.cancel();
                    this.sleep
                        .set(Some(crate::sleep(&*this.timer, *this.grace)));
                    *this.phase = Phase::Grace;
                }
                Phase::Grace => {
                    if this.group.poll_children(this.next, cx).is_ready() {
                        break;
                    }
                    let grace_over = this
                        .sleep
                        .as_mut()
                        .as_pin_mut()
                        .is_none_or(|sleep| sleep.poll(cx).is_ready());
                    if !grace_over {
                        return Poll::Pending;
                    }
                    *this.unfinished = this.group.unfinished(*this.next);
                    this.group.shared.cancel();
                    this.sleep.set(None);
                    *this.phase = Phase::Killing;
                }
                Phase::Killing => {
                    std::task::ready!(this.group.poll_children(this.next, cx));
                    break;
                }
                Phase::Done => panic!("`GroupShutdown` polled after completion"),
            }
        }
        *this.phase = Phase::Done;
        let outcomes = into_outcomes(this.group.take_records().map(|(_, record)| record));
        Poll::Ready(ShutdownReport::new(
            outcomes,
            std::mem::take(this.unfinished),
        ))
    }
}

impl<S, T, E, Tm: Timer> fmt::Debug for GroupShutdown<S, T, E, Tm> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupShutdown")
            .field("group", &self.group)
            .field("grace", &self.grace)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}
