//! Locks, events, conditions, semaphores and barriers for tasks, mapped from asyncio's.
//!
//! The lock, the reader-writer lock, the semaphore and the barrier are
//! [async-lock](https://docs.rs/async-lock)'s, re-exported as they are (the same types, no
//! wrapper); [`Event`] and [`Condition`], which async-lock lacks, are wrangle's, thin, on
//! [event-listener](https://docs.rs/event-listener). None needs a runtime: each works on
//! every runtime, on wrangle-sim's virtual time, and under a bare `block_on`, and each is
//! `Send + Sync` (for data that is `Send`).
//!
//! | asyncio | wrangle | differences |
//! |---|---|---|
//! | `Lock` | [`Mutex<T>`] | the lock owns the data it guards; `async with lock:` is `let guard = m.lock().await;`, released when the guard is dropped; `locked()` is `try_lock().is_none()` |
//! | `Event` | [`Event`] | the same `set`, `clear`, `is_set`, `wait`; a handle: clone it into each task; `wait_for(ev.wait(), 2)` is `rt.timeout(Duration::from_secs(2), ev.wait())` |
//! | `Condition` | [`Condition<T>`] | owns its lock and data; [`wait(guard)`](Condition::wait) and [`wait_for(guard, predicate)`](Condition::wait_for) take the guard, so a wait without the lock cannot be written; `notify(1)` / `notify_all()` are [`notify_one`](Condition::notify_one) / [`notify_all`](Condition::notify_all), callable without the lock |
//! | `Semaphore` | [`Semaphore`] | `acquire()` gives a guard that releases when dropped; a `release()` without an acquire is [`add_permits(1)`](Semaphore::add_permits) |
//! | `BoundedSemaphore` | [`Semaphore`] | releases come only from guards, so the count never exceeds the start unless `add_permits` raises it: bounded by construction |
//! | `Barrier` | [`Barrier`] | `wait()` gives a [`BarrierWaitResult`] with `is_leader()` for one task, not an index; reusable once all `n` have passed; no `abort()` / `reset()` (drop the waits, or time them out) |
//! | `Queue(maxsize)` | [async-channel](https://docs.rs/async-channel)'s `bounded(n)` | not re-exported, use the crate: `put` / `get` are `send().await` / `recv().await`; no `task_done()` / `join()`: await the consumer tasks instead; dropping every sender closes it, which ends the consumers' loops |
//! | — | [`RwLock<T>`] | many readers or one writer, with an upgradable read |
//!
//! Every wait here is cancel safe (dropping it takes nothing and loses no wake-up), and a
//! time limit on any of them is the runtime's: `rt.timeout(d, m.lock())`,
//! `rt.timeout(d, event.wait())`, `rt.timeout(d, barrier.wait())`. wrangle adds no
//! `wait_timeout` methods: the [`timeout`](crate::timeout()) on the runtime's clock works
//! for every future, and on wrangle-sim its figures are exact.
//!
//! The re-exported types keep async-lock's documentation (and its `async_lock::` paths); the
//! examples below show each through `wrangle::sync`.
//!
//! # Examples
//!
//! A lock held across an `.await` prevents the lost update of scenario S18 (the repository's
//! `docs/scenarios.md`): ten tasks read a counter, sleep 0.01 s, and write it back plus one.
//!
//! ```
//! use std::time::Duration;
//! use wrangle::sync::Mutex;
//! use wrangle::{Timer, TimerExt};
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let counter = Mutex::new(0);
//!     wrangle::gather((0..10).map(|_| async {
//!         let mut value = counter.lock().await;
//!         let read = *value;
//!         rt.sleep(Duration::from_millis(10)).await;
//!         *value = read + 1;
//!     }))
//!     .await;
//!     assert_eq!(counter.into_inner(), 10);
//!     assert_eq!(rt.elapsed(), Duration::from_millis(100)); // one at a time
//! });
//! ```
//!
//! A reader-writer lock:
//!
//! ```
//! use wrangle::sync::RwLock;
//!
//! wrangle::sim::run(1, |_| async {
//!     let config = RwLock::new(String::from("v1"));
//!     {
//!         let (a, b) = (config.read().await, config.read().await); // many readers
//!         assert_eq!((a.as_str(), b.as_str()), ("v1", "v1"));
//!         assert!(config.try_write().is_none());
//!     }
//!     *config.write().await = String::from("v2");
//!     assert_eq!(*config.read().await, "v2");
//! });
//! ```
//!
//! A semaphore: at most two calls at once. (In spawned tasks, share it in an `Arc` and take
//! `'static` guards with [`Semaphore::acquire_arc`].)
//!
//! ```
//! use std::time::Duration;
//! use wrangle::sync::Semaphore;
//! use wrangle::{Timer, TimerExt};
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let slots = Semaphore::new(2);
//!     wrangle::gather((0..4).map(|_| async {
//!         let _slot = slots.acquire().await;
//!         rt.sleep(Duration::from_secs(1)).await;
//!     }))
//!     .await;
//!     assert_eq!(rt.elapsed(), Duration::from_secs(2)); // two rounds of two
//!     assert_eq!(slots.available_permits(), 2);
//! });
//! ```
//!
//! A barrier: three tasks arrive at 1, 2 and 3 s and pass together at 3 s (S19).
//!
//! ```
//! use std::time::Duration;
//! use wrangle::sync::{Barrier, BarrierWaitResult};
//! use wrangle::{Timer, TimerExt};
//!
//! wrangle::sim::run(1, |rt| async move {
//!     let (barrier, rt) = (&Barrier::new(3), &rt);
//!     let passed = wrangle::gather((1..=3).map(|arrive| async move {
//!         rt.sleep(Duration::from_secs(arrive)).await;
//!         let result: BarrierWaitResult = barrier.wait().await;
//!         (rt.elapsed().as_secs(), result.is_leader())
//!     }))
//!     .await;
//!     assert!(passed.iter().all(|&(at, _)| at == 3));
//!     assert_eq!(passed.iter().filter(|&&(_, leader)| leader).count(), 1);
//! });
//! ```

mod condition;
mod event;

pub use condition::{Condition, ConditionWait, ConditionWaitFor};
pub use event::{Event, EventWait, OwnedEventWait};

/// The future of [`Mutex::lock`] and [`Condition::lock`] (async-lock's; its other futures
/// are in `async_lock::futures`).
#[doc(no_inline)]
pub use async_lock::futures::Lock;
/// async-lock's, re-exported: the same types.
#[doc(no_inline)]
pub use async_lock::{
    Barrier, BarrierWaitResult, Mutex, MutexGuard, MutexGuardArc, RwLock, RwLockReadGuard,
    RwLockReadGuardArc, RwLockUpgradableReadGuard, RwLockUpgradableReadGuardArc, RwLockWriteGuard,
    RwLockWriteGuardArc, Semaphore, SemaphoreGuard, SemaphoreGuardArc,
};
