//! Bounded offload of blocking and CPU-heavy work for wrangle, with sync-async crossings and a detector for futures that block their thread.
//!
//! The first rule of async code is "never block the executor": blocking calls go to a thread
//! pool, and the pool is limited. This crate is that pool, bounded on every side: a hard
//! cap on threads, a bounded queue whose callers wait when it is full (backpressure, never
//! unbounded memory), and a FIFO-fair [`CallLimit`] for "at most N calls of this kind at
//! once". It works with no async runtime at all, and routes to a runtime's own blocking pool
//! when asked.
//!
//! | Item | What it is |
//! |---|---|
//! | [`unblock()`] | run a blocking closure on the process-wide pool, await its result (asyncio's `to_thread`) |
//! | [`BlockingPool`], [`pool::PoolBuilder`], [`PoolMetrics`] | a pool of your own: thread cap, queue bound, keep-alive; its metrics |
//! | [`Offload`], [`unblock_on()`] | where calls run (a pool, or a runtime's `spawn_blocking`) and under which [`CallLimit`] |
//! | [`CallLimit`], [`CallPermit`] | a shareable, FIFO-fair cap on calls in flight (anyio's `CapacityLimiter`) |
//! | [`Unblock`], [`Submit`], [`call_limit::AcquireCall`] | the futures of the above |
//! | `compute()`, `compute_in()` (feature `rayon`) | CPU-heavy work on rayon's pool, never on blocking threads |
//! | [`block_on()`], [`try_block_on()`] | sync code runs an async function; refused on a thread wrangle drives |
//! | [`from_thread()`] | an offloaded closure runs a future on the side that awaits it (anyio's `from_thread.run`) |
//! | [`Detector`], [`SlowPoll`], [`detect::Watch`] | reports polls that block their thread (asyncio's debug mode) |
//! | [`ConfigError`], [`FromThreadError`] | the errors |
//!
//! # Semantics
//!
//! The same on every route, and the same as wrangle's runtimes' `spawn_blocking` (the
//! calls are wrangle [`Task`](wrangle_core::Task)s underneath):
//!
//! - **Panics surface at the await**: a panic in the closure is re-raised where the call is
//!   awaited, or returned as [`JoinError::Panicked`](wrangle_core::JoinError) by
//!   [`Task::join`](wrangle_core::Task::join) (via [`Offload::submit`]).
//! - **Dropping cancels only what has not started.** Dropping the future before the call
//!   starts removes it: the closure never runs. A started call cannot be cancelled; it runs
//!   to the end and its result is dropped.
//! - **Nothing waits for a call that never returns.** It keeps its thread, and any
//!   [`CallPermit`] it holds, for good; pools detach their threads and never join them, so
//!   neither dropping a pool nor leaving `main` waits for it.
//! - **Nothing is silently lost.** Every call handed to a pool runs, even after the pool's
//!   last handle is dropped; or, if the operating system refuses the threads to run it, its
//!   caller sees [`JoinError::Cancelled`](wrangle_core::JoinError).
//! - **Bad configuration is an error where it is built**: a pool's thread cap or queue
//!   bound of 0 is a [`ConfigError`] saying why; a [`CallLimit`] of a plain `0` panics at
//!   once (a programmer error, as `slice::chunks(0)`), and one of a `NonZeroUsize` never
//!   does.
//!
//! # Examples
//!
//! ```
//! use wrangle::blocking::Offload;
//!
//! fn read_config(name: &str) -> usize { name.len() } // a blocking call
//!
//! // Any executor will do; here, none at all. At most 2 calls in flight:
//! let files = Offload::global().limit(2);
//! let sizes = wrangle::blocking::block_on(wrangle::gather(
//!     ["a.toml", "b.toml", "c.toml"].map(|name| files.unblock(move || read_config(name))),
//! ));
//! assert_eq!(sizes, [6, 6, 6]);
//! ```
//!
//! # Runtime support
//!
//! | Route | tokio | smol | async-std | wrangle-sim | no runtime |
//! |---|---|---|---|---|---|
//! | [`unblock()`], [`BlockingPool`] | yes | yes | yes | no (see below) | yes |
//! | [`Offload::runtime`], [`unblock_on()`] | tokio's blocking pool | `blocking`'s pool | async-std's pool | a sim job (exact virtual time) | — |
//! | `compute()` | yes | yes | yes | no (see below) | yes |
//!
//! Under `wrangle-sim` the virtual clock must see every blocking job, so calls go through
//! [`Offload::runtime`]: a job that simulates a slow call with `Sim::sleep_blocking` takes
//! exact virtual time, and the conformance suite checks a `CallLimit`'s cap and backpressure
//! on every runtime. A task waiting on a thread the simulation does not know about (a
//! [`BlockingPool`]'s or rayon's) counts as stuck there.
//!
//! # Feature flags
//!
//! - `rayon` (off by default): `compute()` and `compute_in()`, on rayon's pool.
//! - `tracing` (off by default): a `blocking_call` span (target `wrangle::blocking`, `DEBUG`)
//!   from each call's submission to its closure's end, a child of the caller's span and
//!   entered on the thread that runs it; turns on wrangle-core's spans too.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

mod block_on;
mod call;
pub mod call_limit;
#[cfg(feature = "rayon")]
mod compute;
pub mod detect;
mod error;
mod from_thread;
mod offload;
pub mod pool;
mod sync;
mod unblock;

pub use block_on::{block_on, try_block_on};
pub use call_limit::{CallLimit, CallPermit};
#[cfg(feature = "rayon")]
pub use compute::{compute, compute_in};
pub use detect::{Detector, SlowPoll};
pub use error::{ConfigError, FromThreadError};
pub use from_thread::from_thread;
pub use offload::Offload;
pub use pool::{BlockingPool, PoolMetrics};
pub use unblock::{Submit, Unblock, unblock, unblock_on};

// The README's example runs as a doctest, so it keeps working when pasted.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
