//! [`from_thread()`]: from inside an offloaded closure, run a future on the async side that
//! awaits the call, and wait for its output.

use std::future::Future;
use std::panic::{AssertUnwindSafe, resume_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, Thread};

use futures_lite::FutureExt as _;

use crate::FromThreadError;
use crate::call::{self, Request};

/// From inside a closure offloaded with [`unblock`](crate::unblock()) (or
/// [`Offload::unblock`](crate::Offload::unblock), [`unblock_on`](crate::unblock_on())),
/// runs `future` on the async side and blocks this thread until it completes: anyio's
/// `from_thread.run`, asyncio's `run_coroutine_threadsafe(..).result()`.
///
/// The future is run by the [`Unblock`](crate::Unblock) future that awaits the call, in its
/// own task, on its executor: so it may use whatever that executor provides (tokio's
/// timers and sockets under tokio, for instance), and it works on any executor, with no
/// runtime handle to pass around. It runs while that task polls the `Unblock`, like a
/// future the task awaited itself; several blocking threads can each hand back one future
/// at a time.
///
/// # Cancellation
///
/// If the awaiting future is dropped (cancelled, or timed out) before `future` completes,
/// `future` is dropped and this returns [`FromThreadError::CallerGone`].
///
/// # Examples
///
/// A blocking worker asks the runtime that started it for a value (S17 in
/// `docs/scenarios.md`):
///
/// ```
/// use wrangle::Runtime;
/// use wrangle::smol::Smol;
///
/// let rt = Smol::new()?;
/// let doubled = rt.block_on(wrangle::blocking::unblock_on(&rt, || {
///     // On a blocking thread: hand a future back to the async side and wait for it.
///     let n = wrangle::blocking::from_thread(async { 21 }).expect("inside unblock_on");
///     n * 2
/// }));
/// assert_eq!(doubled, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// [`FromThreadError::NotOffloaded`] on a thread that is not running an offloaded closure,
/// or one started with [`submit`](crate::BlockingPool::submit) (a bare task has no awaiting
/// future to run requests); [`FromThreadError::CallerGone`] as above.
///
/// # Panics
///
/// Re-raises, on this thread, a panic of `future`.
///
/// Under `wrangle-sim`, this thread waits in real time and so holds the virtual clock still:
/// a future that waits on virtual time (a sleep, a timeout) would never complete there. On a
/// job of the simulation's `spawn_blocking` (which [`unblock_on`](crate::unblock_on()) uses),
/// call the simulation's own [`block_on`](wrangle_core::Runtime::block_on) instead: a job
/// waiting there counts as parked, so the clock moves on.
pub fn from_thread<F>(future: F) -> Result<F::Output, FromThreadError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let host = call::current_host().ok_or(FromThreadError::NotOffloaded)?;
    let portal = host.portal();
    if !portal.is_served() {
        return Err(FromThreadError::NotOffloaded);
    }
    let reply = Arc::new(Reply {
        state: Mutex::new(State::Waiting),
        thread: thread::current(),
    });
    let mut sender = Sender(Some(reply.clone()));
    let request: Request = Box::pin(async move {
        let outcome = AssertUnwindSafe(future).catch_unwind().await;
        sender.send(State::Done(outcome));
    });
    // A refused request is dropped here, which tells `reply` the caller is gone.
    if portal.send(request).is_err() {
        return Err(FromThreadError::CallerGone);
    }
    loop {
        let state = std::mem::replace(
            &mut *reply.state.lock().unwrap_or_else(PoisonError::into_inner),
            State::Waiting,
        );
        match state {
            State::Waiting => thread::park(),
            State::Done(Ok(output)) => return Ok(output),
            State::Done(Err(panic)) => resume_unwind(panic),
            State::Gone => return Err(FromThreadError::CallerGone),
        }
    }
}

enum State<T> {
    Waiting,
    Done(std::thread::Result<T>),
    Gone,
}

struct Reply<T> {
    state: Mutex<State<T>>,
    thread: Thread,
}

/// Delivers the outcome; if dropped without one (the request was dropped), says the caller
/// is gone.
struct Sender<T>(Option<Arc<Reply<T>>>);

impl<T> Sender<T> {
    fn send(&mut self, state: State<T>) {
        if let Some(reply) = self.0.take() {
            *reply.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
            reply.thread.unpark();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.send(State::Gone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_an_offloaded_call_it_refuses() {
        assert_eq!(
            from_thread(async { 1 }).unwrap_err(),
            FromThreadError::NotOffloaded
        );
    }

    #[test]
    fn round_trip_on_the_global_pool() {
        let out = futures_lite::future::block_on(crate::unblock(|| {
            from_thread(async { 20 }).unwrap() + from_thread(async { 22 }).unwrap()
        }));
        assert_eq!(out, 42);
    }

    #[test]
    fn a_submitted_call_has_no_awaiting_future() {
        let pool = crate::BlockingPool::new();
        let err = futures_lite::future::block_on(async {
            pool.submit(|| from_thread(async {})).await.await
        });
        assert_eq!(err.unwrap_err(), FromThreadError::NotOffloaded);
    }
}
