use std::fmt;
use std::future::{Future, poll_fn};
use std::hash::Hash;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;
use wrangle_core::Timer;
use wrangle_resilience::rate::KeyedRateLimiter;

use crate::BoxError;

/// Applies [`KeyedRateLimit`]: each call is admitted by the schedule of its key, `key(&request)`
/// (a host, a client address, a user), in a [`KeyedRateLimiter`] shared by every service this
/// layer makes. Keys idle for a full schedule are evicted (see [`KeyedRateLimiter`]).
///
/// By default a call waits for its key's turn; [`reject`](KeyedRateLimitLayer::reject) makes
/// a call over its key's rate fail at once with
/// [`RateLimited`](wrangle_resilience::rate::RateLimited), whose
/// [`retry_after`](wrangle_resilience::rate::RateLimited::retry_after) is what a server puts in a
/// `Retry-After` header.
///
/// # Examples
///
/// One call a second per host, on virtual time: host `a`'s second call waits, `b`'s does not.
///
/// ```
/// use std::time::Duration;
/// use tower::{Service, ServiceBuilder, ServiceExt};
/// use wrangle::rate::{KeyedRateLimiter, Quota};
/// use wrangle::tower::KeyedRateLimitLayer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let per_host = KeyedRateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
///     let clock = rt.clone();
///     let mut svc = ServiceBuilder::new()
///         .layer(KeyedRateLimitLayer::new(per_host, |host: &&'static str| *host))
///         .service_fn(move |host: &'static str| {
///             let at = clock.elapsed();
///             async move { Ok::<_, std::io::Error>((host, at)) }
///         });
///     let a1 = svc.ready().await.unwrap().call("a");
///     let a2 = svc.ready().await.unwrap().call("a");
///     let b1 = svc.ready().await.unwrap().call("b");
///     let (a1, b1, a2) = (a1.await.unwrap(), b1.await.unwrap(), a2.await.unwrap());
///     assert_eq!((a1.1, b1.1, a2.1), (Duration::ZERO, Duration::ZERO, Duration::from_secs(1)));
/// });
/// ```
pub struct KeyedRateLimitLayer<K, T: Timer, F> {
    limiter: KeyedRateLimiter<K, T>,
    key: F,
    reject: bool,
}

impl<K, T, F> KeyedRateLimitLayer<K, T, F>
where
    K: Hash + Eq + Clone,
    T: Timer,
{
    /// A layer admitting each call through `limiter`, under the key `key(&request)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::rate::{KeyedRateLimiter, Quota};
    /// use wrangle::tower::KeyedRateLimitLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let per_user = KeyedRateLimiter::<u64, _>::new(rt, Quota::per_second(10).unwrap());
    /// let layer = KeyedRateLimitLayer::new(per_user, |(user, _body): &(u64, String)| *user);
    /// # drop(layer);
    /// ```
    pub fn new(limiter: KeyedRateLimiter<K, T>, key: F) -> Self {
        Self {
            limiter,
            key,
            reject: false,
        }
    }

    /// Refuse a call over its key's rate at once, with
    /// [`RateLimited`](wrangle_resilience::rate::RateLimited), instead of waiting (a server's
    /// choice: answer 429 rather than hold the connection).
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::{Layer, ServiceExt};
    /// use wrangle::rate::{KeyedRateLimiter, Quota, RateLimited};
    /// use wrangle::tower::KeyedRateLimitLayer;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let limiter = KeyedRateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
    ///     let layer = KeyedRateLimitLayer::new(limiter, |x: &u8| *x).reject();
    ///     let svc = layer.layer(tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) }));
    ///     assert_eq!(svc.clone().oneshot(1).await.unwrap(), 1);
    ///     let refused = svc.oneshot(1).await.unwrap_err();
    ///     assert_eq!(refused.downcast_ref::<RateLimited>().unwrap().retry_after(), std::time::Duration::from_secs(1));
    /// });
    /// ```
    pub fn reject(mut self) -> Self {
        self.reject = true;
        self
    }
}

impl<K, T: Timer, F: Clone> Clone for KeyedRateLimitLayer<K, T, F> {
    fn clone(&self) -> Self {
        Self {
            limiter: self.limiter.clone(),
            key: self.key.clone(),
            reject: self.reject,
        }
    }
}

impl<S, K, T: Timer, F: Clone> Layer<S> for KeyedRateLimitLayer<K, T, F> {
    type Service = KeyedRateLimit<S, K, T, F>;

    fn layer(&self, inner: S) -> Self::Service {
        KeyedRateLimit {
            inner,
            limiter: self.limiter.clone(),
            key: self.key.clone(),
            reject: self.reject,
        }
    }
}

impl<K, T: Timer, F> fmt::Debug for KeyedRateLimitLayer<K, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedRateLimitLayer")
            .field("limiter", &self.limiter)
            .field("reject", &self.reject)
            .finish_non_exhaustive()
    }
}

/// A service whose calls are admitted by their key's schedule; made by
/// [`KeyedRateLimitLayer`].
///
/// `poll_ready` is always ready: the key is in the request, which does not exist yet, so
/// this limit cannot apply backpressure there. The response future waits instead: for the
/// key's turn (or fails at once with [`RateLimited`](wrangle_resilience::rate::RateLimited) in
/// reject mode), then for a clone of the inner service to be ready, and only then calls it,
/// so nothing reaches the inner service before its turn. Hence `S: Clone`, and one boxed
/// future per call. Dropping the response future while it waits gives the key's place back.
///
/// # Examples
///
/// See [`KeyedRateLimitLayer`].
pub struct KeyedRateLimit<S, K, T: Timer, F> {
    inner: S,
    limiter: KeyedRateLimiter<K, T>,
    key: F,
    reject: bool,
}

impl<S, K, T: Timer, F> KeyedRateLimit<S, K, T, F> {
    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// use wrangle::rate::{KeyedRateLimiter, Quota};
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::KeyedRateLimitLayer::new(KeyedRateLimiter::<u8, _>::new(rt, Quota::per_second(5).unwrap()), |x: &u8| *x).layer(inner);
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
    /// use wrangle::rate::{KeyedRateLimiter, Quota};
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let mut svc = wrangle::tower::KeyedRateLimitLayer::new(KeyedRateLimiter::<u8, _>::new(rt, Quota::per_second(5).unwrap()), |x: &u8| *x).layer(inner);
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
    /// use wrangle::rate::{KeyedRateLimiter, Quota};
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::KeyedRateLimitLayer::new(KeyedRateLimiter::<u8, _>::new(rt, Quota::per_second(5).unwrap()), |x: &u8| *x).layer(inner);
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, K, T: Timer, F: Clone> Clone for KeyedRateLimit<S, K, T, F> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            limiter: self.limiter.clone(),
            key: self.key.clone(),
            reject: self.reject,
        }
    }
}

impl<S, K, T, F, Req> Service<Req> for KeyedRateLimit<S, K, T, F>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    Req: Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    T: Timer + 'static,
    F: Fn(&Req) -> K,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = KeyedResponseFuture<S::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let key = (self.key)(&request);
        let waiting = if self.reject {
            if let Err(limited) = self.limiter.try_acquire(&key) {
                return KeyedResponseFuture(Box::pin(std::future::ready(Err(limited.into()))));
            }
            None
        } else {
            Some(self.limiter.acquire_owned(key))
        };
        let mut inner = self.inner.clone();
        KeyedResponseFuture(Box::pin(async move {
            if let Some(waiting) = waiting {
                waiting.await;
            }
            poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            inner.call(request).await.map_err(Into::into)
        }))
    }
}

impl<S: fmt::Debug, K, T: Timer, F> fmt::Debug for KeyedRateLimit<S, K, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedRateLimit")
            .field("inner", &self.inner)
            .field("limiter", &self.limiter)
            .field("reject", &self.reject)
            .finish_non_exhaustive()
    }
}

/// Response future of [`KeyedRateLimit`]: the key's turn, the inner service's readiness, the
/// call. `'static + Send`; dropping it gives the key's place back.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct KeyedResponseFuture<R>(Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>);

impl<R> Future for KeyedResponseFuture<R> {
    type Output = Result<R, BoxError>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<R> fmt::Debug for KeyedResponseFuture<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedResponseFuture")
            .finish_non_exhaustive()
    }
}
