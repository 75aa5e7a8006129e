//! A time limit on every call: [`TimeoutLayer`] and its service, [`Timeout`].

mod future;

use std::fmt;
use std::task::{Context, Poll};
use std::time::Duration;

use tower_layer::Layer;
use tower_service::Service;
use wrangle_core::Timer;

use crate::BoxError;
pub use future::ResponseFuture;

/// Applies [`Timeout`] to a service: every call that has not finished `timeout` after it was
/// made fails with [`Elapsed`](wrangle_core::Elapsed), on `timer`'s clock.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tower::{ServiceBuilder, ServiceExt};
/// use wrangle::Elapsed;
/// use wrangle::tower::TimeoutLayer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let nap = rt.clone();
///     let svc = ServiceBuilder::new()
///         .layer(TimeoutLayer::new(rt.clone(), Duration::from_secs(1)))
///         .service_fn(move |d: Duration| {
///             let nap = nap.clone();
///             async move { wrangle::sleep(&nap, d).await; Ok::<_, std::io::Error>(d) }
///         });
///     let err = svc.oneshot(Duration::from_secs(5)).await.unwrap_err();
///     assert!(err.is::<Elapsed>());
///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
/// });
/// ```
#[derive(Clone)]
pub struct TimeoutLayer<T> {
    timer: T,
    timeout: Duration,
}

impl<T: Timer> TimeoutLayer<T> {
    /// A layer that limits each call to `timeout` on `timer`'s clock. `Duration::MAX` is no
    /// limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::tower::TimeoutLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let layer = TimeoutLayer::new(rt, Duration::from_secs(2));
    /// # drop(layer);
    /// ```
    pub fn new(timer: T, timeout: Duration) -> Self {
        Self { timer, timeout }
    }
}

impl<S, T: Timer> Layer<S> for TimeoutLayer<T> {
    type Service = Timeout<S, T>;

    fn layer(&self, inner: S) -> Timeout<S, T> {
        Timeout {
            inner,
            timer: self.timer.clone(),
            timeout: self.timeout,
        }
    }
}

impl<T> fmt::Debug for TimeoutLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutLayer")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A service whose calls fail with [`Elapsed`](wrangle_core::Elapsed) when they take longer
/// than a time limit; made by [`TimeoutLayer`].
///
/// The clock starts when the call is made (`call`), not in `poll_ready`, which is the inner
/// service's. Dropping the response future drops the inner call.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tower::ServiceExt;
/// use wrangle::tower::Timeout;
///
/// wrangle::sim::run(1, |rt| async move {
///     let svc = Timeout::new(tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) }), rt, Duration::from_secs(1));
///     assert_eq!(svc.oneshot(7).await.unwrap(), 7);
/// });
/// ```
#[derive(Clone)]
pub struct Timeout<S, T> {
    inner: S,
    timer: T,
    timeout: Duration,
}

impl<S, T: Timer> Timeout<S, T> {
    /// Wraps `inner`, limiting each call to `timeout` on `timer`'s clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::tower::Timeout;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let svc = Timeout::new(tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) }), rt, Duration::from_secs(2));
    /// # drop(svc);
    /// ```
    pub fn new(inner: S, timer: T, timeout: Duration) -> Self {
        Self {
            inner,
            timer,
            timeout,
        }
    }

    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::Timeout::new(inner, rt, Duration::from_secs(1));
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
    /// use std::time::Duration;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let mut svc = wrangle::tower::Timeout::new(inner, rt, Duration::from_secs(1));
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
    /// use std::time::Duration;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::Timeout::new(inner, rt, Duration::from_secs(1));
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, T, Req> Service<Req> for Timeout<S, T>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    T: Timer,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future, T>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    #[inline]
    fn call(&mut self, request: Req) -> Self::Future {
        let call = self.inner.call(request);
        ResponseFuture::new(wrangle_core::timeout(
            self.timer.clone(),
            self.timeout,
            call,
        ))
    }
}

impl<S: fmt::Debug, T> fmt::Debug for Timeout<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("inner", &self.inner)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
