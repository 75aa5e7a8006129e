use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::TaskGroup;
use super::error::{ChildError, GroupError, into_outcomes, into_result};

/// Future for the [`TaskGroup::join`] method (and `.await` on a group).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct GroupJoin<S, T, E> {
    group: TaskGroup<S, T, E>,
    /// Children before this one have their outcome.
    next: usize,
    finished: bool,
}

impl<S, T, E> GroupJoin<S, T, E> {
    pub(super) fn new(group: TaskGroup<S, T, E>) -> Self {
        Self {
            group,
            next: 0,
            finished: false,
        }
    }

    /// The group being joined.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// group.spawn(async { Ok::<_, ()>(()) });
    /// let join = group.join();
    /// assert_eq!(join.get_ref().len(), 1);
    /// # });
    /// ```
    pub fn get_ref(&self) -> &TaskGroup<S, T, E> {
        &self.group
    }
}

// No field is pinned: the children are tasks, polled through their handles.
impl<S, T, E> Unpin for GroupJoin<S, T, E> {}

impl<S, T, E> Future for GroupJoin<S, T, E> {
    type Output = Result<Vec<T>, GroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.finished, "`GroupJoin` polled after completion");
        std::task::ready!(this.group.poll_children(&mut this.next, cx));
        this.finished = true;
        Poll::Ready(into_result(this.group.take_records()))
    }
}

impl<S, T, E> fmt::Debug for GroupJoin<S, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupJoin")
            .field("group", &self.group)
            .field("joined", &self.next)
            .finish()
    }
}

/// Future for the [`TaskGroup::join_outcomes`] method.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct GroupJoinOutcomes<S, T, E> {
    group: TaskGroup<S, T, E>,
    next: usize,
    finished: bool,
}

impl<S, T, E> GroupJoinOutcomes<S, T, E> {
    pub(super) fn new(group: TaskGroup<S, T, E>) -> Self {
        Self {
            group,
            next: 0,
            finished: false,
        }
    }

    /// The group being joined.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let group = wrangle::group::TaskGroup::<_, (), ()>::collect_all(&rt);
    /// assert!(group.join_outcomes().get_ref().is_empty());
    /// # });
    /// ```
    pub fn get_ref(&self) -> &TaskGroup<S, T, E> {
        &self.group
    }
}

impl<S, T, E> Unpin for GroupJoinOutcomes<S, T, E> {}

impl<S, T, E> Future for GroupJoinOutcomes<S, T, E> {
    type Output = Vec<Result<T, ChildError<E>>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.finished,
            "`GroupJoinOutcomes` polled after completion"
        );
        std::task::ready!(this.group.poll_children(&mut this.next, cx));
        this.finished = true;
        Poll::Ready(into_outcomes(
            this.group.take_records().map(|(_, record)| record),
        ))
    }
}

impl<S, T, E> fmt::Debug for GroupJoinOutcomes<S, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupJoinOutcomes")
            .field("group", &self.group)
            .field("joined", &self.next)
            .finish()
    }
}
