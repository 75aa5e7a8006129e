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
//! | [`DynRuntime`], [`AnyRuntime`] | the object-safe form, for a runtime chosen at run time |
//! | [`Task`], [`JoinError`] | the task handle: drop cancels, panics re-raised at the await |
//! | [`sleep`], [`sleep_until`], [`interval`], [`yield_now`] | time helpers on any [`Timer`] |
//! | [`context`] | which threads wrangle is driving, so `block_on` can refuse to nest |
//!
//! # Time and chance are passed explicitly
//!
//! Combinators that need a clock, a sleep or a random number take a [`Timer`] argument
//! (`wrangle_core::sleep(&rt, d)`); there is no ambient, thread-local runtime to find or to
//! miss. A library stays generic over `T: Timer` and its caller decides the runtime, and tests
//! pass `wrangle-sim`'s virtual clock to make every delay exact.
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
//! None: the core has no optional parts.
#![forbid(unsafe_code)]

pub mod context;
#[doc(hidden)]
pub mod doctest;
mod dyn_runtime;
mod error;
mod runtime;
pub mod task;
pub mod time;

pub use dyn_runtime::{AnyRuntime, BoxFuture, DynRuntime};
pub use error::{BlockOnError, SpawnError};
pub use runtime::{Runtime, Spawn, Timer};
pub use task::{AbortHandle, JoinError, Task};
pub use time::{interval, interval_at, sleep, sleep_until, yield_now};
