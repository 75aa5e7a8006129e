//! Refuse instead of queueing: [`LoadShedLayer`] and its service, [`LoadShed`].

mod error;
mod future;

use std::fmt;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::BoxError;
pub use error::Overloaded;
pub use future::ResponseFuture;

/// Applies [`LoadShed`]: calls made while the inner service is not ready fail at once with
/// [`Overloaded`].
///
/// # Examples
///
/// See [`ConcurrencyLimitLayer`](crate::ConcurrencyLimitLayer).
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadShedLayer(());

impl LoadShedLayer {
    /// The layer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::ServiceBuilder;
    /// use wrangle::tower::{ConcurrencyLimitLayer, LoadShedLayer};
    ///
    /// let svc = ServiceBuilder::new()
    ///     .layer(LoadShedLayer::new())
    ///     .layer(ConcurrencyLimitLayer::new(4).unwrap())
    ///     .service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) });
    /// # drop(svc);
    /// ```
    pub fn new() -> Self {
        Self(())
    }
}

impl<S> Layer<S> for LoadShedLayer {
    type Service = LoadShed<S>;

    fn layer(&self, inner: S) -> LoadShed<S> {
        LoadShed::new(inner)
    }
}

/// A service that is always ready, and refuses a call with [`Overloaded`] when its inner
/// service was not ready for it; made by [`LoadShedLayer`].
///
/// `poll_ready` polls the inner service once: ready, the next call goes to it; pending (a
/// concurrency or global rate limit with no room, say), the next call fails at once with
/// [`Overloaded`], without waiting. An error from the inner `poll_ready` is returned as it is.
/// Outside a [`KeyedRateLimit`](crate::KeyedRateLimit), which waits in its response future,
/// it sheds nothing; use that layer's [`reject`](crate::KeyedRateLimitLayer::reject) mode.
///
/// # Examples
///
/// ```
/// use tower::{Layer, Service, ServiceExt};
/// use wrangle::tower::{ConcurrencyLimitLayer, LoadShedLayer, Overloaded};
///
/// wrangle::sim::run(1, |_rt| async move {
///     let limit = ConcurrencyLimitLayer::new(1).unwrap();
///     let svc = tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) });
///     let mut a = LoadShedLayer::new().layer(limit.layer(svc));
///     let mut b = a.clone();
///     let held = a.ready().await.unwrap().call(1);
///     let refused = b.ready().await.unwrap().call(2).await.unwrap_err();
///     assert!(refused.is::<Overloaded>());
///     assert_eq!(held.await.unwrap(), 1);
/// });
/// ```
#[derive(Clone)]
pub struct LoadShed<S> {
    inner: S,
    ready: bool,
}

impl<S> LoadShed<S> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::ServiceExt;
    /// use wrangle::tower::LoadShed;
    ///
    /// wrangle::sim::run(1, |_rt| async move {
    ///     let svc = LoadShed::new(tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) }));
    ///     assert_eq!(svc.oneshot(3).await.unwrap(), 3);
    /// });
    /// ```
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            ready: false,
        }
    }

    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::LoadShed::new(inner);
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
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let mut svc = wrangle::tower::LoadShed::new(inner);
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
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::LoadShed::new(inner);
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, Req> Service<Req> for LoadShed<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if !self.ready {
            match self.inner.poll_ready(cx) {
                Poll::Ready(Ok(())) => self.ready = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Pending => {}
            }
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Req) -> Self::Future {
        if std::mem::take(&mut self.ready) {
            ResponseFuture::called(self.inner.call(request))
        } else {
            ResponseFuture::overloaded()
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for LoadShed<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadShed")
            .field("inner", &self.inner)
            .field("ready", &self.ready)
            .finish()
    }
}
