use std::future::Future;
use std::time::{Duration, Instant};

use crate::Timer;
use crate::timeout::Timeout;

/// Methods on every future that read better chained: `fut.timeout(&rt, d)`.
///
/// The timer is taken by value, as by [`timeout()`](crate::timeout()): `&rt` borrows the
/// runtime (no clone), an owned handle makes the timeout `'static` whenever the future is.
/// [`TimerExt`](crate::TimerExt) has the same limit the other way round, `rt.timeout(d, fut)`.
///
/// Import it as `use wrangle::FutureExt as _;` next to other extension traits of the same name
/// (futures-lite's, futures-util's).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::FutureExt as _;
///
/// wrangle::sim::run(1, |rt| async move {
///     let answer = async { 42 }.timeout(&rt, Duration::from_secs(1)).await;
///     assert_eq!(answer, Ok(42));
/// });
/// ```
pub trait FutureExt: Future {
    /// [`timeout()`](crate::timeout()) as a method: this future with a time limit of
    /// `duration`, counted from its first `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::FutureExt as _;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let slow = wrangle::sleep(&rt, Duration::from_secs(10));
    ///     assert!(slow.timeout(&rt, Duration::from_secs(1)).await.is_err());
    /// });
    /// ```
    fn timeout<T: Timer>(self, timer: T, duration: Duration) -> Timeout<Self, T>
    where
        Self: Sized,
    {
        crate::timeout(timer, duration, self)
    }

    /// [`timeout_at()`](crate::timeout_at()) as a method: this future until `deadline`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{FutureExt as _, Timer};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let deadline = rt.now() + Duration::from_millis(1);
    ///     assert!(std::future::pending::<()>().timeout_at(&rt, deadline).await.is_err());
    /// });
    /// ```
    fn timeout_at<T: Timer>(self, timer: T, deadline: Instant) -> Timeout<Self, T>
    where
        Self: Sized,
    {
        crate::timeout_at(timer, deadline, self)
    }
}

impl<F: Future + ?Sized> FutureExt for F {}
