use std::fmt;
use std::time::Duration;

use wrangle_resilience::retry::{RetryStats, StopReason};

use crate::BoxError;

/// The error of a [`Retry`](super::Retry) that stopped on an error: why it stopped, how many
/// attempts it made, and the last error as its `source()`.
///
/// A call that stops on a response (retries exhausted on a 503, say) is not an error: that
/// last response is returned.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tower::ServiceExt;
/// use wrangle::retry::{RetryPolicy, StopReason};
/// use wrangle::tower::{RetryError, RetryLayer};
/// use tower::Layer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let policy = RetryPolicy::builder().constant(Duration::from_secs(1)).max_retries(2).build().unwrap();
///     let svc = RetryLayer::new(rt.clone(), policy)
///         .layer(tower::service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) }));
///     let err = svc.oneshot(()).await.unwrap_err();
///     let err = err.downcast_ref::<RetryError>().unwrap();
///     assert_eq!((err.attempts(), err.reason()), (3, StopReason::Exhausted));
///     assert_eq!(err.last_error().unwrap().to_string(), "refused");
///     assert_eq!(rt.elapsed(), Duration::from_secs(2));
/// });
/// ```
#[derive(Debug)]
pub struct RetryError {
    last: Option<BoxError>,
    reason: StopReason,
    stats: RetryStats,
}

impl RetryError {
    pub(crate) fn new(last: Option<BoxError>, reason: StopReason, stats: RetryStats) -> Self {
        Self {
            last,
            reason,
            stats,
        }
    }

    /// The last attempt's error; `None` when it timed out (the policy's
    /// [`attempt_timeout`](wrangle_resilience::retry::RetryPolicyBuilder::attempt_timeout)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower::{Layer, ServiceExt};
    /// use wrangle::retry::{RetryPolicy, StopReason};
    /// use wrangle::tower::{RetryError, RetryLayer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).max_retries(1).build().unwrap();
    ///     let svc = RetryLayer::new(rt, policy)
    ///         .layer(tower::service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) }));
    ///     let err = svc.oneshot(()).await.unwrap_err();
    ///     let err = err.downcast::<RetryError>().unwrap();
    ///     assert_eq!(err.last_error().unwrap().to_string(), "refused");
    /// });
    /// ```
    pub fn last_error(&self) -> Option<&BoxError> {
        self.last.as_ref()
    }

    /// The last attempt's error, owned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower::{Layer, ServiceExt};
    /// use wrangle::retry::{RetryPolicy, StopReason};
    /// use wrangle::tower::{RetryError, RetryLayer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).max_retries(1).build().unwrap();
    ///     let svc = RetryLayer::new(rt, policy)
    ///         .layer(tower::service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) }));
    ///     let err = svc.oneshot(()).await.unwrap_err();
    ///     let err = err.downcast::<RetryError>().unwrap();
    ///     assert_eq!(err.into_last_error().unwrap().to_string(), "refused");
    /// });
    /// ```
    pub fn into_last_error(self) -> Option<BoxError> {
        self.last
    }

    /// Whether the last attempt timed out.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower::{Layer, ServiceExt};
    /// use wrangle::retry::{RetryPolicy, StopReason};
    /// use wrangle::tower::{RetryError, RetryLayer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).max_retries(1).build().unwrap();
    ///     let svc = RetryLayer::new(rt, policy)
    ///         .layer(tower::service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) }));
    ///     let err = svc.oneshot(()).await.unwrap_err();
    ///     let err = err.downcast::<RetryError>().unwrap();
    ///     assert!(!err.timed_out());
    /// });
    /// ```
    pub fn timed_out(&self) -> bool {
        self.last.is_none()
    }

    /// Why retrying stopped: retries exhausted, deadline, a permanent error (or a request that
    /// could not be copied), or the budget.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower::{Layer, ServiceExt};
    /// use wrangle::retry::{RetryPolicy, StopReason};
    /// use wrangle::tower::{RetryError, RetryLayer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).max_retries(1).build().unwrap();
    ///     let svc = RetryLayer::new(rt, policy)
    ///         .layer(tower::service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) }));
    ///     let err = svc.oneshot(()).await.unwrap_err();
    ///     let err = err.downcast::<RetryError>().unwrap();
    ///     assert_eq!(err.reason(), StopReason::Exhausted);
    /// });
    /// ```
    pub fn reason(&self) -> StopReason {
        self.reason
    }

    /// Attempts made, the first included.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower::{Layer, ServiceExt};
    /// use wrangle::retry::{RetryPolicy, StopReason};
    /// use wrangle::tower::{RetryError, RetryLayer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).max_retries(1).build().unwrap();
    ///     let svc = RetryLayer::new(rt, policy)
    ///         .layer(tower::service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) }));
    ///     let err = svc.oneshot(()).await.unwrap_err();
    ///     let err = err.downcast::<RetryError>().unwrap();
    ///     assert_eq!(err.attempts(), 2);
    /// });
    /// ```
    pub fn attempts(&self) -> u32 {
        self.stats.attempts()
    }

    /// Time slept between attempts.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower::{Layer, ServiceExt};
    /// use wrangle::retry::{RetryPolicy, StopReason};
    /// use wrangle::tower::{RetryError, RetryLayer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).max_retries(1).build().unwrap();
    ///     let svc = RetryLayer::new(rt, policy)
    ///         .layer(tower::service_fn(|_: ()| async { Err::<(), _>(std::io::Error::other("refused")) }));
    ///     let err = svc.oneshot(()).await.unwrap_err();
    ///     let err = err.downcast::<RetryError>().unwrap();
    ///     assert_eq!(err.total_delay(), Duration::from_millis(10));
    /// });
    /// ```
    pub fn total_delay(&self) -> Duration {
        self.stats.total_delay()
    }
}

impl fmt::Display for RetryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = self.stats.attempts();
        let plural = if attempts == 1 { "" } else { "s" };
        write!(
            f,
            "retry gave up after {attempts} attempt{plural} ({})",
            self.reason
        )?;
        if self.timed_out() {
            f.write_str(": the last attempt timed out")?;
        }
        Ok(())
    }
}

impl std::error::Error for RetryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.last
            .as_ref()
            .map(|e| &**e as &(dyn std::error::Error + 'static))
    }
}
