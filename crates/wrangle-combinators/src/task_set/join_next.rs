use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::FusedFuture;

use super::TaskSet;
use crate::JoinError;

/// Future for the [`TaskSet::join_next`] method.
///
/// Cancel safe: dropping it takes nothing out of the set.
///
/// # Examples
///
/// ```
/// use wrangle::task_set::JoinNext;
/// # wrangle::sim::run(1, |rt| async move {
/// let mut set = wrangle::TaskSet::new(&rt);
/// set.spawn(async { 1 });
/// let next: JoinNext<'_, _, i32> = set.join_next();
/// assert_eq!(next.await.unwrap().unwrap(), 1);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinNext<'a, S, T> {
    set: &'a mut TaskSet<S, T>,
    done: bool,
}

impl<'a, S, T> JoinNext<'a, S, T> {
    pub(super) fn new(set: &'a mut TaskSet<S, T>) -> Self {
        Self { set, done: false }
    }
}

impl<S, T> Future for JoinNext<'_, S, T> {
    type Output = Option<Result<T, JoinError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let polled = this.set.poll_join_next(cx);
        this.done = polled.is_ready();
        polled
    }
}

/// Terminated once it has returned an outcome, for `futures::select!`.
impl<S, T> FusedFuture for JoinNext<'_, S, T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<S, T> fmt::Debug for JoinNext<'_, S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinNext").field("set", &self.set).finish()
    }
}
