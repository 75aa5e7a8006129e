use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::{Wait, Waited};
use crate::Timer;
use crate::timeout::Deadline;

pin_project! {
    /// Future for the [`Wait::timeout`] and [`Wait::deadline`] methods.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WaitTimeout<F: Future, T: Timer> {
        wait: Wait<F>,
        timer: T,
        #[pin]
        deadline: Deadline<T>,
    }
}

impl<F: Future, T: Timer> WaitTimeout<F, T> {
    pub(super) fn new(wait: Wait<F>, timer: T, deadline: Deadline<T>) -> Self {
        Self {
            wait,
            timer,
            deadline,
        }
    }
}

impl<F: Future, T: Timer> Future for WaitTimeout<F, T> {
    type Output = Waited<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Waited<F>> {
        let this = self.project();
        if this.wait.poll_until(cx).is_ready() || this.deadline.poll_elapsed(this.timer, cx) {
            Poll::Ready(this.wait.finish())
        } else {
            Poll::Pending
        }
    }
}

impl<F: Future, T: Timer> fmt::Debug for WaitTimeout<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitTimeout")
            .field("wait", &self.wait)
            .field("deadline", &self.deadline)
            .finish()
    }
}
