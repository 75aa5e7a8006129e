//! A timer driver for wrangle that needs no reactor: sleeps for any executor, one background
//! thread touched only for an earlier deadline.
//!
//! The smol and async-std adapters' [`Timer`](https://docs.rs/wrangle-core/latest/wrangle_core/trait.Timer.html)
//! sleeps are [`Sleep`]s. An application reaches the crate as `wrangle::timer` (it is always
//! there, it has no dependencies) and rarely needs it directly: `wrangle::sleep(&rt, ..)` and
//! `rt.timeout(..)` on those runtimes use it already.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Sleep`] | a future that completes at its deadline, never before |
//! | [`Driver`] | a runtime's hold on the driver thread, which exits once the last is gone |
//!
//! # Examples
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! let deadline = Instant::now() + Duration::from_millis(1);
//! wrangle::blocking::block_on(wrangle::timer::Sleep::at(deadline));
//! assert!(Instant::now() >= deadline);
//! ```
//!
//! # How it works
//!
//! Deadlines live in shards, each a binary min-heap and a slab of wakers behind a mutex; a
//! thread arms into its own shard, so workers arming at once share no lock. A sleep is armed
//! at its first poll: one uncontended lock and one atomic load, plus one unpark of the driver
//! thread only when its deadline is earlier than the one the thread sleeps until. Dropping an
//! armed sleep frees its entry (its heap record is dropped lazily, bounded at twice the armed
//! entries plus 64 a shard, and all at once when the shard empties). The driver thread
//! (`wrangle-timer`) parks until the earliest deadline, fires what is due in deadline order
//! (equal deadlines in the order they were armed), and exits when no [`Driver`] is held and
//! no sleep is armed; it is started at the first arm, so a process that never sleeps has no
//! thread. Timing is as precise as a parked thread's wake-up (tens of microseconds).
//!
//! # Runtime support
//!
//! Any executor, and none: the sleeps are plain futures woken by a thread of their own.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod driver;
mod handle;
mod shard;
mod sleep;
mod sync;

#[doc(hidden)]
pub use driver::Stats;
pub use handle::Driver;
#[doc(hidden)]
pub use handle::stats;
pub use sleep::Sleep;

// The README's example runs as a doctest, so it keeps working when pasted.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
