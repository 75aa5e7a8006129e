//! Tokio adapter for wrangle: the runtime traits over tokio, with cancel-on-drop tasks.
//!
//! [`Tokio`] implements wrangle's [`Runtime`](wrangle_core::Runtime) over a tokio runtime,
//! multi-thread or current-thread, that it builds itself or that you already have. An
//! application reaches it as `wrangle::tokio`, with the facade's `tokio` feature on:
//! `wrangle = { version = "…", features = ["tokio"] }`.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Tokio`] | the runtime handle: cloneable, `Send + Sync`; [`Tokio::new`] builds one |
//! | [`TokioBuilder`] | flavor, worker threads, and the shutdown grace period |
//! | [`TokioSleep`] | the timer future, tokio's `Sleep` |
//! | [`NoRuntime`] | the error of [`Tokio::current`] outside a tokio runtime |
//! | `token` (feature `tokio-util`) | `to_tokio_util` / `from_tokio_util`: wrangle's `CancellationToken` to and from tokio-util's, each through a small watcher task |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use wrangle::tokio::Tokio;
//! use wrangle::{Runtime, Spawn};
//!
//! let rt = Tokio::new()?;
//! let answer = rt.block_on(async {
//!     wrangle::sleep(&rt, Duration::from_millis(1)).await;
//!     rt.spawn(async { 42 }).await
//! });
//! assert_eq!(answer, 42);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Runtime support
//!
//! Tokio 1, with its `rt`, `rt-multi-thread` and `time` features (the adapter turns them on;
//! with `net` on anywhere in the build, the runtimes it builds drive tokio's I/O too, so
//! tokio's sockets, reqwest and hyper run on them). What each of wrangle's runtime
//! operations becomes:
//!
//! | wrangle | on tokio |
//! |---|---|
//! | [`Spawn::spawn`](wrangle_core::Spawn::spawn) | `Handle::spawn`; the [`Task`](wrangle_core::Task) aborts the tokio task when dropped |
//! | [`Spawn::spawn_blocking`](wrangle_core::Spawn::spawn_blocking) | `Handle::spawn_blocking`, tokio's blocking pool |
//! | [`Timer::sleep_until`](wrangle_core::Timer::sleep_until), [`Timer::now`](wrangle_core::Timer::now) | `tokio::time::sleep_until`, `tokio::time::Instant::now` (so a paused test clock is followed) |
//! | [`Timer::random_u64`](wrangle_core::Timer::random_u64) | `fastrand` |
//! | [`Runtime::block_on`](wrangle_core::Runtime::block_on) | the runtime's own `block_on` (which drives a current-thread runtime's tasks and timers) |
//! | [`Tokio::shutdown`] | `shutdown_timeout(grace)` on a runtime the adapter built |
//!
//! # What the adapter changes
//!
//! - **Dropping a task cancels it.** Tokio's `JoinHandle` detaches on drop; wrangle's
//!   [`Task`](wrangle_core::Task) cancels, on every runtime.
//! - **Panics surface at the await**, re-raised from the task's payload.
//! - **Shutdown has a deadline.** A runtime this adapter built is shut down, when
//!   [`Tokio::shutdown`] is called or the last handle is dropped, with
//!   `shutdown_timeout(grace)` (one second unless [`TokioBuilder::shutdown_grace`] says
//!   otherwise), so a blocking call that never returns cannot keep the program from exiting.
//!   Tokio's own `Drop` would wait for it forever.
//! - **No tokio panics for wrangle's errors**: spawning after shutdown is a
//!   [`SpawnError`](wrangle_core::SpawnError), `block_on` inside wrangle work or inside a
//!   tokio task (or a tokio `block_on`) is a [`BlockOnError`](wrangle_core::BlockOnError)
//!   (on tokio's blocking threads and under `Runtime::enter()` it works), a deadline too far
//!   for tokio's timer is "never", and [`Tokio::current`] outside a runtime is a
//!   [`NoRuntime`] error rather than tokio's "no reactor running" panic.
//!
//! # Feature flags
//!
//! - `tokio-util` (off by default): the `token` module, conversions between wrangle's
//!   `CancellationToken` and `tokio_util::sync::CancellationToken`.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod runtime;
mod sleep;
#[cfg(feature = "tokio-util")]
pub mod token;

pub use runtime::{NoRuntime, Tokio, TokioBuilder};

// The README's example runs as a doctest, so it keeps working when pasted.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub use sleep::TokioSleep;
