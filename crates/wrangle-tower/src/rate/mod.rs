//! Rate limits: one schedule for every call ([`RateLimitLayer`]), or one per key
//! ([`KeyedRateLimitLayer`]), both wrangle's GCRA limiters
//! ([`RateLimiter`](wrangle_resilience::rate::RateLimiter),
//! [`KeyedRateLimiter`](wrangle_resilience::rate::KeyedRateLimiter)): FIFO-fair, exact on virtual
//! time.

mod global;
mod keyed;

pub use global::{RateLimit, RateLimitLayer, ResponseFuture};
pub use keyed::{KeyedRateLimit, KeyedRateLimitLayer, KeyedResponseFuture};
