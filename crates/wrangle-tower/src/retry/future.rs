use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_service::Service;
use wrangle_core::Timer;
use wrangle_resilience::retry::{Classification, RetryPolicy, retry};

use super::{Classifier, CloneRequest, RetryError};
use crate::BoxError;

/// An attempt that did not end the call.
struct Failed<Res> {
    outcome: Result<(Res, Classification), BoxError>,
    /// Whether the hook made a copy of the request for another attempt.
    copied: bool,
}

/// Response future of [`Retry`](super::Retry): `'static + Send`, one allocation per call.
/// Dropping it drops the attempt in flight (or the sleep before the next one).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ResponseFuture<Res>(Pin<Box<dyn Future<Output = Result<Res, BoxError>> + Send>>);

impl<Res: Send + 'static> ResponseFuture<Res> {
    pub(crate) fn new<S, Req, T, C, H>(
        service: S,
        timer: T,
        policy: RetryPolicy,
        classifier: C,
        hook: H,
        request: Req,
    ) -> Self
    where
        S: Service<Req, Response = Res> + Clone + Send + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
        Req: Send + 'static,
        T: Timer + 'static,
        C: Classifier<Res> + Clone + Send + Sync + 'static,
        H: CloneRequest<Req> + Send + 'static,
    {
        Self(Box::pin(async move {
            // The first attempt uses the service readied by `poll_ready`; later ones a clone
            // made before it was used (a clone holds no reservation of its own).
            let template = service.clone();
            let mut readied = Some(service);
            let mut next = Some(request);
            let classify = classifier.clone();
            let outcome = retry(timer, policy, move |_| {
                let request = next.take();
                // The copy for the next attempt is made while the request still exists.
                next = request.as_ref().and_then(|r| hook.clone_request(r));
                let copied = next.is_some();
                let mut service = readied.take().unwrap_or_else(|| template.clone());
                let classifier = classifier.clone();
                async move {
                    let fail = |e: BoxError| Failed {
                        outcome: Err(e),
                        copied,
                    };
                    // Only an attempt after one whose copy failed finds no request, and none is
                    // made: that failure is permanent.
                    let Some(request) = request else {
                        return Err(fail("no copy of the request to retry".into()));
                    };
                    poll_fn(|cx| service.poll_ready(cx))
                        .await
                        .map_err(|e| fail(e.into()))?;
                    let response = service.call(request).await.map_err(|e| fail(e.into()))?;
                    match classifier.response(&response) {
                        None | Some(Classification::Permanent) => Ok(response),
                        Some(retried) => Err(Failed {
                            outcome: Ok((response, retried)),
                            copied,
                        }),
                    }
                }
            })
            .classify(move |failed: &Failed<Res>| match &failed.outcome {
                _ if !failed.copied => Classification::Permanent,
                Ok((_, retried)) => *retried,
                Err(e) => classify.error(e),
            })
            .await;
            match outcome {
                Ok(response) => Ok(response),
                Err(stopped) => {
                    let (reason, stats) = (stopped.reason(), stopped.stats());
                    match stopped.into_last_error() {
                        // Stopped on a response: the caller gets it.
                        Some(Failed {
                            outcome: Ok((response, _)),
                            ..
                        }) => Ok(response),
                        Some(Failed {
                            outcome: Err(e), ..
                        }) => Err(RetryError::new(Some(e), reason, stats).into()),
                        None => Err(RetryError::new(None, reason, stats).into()),
                    }
                }
            }
        }))
    }
}

impl<Res> Future for ResponseFuture<Res> {
    type Output = Result<Res, BoxError>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<Res> fmt::Debug for ResponseFuture<Res> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
