//! Rate limits on any [`Timer`](crate::Timer): one schedule, or one per key.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Quota`] | a rate and a burst, validated where it is built |
//! | [`RateLimiter`] | GCRA: `acquire().await` in arrival order, `try_acquire()`, `throttle(fut)`; owning twins `acquire_owned()`, `throttle_owned(fut)` |
//! | [`KeyedRateLimiter`] | a schedule per key (host, user), idle keys evicted, quotas changeable; `acquire(key)`, `acquire_owned(key)` |
//! | [`RateLimited`] | the error of `try_acquire`, with the time to wait |
//!
//! Concurrency and rate together (aiometer's `max_at_once` and `max_per_second`):
//! `gather(limiter.throttled(calls)).limit(n)`, and the same with `as_completed`, `wait` and
//! (with [`throttled_owned`](RateLimiter::throttled_owned)) `spawn_gather`; each input
//! starts once both allow it. For a
//! circuit breaker see [`breaker`](crate::breaker); for bounded producer/consumer queues, use
//! `async-channel`'s `bounded` channel, whose `send` waits while the queue is full
//! (docs/scenarios.md, S12, is tested that way).
//!
//! "Rate" is always a number of starts per unit of time here; "limit" in wrangle is only ever
//! a cap on how many run at once (`gather(..).limit(8)`).

mod gcra;
mod keyed;
mod limiter;
mod owned_throttled;
mod quota;
mod throttled;

pub use keyed::{KeyedAcquire, KeyedRateLimiter, OwnedKeyedAcquire};
pub use limiter::{Acquire, OwnedAcquire, OwnedThrottle, RateLimited, RateLimiter, Throttle};
pub use owned_throttled::OwnedThrottled;
pub use quota::{InvalidQuota, Quota};
pub use throttled::Throttled;
