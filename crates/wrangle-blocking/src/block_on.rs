//! [`block_on()`] and [`try_block_on()`]: run a future to completion from synchronous code.

use std::future::Future;

use wrangle_core::{BlockOnError, context};

/// Runs `future` to completion on the current thread, for synchronous code that needs the
/// result of an async function (S17), with no runtime at all.
///
/// The future is polled on this thread, which parks between wake-ups. Futures that need a
/// runtime's services (tokio's timers or sockets, for instance) need that runtime: use its
/// [`Runtime::block_on`](wrangle_core::Runtime::block_on), or, from a closure offloaded with
/// [`unblock`](crate::unblock()), [`from_thread`](crate::from_thread()), which runs the future
/// on the caller's executor.
///
/// # Examples
///
/// ```
/// async fn fetch_price(id: u32) -> u32 { id * 105 }
///
/// // Plain synchronous code:
/// assert_eq!(wrangle::blocking::block_on(fetch_price(2)), 210);
/// ```
///
/// # Panics
///
/// With the message of [`BlockOnError::Nested`] on a thread that wrangle is driving (inside
/// a wrangle runtime's `block_on` or a task spawned through wrangle): blocking there stalls
/// every task sharing the thread, or deadlocks. Use [`try_block_on`] to get the error
/// instead. Re-raises a panic of `future`.
pub fn block_on<F: Future>(future: F) -> F::Output {
    match try_block_on(future) {
        Ok(output) => output,
        Err(err) => panic!("{err}"),
    }
}

/// Like [`block_on`], but returns the error instead of panicking on a thread wrangle is
/// driving.
///
/// Whether the thread is driven is tracked by wrangle itself
/// ([`context::is_driving`](wrangle_core::context::is_driving)): a thread running a
/// runtime's tasks that were not spawned through wrangle is not recognized, and blocking it
/// is that runtime's business (tokio panics; smol and async-std stall the thread).
///
/// # Examples
///
/// ```
/// use wrangle::smol::Smol;
/// use wrangle::{BlockOnError, Runtime};
///
/// let rt = Smol::new()?;
/// let nested = rt.block_on(async { wrangle::blocking::try_block_on(async { 1 }) });
/// assert_eq!(nested, Err(BlockOnError::Nested));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// [`BlockOnError::Nested`] on a thread that wrangle is driving.
pub fn try_block_on<F: Future>(future: F) -> Result<F::Output, BlockOnError> {
    if context::is_driving() {
        return Err(BlockOnError::Nested);
    }
    let _driving = context::enter();
    Ok(futures_lite::future::block_on(future))
}
