//! Smol adapter for wrangle: the runtime traits over async-executor, async-io and blocking.
//!
//! [`Smol`] is a multi-thread runtime built from the crates smol is made of: an
//! `async-executor` driven by worker threads (one per core unless told otherwise), `async-io`
//! for `block_on` and I/O, and the `blocking` crate's thread pool for blocking work; its
//! sleeps are wrangle's own timer driver ([`wrangle_timer::Sleep`], `wrangle::timer`), which
//! costs no reactor turn per arm. An application reaches
//! it as `wrangle::smol`, with the facade's `smol` feature on:
//! `wrangle = { version = "…", features = ["smol"] }`.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Smol`] | the runtime handle: cloneable, `Send + Sync`; [`Smol::new`] builds one |
//! | [`SmolBuilder`] | worker threads and the shutdown grace period |
//! | [`Sleep`] | the timer future, re-exported from `wrangle-timer` |
//! | [`AsyncIoSleep`] | an `async_io::Timer` as a sleep, for code that wants the reactor's timer |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use wrangle::smol::Smol;
//! use wrangle::{Runtime, Spawn};
//!
//! let rt = Smol::new()?;
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
//! smol 2's parts: async-executor 1, async-io 2 and blocking 1 (no `smol` crate needed). The
//! runtime's futures may use anything built on async-io (smol's sockets, `async-net`,
//! `async-process`). What each of wrangle's runtime operations becomes:
//!
//! | wrangle | on smol's parts |
//! |---|---|
//! | [`Spawn::spawn`](wrangle_core::Spawn::spawn) | `Executor::spawn` on the runtime's executor, run by its worker threads; the [`Task`](wrangle_core::Task) cancels when dropped |
//! | [`Spawn::spawn_blocking`](wrangle_core::Spawn::spawn_blocking) | `blocking::unblock`, the `blocking` crate's thread pool |
//! | [`Timer::sleep_until`](wrangle_core::Timer::sleep_until), [`Timer::now`](wrangle_core::Timer::now) | [`wrangle_timer::Sleep::at`] (a thread of its own, not async-io's reactor), `Instant::now` |
//! | [`Timer::random_u64`](wrangle_core::Timer::random_u64) | `fastrand` |
//! | [`Runtime::block_on`](wrangle_core::Runtime::block_on) | `async_io::block_on` on the calling thread (the tasks run on the workers meanwhile); inside wrangle work it is a [`BlockOnError`](wrangle_core::BlockOnError) |
//! | [`Smol::shutdown`] | stops the workers, bounded by the grace period (below) |
//!
//! Panics surface at the await, as on every runtime, and spawning after shutdown is a
//! [`SpawnError`](wrangle_core::SpawnError).
//!
//! # Shutdown
//!
//! [`Smol::shutdown`], or dropping the last handle, stops the worker threads, waits at most
//! the grace period (one second by default) for them to finish the poll they are in, and then
//! detaches them, so a task that blocks its thread forever cannot keep the program from
//! exiting. Tasks still pending are dropped with the executor, once every worker has left it,
//! and join as cancelled.
//! Called from inside one of the runtime's own tasks, the shutdown does not wait for the worker
//! it runs on; a grace too long for the clock ([`Duration::MAX`](std::time::Duration::MAX))
//! waits for the workers without a deadline.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod runtime;
mod sleep;

pub use runtime::{Smol, SmolBuilder};

// The README's example runs as a doctest, so it keeps working when pasted.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub use sleep::AsyncIoSleep;
pub use wrangle_timer::Sleep;
