//! At most N calls in flight: [`ConcurrencyLimitLayer`] and its service,
//! [`ConcurrencyLimit`].

mod future;
mod semaphore;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use semaphore::{Acquire, Permit, Semaphore};
use tower_layer::Layer;
use tower_service::Service;

pub use future::ResponseFuture;

/// Applies [`ConcurrencyLimit`]: at most `max` calls in flight, counted across **every**
/// service this layer makes (and their clones), so a server that makes one service per
/// connection limits the whole server. Make another layer for a separate limit.
///
/// # Examples
///
/// A server refusing work beyond 64 requests in flight instead of queueing it:
///
/// ```
/// use tower::ServiceBuilder;
/// use wrangle::tower::{ConcurrencyLimitLayer, LoadShedLayer};
///
/// let svc = ServiceBuilder::new()
///     .layer(LoadShedLayer::new())
///     .layer(ConcurrencyLimitLayer::new(64)?)
///     .service_fn(|req: String| async move { Ok::<_, std::io::Error>(req.len()) });
/// # drop(svc);
/// # Ok::<(), wrangle::tower::InvalidLimit>(())
/// ```
#[derive(Clone)]
pub struct ConcurrencyLimitLayer {
    semaphore: Arc<Semaphore>,
    max: usize,
}

impl ConcurrencyLimitLayer {
    /// A limit of `max` calls in flight.
    ///
    /// # Errors
    ///
    /// [`InvalidLimit`] when `max` is 0: no call would ever be admitted.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::tower::{ConcurrencyLimitLayer, InvalidLimit};
    ///
    /// assert!(ConcurrencyLimitLayer::new(16).is_ok());
    /// assert!(matches!(ConcurrencyLimitLayer::new(0), Err(InvalidLimit { .. })));
    /// ```
    pub fn new(max: usize) -> Result<Self, InvalidLimit> {
        if max == 0 {
            return Err(InvalidLimit(()));
        }
        Ok(Self {
            semaphore: Arc::new(Semaphore::new(max)),
            max,
        })
    }
}

impl<S> Layer<S> for ConcurrencyLimitLayer {
    type Service = ConcurrencyLimit<S>;

    fn layer(&self, inner: S) -> ConcurrencyLimit<S> {
        ConcurrencyLimit {
            inner,
            semaphore: self.semaphore.clone(),
            permit: None,
            acquiring: None,
        }
    }
}

impl fmt::Debug for ConcurrencyLimitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrencyLimitLayer")
            .field("max", &self.max)
            .finish()
    }
}

/// A service with at most N calls in flight; made by [`ConcurrencyLimitLayer`].
///
/// `poll_ready` waits for a permit (woken in the order the waiters started waiting, though a
/// caller that finds a permit free takes it), then for the inner service; the call that follows takes the permit, and its response future holds it until
/// it completes or is dropped. A clone starts without a permit. A permit held by a service
/// that is dropped before calling is released.
///
/// # Examples
///
/// ```
/// use tower::{Layer, Service, ServiceExt};
/// use wrangle::tower::ConcurrencyLimitLayer;
///
/// wrangle::sim::run(1, |_rt| async move {
///     let layer = ConcurrencyLimitLayer::new(1).unwrap();
///     let mut a = layer.layer(tower::service_fn(|x: u8| async move { Ok::<_, std::io::Error>(x) }));
///     let mut b = a.clone();
///     let held = a.ready().await.unwrap().call(1); // holds the only permit until it completes
///     let waker = std::task::Waker::noop();
///     assert!(b.poll_ready(&mut std::task::Context::from_waker(waker)).is_pending());
///     assert_eq!(held.await.unwrap(), 1);
///     assert_eq!(b.ready().await.unwrap().call(2).await.unwrap(), 2);
/// });
/// ```
pub struct ConcurrencyLimit<S> {
    inner: S,
    semaphore: Arc<Semaphore>,
    permit: Option<Permit>,
    acquiring: Option<Acquire>,
}

impl<S> ConcurrencyLimit<S> {
    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::ConcurrencyLimitLayer::new(8).unwrap().layer(inner);
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
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let mut svc = wrangle::tower::ConcurrencyLimitLayer::new(8).unwrap().layer(inner);
    /// svc.get_mut().push('!');
    /// assert_eq!(svc.get_ref(), "inner!");
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the service (a permit it held is released).
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::ConcurrencyLimitLayer::new(8).unwrap().layer(inner);
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone> Clone for ConcurrencyLimit<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            semaphore: self.semaphore.clone(),
            permit: None,
            acquiring: None,
        }
    }
}

impl<S, Req> Service<Req> for ConcurrencyLimit<S>
where
    S: Service<Req>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        if self.permit.is_none() {
            if self.acquiring.is_none() {
                match self.semaphore.try_acquire() {
                    Some(permit) => self.permit = Some(permit),
                    // The slow path: a waiter, kept across polls.
                    None => self.acquiring = Some(Acquire::new(self.semaphore.clone())),
                }
            }
            if let Some(acquiring) = self.acquiring.as_mut() {
                let permit = ready!(Pin::new(acquiring).poll(cx));
                self.acquiring = None;
                self.permit = Some(permit);
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // Without a permit (`call` before `poll_ready` said ready) the call is not limited:
        // tower's contract is broken, and this layer does not panic on it.
        ResponseFuture::new(self.inner.call(request), self.permit.take())
    }
}

impl<S: fmt::Debug> fmt::Debug for ConcurrencyLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrencyLimit")
            .field("inner", &self.inner)
            .field("holds_permit", &self.permit.is_some())
            .finish_non_exhaustive()
    }
}

/// The error of [`ConcurrencyLimitLayer::new`]: a limit of zero calls in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidLimit(());

impl fmt::Display for InvalidLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid concurrency limit: 0 calls in flight would admit nothing, ever")
    }
}

impl std::error::Error for InvalidLimit {}
