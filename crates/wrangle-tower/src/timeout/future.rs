use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use wrangle_core::Timer;

use crate::BoxError;

pin_project! {
    /// Response future of [`Timeout`](super::Timeout): the inner call's outcome, or
    /// [`Elapsed`](wrangle_core::Elapsed) boxed. Dropping it drops the inner call.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ResponseFuture<F, T: Timer> {
        #[pin]
        inner: wrangle_core::Timeout<F, T>,
    }
}

impl<F, T: Timer> ResponseFuture<F, T> {
    pub(crate) fn new(inner: wrangle_core::Timeout<F, T>) -> Self {
        Self { inner }
    }
}

impl<F, T, R, E> Future for ResponseFuture<F, T>
where
    F: Future<Output = Result<R, E>>,
    E: Into<BoxError>,
    T: Timer,
{
    type Output = Result<R, BoxError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(match ready!(self.project().inner.poll(cx)) {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(e.into()),
            Err(elapsed) => Err(Box::new(elapsed)),
        })
    }
}

impl<F, T: Timer> fmt::Debug for ResponseFuture<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
