//! The asyncio toolkit for Rust, on any runtime.
//!
//! wrangle gives async Rust the patterns asyncio and anyio give Python — spawning with
//! cancel-on-drop tasks, sleeps and intervals, a runtime chosen at run time — written once
//! against small traits and run unchanged on tokio, smol, async-std, or the deterministic
//! virtual-time runtime `wrangle-sim`.
//!
//! This crate only re-exports: the traits, task handle and time of `wrangle-core`, the
//! combinators and task groups of `wrangle-combinators`, retry, rate limits and breakers of
//! `wrangle-resilience`, the blocking bridge, and each runtime adapter behind a feature. Each
//! of those crates versions on its own; a user of this one sees one crate.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Runtime`], [`Spawn`], [`Timer`] | the traits every runtime implements |
//! | [`name`], [`context`] | the name of the task being polled; which threads wrangle drives |
//! | [`TimerExt`], [`FutureExt`] | method forms: `rt.sleep(d)`, `rt.timeout(d, fut)`, `rt.interval(p)`; `fut.timeout(&rt, d)` |
//! | [`Task`], [`JoinError`], [`AbortHandle`] | the task handle: drop cancels, panics re-raised at the await |
//! | [`TaskSet`] | a set of tasks that grows while it runs, joined in completion order (tokio's `JoinSet`) |
//! | [`sleep`], [`sleep_until`], [`interval`], [`yield_now`] | time on any [`Timer`] |
//! | [`AnyRuntime`], [`DynRuntime`] | a runtime picked at run time |
//! | [`retry`], [`RetryExt`] | retry with backoff, jitter, classifiers, `Retry-After`, deadlines and budgets; `rt.retry(policy, factory)` |
//! | [`rate`], [`breaker`] | rate limits (one schedule or one per key; `limiter.throttled(inputs)` feeds a gather) and circuit breakers |
//! | [`blocking`] | blocking and CPU-heavy work offloaded, bounded, with backpressure |
//! | [`timer`] | the timer driver behind smol's and async-std's sleeps: no reactor, any executor |
//! | [`gather()`], [`try_gather()`], [`gather_stream()`] | many futures at once in the current task, outputs in input order, bounded with `.limit(n)`; fail-fast or collect-all |
//! | [`as_completed()`], [`wait()`], [`race()`], [`race_ok()`] | outputs in completion order; done and pending; the first to finish or to succeed |
//! | [`timeout()`], [`timeout_at()`] | a time limit on any future |
//! | [`CancellationToken`], [`cancel`], [`group`], [`shield()`] | cancellation signals, task groups, work that outlives its caller |
//! | [`sync`] | asyncio's `Lock`, `Event`, `Condition`, `Semaphore` and `Barrier` for tasks: async-lock's locks, semaphore and barrier, an [`Event`](sync::Event) and a [`Condition`](sync::Condition), on any runtime |
//! | [`test`] | `#[wrangle::test]`: one async test body on every runtime, sim seeds printed for replay |
//! | `tower` (feature `tower`) | tower layers on any runtime: timeout, retry (responses classified, `Retry-After`, budgets), rate limits (global, keyed), circuit breakers (global, keyed), concurrency limit, load shedding |
//! | [`tokio`], [`smol`], [`async_std`], [`sim`] | the runtimes, one feature each: [`Tokio`], [`Smol`], [`AsyncStd`], [`Sim`] |
//!
//! # Quick start
//!
//! ```
//! # #[cfg(feature = "smol")] {
//! use std::time::Duration;
//! use wrangle::{Runtime, Spawn, TimerExt};
//!
//! let rt = wrangle::smol::Smol::new()?;
//! let total = rt.block_on(async {
//!     let tasks: Vec<_> = (1..=3u64)
//!         .map(|i| {
//!             let nap = rt.sleep(Duration::from_millis(10 * i));
//!             rt.spawn(async move {
//!                 nap.await;
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
//!
//! // A time limit that owns its handle can be spawned as it is.
//! let late = rt.block_on(rt.spawn(rt.timeout(Duration::from_millis(5), std::future::pending::<()>())));
//! assert!(late.is_err());
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The same code runs on virtual time in a test, exactly and instantly (feature `sim`):
//!
//! ```
//! # #[cfg(feature = "sim")] {
//! use std::time::Duration;
//! use wrangle::TimerExt;
//!
//! wrangle::sim::run(42, |rt| async move {
//!     rt.sleep(Duration::from_secs(86_400)).await;
//!     assert_eq!(rt.elapsed(), Duration::from_secs(86_400));
//! });
//! # }
//! ```
//!
//! # Handles: borrowed or owned
//!
//! A future that needs the runtime after it is created (a [`timeout()`], an [`interval`], a
//! retry) takes its handle by value: pass `&rt` and it borrows the runtime, cloning nothing;
//! pass an owned handle and it is `'static` whenever its inner future is, so it can be
//! spawned, returned or stored. The method forms of [`TimerExt`] are the owned forms, at the
//! price of one handle clone. Futures that use the runtime only to start (a [`sleep`]) hold
//! no handle at all. See [`TimerExt`] and [`Timer`].
//!
//! # Configure, then run
//!
//! A function `foo` returns a future or stream named `Foo`; its settings (`.limit(8)`,
//! `.progress(..)`, a deadline) are methods that take it by value and give it back before it
//! first runs. Such futures and streams are `!Unpin`, so once polled (which pins them) they
//! cannot be reconfigured; `.await`, `rt.spawn(..)` and `select!` pin for you, and a stream is
//! pinned with `std::pin::pin!` before its first `.next()`.
//!
//! # Testing on every runtime
//!
//! [`#[wrangle::test]`](test) runs one async test body on each runtime this crate is built
//! with — tokio multi-thread and current-thread, smol, async-std, sim — as one `#[test]` each,
//! handing the body the concrete runtime (`rt: impl Runtime`, no box per spawn) or an
//! [`AnyRuntime`] (`rt: AnyRuntime`, one body for all); `runtimes = [sim, smol]` picks a set.
//! On sim the seed comes from `WRANGLE_SEED` (or a fixed default), and a failure prints it
//! with the command that replays it; `seeds = 100` explores 100 schedules. Each test builds
//! its runtime once and shuts it down at the end; nothing else is added to the test's run.
//!
//! ```
//! use std::time::Duration;
//! use wrangle::{AnyRuntime, Spawn, TimerExt};
//!
//! # #[cfg(feature = "sim")]
//! #[wrangle::test]
//! async fn timers_in_tasks(rt: AnyRuntime) {
//!     let nap = rt.sleep(Duration::from_millis(10));
//!     assert_eq!(rt.spawn(async move { nap.await; 7 }).await, 7);
//! }
//!
//! # #[cfg(feature = "sim")]
//! #[wrangle::test(runtimes = [sim], seeds = 100)]
//! async fn any_schedule(rt: AnyRuntime) {
//!     let (a, b) = (rt.spawn(async { 1 }), rt.spawn(async { 2 }));
//!     assert_eq!(a.await + b.await, 3);
//! }
//! # fn main() {}
//! ```
//!
//! # Runtime support
//!
//! | Runtime | Feature | Type |
//! |---|---|---|
//! | tokio, multi-thread or current-thread | `tokio` | [`wrangle::tokio::Tokio`][`Tokio`] |
//! | smol (async-executor + async-io + blocking, [`timer`]'s sleeps) | `smol` | [`wrangle::smol::Smol`][`Smol`] |
//! | async-std — **legacy**: discontinued upstream, prefer smol | `async-std` | [`wrangle::async_std::AsyncStd`][`AsyncStd`] |
//! | virtual time, deterministic, for tests | `sim` | [`wrangle::sim::Sim`][`Sim`] |
//!
//! Every runtime passes the same conformance suite: dropping a task cancels it, a panic
//! surfaces where the task is awaited, timers never fire early, `block_on` refuses to nest.
//! Blocking and CPU-heavy work goes through the bridge, [`wrangle::blocking`](blocking), on
//! any of them.
//!
//! # Feature flags
//!
//! There is **no default runtime**. Cargo unifies features across a dependency graph, so a
//! default runtime here would force that runtime on every crate downstream of any library that
//! uses wrangle. Libraries depend on `wrangle` with no features and stay generic over
//! [`Runtime`]; applications pick one: `wrangle = { version = "0.2", features = ["smol"] }`.
//!
//! - `tokio`, `smol`, `async-std`, `sim`: one runtime each.
//! - `rayon`: `blocking::compute`, CPU-heavy work on rayon's pool.
//! - `tower`: [`wrangle::tower`](https://docs.rs/wrangle-tower), tower middleware built on
//!   wrangle's timeout, retry, rate limits and breakers; `http`: its HTTP classification
//!   (status codes, `Retry-After`), with the `http` crate.
//! - `tokio-util`: `tokio::token`, wrangle's `CancellationToken` to and from tokio-util's
//!   (turns `tokio` on).
//! - `tracing`: spans for group children, retry attempts, rate-limit waits, breaker state changes and blocking calls
//!   (off by default; without it the span code is compiled out).
//! - `full`: the runtimes, `rayon`, `tower` and `http` (for examples and comparisons).
//!
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(feature = "tokio", doc = "[`Tokio`]: crate::tokio::Tokio")]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`Tokio`]: https://docs.rs/wrangle-tokio/latest/wrangle_tokio/struct.Tokio.html"
)]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`tokio`]: https://docs.rs/wrangle-tokio"
)]
#![cfg_attr(feature = "smol", doc = "[`Smol`]: crate::smol::Smol")]
#![cfg_attr(
    not(feature = "smol"),
    doc = "[`Smol`]: https://docs.rs/wrangle-smol/latest/wrangle_smol/struct.Smol.html"
)]
#![cfg_attr(not(feature = "smol"), doc = "[`smol`]: https://docs.rs/wrangle-smol")]
#![cfg_attr(
    feature = "async-std",
    doc = "[`AsyncStd`]: crate::async_std::AsyncStd"
)]
#![cfg_attr(
    not(feature = "async-std"),
    doc = "[`AsyncStd`]: https://docs.rs/wrangle-async-std/latest/wrangle_async_std/struct.AsyncStd.html"
)]
#![cfg_attr(
    not(feature = "async-std"),
    doc = "[`async_std`]: https://docs.rs/wrangle-async-std"
)]
#![cfg_attr(feature = "sim", doc = "[`Sim`]: crate::sim::Sim")]
#![cfg_attr(
    not(feature = "sim"),
    doc = "[`Sim`]: https://docs.rs/wrangle-sim/latest/wrangle_sim/struct.Sim.html"
)]
#![cfg_attr(not(feature = "sim"), doc = "[`sim`]: https://docs.rs/wrangle-sim")]
#![forbid(unsafe_code)]

// The foundation (wrangle-core): the traits, the task handle, context and task names.
pub use wrangle_core::{
    AbortHandle, AnyRuntime, BlockOnError, BoxFuture, Deadlock, DynRuntime, IntoLimit, JoinError,
    Runtime, Spawn, SpawnError, StuckTask, Task, Timer, context, name, task,
};
// Time: the functions, their futures, and the method forms (`rt.sleep(d)`, `rt.timeout(d, fut)`).
pub use wrangle_core::{
    Elapsed, FutureExt, Interval, Sleep, Timeout, TimerExt, YieldNow, interval, interval_at, sleep,
    sleep_until, time, timeout, timeout_at, yield_now,
};
// Locks, events, conditions, semaphores and barriers: `wrangle::sync::{Mutex, Event, ..}`;
// the cancellation token (its futures in `wrangle::cancel`).
pub use wrangle_core::{CancellationToken, cancel, sync};
// The in-task combinators (wrangle-combinators); each name brings its function and, where
// there is one, its module of types (`wrangle::gather::Gather`, …).
pub use wrangle_combinators::{
    AggregateError, AsCompleted, Gather, GatherStream, Progress, Race, RaceOk, TryGather, Wait,
    as_completed, gather, gather_stream, race, race_ok, try_gather, wait,
};
// Structured concurrency and the other spawning combinators: `wrangle::group::TaskGroup`,
// `wrangle::TaskSet`, `wrangle::shield`, `wrangle::spawn_gather(&rt, inputs)`.
pub use wrangle_combinators::{
    Shield, SpawnGather, TaskSet, TrySpawnGather, group, shield, spawn_gather, task_set,
    try_spawn_gather,
};
// Retry, rate limits and circuit breakers (wrangle-resilience), as modules:
// `wrangle::retry::retry`, `wrangle::rate::RateLimiter`, `wrangle::breaker::CircuitBreaker`;
// and `rt.retry(policy, factory)` through `RetryExt`.
pub use wrangle_resilience::{RetryExt, breaker, rate, retry};

/// The blocking-offload bridge: a bounded pool, a cap on calls in flight, sync-async
/// crossings and a detector for futures that block their thread.
#[doc(inline)]
pub use wrangle_blocking as blocking;

/// A timer driver that needs no reactor: [`Sleep`](timer::Sleep), the sleep of the smol and
/// async-std adapters, usable on any executor.
#[doc(inline)]
pub use wrangle_timer as timer;

/// The tokio adapter (feature `tokio`): [`Tokio`](tokio::Tokio), multi-thread or
/// current-thread.
#[cfg(feature = "tokio")]
#[doc(inline)]
pub use wrangle_tokio as tokio;

/// The smol adapter (feature `smol`): [`Smol`](smol::Smol).
#[cfg(feature = "smol")]
#[doc(inline)]
pub use wrangle_smol as smol;

/// The async-std adapter (feature `async-std`; legacy, prefer smol):
/// [`AsyncStd`](async_std::AsyncStd).
#[cfg(feature = "async-std")]
#[doc(inline)]
pub use wrangle_async_std as async_std;

/// The deterministic virtual-time runtime (feature `sim`): [`Sim`](sim::Sim) and
/// [`run`](sim::run), for tests.
#[cfg(feature = "sim")]
#[doc(inline)]
pub use wrangle_sim as sim;

/// tower layers (feature `tower`; its HTTP classification with feature `http`): timeout,
/// retry, rate limits, circuit breakers, concurrency limits and load shedding, on any runtime.
#[cfg(feature = "tower")]
#[doc(inline)]
pub use wrangle_tower as tower;

// `#[wrangle::test]`, documented in its crate.
pub use wrangle_macros::test;

// What `#[wrangle::test]` expands to calls; not a public API.
#[doc(hidden)]
pub mod __private;

// The README's Rust blocks run as doctests, so its quick start keeps working when pasted.
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
