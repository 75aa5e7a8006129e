//! Smol adapter for wrangle: the runtime traits over async-executor, async-io and blocking.
//!
//! [`Smol`] is a multi-thread runtime built from the crates smol is made of: an
//! `async-executor` driven by worker threads (one per core unless told otherwise), `async-io`
//! timers, and the `blocking` crate's thread pool for blocking work.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Smol`] | the runtime handle: cloneable, `Send + Sync` |
//! | [`Builder`] | worker threads and the shutdown grace period |
//! | [`AsyncIoSleep`] | the timer future, an `async_io::Timer` |
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
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use wrangle_core::{Runtime, Spawn};
//! use wrangle_smol::Smol;
//!
//! let rt = Smol::new()?;
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

pub use runtime::{Builder, Smol};
pub use sleep::AsyncIoSleep;
