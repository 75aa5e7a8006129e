use std::fmt;
use std::future::Future;

use super::{OwnedThrottle, RateLimiter};
use crate::Timer;

/// An iterator of futures, each throttled by its own clone of a [`RateLimiter`], so each is
/// `'static` and can be spawned: what [`RateLimiter::throttled_owned`] returns, for
/// `spawn_gather` and `try_spawn_gather` to feed on. The owning twin of
/// [`Throttled`](super::Throttled).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::rate::{Quota, RateLimiter};
///
/// wrangle::sim::run(0, |rt| async move {
///     let limiter = RateLimiter::new(rt.clone(), Quota::per_second(10).unwrap());
///     let calls = limiter.throttled_owned((0..3).map(|i| async move { i }));
///     assert_eq!(wrangle::spawn_gather(&rt, calls).await, [0, 1, 2]);
///     assert_eq!(rt.elapsed(), Duration::from_millis(200));
/// });
/// ```
pub struct OwnedThrottled<I, T: Timer> {
    inputs: I,
    limiter: RateLimiter<T>,
}

impl<I, T: Timer> OwnedThrottled<I, T> {
    /// Throttles every future `inputs` yields through a clone of `limiter` (one reference
    /// count each).
    pub(super) fn new(inputs: I, limiter: &RateLimiter<T>) -> Self {
        Self {
            inputs,
            limiter: limiter.clone(),
        }
    }
}

impl<I, T> Iterator for OwnedThrottled<I, T>
where
    I: Iterator,
    I::Item: Future,
    T: Timer,
{
    type Item = OwnedThrottle<T, I::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inputs
            .next()
            .map(|future| self.limiter.throttle_owned(future))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inputs.size_hint()
    }
}

impl<I, T: Timer> fmt::Debug for OwnedThrottled<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedThrottled")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}
