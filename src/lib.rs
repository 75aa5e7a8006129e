//! The asyncio toolkit for Rust, on any runtime.
//!
//! wrangle gives async Rust the patterns asyncio and anyio give Python — spawning with
//! cancel-on-drop tasks, sleeps and intervals, a runtime chosen at run time — written once
//! against small traits and run unchanged on tokio, smol, async-std, or the deterministic
//! virtual-time runtime `wrangle-sim`.
//!
//! This crate only re-exports: the traits and combinators of `wrangle-core`, and each
//! runtime adapter behind a feature.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Runtime`], [`Spawn`], [`Timer`] | the traits every runtime implements |
//! | [`Task`], [`JoinError`], [`AbortHandle`] | the task handle: drop cancels, panics re-raised at the await |
//! | [`sleep`], [`sleep_until`], [`interval`], [`yield_now`] | time on any [`Timer`] |
//! | [`AnyRuntime`], [`DynRuntime`] | a runtime picked at run time |
//! | [`retry`] | retry with backoff, jitter, classifiers, `Retry-After`, deadlines and budgets |
//! | [`limit`], [`breaker`] | rate limits (one schedule or one per key) and circuit breakers |
//! | [`blocking`] | blocking and CPU-heavy work offloaded, bounded, with backpressure |
//! | [`gather()`], [`try_gather()`], [`gather_stream()`] | many futures at once in the current task, outputs in input order, bounded with `.limit(n)`; fail-fast or collect-all |
//! | [`as_completed()`], [`wait()`], [`race()`], [`race_ok()`] | outputs in completion order; done and pending; the first to finish or to succeed |
//! | [`timeout()`], [`timeout_at()`], [`FutureExt`] | a time limit on any future |
//! | `tokio::Tokio`, `smol::Smol`, `async_std::AsyncStd`, `sim::Sim` | the runtimes, one feature each |
//!
//! # Quick start
//!
//! ```
//! # #[cfg(feature = "smol")] {
//! use std::time::Duration;
//! use wrangle::{Runtime, Spawn};
//!
//! let rt = wrangle::smol::Smol::new()?;
//! let total = rt.block_on(async {
//!     let tasks: Vec<_> = (1..=3u64)
//!         .map(|i| {
//!             let timer = rt.clone();
//!             rt.spawn(async move {
//!                 wrangle::sleep(&timer, Duration::from_millis(10 * i)).await;
//!                 i
//!             })
//!         })
//!         .collect();
//!     let mut total = 0;
//!     for task in tasks {
//!         total += task.await;
//!     }
//!     total
//! });
//! assert_eq!(total, 6);
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Runtime support
//!
//! | Runtime | Feature | Type |
//! |---|---|---|
//! | tokio, multi-thread or current-thread | `tokio` | `wrangle::tokio::Tokio` |
//! | smol (async-executor + async-io + blocking) | `smol` | `wrangle::smol::Smol` |
//! | async-std — **legacy**: discontinued upstream, prefer smol | `async-std` | `wrangle::async_std::AsyncStd` |
//! | virtual time, deterministic, for tests | `sim` | `wrangle::sim::Sim` |
//!
//! Every runtime passes the same conformance suite: dropping a task cancels it, a panic
//! surfaces where the task is awaited, timers never fire early, `block_on` refuses to nest.
//!
//! # Feature flags
//!
//! There is **no default runtime**. Cargo unifies features across a dependency graph, so a
//! default runtime here would force that runtime on every crate downstream of any library that
//! uses wrangle. Libraries depend on `wrangle` with no features and stay generic over
//! [`Runtime`]; applications pick one: `wrangle = { version = "0.1", features = ["smol"] }`.
//!
//! - `tokio`, `smol`, `async-std`, `sim`: one runtime each.
//! - `rayon`: `blocking::compute`, CPU-heavy work on rayon's pool.
//! - `full`: all of them (for examples and comparisons).
#![forbid(unsafe_code)]

pub use wrangle_core::{
    AbortHandle, AnyRuntime, BlockOnError, BoxFuture, DynRuntime, IntoLimit, JoinError, Runtime,
    Spawn, SpawnError, Task, Timer, context, interval, interval_at, sleep, sleep_until, task, time,
    yield_now,
};
// The in-task combinators; each name brings its function and, where there is one, its module
// of types (`wrangle::gather::Gather`, `wrangle::timeout::Elapsed`, …).
pub use wrangle_core::{
    AggregateError, AsCompleted, Elapsed, FutureExt, Gather, GatherStream, Progress, Race, RaceOk,
    TryGather, Wait, as_completed, gather, gather_stream, race, race_ok, timeout, timeout_at,
    try_gather, wait,
};
// Retry, rate limits and circuit breakers, as modules: `wrangle::retry::retry`,
// `wrangle::limit::RateLimiter`, `wrangle::breaker::CircuitBreaker`.
pub use wrangle_core::{breaker, limit, retry};
// Structured concurrency and the other spawning combinators: `wrangle::group::TaskGroup`,
// `wrangle::shield`, `wrangle::CancellationToken`, `wrangle::spawn_gather(&rt, inputs)`.
pub use wrangle_core::{CancellationToken, Shield, group, shield};
pub use wrangle_core::{SpawnGather, TrySpawnGather, spawn_gather, try_spawn_gather};

/// The blocking-offload bridge: bounded pool, limiter, crossings, detector. See
/// [`wrangle_blocking`].
pub use wrangle_blocking as blocking;

/// The tokio adapter (feature `tokio`): see [`wrangle_tokio`].
#[cfg(feature = "tokio")]
pub use wrangle_tokio as tokio;

/// The smol adapter (feature `smol`): see [`wrangle_smol`].
#[cfg(feature = "smol")]
pub use wrangle_smol as smol;

/// The async-std adapter (feature `async-std`; legacy): see [`wrangle_async_std`].
#[cfg(feature = "async-std")]
pub use wrangle_async_std as async_std;

/// The virtual-time runtime (feature `sim`): see [`wrangle_sim`].
#[cfg(feature = "sim")]
pub use wrangle_sim as sim;

// The README's Rust blocks run as doctests, so its quick start keeps working when pasted.
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
