//! Retry with backoff that respects servers and budgets, on any [`Timer`](crate::Timer).
//!
//! [`retry()`] calls a factory once per attempt and retries the future it makes as a
//! [`RetryPolicy`] says:
//!
//! - **Backoff**: constant, linear, exponential (initial, factor, cap) or Fibonacci
//!   ([`Backoff`]); **jitter**: none, full, equal or decorrelated ([`Jitter`], formulas in its
//!   docs), drawn from the timer's random source, so reproducible under wrangle-sim.
//! - **Stop rules**: a retry count that nobody is off by one with (`max_retries(3)` = at most 4
//!   attempts; 3 by default), a total deadline that counts attempts as well as sleeps, a
//!   per-attempt timeout.
//! - **What to retry**: a predicate ([`Retry::when`]), or a [`Classification`] per error —
//!   permanent, transient, or retry after a server's hint such as `Retry-After`.
//! - **A shared [`RetryBudget`]**, so a fleet of callers cannot start a retry storm.
//! - **Hooks and statistics**: [`Retry::before_sleep`], [`RetryStats`] with success and
//!   failure, and `tracing` events (target `wrangle::retry`).
//! - **Errors** that say everything: [`RetryError`] has the last failure, the attempt count,
//!   the time taken and the [`StopReason`].
//!
//! [`retry_with`] threads an owned context through the attempts, and [`retry_blocking`] serves
//! synchronous code.
//!
//! # Examples
//!
//! SCENARIOS.md S9 on virtual time: fails twice, then succeeds after 0.1 + 0.2 s.
//!
//! ```
//! use std::time::Duration;
//! use wrangle_core::retry::{retry, RetryPolicy};
//!
//! let policy = RetryPolicy::builder()
//!     .exponential(Duration::from_millis(100), 2.0)
//!     .max_retries(3)
//!     .build()?;
//! wrangle_sim::run(1, |rt| async move {
//!     let (value, stats) = retry(&rt, &policy, |attempt| async move {
//!         if attempt.number() <= 2 { Err("flaky") } else { Ok("order placed") }
//!     })
//!     .with_stats()
//!     .await
//!     .unwrap();
//!     assert_eq!(value, "order placed");
//!     assert_eq!(stats.attempts, 3);
//!     assert_eq!(rt.elapsed(), Duration::from_millis(300));
//! });
//! # Ok::<(), wrangle_core::retry::InvalidPolicy>(())
//! ```

mod attempt;
mod backoff;
mod blocking;
mod budget;
mod classify;
mod error;
mod future;
mod policy;
mod with;

pub use attempt::Attempt;
pub use backoff::{Backoff, Jitter};
pub use blocking::retry_blocking;
pub use budget::RetryBudget;
pub use classify::{AlwaysTransient, ByError, Classification, Classify, Retryable, When};
pub use error::{Failure, RetryError, RetryStats, StopReason};
pub use future::{BeforeSleep, MakeAttempt, NoHook, Retry, WithStats, retry};
pub use policy::{
    DEFAULT_BACKOFF, DEFAULT_MAX_DELAY, DEFAULT_MAX_RETRIES, InvalidPolicy, RetryPolicy,
    RetryPolicyBuilder,
};
pub use with::{RetryWith, retry_with};
