//! Running many futures at once in the current task, outputs in input order: [`gather()`],
//! [`try_gather()`], and the streaming form [`gather_stream()`]; or each as a spawned task,
//! for parallelism, with [`spawn_gather()`] and [`try_spawn_gather()`].
//!
//! # Configure, then run
//!
//! Each of these returns its future (or stream) at once, and its methods (`.limit(n)`,
//! `.progress(hook)`) configure it by value before it runs. The futures
//! are `!Unpin`, so once one has been polled (which needs it pinned) it can no longer be
//! moved into a configuration method: nothing can be configured after the first poll. They
//! are still plain futures, so `.await`, `rt.spawn(..)`, `select!` and `FuturesUnordered`
//! take them as they are; a stream is pinned with [`std::pin::pin!`] before `.next()`.

mod spawn;
mod stream;
mod try_gather;

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pub use spawn::{SpawnGather, TrySpawnGather, spawn_gather, try_spawn_gather};
pub use stream::{GatherStream, GatherStreamUnordered, gather_stream};
pub use try_gather::{TryGather, try_gather};

use crate::set::{Driver, Sink};
use crate::{IntoLimit, Progress};

/// Runs every future of `inputs` concurrently in the current task and returns their outputs
/// in input order, like asyncio's `gather`.
///
/// Nothing is spawned: the gather is a plain future that polls its children itself, so it
/// runs on any executor and the children may borrow from the caller and need not be `Send`.
/// Inputs are pulled lazily; with [`limit(n)`](Gather::limit) at most `n` of them are alive
/// at any instant — the next input is pulled only when a running one completes — and memory
/// for the running futures is O(n), however many inputs there are. Each child has a waker of
/// its own: a wake polls only that child, and every poll of the gather polls every child
/// woken since the last one, so no child is starved by its siblings and a poll costs
/// O(children woken), not O(children): the cost per item does not grow with the number of
/// inputs (a gather does have a fixed cost of a few allocations, felt per item only by very
/// small gathers). After a run of 128 woken children that all stayed `Pending`, or at the
/// 4th woken child that woke itself while polled — what a spent cooperative budget (tokio's)
/// looks like — a poll wakes its own task and returns, and
/// the next resumes where it stopped, so the runtime gets its turn instead of every child
/// being polled for nothing. A child that completes is dropped at once. An empty input completes at
/// the first poll with an empty `Vec`.
///
/// Concurrency here is not parallelism: the children run on the thread polling the gather,
/// and only while it is being polled. A caller that awaits something else in between (say,
/// `select`s over the gather and another future that stays busy) leaves every child waiting
/// for that time. Children that must make progress on their own, or use several cores,
/// belong in spawned tasks: [`spawn_gather()`] is the spawning form of this gather, with the
/// same outputs, order and limit.
///
/// The gather is configured by value before it runs ([`limit`](Gather::limit),
/// [`progress`](Gather::progress)); it is `!Unpin`, so nothing can be
/// configured once it has been polled (see the [module docs](mod@crate::gather#configure-then-run)).
///
/// # Collect-all (`return_exceptions=True`)
///
/// Over futures that return `Result`, `gather` is the collect-all form: it waits for every
/// input and returns every outcome, errors included, in input order (`Vec<Result<T, E>>`),
/// like asyncio's `gather(..., return_exceptions=True)`. To stop at the first error instead
/// and cancel the rest, use [`try_gather()`].
///
/// ```
/// # wrangle::sim::run(1, |_rt| async move {
/// let check_stock = |item: u32| async move {
///     if item == 1 { Err("no stock") } else { Ok(item * 10) }
/// };
/// let outcomes = wrangle::gather((0..3).map(check_stock)).await;
/// assert_eq!(outcomes, [Ok(0), Err("no stock"), Ok(20)]);
/// # });
/// ```
///
/// # Cancellation
///
/// Dropping the gather drops every child it is running, in place, before `drop` returns,
/// and the inputs not pulled yet with the iterator.
///
/// # Examples
///
/// Three calls at once; the outputs come back in argument order, not finish order:
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(1, |rt| async move {
///     let rt = &rt;
///     let call = |name: &'static str, ms: u64| async move {
///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
///         name
///     };
///     let names = wrangle::gather([call("user", 20), call("orders", 30), call("recs", 10)]).await;
///     assert_eq!(names, ["user", "orders", "recs"]);
///     assert_eq!(rt.elapsed(), Duration::from_millis(30));
/// });
/// ```
///
/// A thousand requests, at most 50 in flight, with a progress hook:
///
/// ```
/// # wrangle::sim::run(1, |_rt| async move {
/// let pages = wrangle::gather((0..1000).map(|i| async move { i * 2 }))
///     .limit(50)
///     .progress(|p| if p.done() % 250 == 0 { println!("{p}") })
///     .await;
/// assert_eq!(pages.len(), 1000);
/// assert_eq!(pages[999], 1998);
/// # });
/// ```
///
/// # Panics
///
/// When a child panics, every other child is dropped and the panic then continues out of
/// the gather's `poll`, to surface where the gather is awaited. So does a panic in the input
/// iterator or in the progress hook. Polling the gather again after it has completed
/// panics.
#[doc(alias = "join_all")]
#[doc(alias = "collect_all")]
#[doc(alias = "return_exceptions")]
#[doc(alias = "buffered")]
pub fn gather<I>(inputs: I) -> Gather<I::IntoIter>
where
    I: IntoIterator,
    I::Item: Future,
{
    Gather {
        inputs: inputs.into_iter(),
        driver: None,
        outputs: Vec::new(),
        limit: usize::MAX,
        progress: None,
        finished: false,
        _pinned: PhantomPinned,
    }
}

pin_project! {
    /// Future for the [`gather()`] function.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Gather<I, P = fn(Progress)>
    where
        I: Iterator,
        I::Item: Future,
    {
        inputs: I,
        // Made at the first poll, once the limit is known.
        driver: Option<Driver<I::Item>>,
        outputs: Vec<Option<<I::Item as Future>::Output>>,
        limit: usize,
        progress: Option<P>,
        finished: bool,
        // `!Unpin`: configured by value before the first poll, never after. No other field
        // is pinned: the children live in the set's own pinned slab.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<I, P> Gather<I, P>
where
    I: Iterator,
    I::Item: Future,
{
    /// Runs at most `limit` inputs at once; by default there is no limit.
    ///
    /// `limit` is a plain number (`.limit(8)`) or a [`NonZeroUsize`](std::num::NonZeroUsize)
    /// from configuration; see [`IntoLimit`].
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let out = wrangle::gather((0..5).map(|i| async move { i })).limit(2).await;
    /// assert_eq!(out, [0, 1, 2, 3, 4]);
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

    /// Calls `hook` with the [`Progress`] (done, total) each time an input completes, from
    /// inside the gather's `poll`: keep it short.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut last = None;
    /// wrangle::gather((0..4).map(|i| async move { i }))
    ///     .progress(|p| last = Some(p))
    ///     .await;
    /// assert_eq!(last.map(|p| (p.done(), p.total())), Some((4, Some(4))));
    /// # });
    /// ```
    pub fn progress<Q: FnMut(Progress)>(self, hook: Q) -> Gather<I, Q> {
        Gather {
            inputs: self.inputs,
            driver: self.driver,
            outputs: self.outputs,
            limit: self.limit,
            progress: Some(hook),
            finished: self.finished,
            _pinned: PhantomPinned,
        }
    }
}

/// Outputs written by input index.
struct VecSink<'a, T, P> {
    outputs: &'a mut Vec<Option<T>>,
    limit: usize,
    progress: &'a mut Option<P>,
}

impl<T, P: FnMut(Progress)> Sink<T> for VecSink<'_, T, P> {
    fn has_room(&self, in_flight: usize) -> bool {
        in_flight < self.limit
    }

    fn pulled(&mut self, _index: usize) {
        self.outputs.push(None);
    }

    fn put(&mut self, index: usize, value: T, progress: Progress) -> bool {
        self.outputs[index] = Some(value);
        if let Some(hook) = self.progress {
            hook(progress);
        }
        true
    }
}

impl<I, P> Future for Gather<I, P>
where
    I: Iterator,
    I::Item: Future,
    P: FnMut(Progress),
{
    type Output = Vec<<I::Item as Future>::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        assert!(!*this.finished, "`Gather` polled after completion");
        let limit = *this.limit;
        let driver = match this.driver {
            Some(driver) => driver,
            None => {
                let hint = this.inputs.size_hint();
                this.outputs.reserve(hint.0);
                this.driver.insert(Driver::new(limit, hint))
            }
        };
        let inputs = this.inputs;
        driver.pass(
            cx,
            &mut |_| Poll::Ready(inputs.next()),
            &mut VecSink {
                outputs: this.outputs,
                limit,
                progress: this.progress,
            },
        );
        if driver.is_done() {
            *this.finished = true;
            Poll::Ready(collect_outputs(std::mem::take(this.outputs)))
        } else {
            Poll::Pending
        }
    }
}

impl<I, P> fmt::Debug for Gather<I, P>
where
    I: Iterator,
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_driver(f.debug_struct("Gather"), self.driver.as_ref(), self.limit)
    }
}

/// The outputs, every one present, in one allocation.
pub(crate) fn collect_outputs<T>(outputs: Vec<Option<T>>) -> Vec<T> {
    let mut all = Vec::with_capacity(outputs.len());
    all.extend(outputs.into_iter().flatten());
    all
}

/// The fields every gather-like combinator shows in `Debug`.
pub(crate) fn debug_driver<F>(
    mut s: fmt::DebugStruct<'_, '_>,
    driver: Option<&Driver<F>>,
    limit: usize,
) -> fmt::Result {
    if limit != usize::MAX {
        s.field("limit", &limit);
    }
    match driver {
        Some(driver) => s
            .field("pulled", &driver.pulled())
            .field("in_flight", &driver.set.len())
            .field("progress", &driver.progress()),
        None => s.field("started", &false),
    };
    s.finish_non_exhaustive()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use futures_lite::future::block_on;

    use super::*;
    use wrangle_core::yield_now;

    #[test]
    fn smoke() {
        let out = block_on(gather((0..100u32).map(|i| async move {
            for _ in 0..i % 3 {
                yield_now().await;
            }
            i
        })));
        assert_eq!(out, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn empty() {
        let out = block_on(gather(Vec::<std::future::Ready<u8>>::new()));
        assert!(out.is_empty());
        let out = block_on(gather(Vec::<std::future::Ready<u8>>::new()).limit(3));
        assert!(out.is_empty());
    }

    #[test]
    #[should_panic(expected = "a concurrency limit must be at least 1")]
    fn zero_limit_panics_at_once() {
        drop(gather([std::future::ready(1)]).limit(0));
    }

    #[test]
    fn debug() {
        let g = gather([std::future::ready(1)]).limit(4);
        assert_eq!(format!("{g:?}"), "Gather { limit: 4, started: false, .. }");
    }

    #[test]
    fn limit_bounds_alive_and_pulls_lazily() {
        let alive = Rc::new(Cell::new(0usize));
        let peak = Rc::new(Cell::new(0usize));
        let pulled = Cell::new(0usize);
        let inputs = (0..50).map(|i| {
            pulled.set(pulled.get() + 1);
            let (alive, peak) = (alive.clone(), peak.clone());
            async move {
                alive.set(alive.get() + 1);
                peak.set(peak.get().max(alive.get()));
                for _ in 0..(i % 4) {
                    yield_now().await;
                }
                alive.set(alive.get() - 1);
                i
            }
        });
        let mut g = Box::pin(gather(inputs).limit(7));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(g.as_mut().poll(&mut cx).is_pending());
        assert!(
            pulled.get() <= 7 + 7,
            "pulled {} at the first poll",
            pulled.get()
        );
        let out = block_on(g);
        assert_eq!(out, (0..50).collect::<Vec<_>>());
        assert_eq!(peak.get(), 7);
    }

    #[test]
    fn one_parent_poll_per_round() {
        // Every child yields once: the whole batch takes exactly two polls of the gather
        // (a new input's first `Pending` does not count toward the run that stops a pass),
        // and each child is polled exactly twice.
        let polls = Cell::new(0);
        let child_polls = Cell::new(0);
        let child_polls = &child_polls;
        let child = || {
            let mut yielded = false;
            std::future::poll_fn(move |cx| {
                child_polls.set(child_polls.get() + 1);
                if std::mem::replace(&mut yielded, true) {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
        };
        let mut g = std::pin::pin!(gather((0..1000).map(|_| child())));
        block_on(std::future::poll_fn(|cx| {
            polls.set(polls.get() + 1);
            g.as_mut().poll(cx)
        }));
        assert_eq!(polls.get(), 2);
        assert_eq!(child_polls.get(), 2000);
    }

    #[test]
    #[should_panic(expected = "polled after completion")]
    fn poll_after_completion_panics() {
        let mut g = std::pin::pin!(gather([std::future::ready(1)]));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(g.as_mut().poll(&mut cx).is_ready());
        let _ = g.as_mut().poll(&mut cx);
    }

    #[test]
    fn borrowed_non_send_children() {
        let local = Rc::new(Cell::new(0));
        let data = [1, 2, 3];
        let out = block_on(gather(data.iter().map(|x| {
            let local = local.clone();
            async move {
                local.set(local.get() + x);
                *x * 2
            }
        })));
        assert_eq!(out, [2, 4, 6]);
        assert_eq!(local.get(), 6);
    }
}
