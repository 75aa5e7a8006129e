use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;
use wrangle_core::Timer;
use wrangle_resilience::breaker::{BreakerState, CircuitBreaker as Breaker};

use super::{ErrorsOnly, IsFailure, ResponseFuture};
use crate::BoxError;

/// The map is swept of closed breakers when it reaches this many keys (then twice the number
/// left, at least this).
const MIN_SWEEP: usize = 1024;

type Make<K, T> = dyn Fn(&K) -> Breaker<T> + Send + Sync;

struct Breakers<K, T: Timer> {
    make: Box<Make<K, T>>,
    map: Mutex<Map<K, T>>,
}

struct Map<K, T: Timer> {
    breakers: HashMap<K, Breaker<T>>,
    sweep_at: usize,
}

impl<K: Hash + Eq + Clone, T: Timer> Breakers<K, T> {
    fn get(&self, key: &K) -> Breaker<T> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(breaker) = map.breakers.get(key) {
            return breaker.clone();
        }
        if map.breakers.len() >= map.sweep_at {
            map.breakers
                .retain(|_, b| b.state() != BreakerState::Closed);
            map.sweep_at = (map.breakers.len() * 2).max(MIN_SWEEP);
        }
        let breaker = (self.make)(key);
        map.breakers.insert(key.clone(), breaker.clone());
        breaker
    }
}

/// Applies [`KeyedCircuitBreaker`]: a breaker per key, `key(&request)` (a host, a shard),
/// made by `make(&key)` the first time the key is seen and shared by every service this layer
/// makes.
///
/// Idle keys are evicted: when the map reaches 1024 keys (then twice the number it keeps),
/// the closed breakers are dropped; open and half-open ones are kept. A dropped closed breaker
/// forgets the failures it had counted (fewer than its trip rule).
///
/// # Examples
///
/// Host `a` keeps failing and its breaker opens; host `b`'s calls still go through.
///
/// ```
/// use std::time::Duration;
/// use tower::{Service, ServiceBuilder, ServiceExt};
/// use wrangle::breaker::{BreakerState, CircuitBreaker, CircuitOpen};
/// use wrangle::tower::KeyedCircuitBreakerLayer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let clock = rt.clone();
///     let layer = KeyedCircuitBreakerLayer::new(
///         move |_host: &String| {
///             CircuitBreaker::builder().consecutive_failures(2).build(clock.clone()).unwrap()
///         },
///         |(host, _): &(String, bool)| host.clone(),
///     );
///     let mut svc = ServiceBuilder::new()
///         .layer(layer.clone())
///         .service_fn(|(_, ok): (String, bool)| async move {
///             if ok { Ok(()) } else { Err(std::io::Error::other("down")) }
///         });
///     for _ in 0..2 {
///         let _ = svc.ready().await.unwrap().call(("a".into(), false)).await;
///     }
///     assert_eq!(layer.breaker(&"a".into()).state(), BreakerState::Open);
///     let refused = svc.ready().await.unwrap().call(("a".into(), true)).await.unwrap_err();
///     assert!(refused.is::<CircuitOpen>());
///     assert!(svc.ready().await.unwrap().call(("b".into(), true)).await.is_ok());
/// });
/// ```
pub struct KeyedCircuitBreakerLayer<K, T: Timer, F, P = ErrorsOnly> {
    breakers: Arc<Breakers<K, T>>,
    key: F,
    failure: P,
}

impl<K, T, F> KeyedCircuitBreakerLayer<K, T, F>
where
    K: Hash + Eq + Clone,
    T: Timer,
{
    /// A layer with a breaker per key `key(&request)`, each made by `make(&key)`; only errors
    /// count as failures.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::CircuitBreaker;
    /// use wrangle::tower::KeyedCircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let layer = KeyedCircuitBreakerLayer::new(
    ///     move |_shard: &u32| CircuitBreaker::builder().consecutive_failures(5).build(rt.clone()).unwrap(),
    ///     |(shard, _query): &(u32, String)| *shard,
    /// );
    /// assert!(layer.is_empty());
    /// ```
    pub fn new(make: impl Fn(&K) -> Breaker<T> + Send + Sync + 'static, key: F) -> Self {
        Self {
            breakers: Arc::new(Breakers {
                make: Box::new(make),
                map: Mutex::new(Map {
                    breakers: HashMap::new(),
                    sweep_at: MIN_SWEEP,
                }),
            }),
            key,
            failure: ErrorsOnly,
        }
    }
}

impl<K, T, F, P> KeyedCircuitBreakerLayer<K, T, F, P>
where
    K: Hash + Eq + Clone,
    T: Timer,
{
    /// Count the responses for which `failure` is true as failures too.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::CircuitBreaker;
    /// use wrangle::tower::KeyedCircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// // Responses with a negative status count as failures too.
    /// let layer = KeyedCircuitBreakerLayer::new(
    ///     move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(),
    ///     |x: &u8| *x,
    /// )
    /// .failure_if(|status: &i32| *status < 0);
    /// # drop(layer);
    /// ```
    pub fn failure_if<P2>(self, failure: P2) -> KeyedCircuitBreakerLayer<K, T, F, P2> {
        KeyedCircuitBreakerLayer {
            breakers: self.breakers,
            key: self.key,
            failure,
        }
    }

    /// The breaker of `key` (made now if the key is new), to read its state.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::{BreakerState, CircuitBreaker};
    /// use wrangle::tower::KeyedCircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let layer = KeyedCircuitBreakerLayer::new(
    ///     move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(),
    ///     |x: &u8| *x,
    /// );
    /// assert_eq!(layer.breaker(&7).state(), BreakerState::Closed);
    /// assert_eq!(layer.len(), 1);
    /// ```
    pub fn breaker(&self, key: &K) -> Breaker<T> {
        self.breakers.get(key)
    }

    /// How many keys have a breaker now.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::CircuitBreaker;
    /// use wrangle::tower::KeyedCircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let layer = KeyedCircuitBreakerLayer::new(
    ///     move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(),
    ///     |x: &u8| *x,
    /// );
    /// let _ = (layer.breaker(&1), layer.breaker(&2), layer.breaker(&1));
    /// assert_eq!(layer.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.breakers
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .breakers
            .len()
    }

    /// Whether no key has a breaker.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::CircuitBreaker;
    /// use wrangle::tower::KeyedCircuitBreakerLayer;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let layer = KeyedCircuitBreakerLayer::new(
    ///     move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(),
    ///     |x: &u8| *x,
    /// );
    /// assert!(layer.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K, T: Timer, F: Clone, P: Clone> Clone for KeyedCircuitBreakerLayer<K, T, F, P> {
    fn clone(&self) -> Self {
        Self {
            breakers: self.breakers.clone(),
            key: self.key.clone(),
            failure: self.failure.clone(),
        }
    }
}

impl<S, K, T: Timer, F: Clone, P: Clone> Layer<S> for KeyedCircuitBreakerLayer<K, T, F, P> {
    type Service = KeyedCircuitBreaker<S, K, T, F, P>;

    fn layer(&self, inner: S) -> Self::Service {
        KeyedCircuitBreaker {
            inner,
            breakers: self.breakers.clone(),
            key: self.key.clone(),
            failure: self.failure.clone(),
        }
    }
}

impl<K, T: Timer, F, P> fmt::Debug for KeyedCircuitBreakerLayer<K, T, F, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedCircuitBreakerLayer")
            .finish_non_exhaustive()
    }
}

/// A service behind a breaker per key; made by [`KeyedCircuitBreakerLayer`].
///
/// As [`CircuitBreaker`](super::CircuitBreaker), with the breaker chosen by the request's key
/// in `call`: `poll_ready` is the inner service's, an open breaker fails the call at once
/// with [`CircuitOpen`](wrangle_resilience::breaker::CircuitOpen), without calling the inner
/// service.
///
/// # Examples
///
/// See [`KeyedCircuitBreakerLayer`].
pub struct KeyedCircuitBreaker<S, K, T: Timer, F, P = ErrorsOnly> {
    inner: S,
    breakers: Arc<Breakers<K, T>>,
    key: F,
    failure: P,
}

impl<S, K, T: Timer, F, P> KeyedCircuitBreaker<S, K, T, F, P> {
    /// The wrapped service.
    ///
    /// # Examples
    ///
    /// ```
    /// use tower::Layer;
    /// use wrangle::breaker::CircuitBreaker;
    /// # let rt = wrangle::sim::Sim::new(1);
    /// let inner = String::from("inner");
    /// let svc = wrangle::tower::KeyedCircuitBreakerLayer::new(move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(), |x: &u8| *x).layer(inner);
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
    /// let mut svc = wrangle::tower::KeyedCircuitBreakerLayer::new(move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(), |x: &u8| *x).layer(inner);
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
    /// let svc = wrangle::tower::KeyedCircuitBreakerLayer::new(move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(), |x: &u8| *x).layer(inner);
    /// assert_eq!(svc.into_inner(), "inner");
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, K, T: Timer, F: Clone, P: Clone> Clone for KeyedCircuitBreaker<S, K, T, F, P> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            breakers: self.breakers.clone(),
            key: self.key.clone(),
            failure: self.failure.clone(),
        }
    }
}

impl<S, K, T, F, P, Req> Service<Req> for KeyedCircuitBreaker<S, K, T, F, P>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    K: Hash + Eq + Clone,
    T: Timer,
    F: Fn(&Req) -> K,
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
        let breaker = self.breakers.get(&(self.key)(&request));
        match breaker.try_enter() {
            Ok(permit) => {
                ResponseFuture::called(self.inner.call(request), permit, self.failure.clone())
            }
            Err(open) => ResponseFuture::open(open, self.failure.clone()),
        }
    }
}

impl<S: fmt::Debug, K, T: Timer, F, P> fmt::Debug for KeyedCircuitBreaker<S, K, T, F, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedCircuitBreaker")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
