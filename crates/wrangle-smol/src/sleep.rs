use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// An `async_io::Timer` as a sleep with no output, for code that wants the reactor's timer.
///
/// The adapters' [`Timer::Sleep`](wrangle_core::Timer::Sleep) is [`Sleep`](crate::Sleep),
/// wrangle's own driver, since 0.2: arming an `async_io::Timer` notifies the reactor, and every
/// wake-up inside `block_on` then runs a reactor turn (BENCHMARKS.md, issue 19).
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
