use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::Timer;

/// Waits until `duration` has passed on `timer`'s clock.
///
/// A duration too large to add to the current instant (such as [`Duration::MAX`]) means
/// "never": the sleep stays pending forever instead of panicking on overflow.
///
/// # Cancellation
///
/// Dropping the sleep cancels it; it holds no other resource.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle_core::Runtime;
///
/// # fn demo<R: Runtime>(rt: &R) {
/// rt.block_on(async {
///     let start = rt.now();
///     wrangle_core::sleep(rt, Duration::from_millis(5)).await;
///     assert!(rt.now() - start >= Duration::from_millis(5));
/// });
/// # }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
/// ```
pub fn sleep<T: Timer>(timer: &T, duration: Duration) -> Sleep<T> {
    match timer.now().checked_add(duration) {
        Some(deadline) => sleep_until(timer, deadline),
        None => Sleep {
            deadline: None,
            inner: None,
        },
    }
}

/// Waits until `timer`'s clock reaches `deadline`; a deadline in the past completes at the
/// first poll.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle_core::Runtime;
///
/// # fn demo<R: Runtime>(rt: &R) {
/// rt.block_on(async {
///     let past = rt.now();
///     wrangle_core::sleep_until(rt, past).await; // at once
///     let deadline = rt.now() + Duration::from_millis(2);
///     wrangle_core::sleep_until(rt, deadline).await;
///     assert!(rt.now() >= deadline);
/// });
/// # }
/// # demo(&wrangle_core::doctest::ThreadPerTask);
/// ```
pub fn sleep_until<T: Timer>(timer: &T, deadline: Instant) -> Sleep<T> {
    Sleep {
        deadline: Some(deadline),
        inner: Some(timer.sleep_until(deadline)),
    }
}

pin_project! {
    /// Future for the [`sleep()`] and [`sleep_until()`] functions.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep<T: Timer> {
        deadline: Option<Instant>,
        #[pin]
        inner: Option<T::Sleep>,
    }
}

impl<T: Timer> Sleep<T> {
    /// The instant the sleep completes at, or `None` for a sleep that never completes.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl<T: Timer> Future for Sleep<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.as_pin_mut() {
            Some(inner) => inner.poll(cx),
            None => Poll::Pending,
        }
    }
}

impl<T: Timer> fmt::Debug for Sleep<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}
