//! Retry, rate limits and circuit breakers for wrangle, on any runtime's clock.
//!
//! They need only wrangle-core's [`Timer`] — a clock, sleeps and a random
//! source — so they run on every runtime, and exactly on wrangle-sim's virtual time. Most users
//! reach this crate through the `wrangle` facade (`wrangle::retry`, `wrangle::rate`,
//! `wrangle::breaker`); it versions on its own, so a change to the breaker is not a new
//! version of the crates every runtime adapter depends on.
//!
//! | Item | What it is |
//! |---|---|
//! | [`retry`] | retry with backoff and jitter, classifiers, `Retry-After`, deadlines, per-attempt timeouts, budgets, hooks and statistics; [`RetryExt`] for `rt.retry(policy, factory)`; [`retry::retry_blocking`] for sync code, [`retry::retry_blocking_on`] for sync code on a runtime's clock (virtual time included) |
//! | [`rate`] | rate limits: [`rate::RateLimiter`] (GCRA, FIFO waiters, `throttle`, `throttled(inputs)` to feed a gather), [`rate::KeyedRateLimiter`] (per host, idle keys evicted) |
//! | [`breaker`] | circuit breakers: consecutive-failure or failure-rate trips, half-open trials, hooks |
//!
//! # Feature flags
//!
//! | Feature | What it does |
//! |---|---|
//! | `tracing` | spans for retry attempts (`retry_attempt{attempt, delay_ms, reason}`), rate-limit waits (`rate_limit_wait{wait_ms}`) and breaker state changes (`breaker_transition{from, to}`, around the change's event and hook); targets `wrangle::retry`, `wrangle::rate`, `wrangle::breaker`, level `DEBUG`; without it the span code is compiled out (retry's and the breaker's `tracing` events are there either way) |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub mod breaker;
mod loom_sync;
pub mod rate;
pub mod retry;
mod trace;

pub use retry::RetryExt;

// What the moved modules name as `crate::…`: wrangle-core's items, in scope as they were when
// they lived there.
pub(crate) use wrangle_core::{AnyRuntime, Elapsed, Runtime, Timer, time};
