//! wrangle's combinators, on any runtime: run many futures at once and collect what they
//! give, in the current task or as spawned tasks, with structured concurrency.
//!
//! Everything here is written against wrangle-core's traits ([`Timer`],
//! [`Spawn`]) and knows no runtime. Most users reach it through the
//! `wrangle` facade, which re-exports it (`wrangle::gather`, `wrangle::group::TaskGroup`, …).
//!
//! | Item | What it is |
//! |---|---|
//! | [`gather()`], [`try_gather()`] | run many futures at once, outputs in input order; bounded with `.limit(n)`; fail-fast or collect-all (asyncio's `return_exceptions=True`) |
//! | [`gather_stream()`] | the same over a `Stream` of inputs, in input or completion order |
//! | [`as_completed()`] | `(index, output)` in completion order, with an optional overall deadline |
//! | [`wait()`], [`race()`], [`race_ok()`] | what is done and what is pending; the first to finish; the first success |
//! | [`group::TaskGroup`], [`group::LocalTaskGroup`] | structured concurrency: children spawned on any `Spawn` (or run in-task when `!Send`), siblings cancelled on a failure, every child joined before the await returns; named children, linked tokens, shutdown with a grace period; a [`group::Nursery`] to spawn siblings from inside a child, [`group::TaskGroup::start`] to wait for a child's ready signal |
//! | [`TaskSet`] ([`task_set`]) | a dynamic set of tasks drained in completion order (tokio's `JoinSet`): spawn while running, `join_next`, `abort_all`; outcomes not kept once taken |
//! | [`spawn_gather()`], [`try_spawn_gather()`], [`shield()`] | the spawning forms of `gather`/`try_gather` for multi-core parallelism (same order, same limit); work that runs on when its caller stops waiting |
//! | [`Progress`] | what the progress hooks of `gather` and `as_completed` report |
//!
//! Rate limits combine with every one of them without a method of their own: feed them the
//! inputs through wrangle-resilience's `limiter.throttled(inputs)`
//! (`limiter.throttled_owned(inputs)` for the spawning forms).
//!
//! # In-task combinators
//!
//! `gather`, `try_gather`, `gather_stream`, `as_completed`, `wait`, `race`, `race_ok` and
//! `timeout` spawn nothing: each is a plain future or stream that polls its children itself.
//! They run on any executor (even a bare `block_on` that knows no runtime), accept borrowed,
//! non-`'static`, non-`Send` futures, and allocate nothing per item: the children live in a
//! slab allocated once, each with a waker of its own, and each poll polls exactly the
//! children woken since the last. Dropping one drops every child it owns before `drop`
//! returns, and a panicking child's panic surfaces only after its siblings are dropped.
//!
//! What they cannot do is move their children while the caller is busy elsewhere: the
//! children run only while the combinator is polled. That is concurrency without
//! parallelism. Children that must progress on their own, or on several cores, belong in
//! spawned tasks: [`Spawn::spawn`], a [`group::TaskGroup`], or the spawning mode of gather,
//! `spawn_gather(&rt, inputs).limit(n)`.
//!
//! # Configure, then run
//!
//! A function `foo` returns a future (or stream) named `Foo`, and the settings of a combinator
//! (`gather(..).limit(8)`, `.progress(..)`, a deadline on `as_completed(..)` or `wait(..)`)
//! are methods that take it by value and give it back, configured, before it first runs.
//! Nothing can be configured after that: every future and stream with such methods is
//! `!Unpin`, so polling it needs it pinned, and once pinned it can no longer be moved into a
//! by-value method. This costs nothing where futures are used: `.await`, `rt.spawn(..)`,
//! `select!` and `FuturesUnordered::push` all take `!Unpin` futures; a stream is pinned with
//! `std::pin::pin!` before its first `.next()`. ([`Interval`](wrangle_core::Interval) is the one exception: its
//! missed-tick setting is meaningful at any time, so it stays `Unpin` with a `&mut self`
//! setter, as tokio's does.)
//!
//! # Feature flags
//!
//! | Feature | What it does |
//! |---|---|
//! | `tracing` | a span for each group child (`group_child{name, index}`, target `wrangle::group`, level `DEBUG`); without it the span code is compiled out |
// `deny`, not `forbid`: one module, `set::pinned`, pins futures in a slab (see its docs).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

pub mod as_completed;
pub mod gather;
pub mod group;
mod loom_sync;
mod progress;
mod race;
pub mod race_ok;
mod set;
mod shield;
pub mod task_set;
mod trace;
pub mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use gather::{
    Gather, GatherStream, SpawnGather, TryGather, TrySpawnGather, gather, gather_stream,
    spawn_gather, try_gather, try_spawn_gather,
};
pub use progress::Progress;
pub use race::{Race, race};
pub use race_ok::{AggregateError, RaceOk, race_ok};
pub use shield::{Shield, shield};
pub use task_set::TaskSet;
pub use wait::{Wait, wait};

// What the moved modules name as `crate::…`: wrangle-core's items, in scope as they were when
// they lived there.
pub(crate) use wrangle_core::{
    AbortHandle, CancellationToken, IntoLimit, JoinError, Spawn, Task, Timer, cancel, sleep, task,
    time, timeout,
};
