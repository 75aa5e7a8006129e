//! Retry with wrangle's [`RetryPolicy`]: [`RetryLayer`] and its service, [`Retry`].
//!
//! | Item | What it is |
//! |---|---|
//! | [`RetryLayer`], [`Retry`] | the layer and its service |
//! | [`Classifier`], [`ErrorsOnly`], [`classify_error`] | which responses and errors are retried, and after how long |
//! | [`CloneRequest`], [`ByClone`] | how a request is copied for the next attempt |
//! | [`RetryError`] | retries stopped on an error: the reason, the attempts, the last error |
//! | [`ResponseFuture`] | the response future |

mod classify;
mod clone;
mod error;
mod future;

use std::fmt;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;
use wrangle_core::Timer;
use wrangle_resilience::retry::RetryPolicy;

use crate::BoxError;
pub use classify::{Classifier, ErrorsOnly, classify_error};
pub use clone::{ByClone, CloneRequest};
pub use error::RetryError;
pub use future::ResponseFuture;

/// Applies [`Retry`]: each call is retried as `policy` says — backoff and jitter on `timer`'s
/// clock and random source, a maximum number of retries, a deadline, a timeout per attempt —
/// with responses as well as errors classified (`classify`), and every request copied for the
/// next attempt (`clone_request`).
///
/// A [`RetryBudget`](wrangle_resilience::retry::RetryBudget) in the policy is shared by every call
/// through this layer (and anything else holding the budget), so a fleet of callers cannot
/// start a retry storm: each success earns part of a retry, each retry spends one.
///
/// # Examples
///
/// Retry 503s after the policy's backoff, on virtual time:
///
/// ```
/// use std::time::Duration;
/// use tower::{ServiceBuilder, ServiceExt};
/// use wrangle::retry::{Classification, RetryPolicy};
/// use wrangle::tower::RetryLayer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let policy = RetryPolicy::builder().exponential(Duration::from_millis(100), 2.0).build().unwrap();
///     let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
///     let seen = calls.clone();
///     let svc = ServiceBuilder::new()
///         .layer(RetryLayer::new(rt.clone(), policy)
///             .classify(|status: &u16| (*status == 503).then_some(Classification::Transient)))
///         .service_fn(move |_: ()| {
///             let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
///             async move { Ok::<u16, std::io::Error>(if n < 2 { 503 } else { 200 }) }
///         });
///     assert_eq!(svc.oneshot(()).await.unwrap(), 200);
///     assert_eq!(rt.elapsed(), Duration::from_millis(300)); // 100 ms, then 200 ms
/// });
/// ```
#[derive(Clone)]
pub struct RetryLayer<T, C = ErrorsOnly, H = ByClone> {
    timer: T,
    policy: RetryPolicy,
    classifier: C,
    clone: H,
}

impl<T: Timer> RetryLayer<T> {
    /// A layer retrying errors ([`classify_error`]) as `policy` says, copying requests with
    /// `Clone`.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::retry::RetryPolicy;
    /// use wrangle::tower::RetryLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let layer = RetryLayer::new(rt, RetryPolicy::default());
    /// assert_eq!(layer.policy().max_retries(), 3);
    /// ```
    pub fn new(timer: T, policy: RetryPolicy) -> Self {
        Self {
            timer,
            policy,
            classifier: ErrorsOnly,
            clone: ByClone,
        }
    }
}

impl<T: Timer, C, H> RetryLayer<T, C, H> {
    /// Classify responses (and errors) with `classifier`; see [`Classifier`].
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::retry::{Classification, RetryPolicy};
    /// use wrangle::tower::RetryLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// // Retry a negative answer as if it were an error.
    /// let layer = RetryLayer::new(rt, RetryPolicy::default())
    ///     .classify(|answer: &i32| (*answer < 0).then_some(Classification::Transient));
    /// # drop(layer);
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> RetryLayer<T, C2, H> {
        RetryLayer {
            timer: self.timer,
            policy: self.policy,
            classifier,
            clone: self.clone,
        }
    }

    /// Copy requests with `hook`; see [`CloneRequest`] (and what happens to a request it
    /// cannot copy).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::retry::RetryPolicy;
    /// use wrangle::tower::RetryLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// // Keep a copy of small bodies only; a large one is sent once.
    /// let layer = RetryLayer::new(rt, RetryPolicy::default())
    ///     .clone_request(|body: &Vec<u8>| (body.len() <= 4096).then(|| body.clone()));
    /// # drop(layer);
    /// ```
    pub fn clone_request<H2>(self, hook: H2) -> RetryLayer<T, C, H2> {
        RetryLayer {
            timer: self.timer,
            policy: self.policy,
            classifier: self.classifier,
            clone: hook,
        }
    }

    /// The policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::retry::RetryPolicy;
    /// use wrangle::tower::RetryLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let policy = RetryPolicy::builder().max_retries(5).build().unwrap();
    /// assert_eq!(RetryLayer::new(rt, policy).policy().max_retries(), 5);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

impl<S, T: Timer, C: Clone, H: Clone> Layer<S> for RetryLayer<T, C, H> {
    type Service = Retry<S, T, C, H>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry {
            inner,
            layer: self.clone(),
        }
    }
}

impl<T, C, H> fmt::Debug for RetryLayer<T, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A service whose calls are retried; made by [`RetryLayer`].
///
/// `poll_ready` is the inner service's (backpressure passes through). `call` moves the
/// service it readied into the response future (the first attempt uses it and what it
/// reserved) and keeps a clone for the next call (hence `S: Clone`); the future runs wrangle's
/// [`retry`](wrangle_resilience::retry::retry()): each attempt copies the request (for the next
/// one), waits for the inner service to be ready, calls it, and classifies the outcome.
///
/// - A response the classifier accepts is returned; one it retries is dropped and the call
///   retried; when retries stop (exhausted, deadline, budget), the **last response is
///   returned** as it is (a caller of an HTTP client sees the final 503).
/// - An error is retried as classified; when retries stop, the call fails with
///   [`RetryError`], the last error its `source()`.
/// - A request the hook cannot copy is sent once and its outcome is final.
///
/// Streaming bodies cannot be retried: once an attempt has consumed the body there is
/// nothing left to send; give such requests a hook that returns `None` (or buffer the body).
///
/// # Cancellation
///
/// Dropping the response future drops the attempt in flight and any sleep.
///
/// # Examples
///
/// See [`RetryLayer`].
#[derive(Clone)]
pub struct Retry<S, T, C = ErrorsOnly, H = ByClone> {
    inner: S,
    layer: RetryLayer<T, C, H>,
}

impl<S, T, C, H> Retry<S, T, C, H> {
    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// use wrangle::retry::RetryPolicy;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::RetryLayer::new(rt, RetryPolicy::default()).layer(inner);
    /// assert_eq!(svc.get_ref(), "inner");
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// use wrangle::retry::RetryPolicy;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let mut svc = wrangle::tower::RetryLayer::new(rt, RetryPolicy::default()).layer(inner);
    /// svc.get_mut().push('!');
    /// assert_eq!(svc.get_ref(), "inner!");
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the service.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// use wrangle::retry::RetryPolicy;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::RetryLayer::new(rt, RetryPolicy::default()).layer(inner);
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, T, C, H, Req> Service<Req> for Retry<S, T, C, H>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    Req: Send + 'static,
    T: Timer + 'static,
    C: Classifier<S::Response> + Clone + Send + Sync + 'static,
    H: CloneRequest<Req> + Clone + Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Response>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The service `poll_ready` readied goes with the call (its reservation, a concurrency
        // permit say, is used by the first attempt); a fresh clone stays for the next call.
        let fresh = self.inner.clone();
        ResponseFuture::new(
            std::mem::replace(&mut self.inner, fresh),
            self.layer.timer.clone(),
            self.layer.policy.clone(),
            self.layer.classifier.clone(),
            self.layer.clone.clone(),
            request,
        )
    }
}

impl<S: fmt::Debug, T, C, H> fmt::Debug for Retry<S, T, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}
