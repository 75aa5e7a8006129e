//! async-std adapter for wrangle (legacy: async-std is discontinued upstream; prefer
//! wrangle-smol).
//!
//! **Legacy.** async-std is discontinued upstream; its authors point users to smol, and so do
//! we: new code should use the smol adapter (`wrangle::smol`, feature `smol`). This adapter
//! stays so that programs already on async-std can use wrangle, and it passes the same
//! conformance suite as every other runtime. An application reaches it as
//! `wrangle::async_std`, with the facade's `async-std` feature on.
//!
//! | Item | What it is |
//! |---|---|
//! | [`AsyncStd`] | the runtime handle over async-std's global runtime |
//!
//! # Examples
//!
//! ```
//! use wrangle::async_std::AsyncStd;
//! use wrangle::{Runtime, Spawn};
//!
//! let rt = AsyncStd::new();
//! assert_eq!(rt.block_on(rt.spawn(async { 42 })), 42);
//! ```
//!
//! # Runtime support
//!
//! async-std 1.13, with its `unstable` feature (for `spawn_blocking`).
//! What each of wrangle's runtime operations becomes:
//!
//! | wrangle | on async-std |
//! |---|---|
//! | [`Spawn::spawn`](wrangle_core::Spawn::spawn) | `async_std::task::spawn`; the [`Task`](wrangle_core::Task) cancels when dropped |
//! | [`Spawn::spawn_blocking`](wrangle_core::Spawn::spawn_blocking) | `async_std::task::spawn_blocking` |
//! | [`Timer::sleep_until`](wrangle_core::Timer::sleep_until), [`Timer::now`](wrangle_core::Timer::now) | [`wrangle_timer::Sleep::at`] (wrangle's timer driver, a thread of its own: no reactor turn per arm), `Instant::now` |
//! | [`Timer::random_u64`](wrangle_core::Timer::random_u64) | `fastrand` |
//! | [`Runtime::block_on`](wrangle_core::Runtime::block_on) | `async_std::task::block_on` |
//! | [`AsyncStd::shutdown`] | the handle refuses new work and cancels what it spawned (below) |
//!
//! # What the adapter changes
//!
//! - **Dropping a task cancels it.** async-std's `JoinHandle` detaches on drop; wrangle's
//!   [`Task`](wrangle_core::Task) cancels, as on every runtime.
//! - **Panics surface at the await** instead of aborting the process.
//! - **`block_on` inside an async-std task** (or inside async-std's own `block_on`) is a
//!   [`BlockOnError`](wrangle_core::BlockOnError), as inside wrangle work; on async-std's
//!   blocking threads it works.
//!
//! # Shutdown
//!
//! async-std's runtime is global to the process and cannot be stopped. [`AsyncStd::shutdown`]
//! makes a handle refuse new work and cancels every task that was spawned through it and is
//! still running; its threads are daemon threads, so they never keep the program from exiting.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod runtime;

pub use runtime::AsyncStd;

// The README's example runs as a doctest, so it keeps working when pasted.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
