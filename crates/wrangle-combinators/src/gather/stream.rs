use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;

use super::debug_driver;
use crate::set::{Driver, Sink, Unordered};
use crate::{IntoLimit, Progress};

/// The streaming form of [`gather()`](crate::gather()): runs the futures that `inputs` yields,
/// concurrently in the current task, and yields their outputs in input order as they
/// become available — for sources too large to hold, or that never end.
///
/// With [`limit(n)`](GatherStream::limit) at most `n` inputs are between being pulled and
/// being yielded: an output that is ready early waits, holding its place, until the outputs
/// before it have been yielded (as `buffered(n)` does). Memory is O(n) whatever the number
/// of items. [`unordered()`](GatherStream::unordered) yields `(index, output)` in completion
/// order instead, so a slow item does not hold up the others. By default there is no limit:
/// every input the source has ready is pulled at once.
///
/// Each child has its own waker and each poll of the stream polls every child woken since,
/// as for `gather`. Children move only while the stream is polled: a consumer that awaits
/// something slow between two items stalls every child for that time — see
/// [`as_completed()`](crate::as_completed()#starvation) for the hazard and what to do.
///
/// # Cancellation
///
/// Dropping the stream drops every child in flight, every output not yet yielded, and the
/// source, before `drop` returns.
///
/// The stream is configured by value before it runs ([`limit`](GatherStream::limit),
/// [`unordered`](GatherStream::unordered)) and is `!Unpin`: pin it with [`std::pin::pin!`]
/// before calling `.next()`, after which nothing can be configured.
///
/// # Examples
///
/// Ten thousand items from an async source, at most 100 in flight (`next` and `map` are
/// `StreamExt` methods: add `futures-lite`, or use `futures::StreamExt`):
///
/// ```
/// use futures_lite::StreamExt;
///
/// # wrangle::sim::run(1, |_rt| async move {
/// let source = futures_lite::stream::iter(0..10_000u64).map(|i| async move {
///     wrangle::yield_now().await;
///     i * i
/// });
/// let mut outputs = std::pin::pin!(wrangle::gather_stream(source).limit(100));
/// let mut expected = 0;
/// while let Some(square) = outputs.next().await {
///     assert_eq!(square, expected * expected);
///     expected += 1;
/// }
/// assert_eq!(expected, 10_000);
/// # });
/// ```
///
/// # Panics
///
/// A child's panic surfaces from `poll_next` after every other child has been dropped.
pub fn gather_stream<S>(inputs: S) -> GatherStream<S>
where
    S: Stream,
    S::Item: Future,
{
    GatherStream {
        inputs,
        driver: None,
        window: VecDeque::new(),
        head: 0,
        limit: usize::MAX,
        _pinned: PhantomPinned,
    }
}

pin_project! {
    /// Stream for the [`gather_stream()`] function.
    #[must_use = "streams do nothing unless polled"]
    pub struct GatherStream<S>
    where
        S: Stream,
        S::Item: Future,
    {
        #[pin]
        inputs: S,
        driver: Option<Driver<S::Item>>,
        // Outputs from index `head` on, `None` while still running.
        window: VecDeque<Option<<S::Item as Future>::Output>>,
        head: usize,
        limit: usize,
        // `!Unpin`: configured before the first poll, never after.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<S> GatherStream<S>
where
    S: Stream,
    S::Item: Future,
{
    /// At most `limit` inputs between being pulled and being yielded; by default there is
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
    /// let source = futures_lite::stream::iter((0..4).map(|i| async move { i }));
    /// let out: Vec<_> = wrangle::gather_stream(source).limit(1).collect().await;
    /// assert_eq!(out, [0, 1, 2, 3]);
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

    /// Yields `(index, output)` in completion order rather than in input order: the same
    /// gather in its unordered mode (a limit set before carries over).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::StreamExt;
    ///
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let source = futures_lite::stream::iter((0..3u32).map(|i| async move {
    ///     for _ in 0..(3 - i) {
    ///         wrangle::yield_now().await;
    ///     }
    ///     i
    /// }));
    /// let out: Vec<_> = wrangle::gather_stream(source).unordered().collect().await;
    /// assert_eq!(out, [(2, 2), (1, 1), (0, 0)]);
    /// # });
    /// ```
    pub fn unordered(self) -> GatherStreamUnordered<S> {
        GatherStreamUnordered {
            inputs: self.inputs,
            core: None,
            limit: self.limit,
            _pinned: PhantomPinned,
        }
    }
}

struct WindowSink<'a, T> {
    window: &'a mut VecDeque<Option<T>>,
    head: usize,
    limit: usize,
}

impl<T> Sink<T> for WindowSink<'_, T> {
    fn has_room(&self, _in_flight: usize) -> bool {
        self.window.len() < self.limit
    }

    fn pulled(&mut self, _index: usize) {
        self.window.push_back(None);
    }

    fn put(&mut self, index: usize, value: T, _progress: Progress) -> bool {
        self.window[index - self.head] = Some(value);
        true
    }
}

impl<S> Stream for GatherStream<S>
where
    S: Stream,
    S::Item: Future,
{
    type Item = <S::Item as Future>::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        let driver = match this.driver {
            Some(driver) => driver,
            None => this
                .driver
                .insert(Driver::new(*this.limit, this.inputs.size_hint())),
        };
        let inputs = &mut this.inputs;
        let mut pull = |cx: &mut Context<'_>| inputs.as_mut().poll_next(cx);
        // As `Unordered::poll_next`: register the waker only when about to return `Pending`.
        for registered in [false, true] {
            let mut sink = WindowSink {
                window: this.window,
                head: *this.head,
                limit: *this.limit,
            };
            if registered {
                driver.pass(cx, &mut pull, &mut sink);
            } else {
                driver.pass_unregistered(cx, &mut pull, &mut sink);
            }
            if let Some(Some(_)) = this.window.front() {
                *this.head += 1;
                return Poll::Ready(this.window.pop_front().flatten());
            }
            if driver.is_done() && this.window.is_empty() {
                return Poll::Ready(None);
            }
            if driver.yielded() {
                // The pass spent its budget and woke the task: no second pass.
                driver.set.register(cx.waker());
                return Poll::Pending;
            }
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let ready = self.window.iter().take_while(|o| o.is_some()).count();
        let (_, upper) = self.inputs.size_hint();
        let exhausted = self.driver.as_ref().is_some_and(Driver::is_done);
        let upper = if exhausted {
            Some(self.window.len())
        } else {
            upper.and_then(|u| u.checked_add(self.window.len()))
        };
        (ready, upper)
    }
}

impl<S> fmt::Debug for GatherStream<S>
where
    S: Stream,
    S::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_driver(
            f.debug_struct("GatherStream"),
            self.driver.as_ref(),
            self.limit,
        )
    }
}

pin_project! {
    /// Stream for the [`GatherStream::unordered`] method.
    #[must_use = "streams do nothing unless polled"]
    pub struct GatherStreamUnordered<S>
    where
        S: Stream,
        S::Item: Future,
    {
        #[pin]
        inputs: S,
        core: Option<Unordered<S::Item>>,
        limit: usize,
        // `!Unpin`: configured before the first poll, never after.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<S> GatherStreamUnordered<S>
where
    S: Stream,
    S::Item: Future,
{
    /// At most `limit` inputs between being pulled and being yielded, as
    /// [`GatherStream::limit`]; either may be called, before or after
    /// [`unordered`](GatherStream::unordered).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::StreamExt;
    ///
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let source = futures_lite::stream::iter((0..4u32).map(|i| async move { i }));
    /// let out: Vec<_> = wrangle::gather_stream(source).unordered().limit(2).collect().await;
    /// assert_eq!(out.len(), 4);
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
}

impl<S> Stream for GatherStreamUnordered<S>
where
    S: Stream,
    S::Item: Future,
{
    type Item = (usize, <S::Item as Future>::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        let core = match this.core {
            Some(core) => core,
            None => this.core.insert(Unordered::new(
                Driver::new(*this.limit, this.inputs.size_hint()),
                *this.limit,
            )),
        };
        let inputs = &mut this.inputs;
        core.poll_next(
            cx,
            &mut |cx| inputs.as_mut().poll_next(cx),
            &mut None::<fn(Progress)>,
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.inputs.size_hint().1;
        match &self.core {
            Some(core) => core.size_hint(remaining),
            None => (0, remaining),
        }
    }
}

impl<S> fmt::Debug for GatherStreamUnordered<S>
where
    S: Stream,
    S::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_driver(
            f.debug_struct("GatherStreamUnordered"),
            self.core.as_ref().map(|c| &c.driver),
            self.limit,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use futures_lite::StreamExt;
    use futures_lite::future::block_on;

    use super::*;
    use wrangle_core::yield_now;

    #[test]
    fn smoke() {
        let source = futures_lite::stream::iter(0..500u32).map(|i| async move {
            for _ in 0..(7 - i % 7) {
                yield_now().await;
            }
            i
        });
        let out: Vec<_> = block_on(gather_stream(source).limit(16).collect());
        assert_eq!(out, (0..500).collect::<Vec<_>>());
    }

    #[test]
    fn empty() {
        let source = futures_lite::stream::empty::<std::future::Ready<u8>>();
        assert_eq!(block_on(gather_stream(source).collect::<Vec<_>>()), []);
        let source = futures_lite::stream::empty::<std::future::Ready<u8>>();
        assert_eq!(
            block_on(gather_stream(source).unordered().collect::<Vec<_>>()),
            []
        );
    }

    #[test]
    fn debug() {
        let source = futures_lite::stream::empty::<std::future::Ready<u8>>();
        let s = gather_stream(source).limit(2);
        assert_eq!(
            format!("{s:?}"),
            "GatherStream { limit: 2, started: false, .. }"
        );
        assert_eq!(
            format!("{:?}", s.unordered()),
            "GatherStreamUnordered { limit: 2, started: false, .. }"
        );
    }

    #[test]
    fn window_bounds_pulled_but_unyielded() {
        let alive = Rc::new(Cell::new(0usize));
        let peak = Rc::new(Cell::new(0usize));
        let pulled = Rc::new(Cell::new(0usize));
        let yielded = Rc::new(Cell::new(0usize));
        let max_gap = Rc::new(Cell::new(0usize));
        let source = {
            let (alive, peak, pulled, yielded, max_gap) = (
                alive.clone(),
                peak.clone(),
                pulled.clone(),
                yielded.clone(),
                max_gap.clone(),
            );
            futures_lite::stream::iter(0..300u32).map(move |i| {
                pulled.set(pulled.get() + 1);
                max_gap.set(max_gap.get().max(pulled.get() - yielded.get()));
                let (alive, peak) = (alive.clone(), peak.clone());
                async move {
                    alive.set(alive.get() + 1);
                    peak.set(peak.get().max(alive.get()));
                    for _ in 0..(i * 7 % 5) {
                        yield_now().await;
                    }
                    alive.set(alive.get() - 1);
                    i
                }
            })
        };
        let mut s = std::pin::pin!(gather_stream(source).limit(8));
        block_on(async {
            let mut next = 0;
            while let Some(v) = s.next().await {
                assert_eq!(v, next);
                next += 1;
                yielded.set(yielded.get() + 1);
            }
            assert_eq!(next, 300);
        });
        assert!(peak.get() <= 8);
        assert!(max_gap.get() <= 8, "{} pulled ahead", max_gap.get());
    }

    #[test]
    fn unordered_limit_counts_queued_outputs() {
        let source = futures_lite::stream::iter(0..100u32).map(|i| async move { i });
        let mut s = Box::pin(gather_stream(source).limit(4).unordered());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let first = s.as_mut().poll_next(&mut cx);
        assert_eq!(first, Poll::Ready(Some((0, 0))));
        // The pass stopped at its first output: nothing else was pulled or queued.
        assert_eq!(s.size_hint(), (0, Some(99)));
        let rest: Vec<_> = block_on(s.collect());
        assert_eq!(rest.len(), 99);
    }
}
