//! The deadline type parameter of [`AsCompleted`](super::AsCompleted) and
//! [`Wait`](crate::wait::Wait): none by default, a timer and a deadline on its clock once
//! `.timeout(..)` or `.deadline(..)` has set one.

use std::fmt;
use std::pin::Pin;
use std::task::Context;

use pin_project_lite::pin_project;

use crate::Timer;
use crate::timeout::Deadline;

/// No deadline: the default deadline parameter of [`AsCompleted`](super::AsCompleted) and
/// [`Wait`](crate::wait::Wait), until `.timeout(..)` or `.deadline(..)` sets one.
///
/// # Examples
///
/// ```
/// use wrangle::as_completed::{AsCompleted, NoDeadline};
///
/// # wrangle::sim::run(1, |_rt| async move {
/// let stream: AsCompleted<_, fn(wrangle::Progress), NoDeadline> =
///     wrangle::as_completed([std::future::ready(1)]);
/// # drop(stream);
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoDeadline;

pin_project! {
    /// A deadline on a timer's clock: the deadline parameter of
    /// [`AsCompleted`](super::AsCompleted) and [`Wait`](crate::wait::Wait) once
    /// `.timeout(timer, duration)` or `.deadline(timer, instant)` has set one. It holds the
    /// timer as it was passed: `&rt` borrows the runtime, `rt.clone()` owns a handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::as_completed::{AsCompleted, WithDeadline};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let inputs = [std::future::ready(1)];
    ///     let stream: AsCompleted<_, _, WithDeadline<&wrangle::sim::Sim>> =
    ///         wrangle::as_completed(inputs).timeout(&rt, Duration::from_secs(1));
    ///     # drop(stream);
    /// });
    /// ```
    pub struct WithDeadline<T: Timer> {
        timer: T,
        #[pin]
        deadline: Deadline<T>,
    }
}

impl<T: Timer> WithDeadline<T> {
    pub(crate) fn new(timer: T, deadline: Deadline<T>) -> Self {
        Self { timer, deadline }
    }

    /// Whether the deadline has passed; registers `cx` to be woken when it does.
    pub(crate) fn poll_elapsed(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        let this = self.project();
        this.deadline.poll_elapsed(this.timer, cx)
    }
}

impl<T: Timer> fmt::Debug for WithDeadline<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.deadline.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_lite::StreamExt;
    use futures_lite::future::block_on;

    use wrangle_core::doctest::ThreadPerTask;

    #[test]
    fn ready_items_come_before_a_passed_deadline() {
        let rt = ThreadPerTask;
        let s = crate::as_completed([std::future::ready(1), std::future::ready(2)])
            .timeout(&rt, Duration::ZERO);
        assert!(format!("{s:?}").starts_with("AsCompleted { deadline: after 0ns"));
        let items: Vec<_> = block_on(s.collect());
        assert_eq!(items, [Ok((0, 1)), Ok((1, 2))]);
    }

    #[test]
    fn zero_timeout_on_pending_inputs_elapses_once() {
        let rt = ThreadPerTask;
        let s = crate::as_completed([std::future::pending::<()>()]).timeout(rt, Duration::ZERO);
        let items: Vec<_> = block_on(s.collect());
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }
}
