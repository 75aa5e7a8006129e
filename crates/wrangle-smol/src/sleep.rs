use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// An `async_io::Timer` as a sleep with no output: the
/// [`Timer::Sleep`](wrangle_core::Timer::Sleep) of [`Smol`](crate::Smol), and of the
/// async-std adapter, which shares smol's reactor.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let sleep = wrangle::smol::AsyncIoSleep::at(Instant::now() + Duration::from_millis(1));
/// wrangle::blocking::block_on(sleep);
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AsyncIoSleep(async_io::Timer);

impl AsyncIoSleep {
    /// A sleep until `deadline`.
    pub fn at(deadline: Instant) -> Self {
        Self(async_io::Timer::at(deadline))
    }
}

impl Future for AsyncIoSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}
