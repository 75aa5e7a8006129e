use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the executor, letting other tasks run before this one goes on.
///
/// # Examples
///
/// ```
/// wrangle::sim::run(1, |_rt| async move {
///     wrangle::yield_now().await;
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future for the [`yield_now()`] function.
///
/// # Examples
///
/// ```
/// use wrangle::time::YieldNow;
///
/// wrangle::sim::run(1, |_rt| async move {
///     let once: YieldNow = wrangle::yield_now();
///     once.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
