use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pin_project! {
    /// The [`Timer::Sleep`](wrangle_core::Timer::Sleep) of [`Tokio`](crate::Tokio): tokio's
    /// `Sleep`, or a sleep that never completes: once the runtime has been shut down (where
    /// tokio's own would panic), or for a deadline too far for tokio's timer (millions of
    /// years away, up to the largest `Instant`), which means "never" as `Duration::MAX` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use wrangle::tokio::{Tokio, TokioSleep};
    /// use wrangle::{Runtime, Timer};
    ///
    /// let rt = Tokio::new()?;
    /// let nap: TokioSleep = rt.sleep_until(Instant::now() + Duration::from_millis(1));
    /// rt.block_on(nap);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TokioSleep {
        #[pin]
        inner: Option<tokio::time::Sleep>,
    }
}

impl TokioSleep {
    pub(crate) fn new(inner: Option<tokio::time::Sleep>) -> Self {
        Self { inner }
    }
}

impl Future for TokioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.as_pin_mut() {
            Some(sleep) => sleep.poll(cx),
            None => Poll::Pending,
        }
    }
}

impl fmt::Debug for TokioSleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioSleep")
            .field("deadline", &self.inner.as_ref().map(|s| s.deadline()))
            .finish()
    }
}
