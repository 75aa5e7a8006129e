//! `rt.retry(policy, factory)`: [`RetryExt`].

use std::borrow::Borrow;
use std::future::Future;

use super::{AlwaysTransient, Attempt, AttemptOutput, NoHook, Retry, RetryPolicy, ValueOnly};
use crate::Timer;

/// Retry as a method on any runtime: `rt.retry(policy, factory)`, the owned form of
/// [`retry()`](super::retry()).
///
/// Implemented for every [`Timer`] (every runtime, and `&` of one), as wrangle-core's
/// `TimerExt` is for `rt.sleep(d)` and `rt.timeout(d, fut)`; it lives here, with retry, so
/// that the core does not depend on this crate.
pub trait RetryExt: Timer {
    /// [`retry()`](super::retry()) as a method: retries the future that `factory`
    /// makes, as `policy` says, sleeping on a clone of this timer.
    ///
    /// The returned future owns a clone of the handle, so it is `'static` whenever the policy
    /// (owned, or `&'static`), the factory and its futures are: it can be spawned, returned or
    /// stored. `wrangle::retry::retry(&rt, &policy, factory)` is the clone-free borrowed form.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::retry::RetryPolicy;
    /// use wrangle::{RetryExt, Spawn};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).build().unwrap();
    ///     let call = rt.retry(policy, |attempt| async move {
    ///         if attempt.number() < 3 { Err("busy") } else { Ok(attempt.number()) }
    ///     });
    ///     assert_eq!(rt.spawn(call).await.unwrap(), 3);
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(20));
    /// });
    /// ```
    fn retry<P, F, Fut, R, E, Shape>(
        &self,
        policy: P,
        factory: F,
    ) -> Retry<Self, P, F, Fut, AlwaysTransient, NoHook, ValueOnly>
    where
        P: Borrow<RetryPolicy>,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<R, E>>,
        Result<R, E>: AttemptOutput<Shape>,
    {
        super::retry(self.clone(), policy, factory)
    }
}

impl<T: Timer> RetryExt for T {}
