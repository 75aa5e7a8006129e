//! async-std adapter for wrangle (legacy: async-std is discontinued upstream; prefer
//! wrangle-smol).
//!
//! **Legacy.** async-std is discontinued upstream; its authors point users to smol, and so do
//! we: new code should use `wrangle-smol`. This adapter stays so that programs already on
//! async-std can use wrangle, and it passes the same conformance suite as every other runtime.
//!
//! | Item | What it is |
//! |---|---|
//! | [`AsyncStd`] | the runtime handle over async-std's global runtime |
//!
//! # What the adapter changes
//!
//! - **Dropping a task cancels it.** async-std's `JoinHandle` detaches on drop; wrangle's
//!   [`Task`](wrangle_core::Task) cancels, as on every runtime.
//! - **Panics surface at the await** instead of aborting the process.
//! - **Timers** are `async-io` timers, the reactor async-std itself runs on.
//! - **`block_on` inside an async-std task** (or inside async-std's own `block_on`) is a
//!   [`BlockOnError`](wrangle_core::BlockOnError), as inside wrangle work; on async-std's
//!   blocking threads it works.
//!
//! # Shutdown
//!
//! async-std's runtime is global to the process and cannot be stopped. [`AsyncStd::shutdown`]
//! makes a handle refuse new work and cancels every task that was spawned through it and is
//! still running; its threads are daemon threads, so they never keep the program from exiting.
//!
//! # Examples
//!
//! ```
//! use wrangle_core::{Runtime, Spawn};
//! use wrangle_async_std::AsyncStd;
//!
//! let rt = AsyncStd::new();
//! assert_eq!(rt.block_on(rt.spawn(async { 42 })), 42);
//! ```
#![forbid(unsafe_code)]

mod runtime;

pub use runtime::AsyncStd;
