//! tower layers for wrangle: timeout, retry, rate limits, circuit breakers and concurrency
//! limits, on any runtime and on virtual time.
//!
//! Each layer wraps a [`tower_service::Service`] and takes the wrangle runtime handle whose
//! clock it keeps time on (any [`Timer`](wrangle_core::Timer): tokio, smol, async-std, or
//! `wrangle-sim`'s virtual clock), so one stack runs on every runtime, and exactly on virtual
//! time in tests.
//!
//! | Layer | Service | What it does | Backpressure |
//! |---|---|---|---|
//! | [`TimeoutLayer`] | [`Timeout`] | fails a call that takes too long with [`Elapsed`](wrangle_core::Elapsed) | inner's |
//! | [`RetryLayer`] | [`Retry`] | retries errors and classified responses with wrangle's [`RetryPolicy`](wrangle_resilience::retry::RetryPolicy): backoff, jitter, `Retry-After`, a budget shared across requests | inner's |
//! | [`RateLimitLayer`] | [`RateLimit`] | one GCRA schedule for every call, FIFO-fair | **`poll_ready`** waits for a slot |
//! | [`KeyedRateLimitLayer`] | [`KeyedRateLimit`] | a schedule per key (host, client), idle keys evicted; waits or refuses with [`RateLimited`](wrangle_resilience::rate::RateLimited) | the **response future** waits |
//! | [`CircuitBreakerLayer`] | [`CircuitBreaker`] | one breaker; calls fail fast with [`CircuitOpen`](wrangle_resilience::breaker::CircuitOpen) while it is open | inner's |
//! | [`KeyedCircuitBreakerLayer`] | [`KeyedCircuitBreaker`] | a breaker per key | inner's |
//! | [`ConcurrencyLimitLayer`] | [`ConcurrencyLimit`] | at most N calls in flight, shared by every service the layer makes | **`poll_ready`** waits for a permit |
//! | [`LoadShedLayer`] | [`LoadShed`] | turns "not ready" into an immediate [`Overloaded`] error | never waits |
//!
//! # `poll_ready`
//!
//! A tower service says whether it can take a call in `poll_ready`, before the request
//! exists. So a limit that applies to every call (the global [`RateLimit`], the
//! [`ConcurrencyLimit`]) applies backpressure there: `poll_ready` is pending until a slot or
//! permit is held, and the call that follows uses it. A keyed limit cannot: the key comes
//! from the request. [`KeyedRateLimit`]'s `poll_ready` is always ready, and its response
//! future waits for the key's turn, then for its inner service to be ready, and only then
//! calls it. Put a [`LoadShed`] outside a global limit to refuse instead of queueing.
//!
//! # Errors
//!
//! Every layer's error is [`BoxError`] (as tower's own layers), holding a typed error that
//! `downcast_ref` recovers: [`Elapsed`](wrangle_core::Elapsed), [`RateLimited`](wrangle_resilience::rate::RateLimited),
//! [`CircuitOpen`](wrangle_resilience::breaker::CircuitOpen), [`Overloaded`], [`RetryError`]
//! (retries stopped, with the last error as its `source()`), or the inner service's error as
//! it was. Response futures are `'static + Send` when the inner service's are; layers are
//! `Clone`, and the services a layer makes share its limiter, breaker and budget.
//!
//! # Examples
//!
//! A client stack on virtual time: retry outside a breaker outside a timeout.
//!
//! ```
//! use std::time::Duration;
//! use tower::{ServiceBuilder, ServiceExt};
//! use wrangle::breaker::CircuitBreaker as Breaker;
//! use wrangle::retry::RetryPolicy;
//! use wrangle::tower::{CircuitBreakerLayer, RetryLayer, TimeoutLayer};
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let policy = RetryPolicy::builder().constant(Duration::from_millis(100)).build().unwrap();
//!     let breaker = Breaker::builder().consecutive_failures(5).build(rt.clone()).unwrap();
//!     let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
//!     let seen = calls.clone();
//!     let svc = ServiceBuilder::new()
//!         .layer(RetryLayer::new(rt.clone(), policy))
//!         .layer(CircuitBreakerLayer::new(breaker))
//!         .layer(TimeoutLayer::new(rt.clone(), Duration::from_secs(1)))
//!         .service_fn(move |n: u32| {
//!             let k = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
//!             async move { if k < 2 { Err("flaky") } else { Ok(n * 2) } }
//!         });
//!     assert_eq!(svc.oneshot(21).await.unwrap(), 42);
//!     assert_eq!(rt.elapsed(), Duration::from_millis(200)); // two retries, 100 ms apart
//! });
//! ```
//!
//! # Runtime support
//!
//! Every runtime wrangle supports: the layers use only the [`Timer`](wrangle_core::Timer)
//! they are given (and none needs [`Spawn`](wrangle_core::Spawn)). tower's own `timeout` and
//! `limit` layers need tokio's timer; these do not.
//!
//! # Feature flags
//!
//! - `http`: the `http` module — retry classification by status code with `Retry-After` in both its
//!   forms, a breaker failure rule for 5xx, and a clone hook for `http::Request`s.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub mod breaker;
#[cfg(feature = "http")]
pub mod http;
pub mod limit;
pub mod load_shed;
pub mod rate;
pub mod retry;
pub mod timeout;

pub use breaker::{
    CircuitBreaker, CircuitBreakerLayer, KeyedCircuitBreaker, KeyedCircuitBreakerLayer,
};
pub use limit::{ConcurrencyLimit, ConcurrencyLimitLayer, InvalidLimit};
pub use load_shed::{LoadShed, LoadShedLayer, Overloaded};
pub use rate::{KeyedRateLimit, KeyedRateLimitLayer, RateLimit, RateLimitLayer};
pub use retry::{Retry, RetryError, RetryLayer};
pub use timeout::{Timeout, TimeoutLayer};

/// The error every layer returns: any error, boxed (tower's `BoxError`); `downcast_ref` finds
/// the typed error inside.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
