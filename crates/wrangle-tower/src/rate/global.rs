use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;
use wrangle_core::Timer;
use wrangle_resilience::rate::{OwnedAcquire, RateLimiter};

/// Applies [`RateLimit`]: every call made by every service this layer makes (and their
/// clones) is admitted by one [`RateLimiter`], in arrival order.
///
/// # Examples
///
/// Two calls a second, on virtual time: the third waits for its slot.
///
/// ```
/// use std::time::Duration;
/// use tower::{Service, ServiceBuilder, ServiceExt};
/// use wrangle::rate::{Quota, RateLimiter};
/// use wrangle::tower::RateLimitLayer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(2).unwrap());
///     let mut svc = ServiceBuilder::new()
///         .layer(RateLimitLayer::new(limiter))
///         .service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) });
///     for x in 0..3 {
///         svc.ready().await.unwrap().call(x).await.unwrap();
///     }
///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
/// });
/// ```
#[derive(Clone)]
pub struct RateLimitLayer<T: Timer> {
    limiter: RateLimiter<T>,
}

impl<T: Timer> RateLimitLayer<T> {
    /// A layer admitting calls through `limiter` (shared: its clones, and other layers or
    /// code holding it, draw on the same schedule).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::rate::{Quota, RateLimiter};
    /// use wrangle::tower::RateLimitLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let layer = RateLimitLayer::new(RateLimiter::new(rt, Quota::per_second(100).unwrap()));
    /// # drop(layer);
    /// ```
    pub fn new(limiter: RateLimiter<T>) -> Self {
        Self { limiter }
    }
}

impl<S, T: Timer> Layer<S> for RateLimitLayer<T> {
    type Service = RateLimit<S, T>;

    fn layer(&self, inner: S) -> RateLimit<S, T> {
        RateLimit::new(inner, self.limiter.clone())
    }
}

impl<T: Timer> fmt::Debug for RateLimitLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("limiter", &self.limiter)
            .finish()
    }
}

/// A service whose calls are admitted by a [`RateLimiter`]; made by [`RateLimitLayer`].
///
/// Backpressure is in `poll_ready`: it takes the next slot of the schedule (waiting for it
/// in arrival order, behind earlier callers), then polls the inner service; the call that
/// follows uses the slot. A slot taken and never used (the service dropped after
/// `poll_ready`) is spent, as a token taken from a bucket is. A clone starts without a slot.
/// A call made without `poll_ready` first (against tower's contract) is not refused: its
/// response future waits for a slot before polling the inner call.
///
/// # Examples
///
/// See [`RateLimitLayer`].
pub struct RateLimit<S, T: Timer> {
    inner: S,
    limiter: RateLimiter<T>,
    admitted: bool,
    waiting: Option<OwnedAcquire<T>>,
}

impl<S, T: Timer> RateLimit<S, T> {
    /// Wraps `inner`, admitting its calls through `limiter`.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::rate::{Quota, RateLimiter};
    /// use wrangle::tower::RateLimit;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let limiter = RateLimiter::new(rt, Quota::per_second(100).unwrap());
    /// let svc = RateLimit::new(tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) }), limiter);
    /// # drop(svc);
    /// ```
    pub fn new(inner: S, limiter: RateLimiter<T>) -> Self {
        Self {
            inner,
            limiter,
            admitted: false,
            waiting: None,
        }
    }

    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::rate::{Quota, RateLimiter};
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::RateLimit::new(inner, RateLimiter::new(rt, Quota::per_second(5).unwrap()));
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
    /// use wrangle::rate::{Quota, RateLimiter};
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let mut svc = wrangle::tower::RateLimit::new(inner, RateLimiter::new(rt, Quota::per_second(5).unwrap()));
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
    /// use wrangle::rate::{Quota, RateLimiter};
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::RateLimit::new(inner, RateLimiter::new(rt, Quota::per_second(5).unwrap()));
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, T: Timer> Clone for RateLimit<S, T> {
    fn clone(&self) -> Self {
        Self::new(self.inner.clone(), self.limiter.clone())
    }
}

impl<S, T, Req> Service<Req> for RateLimit<S, T>
where
    S: Service<Req>,
    T: Timer,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, T>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        if !self.admitted {
            if self.waiting.is_none() {
                if self.limiter.try_acquire().is_ok() {
                    self.admitted = true;
                } else {
                    self.waiting = Some(self.limiter.acquire_owned());
                }
            }
            if let Some(waiting) = self.waiting.as_mut() {
                ready!(Pin::new(waiting).poll(cx));
                self.waiting = None;
                self.admitted = true;
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let waiting = if std::mem::take(&mut self.admitted) {
            None
        } else {
            Some(self.limiter.acquire_owned())
        };
        ResponseFuture {
            waiting,
            inner: self.inner.call(request),
        }
    }
}

impl<S: fmt::Debug, T: Timer> fmt::Debug for RateLimit<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("inner", &self.inner)
            .field("admitted", &self.admitted)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Response future of [`RateLimit`]: the inner call (after its slot, when the call was
    /// made without `poll_ready`).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ResponseFuture<F, T: Timer> {
        waiting: Option<OwnedAcquire<T>>,
        #[pin]
        inner: F,
    }
}

impl<F: Future, T: Timer> Future for ResponseFuture<F, T> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Some(waiting) = this.waiting.as_mut() {
            ready!(Pin::new(waiting).poll(cx));
            *this.waiting = None;
        }
        this.inner.poll(cx)
    }
}

impl<F, T: Timer> fmt::Debug for ResponseFuture<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("waiting", &self.waiting.is_some())
            .finish_non_exhaustive()
    }
}
