use std::fmt;
use std::future::Future;

use super::{RateLimiter, Throttle};
use crate::Timer;

/// An iterator of futures, each throttled by a [`RateLimiter`]: what
/// [`RateLimiter::throttled`] returns, for `gather`, `as_completed` and `wait` to feed on.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::rate::{Quota, RateLimiter};
///
/// wrangle::sim::run(0, |rt| async move {
///     let limiter = RateLimiter::new(&rt, Quota::per_second(10).unwrap());
///     let calls = limiter.throttled((0..3).map(|i| async move { i }));
///     assert_eq!(wrangle::gather(calls).await, [0, 1, 2]);
///     assert_eq!(rt.elapsed(), Duration::from_millis(200));
/// });
/// ```
pub struct Throttled<'a, I, T: Timer> {
    inputs: I,
    limiter: &'a RateLimiter<T>,
}

impl<'a, I, T: Timer> Throttled<'a, I, T> {
    /// Throttles every future `inputs` yields through `limiter`.
    pub(super) fn new(inputs: I, limiter: &'a RateLimiter<T>) -> Self {
        Self { inputs, limiter }
    }
}

impl<'a, I, T> Iterator for Throttled<'a, I, T>
where
    I: Iterator,
    I::Item: Future,
    T: Timer,
{
    type Item = Throttle<'a, T, I::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inputs
            .next()
            .map(|future| self.limiter.throttle(future))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inputs.size_hint()
    }
}

impl<I, T: Timer> fmt::Debug for Throttled<'_, I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttled")
            .field("limiter", self.limiter)
            .finish_non_exhaustive()
    }
}
