//! Outputs in the order the futures finish: [`as_completed()`], with an optional overall
//! deadline.

mod deadline;

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;
use pin_project_lite::pin_project;

pub use deadline::{NoDeadline, WithDeadline};

use crate::gather::debug_driver;
use crate::set::{Driver, Unordered};
use crate::timeout::{Deadline, Elapsed};
use crate::{IntoLimit, Progress, Timer};

/// Runs the futures of `inputs` concurrently in the current task and yields
/// `(index, output)` as each finishes, in completion order, like asyncio's `as_completed`.
///
/// Nothing is spawned; inputs are pulled lazily, and with [`limit(n)`](AsCompleted::limit)
/// at most `n` inputs are either running or finished but not yet yielded, so memory is O(n).
/// Each child has its own waker, and each poll of the stream polls the children woken since
/// the last, in slot order, up to the first that finishes: the next poll starts with the
/// woken children this one did not reach, before anything woken since. So an output is taken
/// from a child only when the stream yields it, and every woken child is polled before any
/// is polled twice. A poll also hands the thread back after a run of 128 woken children
/// that all stayed `Pending`, or at the 4th woken child that woke itself while polled (it
/// wakes its own task and returns `Pending`; the next poll resumes there): that is what a
/// runtime's cooperative budget looks like — tokio's resources refuse to run once a task has
/// spent its budget — and polling the rest would only repeat the refusal for every child,
/// each turn. `index` is the input's position, so results can be matched to their
/// inputs. An overall deadline taken from a [`Timer`] is set with
/// [`deadline`](AsCompleted::deadline) or [`timeout`](AsCompleted::timeout); a hook that
/// sees each completion with [`progress`](AsCompleted::progress).
///
/// The stream is configured by value before it runs and is `!Unpin`: pin it with
/// [`std::pin::pin!`] before calling `.next()`, after which nothing can be configured.
///
/// # Starvation
///
/// The children run only while the stream is being polled. A loop that awaits other work
/// between two items —
///
/// ```
/// # use futures_lite::{Stream, StreamExt};
/// # async fn store(_: u32) {}
/// # async fn demo(mut results: impl Stream<Item = (usize, u32)> + Unpin) {
/// while let Some((i, page)) = results.next().await {
///     store(page).await; // every child waits while this runs
/// }
/// # }
/// ```
///
/// — stalls every child for as long as that work takes: their timers still fire and their
/// sockets still fill, but nothing reads them, and a deadline *inside* a child can pass for
/// lack of polling. Keep the work between items short, gather it with the stream (handle each
/// output inside the child's own future instead), or spawn the children (with
/// [`Spawn::spawn`](crate::Spawn::spawn), passing the [`Task`](crate::Task) handles here, or
/// with [`spawn_gather()`](crate::gather::spawn_gather())) so they progress on their own.
/// This is the failure of `buffered` streams described in futures-rs#2387, which no in-task
/// combinator can avoid.
///
/// # Cancellation
///
/// Dropping the stream drops every child still running and the inputs not pulled yet, before
/// `drop` returns. No finished output is lost with it: a child's output is taken only when
/// the stream yields it (a receiver racing for a message keeps it until then).
///
/// # Examples
///
/// `next` is a `StreamExt` method: add `futures-lite` (or use `futures::StreamExt`).
///
/// ```
/// use std::time::Duration;
/// use futures_lite::StreamExt;
///
/// wrangle::sim::run(1, |rt| async move {
///     let rt = &rt;
///     let call = |ms: u64| async move {
///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
///         ms
///     };
///     let mut done = std::pin::pin!(wrangle::as_completed([call(30), call(10), call(20)]));
///     let mut order = Vec::new();
///     while let Some((index, ms)) = done.next().await {
///         order.push((index, ms));
///     }
///     assert_eq!(order, [(1, 10), (2, 20), (0, 30)]);
/// });
/// ```
///
/// # Panics
///
/// A child's panic surfaces from `poll_next` after every other child has been dropped.
pub fn as_completed<I>(inputs: I) -> AsCompleted<I::IntoIter>
where
    I: IntoIterator,
    I::Item: Future,
{
    AsCompleted {
        inputs: Some(inputs.into_iter()),
        core: None,
        limit: usize::MAX,
        progress: None,
        deadline: NoDeadline,
        _pinned: PhantomPinned,
    }
}

pin_project! {
    /// Stream for the [`as_completed()`] function.
    ///
    /// `D` is [`NoDeadline`] until [`timeout`](AsCompleted::timeout) or
    /// [`deadline`](AsCompleted::deadline) makes it [`WithDeadline`]: the items are then
    /// `Result<(index, output), Elapsed>`.
    #[must_use = "streams do nothing unless polled"]
    pub struct AsCompleted<I, P = fn(Progress), D = NoDeadline>
    where
        I: Iterator,
        I::Item: Future,
    {
        // `None` once a deadline has ended the stream: the leftovers are dropped then.
        inputs: Option<I>,
        core: Option<Unordered<I::Item>>,
        limit: usize,
        progress: Option<P>,
        #[pin]
        deadline: D,
        // `!Unpin`: configured before the first poll, never after.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<I, P, D> AsCompleted<I, P, D>
where
    I: Iterator,
    I::Item: Future,
{
    /// At most `limit` inputs running or waiting to be yielded at once; by default there is
    /// no limit.
    ///
    /// `limit` is a plain number or a [`NonZeroUsize`](std::num::NonZeroUsize); see
    /// [`IntoLimit`].
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::StreamExt;
    ///
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let n = wrangle::as_completed((0..10).map(|i| async move { i }))
    ///     .limit(3)
    ///     .count()
    ///     .await;
    /// assert_eq!(n, 10);
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// At once, on a plain `0`: "a concurrency limit must be at least 1".
    #[track_caller]
    pub fn limit(mut self, limit: impl IntoLimit) -> Self {
        self.limit = limit.into_limit().get();
        self
    }

    /// Calls `hook` with the [`Progress`] each time an input completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::StreamExt;
    ///
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut last = None;
    /// wrangle::as_completed((0..3).map(|i| async move { i }))
    ///     .progress(|p| last = Some(p.to_string()))
    ///     .for_each(drop)
    ///     .await;
    /// assert_eq!(last.as_deref(), Some("3/3"));
    /// # });
    /// ```
    pub fn progress<Q: FnMut(Progress)>(self, hook: Q) -> AsCompleted<I, Q, D> {
        AsCompleted {
            inputs: self.inputs,
            core: self.core,
            limit: self.limit,
            progress: Some(hook),
            deadline: self.deadline,
            _pinned: PhantomPinned,
        }
    }
}

impl<I, P> AsCompleted<I, P, NoDeadline>
where
    I: Iterator,
    I::Item: Future,
{
    /// Gives up at `deadline` on `timer`'s clock: the stream then yields
    /// `Err(`[`Elapsed`]`)` once, drops every child still running
    /// and every input not yet pulled, and ends. Items become `Result<(index, output),
    /// Elapsed>`.
    ///
    /// `timer` is taken by value: `&rt` borrows the runtime, `rt.clone()` gives a stream that
    /// owns its handle. The children are polled before the deadline is checked, so an output
    /// that is ready when the stream is polled is yielded even if the deadline has just
    /// passed. The deadline is also checked against the clock, not only by the timer's
    /// wake-up (see [`timeout()`](crate::timeout())).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::StreamExt;
    /// use wrangle::Timer;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let rt = &rt;
    ///     let call = |ms: u64| async move {
    ///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
    ///         ms
    ///     };
    ///     let deadline = rt.now() + Duration::from_millis(50);
    ///     let items: Vec<_> = wrangle::as_completed([call(5), call(5_000)])
    ///         .deadline(rt, deadline)
    ///         .collect()
    ///         .await;
    ///     assert_eq!(items.len(), 2);
    ///     assert_eq!(items[0], Ok((0, 5)));
    ///     assert!(items[1].is_err());
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(50));
    /// });
    /// ```
    pub fn deadline<T: Timer>(
        self,
        timer: T,
        deadline: Instant,
    ) -> AsCompleted<I, P, WithDeadline<T>> {
        self.with_deadline(WithDeadline::new(timer, Deadline::at(deadline)))
    }

    /// Gives up `duration` after the stream is first polled; otherwise as
    /// [`deadline`](AsCompleted::deadline). A duration too large for the clock means no
    /// deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::StreamExt;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let never = std::future::pending::<()>();
    ///     let mut s = std::pin::pin!(
    ///         wrangle::as_completed([never]).timeout(&rt, Duration::from_millis(5))
    ///     );
    ///     assert!(s.next().await.unwrap().is_err());
    ///     assert!(s.next().await.is_none());
    /// });
    /// ```
    pub fn timeout<T: Timer>(
        self,
        timer: T,
        duration: Duration,
    ) -> AsCompleted<I, P, WithDeadline<T>> {
        self.with_deadline(WithDeadline::new(timer, Deadline::after(duration)))
    }

    fn with_deadline<T: Timer>(
        self,
        deadline: WithDeadline<T>,
    ) -> AsCompleted<I, P, WithDeadline<T>> {
        AsCompleted {
            inputs: self.inputs,
            core: self.core,
            limit: self.limit,
            progress: self.progress,
            deadline,
            _pinned: PhantomPinned,
        }
    }
}

/// One poll of the stream without its deadline: the next `(index, output)`, if any.
fn poll_items<I, P>(
    inputs: &mut Option<I>,
    core: &mut Option<Unordered<I::Item>>,
    limit: usize,
    progress: &mut Option<P>,
    cx: &mut Context<'_>,
) -> Poll<Option<(usize, <I::Item as Future>::Output)>>
where
    I: Iterator,
    I::Item: Future,
    P: FnMut(Progress),
{
    let Some(inputs) = inputs else {
        return Poll::Ready(None);
    };
    let core = match core {
        Some(core) => core,
        None => core.insert(Unordered::new(
            Driver::new(limit, inputs.size_hint()),
            limit,
        )),
    };
    core.poll_next(cx, &mut |_| Poll::Ready(inputs.next()), progress)
}

/// What is left: `(lower, upper)` for the items still to come, before a deadline.
fn items_left<I, F>(inputs: &Option<I>, core: &Option<Unordered<F>>) -> (usize, Option<usize>)
where
    I: Iterator,
    F: Future,
{
    let Some(inputs) = inputs else {
        return (0, Some(0));
    };
    let remaining = inputs.size_hint().1;
    match core {
        Some(core) => core.size_hint(remaining),
        None => (0, remaining),
    }
}

impl<I, P> Stream for AsCompleted<I, P, NoDeadline>
where
    I: Iterator,
    I::Item: Future,
    P: FnMut(Progress),
{
    type Item = (usize, <I::Item as Future>::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        poll_items(this.inputs, this.core, *this.limit, this.progress, cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        items_left(&self.inputs, &self.core)
    }
}

impl<I, P, T> Stream for AsCompleted<I, P, WithDeadline<T>>
where
    I: Iterator,
    I::Item: Future,
    P: FnMut(Progress),
    T: Timer,
{
    type Item = Result<(usize, <I::Item as Future>::Output), Elapsed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if this.inputs.is_none() {
            return Poll::Ready(None);
        }
        match poll_items(this.inputs, this.core, *this.limit, this.progress, cx) {
            Poll::Ready(Some(item)) => return Poll::Ready(Some(Ok(item))),
            Poll::Ready(None) => {
                *this.inputs = None;
                *this.core = None;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if this.deadline.poll_elapsed(cx) {
            // Drop the leftovers before the caller sees the error.
            *this.core = None;
            *this.inputs = None;
            return Poll::Ready(Some(Err(Elapsed::new())));
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match items_left(&self.inputs, &self.core) {
            (_, Some(0)) if self.inputs.is_none() => (0, Some(0)),
            // One more: the `Elapsed`.
            (lower, upper) => (lower, upper.and_then(|u| u.checked_add(1))),
        }
    }
}

impl<I, P> fmt::Debug for AsCompleted<I, P, NoDeadline>
where
    I: Iterator,
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_driver(
            f.debug_struct("AsCompleted"),
            self.core.as_ref().map(|c| &c.driver),
            self.limit,
        )
    }
}

impl<I, P, T> fmt::Debug for AsCompleted<I, P, WithDeadline<T>>
where
    I: Iterator,
    I::Item: Future,
    T: Timer,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("AsCompleted");
        s.field("deadline", &self.deadline);
        if self.inputs.is_none() {
            s.field("ended", &true);
        }
        debug_driver(s, self.core.as_ref().map(|c| &c.driver), self.limit)
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::StreamExt;
    use futures_lite::future::block_on;

    use super::*;
    use wrangle_core::yield_now;

    async fn yields(n: u32) -> u32 {
        for _ in 0..n {
            yield_now().await;
        }
        n
    }

    #[test]
    fn smoke() {
        let out: Vec<_> = block_on(as_completed([yields(3), yields(1), yields(2)]).collect());
        assert_eq!(out, [(1, 1), (2, 2), (0, 3)]);
    }

    #[test]
    fn empty() {
        let out: Vec<(usize, u32)> =
            block_on(as_completed(Vec::<std::future::Ready<u32>>::new()).collect());
        assert!(out.is_empty());
    }

    #[test]
    fn debug() {
        let s = as_completed([yields(1)]);
        assert_eq!(format!("{s:?}"), "AsCompleted { started: false, .. }");
    }

    #[test]
    fn limit_and_every_input_once() {
        let mut out: Vec<_> = block_on(
            as_completed((0..200).map(|i| yields(i % 6)))
                .limit(5)
                .collect(),
        );
        assert_eq!(out.len(), 200);
        out.sort_unstable();
        for (k, (i, v)) in out.into_iter().enumerate() {
            assert_eq!((i, v), (k, k as u32 % 6));
        }
    }
}
