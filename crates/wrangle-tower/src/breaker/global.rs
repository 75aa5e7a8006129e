use std::fmt;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;
use wrangle_core::Timer;
use wrangle_resilience::breaker::CircuitBreaker as Breaker;

use super::{ErrorsOnly, IsFailure, ResponseFuture};
use crate::BoxError;

/// Applies [`CircuitBreaker`]: every call made by every service this layer makes goes
/// through one wrangle [`CircuitBreaker`](Breaker).
///
/// Errors count as failures; responses do when [`failure_if`](Self::failure_if) says so
/// (with the `http` feature, `http::ServerErrors`: 5xx).
///
/// # Examples
///
/// Three failures in a row open the breaker for 5 s; then a trial call goes through.
///
/// ```
/// use std::time::Duration;
/// use tower::{Service, ServiceBuilder, ServiceExt};
/// use wrangle::breaker::{BreakerState, CircuitBreaker, CircuitOpen};
/// use wrangle::tower::CircuitBreakerLayer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let breaker = CircuitBreaker::builder()
///         .consecutive_failures(3)
///         .cooldown(Duration::from_secs(5))
///         .build(rt.clone())
///         .unwrap();
///     let mut svc = ServiceBuilder::new()
///         .layer(CircuitBreakerLayer::new(breaker.clone()).failure_if(|status: &u16| *status >= 500))
///         .service_fn(|status: u16| async move { Ok::<_, std::io::Error>(status) });
///     for _ in 0..3 {
///         svc.ready().await.unwrap().call(503).await.unwrap();
///     }
///     assert_eq!(breaker.state(), BreakerState::Open);
///     let refused = svc.ready().await.unwrap().call(200).await.unwrap_err();
///     assert_eq!(refused.downcast_ref::<CircuitOpen>().unwrap().retry_after(), Duration::from_secs(5));
///     wrangle::sleep(&rt, Duration::from_secs(5)).await;
///     assert_eq!(svc.ready().await.unwrap().call(200).await.unwrap(), 200);
///     assert_eq!(breaker.state(), BreakerState::Closed);
/// });
/// ```
#[derive(Clone)]
pub struct CircuitBreakerLayer<T: Timer, P = ErrorsOnly> {
    breaker: Breaker<T>,
    failure: P,
}

impl<T: Timer> CircuitBreakerLayer<T> {
    /// A layer that sends every call through `breaker` (shared with its clones and whoever
    /// else holds it); only errors count as failures.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::CircuitBreaker;
    /// use wrangle::tower::CircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let breaker = CircuitBreaker::builder().consecutive_failures(5).build(rt).unwrap();
    /// let layer = CircuitBreakerLayer::new(breaker);
    /// # drop(layer);
    /// ```
    pub fn new(breaker: Breaker<T>) -> Self {
        Self {
            breaker,
            failure: ErrorsOnly,
        }
    }
}

impl<T: Timer, P> CircuitBreakerLayer<T, P> {
    /// Count the responses for which `failure` is true as failures too.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::CircuitBreaker;
    /// use wrangle::tower::CircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let breaker = CircuitBreaker::builder().build(rt).unwrap();
    /// let layer = CircuitBreakerLayer::new(breaker).failure_if(|status: &u16| *status >= 500);
    /// # drop(layer);
    /// ```
    pub fn failure_if<P2>(self, failure: P2) -> CircuitBreakerLayer<T, P2> {
        CircuitBreakerLayer {
            breaker: self.breaker,
            failure,
        }
    }
}

impl<S, T: Timer, P: Clone> Layer<S> for CircuitBreakerLayer<T, P> {
    type Service = CircuitBreaker<S, T, P>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreaker {
            inner,
            breaker: self.breaker.clone(),
            failure: self.failure.clone(),
        }
    }
}

impl<T: Timer, P> fmt::Debug for CircuitBreakerLayer<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerLayer")
            .field("breaker", &self.breaker)
            .finish_non_exhaustive()
    }
}

/// A service behind a circuit breaker; made by [`CircuitBreakerLayer`].
///
/// `poll_ready` is the inner service's. The breaker is asked in `call`: while it is open the
/// response future fails at once with [`CircuitOpen`](wrangle_resilience::breaker::CircuitOpen)
/// (its `retry_after` says for how long) and the inner service is not called; otherwise the
/// call's outcome is reported to the breaker when it ends.
///
/// # Examples
///
/// See [`CircuitBreakerLayer`].
#[derive(Clone)]
pub struct CircuitBreaker<S, T: Timer, P = ErrorsOnly> {
    inner: S,
    breaker: Breaker<T>,
    failure: P,
}

impl<S, T: Timer, P> CircuitBreaker<S, T, P> {
    /// The breaker.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// use wrangle::breaker::{BreakerState, CircuitBreaker};
    /// use wrangle::tower::CircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let breaker = CircuitBreaker::builder().build(rt).unwrap();
    /// let svc = CircuitBreakerLayer::new(breaker).layer(tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) }));
    /// assert_eq!(svc.breaker().state(), BreakerState::Closed);
    /// ```
    pub fn breaker(&self) -> &Breaker<T> {
        &self.breaker
    }

    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// use wrangle::breaker::CircuitBreaker;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::CircuitBreakerLayer::new(CircuitBreaker::builder().build(rt).unwrap()).layer(inner);
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
    /// use wrangle::breaker::CircuitBreaker;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let mut svc = wrangle::tower::CircuitBreakerLayer::new(CircuitBreaker::builder().build(rt).unwrap()).layer(inner);
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
    /// use wrangle::breaker::CircuitBreaker;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::CircuitBreakerLayer::new(CircuitBreaker::builder().build(rt).unwrap()).layer(inner);
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, T, P, Req> Service<Req> for CircuitBreaker<S, T, P>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    T: Timer,
    P: IsFailure<S::Response> + Clone,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future, T, P>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        match self.breaker.try_enter() {
            Ok(permit) => {
                ResponseFuture::called(self.inner.call(request), permit, self.failure.clone())
            }
            Err(open) => ResponseFuture::open(open, self.failure.clone()),
        }
    }
}

impl<S: fmt::Debug, T: Timer, P> fmt::Debug for CircuitBreaker<S, T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("inner", &self.inner)
            .field("breaker", &self.breaker)
            .finish_non_exhaustive()
    }
}
