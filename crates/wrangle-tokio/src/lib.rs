//! Tokio adapter for wrangle: the runtime traits over tokio, with cancel-on-drop tasks.
//!
//! [`Tokio`] implements wrangle's [`Runtime`](wrangle_core::Runtime) over a tokio runtime,
//! multi-thread or current-thread, that it builds itself or that you already have.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Tokio`] | the runtime handle: cloneable, `Send + Sync` |
//! | [`Builder`] | flavor, worker threads, and the shutdown grace period |
//! | [`TokioSleep`] | the timer future, tokio's `Sleep` |
//! | [`NoRuntime`] | the error of [`Tokio::current`] outside a tokio runtime |
//!
//! # What the adapter changes
//!
//! - **Dropping a task cancels it.** Tokio's `JoinHandle` detaches on drop; wrangle's
//!   [`Task`](wrangle_core::Task) cancels, on every runtime.
//! - **Panics surface at the await**, re-raised from the task's payload.
//! - **Shutdown has a deadline.** A runtime this adapter built is shut down, when
//!   [`Tokio::shutdown`] is called or the last handle is dropped, with
//!   `shutdown_timeout(grace)` (one second unless [`Builder::shutdown_grace`] says otherwise),
//!   so a blocking call that never returns cannot keep the program from exiting. Tokio's own
//!   `Drop` would wait for it forever.
//! - **No tokio panics for wrangle's errors**: spawning after shutdown is a
//!   [`SpawnError`](wrangle_core::SpawnError), `block_on` inside wrangle work or inside a
//!   tokio task (or a tokio `block_on`) is a [`BlockOnError`](wrangle_core::BlockOnError)
//!   (on tokio's blocking threads and under `Runtime::enter()` it works), a deadline too far
//!   for tokio's timer is "never", and [`Tokio::current`] outside a runtime is a
//!   [`NoRuntime`] error rather than tokio's "no reactor running" panic.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use wrangle_core::{Runtime, Spawn};
//! use wrangle_tokio::Tokio;
//!
//! let rt = Tokio::multi_thread()?;
//! let answer = rt.block_on(async {
//!     wrangle_core::sleep(&rt, Duration::from_millis(1)).await;
//!     rt.spawn(async { 42 }).await
//! });
//! assert_eq!(answer, 42);
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]

mod runtime;
mod sleep;

pub use runtime::{Builder, NoRuntime, Tokio};
pub use sleep::TokioSleep;
