//! Waiting on a set of futures, asyncio's `wait`: [`wait()`] returns what is done and the
//! [`Remaining`] rest.

mod remaining;

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

pub use crate::as_completed::{NoDeadline, WithDeadline};
pub use remaining::Remaining;

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
/// and polls nothing after it). The pending futures keep running only while [`Remaining`]
/// is polled: await them further (it is a stream of the rest in completion order, and
/// [`Remaining::wait`] waits on them again) or drop it to cancel them. All inputs are taken
/// at once; there is no limit. An empty input returns at once, with nothing done.
///
/// The wait is configured by value before it runs and is `!Unpin`, so nothing can be
/// configured once it has been polled.
///
/// # Cancellation
///
/// Dropping the future drops every input. Dropping the returned [`Remaining`] drops the
/// unfinished ones, before `drop` returns.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(1, |rt| async move {
///     let rt = &rt;
///     let call = |ms: u64| async move {
///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
///         ms
///     };
///     let waited = wrangle::wait([call(10), call(200), call(300)]).first_completed().await;
///     assert_eq!(waited.done, [(0, 10)]);
///     assert_eq!(waited.pending.indices(), [1, 2]);
///
///     // Keep waiting on the rest…
///     let next = waited.pending.wait().first_completed().await;
///     assert_eq!(next.done, [(1, 200)]);
///     // …or drop them to cancel them.
///     drop(next.pending);
/// });
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

/// What a wait has seen so far.
struct State<F: Future> {
    core: Option<Unordered<F>>,
    done: Vec<(usize, F::Output)>,
    until: Until<F::Output>,
    failed: bool,
}

pin_project! {
    /// Future for the [`wait()`] function.
    ///
    /// `D` is [`NoDeadline`] until [`timeout`](Wait::timeout) or [`deadline`](Wait::deadline)
    /// makes it [`WithDeadline`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Wait<F: Future, D = NoDeadline> {
        state: State<F>,
        #[pin]
        deadline: D,
        // `!Unpin`: configured before the first poll, never after.
        #[pin]
        _pinned: PhantomPinned,
    }
}

/// What a [`wait()`] returns: the outputs that are done, with their input indices, and the
/// futures still pending.
///
/// # Examples
///
/// ```
/// use std::future::ready;
///
/// # wrangle::sim::run(1, |_rt| async move {
/// let waited = wrangle::wait([ready(1), ready(2)]).await;
/// assert_eq!(waited.done, [(0, 1), (1, 2)]);
/// assert!(waited.pending.is_empty());
/// # });
/// ```
#[non_exhaustive]
pub struct Waited<F: Future> {
    /// `(index, output)` of every input seen completed, in the order they were seen.
    pub done: Vec<(usize, F::Output)>,
    /// The inputs not completed yet: await them further, or drop them to cancel them.
    pub pending: Remaining<F>,
}

impl<F: Future> Wait<F> {
    fn from_core(core: Unordered<F>, done: Vec<(usize, F::Output)>) -> Self {
        Self {
            state: State {
                core: Some(core),
                done,
                until: Until::All,
                failed: false,
            },
            deadline: NoDeadline,
            _pinned: PhantomPinned,
        }
    }

    /// Returns at `deadline` on `timer`'s clock with whatever is done by then, if the wait
    /// has not returned before.
    ///
    /// `timer` is taken by value: `&rt` borrows the runtime, `rt.clone()` gives a future that
    /// owns its handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Timer;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let deadline = rt.now() + Duration::from_millis(5);
    ///     let w = wrangle::wait([std::future::pending::<()>()]).deadline(&rt, deadline).await;
    ///     assert!(w.done.is_empty() && w.pending.len() == 1);
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(5));
    /// });
    /// ```
    pub fn deadline<T: Timer>(self, timer: T, deadline: Instant) -> Wait<F, WithDeadline<T>> {
        self.with_deadline(WithDeadline::new(timer, Deadline::at(deadline)))
    }

    /// Returns `duration` after the wait is first polled, with whatever is done by then, if
    /// it has not returned before. A duration too large for the clock means no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let slow = wrangle::sleep(&rt, Duration::from_secs(10));
    ///     let w = wrangle::wait([slow]).timeout(&rt, Duration::from_millis(5)).await;
    ///     assert_eq!(w.pending.len(), 1);
    /// });
    /// ```
    pub fn timeout<T: Timer>(self, timer: T, duration: Duration) -> Wait<F, WithDeadline<T>> {
        self.with_deadline(WithDeadline::new(timer, Deadline::after(duration)))
    }

    fn with_deadline<T: Timer>(self, deadline: WithDeadline<T>) -> Wait<F, WithDeadline<T>> {
        Wait {
            state: self.state,
            deadline,
            _pinned: PhantomPinned,
        }
    }
}

impl<F: Future, D> Wait<F, D> {
    /// Returns as soon as at least one input has completed (asyncio's `FIRST_COMPLETED`).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let never_or_now = |i: u32| async move {
    ///     if i == 0 {
    ///         std::future::pending::<()>().await;
    ///     }
    ///     i
    /// };
    /// let w = wrangle::wait((0..2).map(never_or_now)).first_completed().await;
    /// assert_eq!(w.done, [(1, 1)]);
    /// assert_eq!(w.pending.len(), 1);
    /// # });
    /// ```
    pub fn first_completed(mut self) -> Self {
        self.state.until = Until::FirstCompleted;
        self
    }
}

impl<F: Future> State<F> {
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
            pending: Remaining::new(core),
        }
    }
}

impl<F, T, E, D> Wait<F, D>
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
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let rt = &rt;
    ///     let call = |ms: u64, ok: bool| async move {
    ///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
    ///         if ok { Ok(ms) } else { Err(ms) }
    ///     };
    ///     let w = wrangle::wait([call(200, true), call(10, false), call(300, true)])
    ///         .first_error()
    ///         .await;
    ///     assert_eq!(w.done, [(1, Err(10))]);
    ///     assert_eq!(w.pending.len(), 2);
    /// });
    /// ```
    pub fn first_error(mut self) -> Self {
        self.state.until = Until::FirstError(Result::is_err);
        self
    }
}

impl<F: Future> Future for Wait<F, NoDeadline> {
    type Output = Waited<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Waited<F>> {
        let state = self.project().state;
        match state.poll_until(cx) {
            Poll::Ready(()) => Poll::Ready(state.finish()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future, T: Timer> Future for Wait<F, WithDeadline<T>> {
    type Output = Waited<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Waited<F>> {
        let this = self.project();
        if this.state.poll_until(cx).is_ready() || this.deadline.poll_elapsed(cx) {
            Poll::Ready(this.state.finish())
        } else {
            Poll::Pending
        }
    }
}

impl<F: Future> State<F> {
    fn debug(&self, f: &mut fmt::Formatter<'_>, deadline: Option<&dyn fmt::Debug>) -> fmt::Result {
        let until = match self.until {
            Until::All => "all",
            Until::FirstCompleted => "first completed",
            Until::FirstError(_) => "first error",
        };
        let mut s = f.debug_struct("Wait");
        s.field("until", &until)
            .field("done", &self.done.len())
            .field(
                "pending",
                &self.core.as_ref().map_or(0, |c| c.driver.set.len()),
            );
        if let Some(deadline) = deadline {
            s.field("deadline", deadline);
        }
        s.finish()
    }
}

impl<F: Future> fmt::Debug for Wait<F, NoDeadline> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.state.debug(f, None)
    }
}

impl<F: Future, T: Timer> fmt::Debug for Wait<F, WithDeadline<T>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.state.debug(f, Some(&self.deadline))
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
    use wrangle_core::yield_now;

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
