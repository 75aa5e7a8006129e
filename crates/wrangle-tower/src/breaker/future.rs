use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use wrangle_core::Timer;
use wrangle_resilience::breaker::{CallPermit, CircuitOpen};

use super::IsFailure;
use crate::BoxError;

pin_project! {
    /// Response future of [`CircuitBreaker`](super::CircuitBreaker) and
    /// [`KeyedCircuitBreaker`](super::KeyedCircuitBreaker): [`CircuitOpen`] at once, or the
    /// inner call, whose outcome it reports to the breaker. Dropped before the call ends, it
    /// reports nothing (and frees a half-open trial slot).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ResponseFuture<F, T: Timer, P> {
        #[pin]
        inner: Option<F>,
        permit: Option<CallPermit<T>>,
        open: Option<CircuitOpen>,
        failure: P,
    }
}

impl<F, T: Timer, P> ResponseFuture<F, T, P> {
    pub(crate) fn called(inner: F, permit: CallPermit<T>, failure: P) -> Self {
        Self {
            inner: Some(inner),
            permit: Some(permit),
            open: None,
            failure,
        }
    }

    pub(crate) fn open(open: CircuitOpen, failure: P) -> Self {
        Self {
            inner: None,
            permit: None,
            open: Some(open),
            failure,
        }
    }
}

impl<F, T, P, R, E> Future for ResponseFuture<F, T, P>
where
    F: Future<Output = Result<R, E>>,
    E: Into<BoxError>,
    T: Timer,
    P: IsFailure<R>,
{
    type Output = Result<R, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(open) = *this.open {
            return Poll::Ready(Err(Box::new(open)));
        }
        // `open` is `None` only with a call: never pending for good.
        let Some(inner) = this.inner.as_pin_mut() else {
            return Poll::Pending;
        };
        let output = ready!(inner.poll(cx));
        let failed = match &output {
            Ok(response) => this.failure.is_failure(response),
            Err(_) => true,
        };
        if let Some(permit) = this.permit.take() {
            if failed {
                permit.failure();
            } else {
                permit.success();
            }
        }
        Poll::Ready(output.map_err(Into::into))
    }
}

impl<F, T: Timer, P> fmt::Debug for ResponseFuture<F, T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}
