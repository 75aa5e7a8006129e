use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the executor, letting other tasks run before this one goes on.
///
/// # Examples
///
/// ```
/// futures_lite::future::block_on(async {
///     wrangle_core::yield_now().await;
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future for the [`yield_now()`] function.
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
