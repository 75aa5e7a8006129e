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
//!   per-attempt timeout ([below](#timeouts-per-attempt)).
//! - **What to retry**: a predicate ([`Retry::when`]), or a [`Classification`] per error —
//!   permanent, transient, or retry after a server's hint such as `Retry-After`.
//! - **A shared [`RetryBudget`]**, so a fleet of callers cannot start a retry storm.
//! - **Hooks and statistics**: [`Retry::before_sleep`], [`RetryStats`] with success and
//!   failure, and `tracing` events (target `wrangle::retry`).
//! - **Errors** that say everything: [`RetryError`] has the last failure, the attempt count,
//!   the time taken and the [`StopReason`]; its `Display` is its own layer, the last error
//!   its `source()`.
//!
//! [`retry_with`] threads an owned context through the attempts, and [`retry_blocking`] serves
//! synchronous code ([`retry_blocking_on`] on a runtime's clock, wrangle-sim's included). Every
//! form makes the same decision after a failed attempt, in one place: classify the failure,
//! count the attempt, then the retry limit, the delay (a `Retry-After` hint, or the capped,
//! jittered backoff), the deadline and the budget, on the timer's clock and random source. The timer and the policy are borrowed (`retry(&rt, &policy, ..)`, no
//! clone) or owned (`retry(rt.clone(), policy, ..)`, a `'static` future that can be spawned);
//! [`RetryExt::retry`] is the method form, `rt.retry(policy, factory)`, which owns a clone of the
//! handle.
//!
//! # Examples
//!
//! Fails twice, then succeeds after 0.1 + 0.2 s of virtual time:
//!
//! ```
//! use std::time::Duration;
//! use wrangle::retry::{retry, RetryPolicy};
//!
//! let policy = RetryPolicy::builder()
//!     .exponential(Duration::from_millis(100), 2.0)
//!     .max_retries(3)
//!     .build()?;
//! wrangle::sim::run(1, |rt| async move {
//!     let (value, stats) = retry(&rt, &policy, |attempt| async move {
//!         if attempt.number() <= 2 { Err("flaky") } else { Ok("order placed") }
//!     })
//!     .with_stats()
//!     .await
//!     .unwrap();
//!     assert_eq!(value, "order placed");
//!     assert_eq!(stats.attempts(), 3);
//!     assert_eq!(rt.elapsed(), Duration::from_millis(300));
//! });
//! # Ok::<(), wrangle::retry::InvalidPolicy>(())
//! ```
//!
//! # Timeouts per attempt
//!
//! Give the policy the timeout:
//! [`attempt_timeout`](RetryPolicyBuilder::attempt_timeout). An attempt still running when it
//! passes is dropped and counts as a failure like any other, so both a slow attempt and a
//! failed one are retried; [`RetryError::timed_out`] says which ended the call.
//!
//! ```
//! use std::time::Duration;
//! use wrangle::retry::{retry, RetryPolicy};
//!
//! let policy = RetryPolicy::builder()
//!     .constant(Duration::from_millis(10))
//!     .attempt_timeout(Duration::from_secs(1))
//!     .max_retries(5)
//!     .build()?;
//! wrangle::sim::run(1, |rt| async move {
//!     let value = retry(&rt, &policy, |attempt| {
//!         let rt = &rt;
//!         async move {
//!             match attempt.number() {
//!                 1 => Err("refused"),                                            // failed: retried
//!                 2 => { wrangle::sleep(rt, Duration::from_secs(60)).await; Ok(0) } // too slow: retried
//!                 n => Ok(n),
//!             }
//!         }
//!     })
//!     .await
//!     .unwrap();
//!     assert_eq!(value, 3);
//! });
//! # Ok::<(), wrangle::retry::InvalidPolicy>(())
//! ```
//!
//! An attempt wrapped in a timeout of its own does **not compile**. Its output would be
//! `Result<Result<R, E>, Elapsed>`: a call that failed inside the timeout arrives as
//! `Ok(Err(e))`, a success as far as any retry can tell, so it would never be retried (0.1
//! accepted this, and a user measured 45 of 49 failures not retried). The compiler says "type
//! annotations needed" and points at the two shapes of [`AttemptOutput`]:
//!
//! ```compile_fail,E0283
//! use std::time::Duration;
//! use wrangle::FutureExt as _;
//! use wrangle::retry::{retry, RetryPolicy};
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let policy = RetryPolicy::default();
//!     let d = Duration::from_secs(1);
//!     let _ = retry(&rt, &policy, |_| async { Err::<u32, _>("refused") }.timeout(&rt, d)).await;
//! });
//! ```
//!
//! When each attempt needs a timeout of its own (one that grows with the attempt number, say),
//! flatten the two errors into one with `?`, so both are retried:
//!
//! ```
//! use std::time::Duration;
//! use wrangle::{Elapsed, FutureExt as _};
//! use wrangle::retry::{retry, RetryPolicy};
//!
//! #[derive(Debug)]
//! enum CallError { Refused, TimedOut }
//! impl From<Elapsed> for CallError {
//!     fn from(_: Elapsed) -> Self { CallError::TimedOut }
//! }
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let policy = RetryPolicy::builder().constant(Duration::ZERO).build().unwrap();
//!     let value = retry(&rt, &policy, |attempt| {
//!         let rt = &rt;
//!         async move {
//!             let d = Duration::from_secs(u64::from(attempt.number()));
//!             async { if attempt.number() < 3 { Err(CallError::Refused) } else { Ok(7) } }
//!                 .timeout(rt, d)
//!                 .await?
//!         }
//!     })
//!     .await
//!     .unwrap();
//!     assert_eq!(value, 7);
//! });
//! ```

mod attempt;
mod backoff;
mod blocking;
mod budget;
mod classify;
mod decide;
mod error;
mod ext;
mod future;
mod policy;
mod with;

pub use attempt::Attempt;
pub use backoff::{Backoff, Jitter};
pub use blocking::{retry_blocking, retry_blocking_on};
pub use budget::RetryBudget;
pub use classify::{AlwaysTransient, ByError, Classification, Classify, Retryable, When};
pub use error::{FailedAttempt, RetryError, RetryStats, StopReason};
pub use ext::RetryExt;
pub use future::{
    AttemptOutput, BeforeSleep, MakeAttempt, NoHook, Report, Retry, ValueAndStats, ValueOnly, retry,
};
pub use policy::{
    DEFAULT_BACKOFF, DEFAULT_MAX_DELAY, DEFAULT_MAX_RETRIES, InvalidPolicy, RetryPolicy,
    RetryPolicyBuilder,
};
pub use with::{RetryWith, retry_with};
