use std::future::Future;
use std::time::{Duration, Instant};

use crate::Timer;
use crate::timeout::Timeout;

/// Methods on every future that read better chained: `fut.timeout(&rt, d)`.
///
/// Import it as `use wrangle_core::FutureExt as _;` next to other extension traits of the
/// same name (futures-lite's, futures-util's).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle_core::{FutureExt as _, Runtime};
///
/// # fn demo<R: Runtime>(rt: &R) {
/// rt.block_on(async {
///     let answer = async { 42 }.timeout(rt, Duration::from_secs(1)).await;
///     assert_eq!(answer, Ok(42));
/// });
/// # }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
/// ```
pub trait FutureExt: Future {
    /// [`timeout()`](crate::timeout()) as a method: this future with a time limit of
    /// `duration`, counted from its first `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle_core::{FutureExt as _, Runtime};
    ///
    /// # fn demo<R: Runtime>(rt: &R) {
    /// rt.block_on(async {
    ///     let slow = wrangle_core::sleep(rt, Duration::from_secs(10));
    ///     assert!(slow.timeout(rt, Duration::from_millis(1)).await.is_err());
    /// });
    /// # }
    /// # demo(&wrangle_core::doctest::ThreadPerTask);
    /// ```
    fn timeout<T: Timer>(self, timer: &T, duration: Duration) -> Timeout<'_, Self, T>
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
    /// use wrangle_core::{FutureExt as _, Runtime, Timer};
    ///
    /// # fn demo<R: Runtime>(rt: &R) {
    /// rt.block_on(async {
    ///     let deadline = rt.now() + Duration::from_millis(1);
    ///     assert!(std::future::pending::<()>().timeout_at(rt, deadline).await.is_err());
    /// });
    /// # }
    /// # demo(&wrangle_core::doctest::ThreadPerTask);
    /// ```
    fn timeout_at<T: Timer>(self, timer: &T, deadline: Instant) -> Timeout<'_, Self, T>
    where
        Self: Sized,
    {
        crate::timeout_at(timer, deadline, self)
    }
}

impl<F: Future + ?Sized> FutureExt for F {}
