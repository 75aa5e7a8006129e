use std::borrow::Borrow;
use std::future::Future;

use super::future::{NoHook, ValueOnly};
use super::{AlwaysTransient, Attempt, AttemptOutput, Retry, RetryPolicy};
use crate::Timer;

/// [`retry()`](super::retry()) as a method on every [`Timer`]: `rt.retry(policy, factory)`.
///
/// The returned future owns a clone of the handle (for the runtimes, an `Arc` increment), so
/// it is `'static` whenever the policy (owned, or `&'static`), the factory and its futures
/// are: it can be spawned, returned or stored. The free function with `&rt` is the
/// clone-free borrowed form.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::Spawn;
/// use wrangle::retry::{RetryExt as _, RetryPolicy};
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
pub trait RetryExt: Timer {
    /// Retries the future that `factory` makes, as `policy` says, sleeping on a clone of this
    /// timer. See [`retry()`](super::retry()).
    fn retry<P, F, Fut, R, E, Shape>(
        &self,
        policy: P,
        factory: F,
    ) -> Retry<Self, P, F, Fut, AlwaysTransient, NoHook, ValueOnly>
    where
        Self: Sized,
        P: Borrow<RetryPolicy>,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<R, E>>,
        Result<R, E>: AttemptOutput<Shape>,
    {
        super::retry(self.clone(), policy, factory)
    }
}

impl<T: Timer> RetryExt for T {}
