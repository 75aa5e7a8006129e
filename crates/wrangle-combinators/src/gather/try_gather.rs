use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::TryFuture;
use pin_project_lite::pin_project;

use super::debug_driver;
use crate::set::{Driver, Sink};
use crate::{IntoLimit, Progress};

/// Like [`gather()`](crate::gather()) over futures that return `Result`, but fail-fast: the
/// first error *in time* is returned, and every other future has been dropped by then.
///
/// On success the values come back in input order. As soon as a child returns `Err`, every
/// child still running is dropped, in place, no further input is pulled, and the error is
/// returned; so when `try_gather` returns, nothing it started is still around (their
/// synchronous `Drop` cleanup has run). Children that complete in the same pass as the
/// failing one, after it, are dropped with their outputs. Everything else — lazy inputs,
/// [`limit`](TryGather::limit), per-child wakers, [`progress`](TryGather::progress) — is as for
/// `gather`. For every outcome instead of the first error, use `gather` itself
/// (its collect-all section).
///
/// # Cancellation
///
/// Dropping the future drops every child it is running before `drop` returns.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(1, |rt| async move {
///     let rt = &rt;
///     let call = |ms: u64, fails: bool| async move {
///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
///         if fails { Err(format!("failed after {ms} ms")) } else { Ok(ms) }
///     };
///     let err = wrangle::try_gather([call(100, false), call(5, true), call(100, false)])
///         .await
///         .unwrap_err();
///     assert_eq!(err, "failed after 5 ms");
///     assert_eq!(rt.elapsed(), Duration::from_millis(5)); // the others were cancelled
///
///     let ok = wrangle::try_gather([call(2, false), call(1, false)]).await;
///     assert_eq!(ok, Ok(vec![2, 1]));
/// });
/// ```
///
/// # Errors
///
/// The first error a child returns.
///
/// # Panics
///
/// As [`gather()`](crate::gather()#panics): a child's panic surfaces after the others are
/// dropped; polling after completion panics.
pub fn try_gather<I>(inputs: I) -> TryGather<I::IntoIter>
where
    I: IntoIterator,
    I::Item: TryFuture,
{
    TryGather {
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
    /// Future for the [`try_gather()`] function.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TryGather<I, P = fn(Progress)>
    where
        I: Iterator,
        I::Item: TryFuture,
    {
        inputs: I,
        driver: Option<Driver<I::Item>>,
        outputs: Vec<Option<<I::Item as TryFuture>::Ok>>,
        limit: usize,
        progress: Option<P>,
        finished: bool,
        // `!Unpin`: configured before the first poll, never after.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<I, P> TryGather<I, P>
where
    I: Iterator,
    I::Item: TryFuture,
{
    /// Runs at most `limit` inputs at once; by default there is no limit.
    ///
    /// `limit` is a plain number or a [`NonZeroUsize`](std::num::NonZeroUsize); see
    /// [`IntoLimit`].
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let out = wrangle::try_gather((0..5).map(|i| async move { Ok::<_, ()>(i) }))
    ///     .limit(1)
    ///     .await;
    /// assert_eq!(out, Ok(vec![0, 1, 2, 3, 4]));
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

    /// Calls `hook` with the [`Progress`] each time an input succeeds.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut done = 0;
    /// let _ = wrangle::try_gather((0..3).map(|i| async move { Ok::<_, ()>(i) }))
    ///     .progress(|p| done = p.done())
    ///     .await;
    /// assert_eq!(done, 3);
    /// # });
    /// ```
    pub fn progress<Q: FnMut(Progress)>(self, hook: Q) -> TryGather<I, Q> {
        TryGather {
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

struct TrySink<'a, T, E, P> {
    outputs: &'a mut Vec<Option<T>>,
    error: Option<E>,
    limit: usize,
    progress: &'a mut Option<P>,
}

impl<T, E, P: FnMut(Progress)> Sink<Result<T, E>> for TrySink<'_, T, E, P> {
    fn has_room(&self, in_flight: usize) -> bool {
        in_flight < self.limit
    }

    fn pulled(&mut self, _index: usize) {
        self.outputs.push(None);
    }

    fn put(&mut self, index: usize, value: Result<T, E>, progress: Progress) -> bool {
        match value {
            Ok(value) => {
                self.outputs[index] = Some(value);
                if let Some(hook) = self.progress {
                    hook(progress);
                }
                true
            }
            Err(err) => {
                self.error = Some(err);
                false
            }
        }
    }
}

impl<I, P, T, E> Future for TryGather<I, P>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>>,
    P: FnMut(Progress),
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        assert!(!*this.finished, "`TryGather` polled after completion");
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
        let mut sink = TrySink {
            outputs: &mut *this.outputs,
            error: None,
            limit,
            progress: this.progress,
        };
        driver.pass(cx, &mut |_| Poll::Ready(inputs.next()), &mut sink);
        if let Some(err) = sink.error {
            driver.stop();
            *this.finished = true;
            *this.outputs = Vec::new();
            return Poll::Ready(Err(err));
        }
        if driver.is_done() {
            *this.finished = true;
            Poll::Ready(Ok(super::collect_outputs(std::mem::take(this.outputs))))
        } else {
            Poll::Pending
        }
    }
}

impl<I, P> fmt::Debug for TryGather<I, P>
where
    I: Iterator,
    I::Item: TryFuture,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_driver(
            f.debug_struct("TryGather"),
            self.driver.as_ref(),
            self.limit,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use futures_lite::future::block_on;

    use super::*;
    use wrangle_core::yield_now;

    struct Counted<'a>(&'a Cell<usize>);
    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn smoke() {
        let out = block_on(try_gather((0..10).map(|i| async move {
            yield_now().await;
            Ok::<_, String>(i)
        })));
        assert_eq!(out, Ok((0..10).collect()));
    }

    #[test]
    fn empty() {
        let out = block_on(try_gather(Vec::<std::future::Ready<Result<u8, ()>>>::new()));
        assert_eq!(out, Ok(vec![]));
    }

    #[test]
    fn debug() {
        let g = try_gather([std::future::ready(Ok::<u8, ()>(1))]);
        assert_eq!(format!("{g:?}"), "TryGather { started: false, .. }");
    }

    #[test]
    fn first_error_drops_the_rest_and_pulls_no_more() {
        let dropped = Cell::new(0);
        let pulled = Cell::new(0);
        let dropped_ref = &dropped;
        let inputs = (0..100).map(|i| {
            pulled.set(pulled.get() + 1);
            async move {
                let _guard = Counted(dropped_ref);
                for _ in 0..(if i == 3 { 2 } else { 10 }) {
                    yield_now().await;
                }
                if i == 3 { Err(i) } else { Ok(i) }
            }
        });
        let out = block_on(try_gather(inputs).limit(5));
        assert_eq!(out, Err(3));
        assert_eq!(pulled.get(), 5);
        assert_eq!(dropped.get(), 5);
    }
}
