//! Circuit breakers: one for every call ([`CircuitBreakerLayer`]), or one per key
//! ([`KeyedCircuitBreakerLayer`]), each wrangle's
//! [`CircuitBreaker`](wrangle_resilience::breaker::CircuitBreaker).

mod failure;
mod future;
mod global;
mod keyed;

pub use failure::{ErrorsOnly, IsFailure};
pub use future::ResponseFuture;
pub use global::{CircuitBreaker, CircuitBreakerLayer};
pub use keyed::{KeyedCircuitBreaker, KeyedCircuitBreakerLayer};
