//! A deterministic runtime with virtual time for testing wrangle code exactly and instantly.
//!
//! [`Sim`] implements wrangle's [`Runtime`](wrangle_core::Runtime),
//! [`Spawn`](wrangle_core::Spawn) and [`Timer`](wrangle_core::Timer), so code written against
//! those traits runs on it unchanged. Its clock is virtual: it moves only when nothing else can
//! happen, and then jumps straight to the next timer. A test of a one-hour timeout takes
//! microseconds and sees exactly one hour pass.
//!
//! An application reaches it as `wrangle::sim`, with the facade's `sim` feature on (usually
//! only in its dev-dependencies): `wrangle::sim::run(seed, |rt| async move { .. })` in a test.
//!
//! | Item | What it is |
//! |---|---|
//! | [`run`], [`try_run`] | run a future on a fresh simulation, in one line |
//! | [`Sim`] | the runtime: seeded scheduler, virtual clock, seeded random numbers |
//! | [`Sim::sleep_blocking`], [`Sim::sleep_blocking_until`] | a virtual-time stand-in for a slow blocking call |
//! | [`Sim::elapsed`], [`Sim::seed`], [`Sim::shutdown`] | virtual time so far; the seed to replay; stopping |
//! | [`SimSleep`] | the future of [`Timer::sleep_until`](wrangle_core::Timer::sleep_until) |
//! | [`BlockOnError::Deadlock`](wrangle_core::BlockOnError::Deadlock) | a deadlock, reported at once by name instead of hanging ([Deadlocks](#deadlocks)) |
//!
//! # Determinism
//!
//! Tasks run one at a time on the thread inside `block_on`. Whenever several are ready, the
//! next one is drawn from a generator seeded with the simulation's seed, the main future
//! taking part in the draw. [`Timer::random_u64`](wrangle_core::Timer::random_u64) draws from
//! a second generator derived from the same seed. So with the same seed the same program makes
//! the same choices, sees the same virtual instants and the same random numbers on every run;
//! another seed may interleave the tasks differently, which is how a test explores orderings.
//!
//! Not deterministic: anything involving real threads. Blocking jobs
//! ([`spawn_blocking`](wrangle_core::Spawn::spawn_blocking)) run on real threads in real time,
//! so when they wake or spawn tasks relative to the tasks on the driving thread is up to the
//! operating system. Their effect on the *clock* stays exact (the clock waits for them), but
//! interleavings involving them may differ from run to run. The same holds for threads the
//! simulation does not know about, for real I/O, `std::time::Instant::now()` and global random
//! generators: code under test should take time and chance from its `Timer`.
//!
//! # Blocking work
//!
//! Each blocking job runs on a thread of its own. While a job runs the clock stands still,
//! since the job may be about to wake a task. A job simulates a slow blocking call with
//! [`Sim::sleep_blocking`]: it parks until the virtual clock reaches its deadline, and while
//! parked it does not hold the clock, so three jobs sleeping one second each side by side take
//! exactly one virtual second. A job parked for good (`sleep_blocking(Duration::MAX)`) does not
//! keep `block_on` from returning; its thread is leaked.
//!
//! A job may also cross back into async code with the simulation's own
//! [`block_on`](wrangle_core::Runtime::block_on) (S17 in `docs/scenarios.md`), even while another thread drives: it
//! then polls its future on its own thread whenever the future is woken, and between polls
//! counts as parked, so its future's sleeps on the virtual clock and the tasks it spawns and
//! awaits complete exactly as they would in a task. Virtual time advances only when every
//! task is idle and every blocking job has finished or is parked in `sleep_blocking` or in
//! `block_on`.
//!
//! # Deadlocks
//!
//! When the future passed to `block_on` has not completed, no task is runnable, no blocking job
//! is running and no timer is pending, nothing can ever happen again. A real runtime would
//! hang (or a timeout would fire, long after); [`Sim`] returns
//! [`BlockOnError::Deadlock`](wrangle_core::BlockOnError::Deadlock) at once, at the virtual
//! instant the deadlock became certain, and [`run`] panics with its message and the seed.
//!
//! The [`Deadlock`](wrangle_core::Deadlock) report names every stuck task: by the name it was
//! spawned with ([`Spawn::spawn_named`](wrangle_core::Spawn::spawn_named), or a group's
//! `spawn_named`), otherwise by its number in
//! spawn order (`task #3`). What each one waits on, the simulation knows only by elimination:
//! no timer (every pending sleep would have moved the clock), so a lock, a channel, an event or
//! another task that will never come; blocking jobs parked for good (in
//! `sleep_blocking(Duration::MAX)`, or in a `block_on` of their own) are counted apart. A
//! task waiting on a thread the simulation does not know about (not started with
//! `spawn_blocking`) counts as stuck: route such work through `spawn_blocking`.
//!
//! S20 in `docs/scenarios.md`, the classic two-lock deadlock: A takes lock 1, sleeps 0.1 s and
//! wants lock 2; B takes lock 2, sleeps and wants lock 1. With no outer timeout, the
//! simulation reports both by name at exactly 0.1 s (here the locks are two
//! [`CancellationToken`](wrangle_core::CancellationToken)s each task waits on before it lets
//! the other go):
//!
//! ```
//! use std::time::Duration;
//! use wrangle::{BlockOnError, CancellationToken, Spawn, TimerExt};
//!
//! let outcome = wrangle::sim::try_run(1, |rt| async move {
//!     let (released_1, released_2) = (CancellationToken::new(), CancellationToken::new());
//!     let a = rt.spawn_named("A", {
//!         let (mine, wanted, nap) = (released_1.clone(), released_2.clone(), rt.sleep(Duration::from_millis(100)));
//!         async move {
//!             nap.await;
//!             wanted.cancelled().await; // lock 2, held by B
//!             mine.cancel();
//!         }
//!     });
//!     let b = rt.spawn_named("B", {
//!         let (mine, wanted, nap) = (released_2.clone(), released_1.clone(), rt.sleep(Duration::from_millis(100)));
//!         async move {
//!             nap.await;
//!             wanted.cancelled().await; // lock 1, held by A
//!             mine.cancel();
//!         }
//!     });
//!     a.await;
//!     b.await;
//! });
//! let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!("{outcome:?}") };
//! assert_eq!(deadlock.at(), Duration::from_millis(100));
//! assert_eq!(
//!     deadlock.to_string(),
//!     r#"deadlock at 100ms: tasks "A" and "B" wait on each other and no timer is pending"#
//! );
//! ```
//!
//! A real runtime cannot know: there the program notices with a timeout, as asyncio's does
//! (`examples/deadlock.rs` shows both).
//!
//! # Examples
//!
//! Three services called side by side take as long as the slowest one:
//!
//! ```
//! use std::time::Duration;
//! use wrangle::Spawn;
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let call = |name: &'static str, millis: u64| {
//!         let nap = wrangle::sleep(&rt, Duration::from_millis(millis));
//!         rt.spawn(async move {
//!             nap.await;
//!             name
//!         })
//!     };
//!     let (a, b, c) = (call("users", 1000), call("orders", 1500), call("stock", 800));
//!     assert_eq!([a.await, b.await, c.await], ["users", "orders", "stock"]);
//!     assert_eq!(rt.elapsed(), Duration::from_millis(1500));
//! });
//! ```
//!
//! # Feature flags
//!
//! None.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod block_on;
mod blocking;
mod role;
mod run;
mod sim;
mod sleep;
mod spawn;
mod state;

pub use run::{run, try_run};
pub use sim::Sim;
pub use sleep::SimSleep;

// The README's example runs as a doctest, so it keeps working when pasted.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
