//! Executor-neutral runtime traits, task handle and combinators for wrangle.
//!
//! This crate knows no runtime. It defines the traits a runtime implements, the one task
//! handle every runtime returns, and the combinators written against them. Runtimes come from
//! the adapter crates (`wrangle-tokio`, `wrangle-smol`, `wrangle-async-std`) and from
//! `wrangle-sim`, the deterministic virtual-time runtime; most users depend on the `wrangle`
//! facade, which re-exports all of them.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Timer`], [`Spawn`], [`Runtime`] | the traits: a clock with sleeps and a random source; spawning; `block_on` |
//! | [`SpawnError`], [`BlockOnError`], [`Deadlock`], [`StuckTask`] | what the traits refuse; a deadlock a runtime saw (virtual time), naming each stuck task (`rt.spawn_named(name, fut)`) |
//! | [`TimerExt`] | the time helpers as methods of any runtime: `rt.sleep(d)`, `rt.timeout(d, fut)`, `rt.interval(p)` |
//! | [`DynRuntime`], [`AnyRuntime`] | the object-safe form, for a runtime chosen at run time |
//! | [`Task`], [`JoinError`] | the task handle: drop cancels, panics re-raised at the await |
//! | [`TaskSet`] ([`task_set`]) | a dynamic set of tasks drained in completion order (tokio's `JoinSet`): spawn while running, `join_next`, `abort_all`; outcomes not kept once taken |
//! | [`sleep`], [`sleep_until`], [`interval`], [`yield_now`] | time helpers on any [`Timer`]: [`Sleep`], [`Interval`], [`YieldNow`] |
//! | [`context`] | which threads wrangle is driving, so `block_on` can refuse to nest |
//! | [`gather()`], [`try_gather()`] | run many futures at once, outputs in input order; bounded with `.limit(n)`; fail-fast or collect-all (asyncio's `return_exceptions=True`) |
//! | [`gather_stream()`] | the same over a `Stream` of inputs, in input or completion order |
//! | [`as_completed()`] | `(index, output)` in completion order, with an optional overall deadline |
//! | [`wait()`], [`race()`], [`race_ok()`] | what is done and what is pending; the first to finish; the first success |
//! | [`group::TaskGroup`], [`group::LocalTaskGroup`], [`CancellationToken`] ([`cancel`]) | structured concurrency: children spawned on any [`Spawn`] (or run in-task when `!Send`), siblings cancelled on a failure, every child joined before the await returns; named children, linked tokens, shutdown with a grace period; a [`group::Nursery`] to spawn siblings from inside a child, [`group::TaskGroup::start`] to wait for a child's ready signal |
//! | [`spawn_gather()`], [`try_spawn_gather()`], [`shield()`] | the spawning forms of `gather`/`try_gather` for multi-core parallelism (same order, same limit); work that runs on when its caller stops waiting |
//! | [`timeout()`], [`timeout_at()`], [`Timeout`], [`FutureExt`] | a time limit on any future, [`Elapsed`] when it passes |
//! | [`Progress`] | what the progress hooks of `gather` and `as_completed` report |
//! | [`rate`] | rate limits: [`rate::RateLimiter`] (GCRA, FIFO waiters, `throttle`), [`rate::KeyedRateLimiter`] (per host, idle keys evicted) |
//! | [`sync`] | asyncio's `Lock`, `Event`, `Condition`, `Semaphore`, `Barrier` for tasks: async-lock's locks, semaphore and barrier re-exported, [`sync::Event`] and [`sync::Condition`] on event-listener; the table of asyncio counterparts |
//! | [`breaker`] | circuit breakers: consecutive-failure or failure-rate trips, half-open trials, hooks |
//! | [`retry`] | retry with backoff and jitter, classifiers, `Retry-After`, deadlines, per-attempt timeouts, budgets, hooks and statistics; [`retry::retry_blocking`] for sync code, [`retry::retry_blocking_on`] for sync code on a runtime's clock (virtual time included) |
//!
//! # In-task combinators
//!
//! `gather`, `try_gather`, `gather_stream`, `as_completed`, `wait`, `race`, `race_ok` and
//! `timeout` spawn nothing: each is a plain future or stream that polls its children itself.
//! They run on any executor (even a bare `block_on` that knows no runtime), accept borrowed,
//! non-`'static`, non-`Send` futures, and allocate nothing per item: the children live in a
//! slab allocated once, each with a waker of its own, and each poll polls exactly the
//! children woken since the last. Dropping one drops every child it owns before `drop`
//! returns, and a panicking child's panic surfaces only after its siblings are dropped.
//!
//! What they cannot do is move their children while the caller is busy elsewhere: the
//! children run only while the combinator is polled. That is concurrency without
//! parallelism. Children that must progress on their own, or on several cores, belong in
//! spawned tasks: [`Spawn::spawn`], a [`group::TaskGroup`], or the spawning mode of gather,
//! `spawn_gather(&rt, inputs).limit(n)`.
//!
//! # Time and chance are passed explicitly
//!
//! Combinators that need a clock, a sleep or a random number take a [`Timer`] argument
//! (`wrangle::sleep(&rt, d)`, or `rt.sleep(d)`); there is no ambient, thread-local runtime to
//! find or to miss. A library stays generic over `T: Timer` and its caller decides the
//! runtime, and tests pass `wrangle-sim`'s virtual clock to make every delay exact.
//!
//! # Handles: borrowed or owned
//!
//! One rule for every future that keeps a runtime handle (a [`Timeout`], an [`Interval`], a
//! retry, a spawning gather): it takes the handle **by value**, generic over `T: Timer` or
//! `S: Spawn`, and a borrowed runtime is a runtime too (`&R: Runtime`). So the caller chooses:
//!
//! - **Borrowed**, `wrangle::timeout(&rt, d, fut)`: the future holds `&rt`, costs no clone and
//!   no reference count, and lives no longer than `rt`. The form for code that awaits in
//!   place.
//! - **Owned**, `rt.timeout(d, fut)` (the method forms of [`TimerExt`]) or
//!   `wrangle::timeout(rt.clone(), d, fut)`: the future holds its own handle and is `'static`
//!   whenever its inner future is, so it can be spawned, returned from a function, stored in
//!   a struct or be a `tower::Service`'s future. Its price is one handle clone, an `Arc`
//!   increment.
//!
//! Futures that use the runtime only while they are created hold no handle at all: a
//! [`Sleep`] from `wrangle::sleep(&rt, d)` or `rt.sleep(d)` is `'static` either way, so it
//! can be made first and moved into a task. wrangle's own shared handles
//! ([`CancellationToken`], the rate limiters, circuit breakers) lend their futures
//! (`token.cancelled()`) and have owning twins (`token.cancelled_owned()`).
//!
//! Borrowed, awaited in place:
//!
//! ```
//! use std::time::Duration;
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let out = wrangle::timeout(&rt, Duration::from_secs(1), async { 1 }).await;
//!     assert_eq!(out, Ok(1));
//! });
//! ```
//!
//! Owned, spawned (no `let timer = rt.clone()` needed):
//!
//! ```
//! use std::time::Duration;
//! use wrangle::{Spawn, TimerExt};
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let task = rt.spawn(rt.timeout(Duration::from_secs(1), async { 2 }));
//!     assert_eq!(task.await, Ok(2));
//!     let nap = rt.sleep(Duration::from_secs(1));
//!     rt.spawn(async move { nap.await }).await;
//! });
//! ```
//!
//! # Configure, then run
//!
//! A function `foo` returns a future (or stream) named `Foo`, and the settings of a combinator
//! (`gather(..).limit(8)`, `.progress(..)`, a deadline on `as_completed(..)` or `wait(..)`)
//! are methods that take it by value and give it back, configured, before it first runs.
//! Nothing can be configured after that: every future and stream with such methods is
//! `!Unpin`, so polling it needs it pinned, and once pinned it can no longer be moved into a
//! by-value method. This costs nothing where futures are used: `.await`, `rt.spawn(..)`,
//! `select!` and `FuturesUnordered::push` all take `!Unpin` futures; a stream is pinned with
//! `std::pin::pin!` before its first `.next()`. ([`Interval`] is the one exception: its
//! missed-tick setting is meaningful at any time, so it stays `Unpin` with a `&mut self`
//! setter, as tokio's does.)
//!
//! # Runtime support
//!
//! | Runtime | Crate | Notes |
//! |---|---|---|
//! | tokio (multi-thread, current-thread) | `wrangle-tokio` | |
//! | smol (async-executor + async-io) | `wrangle-smol` | |
//! | async-std | `wrangle-async-std` | legacy: discontinued upstream, prefer smol |
//! | virtual time | `wrangle-sim` | deterministic, for tests |
//!
//! # Feature flags
//!
//! | Feature | What it does | Who turns it on |
//! |---|---|---|
//! | `tracing` | spans for group children (`group_child{name, index}`), retry attempts (`retry_attempt{attempt, delay_ms, reason}`) rate-limit waits (`rate_limit_wait{wait_ms}`) and breaker state changes (`breaker_transition{from, to}`, around the change's event and hook), targets `wrangle::group`, `wrangle::retry`, `wrangle::rate`, `wrangle::breaker`, level `DEBUG`; without it the span code is compiled out (retry's and the breaker's `tracing` events are there either way) | the application, through the facade's `tracing` feature |
//! | `tokio` | [`Task`] holds tokio's `JoinHandle` inline (`Task::from_tokio`) instead of behind a box or wrangle's own shared state | `wrangle-tokio`, never a user |
//!
//! Why `tokio` is a feature and not a [`NativeHandle`](task::NativeHandle) box: with 200 000
//! tasks alive, the boxed handle was one more pointer chase per task — +160 ns per
//! spawn-and-join on tokio, 1.3× tokio's own spawn — and wrangle's shared state (a second
//! allocation per task, freed across threads) was 2.1×; held inline, spawn-and-join is at
//! parity with tokio's own (BENCHMARKS.md, "Spawn and join"). The feature only adds an enum
//! variant and tokio's `rt` types to the build; no behaviour of the core changes with it.
// `deny`, not `forbid`: one module, `set::pinned`, pins futures in a slab (see its docs).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

pub mod as_completed;
pub mod breaker;
pub mod cancel;
pub mod context;
#[doc(hidden)]
pub mod doctest;
mod dyn_runtime;
mod error;
mod future_ext;
pub mod gather;
pub mod group;
mod into_limit;
mod loom_sync;
mod progress;
mod race;
pub mod race_ok;
pub mod rate;
pub mod retry;
mod runtime;
mod set;
mod shield;
pub mod sync;
pub mod task;
pub mod task_set;
pub mod time;
pub mod timeout;
mod timer_ext;
mod trace;
pub mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use cancel::CancellationToken;
pub use dyn_runtime::{AnyRuntime, BoxFuture, DynRuntime};
pub use error::{BlockOnError, Deadlock, SpawnError, StuckTask};
pub use future_ext::FutureExt;
pub use gather::{
    Gather, GatherStream, SpawnGather, TryGather, TrySpawnGather, gather, gather_stream,
    spawn_gather, try_gather, try_spawn_gather,
};
pub use into_limit::IntoLimit;
pub use progress::Progress;
pub use race::{Race, race};
pub use race_ok::{AggregateError, RaceOk, race_ok};
pub use runtime::{Runtime, Spawn, Timer};
pub use shield::{Shield, shield};
pub use task::{AbortHandle, JoinError, Task};
pub use task_set::TaskSet;
pub use time::{Interval, Sleep, YieldNow, interval, interval_at, sleep, sleep_until, yield_now};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
pub use timer_ext::TimerExt;
pub use wait::{Wait, wait};
