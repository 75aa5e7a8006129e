//! Outputs in the order the futures finish: [`as_completed()`], with an optional overall
//! deadline.

mod deadline;

use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

pub use deadline::AsCompletedDeadline;

use crate::gather::debug_driver;
use crate::set::{Driver, Unordered};
use crate::timeout::Deadline;
use crate::{Progress, Timer};

/// Runs the futures of `inputs` concurrently in the current task and yields
/// `(index, output)` as each finishes, in completion order, like asyncio's `as_completed`.
///
/// Nothing is spawned; inputs are pulled lazily, and with [`limit(n)`](AsCompleted::limit)
/// at most `n` inputs are either running or finished but not yet yielded, so memory is O(n).
/// Each child has its own waker, and each poll of the stream polls the children woken since
/// the last, in slot order, up to the first that finishes: the next poll starts with the
/// woken children this one did not reach, before anything woken since. So an output is taken
/// from a child only when the stream yields it, and every woken child is polled before any
/// is polled twice. `index` is the input's position, so results can be matched to their
/// inputs. An overall deadline taken from a [`Timer`] is set with
/// [`deadline`](AsCompleted::deadline) or [`timeout`](AsCompleted::timeout); a hook that
/// sees each completion with [`progress`](AsCompleted::progress).
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
/// with [`gather(..).spawn_on(&rt)`](crate::gather::Gather::spawn_on)) so they progress on
/// their own. This is the failure of
/// `buffered` streams described in futures-rs#2387, which no in-task combinator can avoid.
///
/// # Cancellation
///
/// Dropping the stream drops every child still running and the inputs not pulled yet, before
/// `drop` returns. No finished output is lost with it: a child's output is taken only when
/// the stream yields it (a receiver racing for a message keeps it until then).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use futures_lite::StreamExt;
/// use wrangle_core::Runtime;
///
/// # fn demo<R: Runtime>(rt: &R) {
/// rt.block_on(async {
///     let call = |ms: u64| async move {
///         wrangle_core::sleep(rt, Duration::from_millis(ms)).await;
///         ms
///     };
///     let order: Vec<_> = wrangle_core::as_completed([call(30), call(10), call(20)])
///         .map(|(index, ms)| (index, ms))
///         .collect()
///         .await;
///     assert_eq!(order, [(1, 10), (2, 20), (0, 30)]);
/// });
/// # }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
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
        inputs: inputs.into_iter(),
        core: None,
        limit: usize::MAX,
        progress: None,
    }
}

/// Stream for the [`as_completed()`] function.
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<I, P = fn(Progress)>
where
    I: Iterator,
    I::Item: Future,
{
    inputs: I,
    core: Option<Unordered<I::Item>>,
    limit: usize,
    progress: Option<P>,
}

impl<I, P> AsCompleted<I, P>
where
    I: Iterator,
    I::Item: Future,
{
    /// At most `limit` inputs running or waiting to be yielded at once; by default there is
    /// no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use futures_lite::StreamExt;
    ///
    /// let n: usize = futures_lite::future::block_on(
    ///     wrangle_core::as_completed((0..10).map(|i| async move { i }))
    ///         .limit(NonZeroUsize::new(3).unwrap())
    ///         .count(),
    /// );
    /// assert_eq!(n, 10);
    /// ```
    pub fn limit(mut self, limit: NonZeroUsize) -> Self {
        self.limit = limit.get();
        self
    }

    /// Starts each input only once `limiter` admits it, as well as within the limit:
    /// concurrency and rate together. Call it before the first poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::StreamExt;
    /// use wrangle_core::rate::{Quota, RateLimiter};
    ///
    /// wrangle_sim::run(0, |rt| async move {
    ///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(4).unwrap());
    ///     let n = wrangle_core::as_completed((0..5).map(|i| async move { i }))
    ///         .rate(&limiter)
    ///         .count()
    ///         .await;
    ///     assert_eq!(n, 5);
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1)); // admitted 0.25 s apart
    /// });
    /// ```
    pub fn rate<T: crate::Timer>(
        self,
        limiter: &crate::rate::RateLimiter<T>,
    ) -> AsCompleted<crate::rate::Throttled<'_, I, T>, P> {
        AsCompleted {
            inputs: crate::rate::Throttled::new(self.inputs, limiter),
            core: None,
            limit: self.limit,
            progress: self.progress,
        }
    }

    /// Calls `hook` with the [`Progress`] each time an input completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::StreamExt;
    ///
    /// let mut last = None;
    /// futures_lite::future::block_on(
    ///     wrangle_core::as_completed((0..3).map(|i| async move { i }))
    ///         .progress(|p| last = Some(p.to_string()))
    ///         .for_each(drop),
    /// );
    /// assert_eq!(last.as_deref(), Some("3/3"));
    /// ```
    pub fn progress<Q: FnMut(Progress)>(self, hook: Q) -> AsCompleted<I, Q> {
        AsCompleted {
            inputs: self.inputs,
            core: self.core,
            limit: self.limit,
            progress: Some(hook),
        }
    }

    /// Gives up at `deadline` on `timer`'s clock: the stream then yields
    /// `Err(`[`Elapsed`](crate::timeout::Elapsed)`)` once, drops every child still running
    /// and every input not yet pulled, and ends. Items become `Result<(index, output),
    /// Elapsed>`.
    ///
    /// The children are polled before the deadline is checked, so an output that is ready
    /// when the stream is polled is yielded even if the deadline has just passed. The
    /// deadline is also checked against the clock, not only by the timer's wake-up (see
    /// [`timeout()`](crate::timeout())).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::StreamExt;
    /// use wrangle_core::{Runtime, Timer};
    ///
    /// # fn demo<R: Runtime>(rt: &R) {
    /// rt.block_on(async {
    ///     let call = |ms: u64| async move {
    ///         wrangle_core::sleep(rt, Duration::from_millis(ms)).await;
    ///         ms
    ///     };
    ///     let deadline = rt.now() + Duration::from_millis(50);
    ///     let items: Vec<_> = wrangle_core::as_completed([call(5), call(5_000)])
    ///         .deadline(rt, deadline)
    ///         .collect()
    ///         .await;
    ///     assert_eq!(items.len(), 2);
    ///     assert_eq!(items[0], Ok((0, 5)));
    ///     assert!(items[1].is_err());
    /// });
    /// # }
    /// # demo(&wrangle_core::doctest::ThreadPerTask);
    /// ```
    pub fn deadline<T: Timer>(self, timer: &T, deadline: Instant) -> AsCompletedDeadline<I, T, P> {
        AsCompletedDeadline::new(self, timer.clone(), Deadline::at(deadline))
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
    /// use wrangle_core::Runtime;
    ///
    /// # fn demo<R: Runtime>(rt: &R) {
    /// rt.block_on(async {
    ///     let never = std::future::pending::<()>();
    ///     let mut s =
    ///         std::pin::pin!(wrangle_core::as_completed([never]).timeout(rt, Duration::from_millis(5)));
    ///     assert!(s.next().await.unwrap().is_err());
    ///     assert!(s.next().await.is_none());
    /// });
    /// # }
    /// # demo(&wrangle_core::doctest::ThreadPerTask);
    /// ```
    pub fn timeout<T: Timer>(self, timer: &T, duration: Duration) -> AsCompletedDeadline<I, T, P> {
        AsCompletedDeadline::new(self, timer.clone(), Deadline::after(duration))
    }
}

impl<I, P> Unpin for AsCompleted<I, P>
where
    I: Iterator,
    I::Item: Future,
{
}

impl<I, P> Stream for AsCompleted<I, P>
where
    I: Iterator,
    I::Item: Future,
    P: FnMut(Progress),
{
    type Item = (usize, <I::Item as Future>::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let core = match &mut this.core {
            Some(core) => core,
            None => this.core.insert(Unordered::new(
                Driver::new(this.limit, this.inputs.size_hint()),
                this.limit,
            )),
        };
        let inputs = &mut this.inputs;
        core.poll_next(cx, &mut |_| Poll::Ready(inputs.next()), &mut this.progress)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.inputs.size_hint().1;
        match &self.core {
            Some(core) => core.size_hint(remaining),
            None => (0, remaining),
        }
    }
}

impl<I, P> fmt::Debug for AsCompleted<I, P>
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

#[cfg(test)]
mod tests {
    use futures_lite::StreamExt;
    use futures_lite::future::block_on;

    use super::*;
    use crate::yield_now;

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
        let nz = NonZeroUsize::new(5).unwrap_or(NonZeroUsize::MIN);
        let mut out: Vec<_> = block_on(
            as_completed((0..200).map(|i| yields(i % 6)))
                .limit(nz)
                .collect(),
        );
        assert_eq!(out.len(), 200);
        out.sort_unstable();
        for (k, (i, v)) in out.into_iter().enumerate() {
            assert_eq!((i, v), (k, k as u32 % 6));
        }
    }
}
