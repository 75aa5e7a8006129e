//! The foundation of wrangle: the runtime traits, the task handle, context, task names and
//! time, with nothing above them.
//!
//! This crate knows no runtime. It defines the traits a runtime implements and the one task
//! handle every runtime returns, and the few things everything else is written against:
//! sleeps, timeouts, a cancellation token, locks and events. The combinators live in
//! `wrangle-combinators` (gather, as_completed, wait, race, task groups, TaskSet), retry, rate
//! limits and circuit breakers in `wrangle-resilience`; runtimes come from the adapter crates
//! (`wrangle-tokio`, `wrangle-smol`, `wrangle-async-std`) and from `wrangle-sim`, the
//! deterministic virtual-time runtime. Most users depend on the `wrangle` facade, which
//! re-exports all of them; a library that only needs the traits depends on this crate alone,
//! and a change to a combinator or to the breaker is not a new version of it.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Timer`], [`Spawn`], [`Runtime`] | the traits: a clock with sleeps and a random source; spawning; `block_on` |
//! | [`SpawnError`], [`BlockOnError`], [`Deadlock`], [`StuckTask`] | what the traits refuse; a deadlock a runtime saw (virtual time), naming each stuck task (`rt.spawn_named(name, fut)`) |
//! | [`TimerExt`] | the time helpers as methods of any runtime: `rt.sleep(d)`, `rt.timeout(d, fut)`, `rt.interval(p)` |
//! | [`DynRuntime`], [`AnyRuntime`] | the object-safe form, for a runtime chosen at run time |
//! | [`Task`], [`JoinError`] | the task handle: drop cancels, panics re-raised at the await |
//! | [`sleep`], [`sleep_until`], [`interval`], [`yield_now`] | time helpers on any [`Timer`]: [`Sleep`], [`Interval`], [`YieldNow`] |
//! | [`timeout()`], [`timeout_at()`], [`Timeout`], [`FutureExt`] | a time limit on any future, [`Elapsed`] when it passes |
//! | [`context`] | which threads wrangle is driving, so `block_on` can refuse to nest |
//! | [`name`] | the name of the task being polled ([`name::current_name`]), for logs and for runtimes that report stuck tasks |
//! | [`CancellationToken`] ([`cancel`]) | a cancellation signal with children, linked tokens and owned futures |
//! | [`IntoLimit`] | what `.limit(n)` accepts everywhere: a `usize` or a `NonZeroUsize` |
//! | [`sync`] | asyncio's `Lock`, `Event`, `Condition`, `Semaphore`, `Barrier` for tasks: async-lock's locks, semaphore and barrier re-exported, [`sync::Event`] and [`sync::Condition`] on event-listener; the table of asyncio counterparts |
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
//! | `tokio` | [`Task`] holds tokio's `JoinHandle` inline (`Task::from_tokio`) instead of behind a box or wrangle's own shared state | `wrangle-tokio`, never a user |
//!
//! Why `tokio` is a feature and not a [`NativeHandle`](task::NativeHandle) box: with 200 000
//! tasks alive, the boxed handle was one more pointer chase per task — +160 ns per
//! spawn-and-join on tokio, 1.3× tokio's own spawn — and wrangle's shared state (a second
//! allocation per task, freed across threads) was 2.1×; held inline, spawn-and-join is at
//! parity with tokio's own (BENCHMARKS.md, "Spawn and join"). The feature only adds an enum
//! variant and tokio's `rt` types to the build; no behaviour of the core changes with it.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub mod cancel;
pub mod context;
#[doc(hidden)]
pub mod doctest;
mod dyn_runtime;
mod error;
mod future_ext;
mod into_limit;
// Hidden: the loom shim the other wrangle crates' models share (`support`, under `--cfg loom`).
#[doc(hidden)]
pub mod loom_sync;
pub mod name;
mod runtime;
pub mod sync;
pub mod task;
pub mod time;
pub mod timeout;
mod timer_ext;

pub use cancel::CancellationToken;
pub use dyn_runtime::{AnyRuntime, BoxFuture, DynRuntime};
pub use error::{BlockOnError, Deadlock, SpawnError, StuckTask};
pub use future_ext::FutureExt;
pub use into_limit::IntoLimit;
pub use runtime::{Runtime, Spawn, Timer};
pub use task::{AbortHandle, JoinError, Task};
pub use time::{Interval, Sleep, YieldNow, interval, interval_at, sleep, sleep_until, yield_now};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
pub use timer_ext::TimerExt;
