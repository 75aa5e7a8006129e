//! Circuit breakers on any [`Timer`](crate::Timer): stop calling a service that keeps
//! failing, and try it again after a cooldown.
//!
//! | Item | What it is |
//! |---|---|
//! | [`CircuitBreaker`] | closed → open → half-open → closed; `call(fut)` (borrows the breaker), `call_owned(fut)` (owns a clone), `try_enter()` → [`CallPermit`] |
//! | [`Trip`] | consecutive failures, or a failure rate over a window |
//! | [`CircuitOpen`], [`BreakerError`] | a call rejected while open; a call's outcome |
//! | [`InvalidBreaker`] | settings rejected where the breaker is built |

#[allow(clippy::module_inception)]
mod breaker;
mod error;
mod policy;
mod window;

pub use breaker::{
    BreakerState, Call, CallPermit, CircuitBreaker, CircuitBreakerBuilder, OwnedCall,
};
pub use error::{BreakerError, CircuitOpen};
pub use policy::{InvalidBreaker, Trip};
