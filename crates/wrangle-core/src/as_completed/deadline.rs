use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;

use super::AsCompleted;
use crate::timeout::{Deadline, Elapsed};
use crate::{Progress, Timer};

pin_project! {
    /// Stream for the [`AsCompleted::deadline`] and [`AsCompleted::timeout`] methods.
    #[must_use = "streams do nothing unless polled"]
    pub struct AsCompletedDeadline<I, T, P = fn(Progress)>
    where
        I: Iterator,
        I::Item: Future,
        T: Timer,
    {
        // `None` once the stream has ended: the leftovers are dropped with it.
        inner: Option<AsCompleted<I, P>>,
        timer: T,
        #[pin]
        deadline: Deadline<T>,
        elapsed: bool,
    }
}

impl<I, T, P> AsCompletedDeadline<I, T, P>
where
    I: Iterator,
    I::Item: Future,
    T: Timer,
{
    pub(super) fn new(inner: AsCompleted<I, P>, timer: T, deadline: Deadline<T>) -> Self {
        Self {
            inner: Some(inner),
            timer,
            deadline,
            elapsed: false,
        }
    }
}

impl<I, T, P> Stream for AsCompletedDeadline<I, T, P>
where
    I: Iterator,
    I::Item: Future,
    T: Timer,
    P: FnMut(Progress),
{
    type Item = Result<(usize, <I::Item as Future>::Output), Elapsed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(&mut *inner).poll_next(cx) {
            Poll::Ready(Some(item)) => return Poll::Ready(Some(Ok(item))),
            Poll::Ready(None) => {
                *this.inner = None;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if this.deadline.poll_elapsed(this.timer, cx) {
            // Drop the leftovers before the caller sees the error.
            *this.inner = None;
            *this.elapsed = true;
            return Poll::Ready(Some(Err(Elapsed::new())));
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Some(inner) => {
                let (lower, upper) = inner.size_hint();
                (lower, upper.and_then(|u| u.checked_add(1)))
            }
            None => (0, Some(0)),
        }
    }
}

impl<I, T, P> fmt::Debug for AsCompletedDeadline<I, T, P>
where
    I: Iterator,
    I::Item: Future,
    T: Timer,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedDeadline")
            .field("inner", &self.inner)
            .field("deadline", &self.deadline)
            .field("elapsed", &self.elapsed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_lite::StreamExt;
    use futures_lite::future::block_on;

    use crate::doctest::ThreadPerTask;

    #[test]
    fn ready_items_come_before_a_passed_deadline() {
        let rt = ThreadPerTask;
        let s = crate::as_completed([std::future::ready(1), std::future::ready(2)])
            .timeout(&rt, Duration::ZERO);
        assert!(format!("{s:?}").starts_with("AsCompletedDeadline"));
        let items: Vec<_> = block_on(s.collect());
        assert_eq!(items, [Ok((0, 1)), Ok((1, 2))]);
    }

    #[test]
    fn zero_timeout_on_pending_inputs_elapses_once() {
        let rt = ThreadPerTask;
        let s = crate::as_completed([std::future::pending::<()>()]).timeout(&rt, Duration::ZERO);
        let items: Vec<_> = block_on(s.collect());
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }
}
