//! Waiting on a set of futures, asyncio's `wait`: [`wait()`] returns what is done and the
//! [`Pending`] rest.

mod pending;
mod timeout;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub use pending::Pending;
pub use timeout::WaitTimeout;

use crate::set::{Driver, Unordered};
use crate::timeout::Deadline;
use crate::{Progress, Timer};

/// Runs the futures of `inputs` concurrently in the current task until all of them, the
/// first of them, or the first failing one has completed, and returns the
/// [`Waited::done`] outputs with their input indices and the [`Waited::pending`] rest —
/// asyncio's `wait`.
///
/// By default it waits for all. [`first_completed`](Wait::first_completed) returns as soon
/// as one or more have completed; [`first_error`](Wait::first_error) (for futures returning
/// `Result`) as soon as one has failed, or when all have completed; and
/// [`timeout`](Wait::timeout) or [`deadline`](Wait::deadline) add a limit on `timer`'s clock,
/// after which it returns whatever is done by then — a limit is not an error here. `done`
/// holds every output seen by the time it returns, in the order they were seen: an output
/// the wait has taken from a child is always returned, never dropped (like asyncio's
/// `FIRST_COMPLETED`, the pass that meets the condition returns every input it found done,
/// and polls nothing after it). The pending
/// futures keep running only while [`Pending`] is polled: await them further (it is a
/// [`Stream`](futures_core::Stream) of the rest in completion order, and
/// [`Pending::wait`] waits on them again) or drop it to cancel them. All inputs are taken at
/// once; there is no limit. An empty input returns at once, with nothing done.
///
/// # Cancellation
///
/// Dropping the future drops every input. Dropping the returned [`Pending`] drops the
/// unfinished ones, before `drop` returns.
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
///     let waited = wrangle_core::wait([call(10), call(200), call(300)]).first_completed().await;
///     assert_eq!(waited.done, [(0, 10)]);
///     assert_eq!(waited.pending.indices(), [1, 2]);
///
///     // Keep waiting on the rest…
///     let next = waited.pending.wait().first_completed().await;
///     assert_eq!(next.done, [(1, 200)]);
///     // …or drop them to cancel them.
///     drop(next.pending);
/// });
/// # }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
/// ```
///
/// # Panics
///
/// A child's panic surfaces from `poll` after every other child has been dropped. Polling
/// after completion panics.
pub fn wait<I>(inputs: I) -> Wait<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    Wait::from_core(
        Unordered::new(Driver::eager(inputs), usize::MAX),
        Vec::new(),
    )
}

enum Until<T> {
    All,
    FirstCompleted,
    FirstError(fn(&T) -> bool),
}

/// Future for the [`wait()`] function.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<F: Future> {
    core: Option<Unordered<F>>,
    done: Vec<(usize, F::Output)>,
    until: Until<F::Output>,
    failed: bool,
}

/// What a [`wait()`] returns: the outputs that are done, with their input indices, and the
/// futures still pending.
///
/// # Examples
///
/// ```
/// use std::future::ready;
///
/// let waited = futures_lite::future::block_on(wrangle_core::wait([ready(1), ready(2)]));
/// assert_eq!(waited.done, [(0, 1), (1, 2)]);
/// assert!(waited.pending.is_empty());
/// ```
#[non_exhaustive]
pub struct Waited<F: Future> {
    /// `(index, output)` of every input seen completed, in the order they were seen.
    pub done: Vec<(usize, F::Output)>,
    /// The inputs not completed yet: await them further, or drop them to cancel them.
    pub pending: Pending<F>,
}

impl<F: Future> Wait<F> {
    fn from_core(core: Unordered<F>, done: Vec<(usize, F::Output)>) -> Self {
        Self {
            core: Some(core),
            done,
            until: Until::All,
            failed: false,
        }
    }

    /// Returns as soon as at least one input has completed (asyncio's `FIRST_COMPLETED`).
    ///
    /// # Examples
    ///
    /// ```
    /// let never_or_now = |i: u32| async move {
    ///     if i == 0 {
    ///         std::future::pending::<()>().await;
    ///     }
    ///     i
    /// };
    /// let w = futures_lite::future::block_on(
    ///     wrangle_core::wait((0..2).map(never_or_now)).first_completed(),
    /// );
    /// assert_eq!(w.done, [(1, 1)]);
    /// assert_eq!(w.pending.len(), 1);
    /// ```
    pub fn first_completed(mut self) -> Self {
        self.until = Until::FirstCompleted;
        self
    }

    /// Returns at `deadline` on `timer`'s clock with whatever is done by then, if the wait
    /// has not returned before.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle_core::{Runtime, Timer};
    ///
    /// # fn demo<R: Runtime>(rt: &R) {
    /// rt.block_on(async {
    ///     let deadline = rt.now() + Duration::from_millis(5);
    ///     let w = wrangle_core::wait([std::future::pending::<()>()]).deadline(rt, deadline).await;
    ///     assert!(w.done.is_empty() && w.pending.len() == 1);
    /// });
    /// # }
    /// # demo(&wrangle_core::doctest::ThreadPerTask);
    /// ```
    pub fn deadline<T: Timer>(self, timer: &T, deadline: Instant) -> WaitTimeout<F, T> {
        WaitTimeout::new(self, timer.clone(), Deadline::at(deadline))
    }

    /// Returns `duration` after the wait is first polled, with whatever is done by then, if
    /// it has not returned before. A duration too large for the clock means no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle_core::Runtime;
    ///
    /// # fn demo<R: Runtime>(rt: &R) {
    /// rt.block_on(async {
    ///     let slow = wrangle_core::sleep(rt, Duration::from_secs(10));
    ///     let w = wrangle_core::wait([slow]).timeout(rt, Duration::from_millis(5)).await;
    ///     assert_eq!(w.pending.len(), 1);
    /// });
    /// # }
    /// # demo(&wrangle_core::doctest::ThreadPerTask);
    /// ```
    pub fn timeout<T: Timer>(self, timer: &T, duration: Duration) -> WaitTimeout<F, T> {
        WaitTimeout::new(self, timer.clone(), Deadline::after(duration))
    }

    /// Runs a pass; ready once the wait's condition holds.
    fn poll_until(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(core) = self.core.as_mut() else {
            panic!("`Wait` polled after completion");
        };
        core.pass(cx, &mut |_| Poll::Ready(None), &mut None::<fn(Progress)>);
        for (index, output) in core.queue.drain(..) {
            if let Until::FirstError(is_err) = self.until {
                self.failed |= is_err(&output);
            }
            self.done.push((index, output));
        }
        let met = core.driver.is_done()
            || match self.until {
                Until::All => false,
                Until::FirstCompleted => !self.done.is_empty(),
                Until::FirstError(_) => self.failed,
            };
        if met { Poll::Ready(()) } else { Poll::Pending }
    }

    /// What the wait returns; after this it is spent.
    fn finish(&mut self) -> Waited<F> {
        let core = self
            .core
            .take()
            .unwrap_or_else(|| Unordered::new(Driver::eager([]), usize::MAX));
        Waited {
            done: std::mem::take(&mut self.done),
            pending: Pending::new(core),
        }
    }
}

impl<F, T, E> Wait<F>
where
    F: Future<Output = Result<T, E>>,
{
    /// Returns as soon as an input has failed, or once all have completed
    /// (asyncio's `FIRST_EXCEPTION`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle_core::Runtime;
    ///
    /// # fn demo<R: Runtime>(rt: &R) {
    /// rt.block_on(async {
    ///     let call = |ms: u64, ok: bool| async move {
    ///         wrangle_core::sleep(rt, Duration::from_millis(ms)).await;
    ///         if ok { Ok(ms) } else { Err(ms) }
    ///     };
    ///     let w = wrangle_core::wait([call(200, true), call(10, false), call(300, true)])
    ///         .first_error()
    ///         .await;
    ///     assert_eq!(w.done, [(1, Err(10))]);
    ///     assert_eq!(w.pending.len(), 2);
    /// });
    /// # }
    /// # demo(&wrangle_core::doctest::ThreadPerTask);
    /// ```
    pub fn first_error(mut self) -> Self {
        self.until = Until::FirstError(Result::is_err);
        self
    }
}

impl<F: Future> Unpin for Wait<F> {}

impl<F: Future> Future for Wait<F> {
    type Output = Waited<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Waited<F>> {
        let this = self.get_mut();
        match this.poll_until(cx) {
            Poll::Ready(()) => Poll::Ready(this.finish()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> fmt::Debug for Wait<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let until = match self.until {
            Until::All => "all",
            Until::FirstCompleted => "first completed",
            Until::FirstError(_) => "first error",
        };
        f.debug_struct("Wait")
            .field("until", &until)
            .field("done", &self.done.len())
            .field(
                "pending",
                &self.core.as_ref().map_or(0, |c| c.driver.set.len()),
            )
            .finish()
    }
}

impl<F: Future> fmt::Debug for Waited<F>
where
    F::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waited")
            .field("done", &self.done)
            .field("pending", &self.pending)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::future::block_on;

    use super::*;
    use crate::yield_now;

    async fn yields(n: u32) -> Result<u32, u32> {
        for _ in 0..n {
            yield_now().await;
        }
        if n == 2 { Err(n) } else { Ok(n) }
    }

    #[test]
    fn smoke() {
        let w = block_on(wait([yields(3), yields(1), yields(4)]));
        assert_eq!(w.done, [(1, Ok(1)), (0, Ok(3)), (2, Ok(4))]);
        assert!(w.pending.is_empty());
    }

    #[test]
    fn empty() {
        let w = block_on(wait(Vec::<std::future::Ready<()>>::new()).first_completed());
        assert!(w.done.is_empty() && w.pending.is_empty());
    }

    #[test]
    fn debug() {
        let w = wait([yields(1)]).first_error();
        assert_eq!(
            format!("{w:?}"),
            r#"Wait { until: "first error", done: 0, pending: 1 }"#
        );
    }

    #[test]
    fn first_error_and_continue() {
        let w = block_on(wait([yields(5), yields(2), yields(1), yields(7)]).first_error());
        assert_eq!(w.done, [(2, Ok(1)), (1, Err(2))]);
        assert_eq!(w.pending.indices(), [0, 3]);
        let rest = block_on(w.pending.wait());
        assert_eq!(rest.done, [(0, Ok(5)), (3, Ok(7))]);
    }
}
