//! Which threads wrangle is driving right now.
//!
//! `block_on` must refuse to run on a thread that is already polling wrangle work: blocking
//! there would stall every task that shares the thread, and with a single-threaded runtime it
//! deadlocks. wrangle tracks this itself with a thread-local counter that the task wrapper and
//! every adapter's `block_on` raise while they poll. It does not guess from other crates'
//! internals.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Marks the current thread as driven by wrangle until the guard is dropped.
///
/// Adapters call this around their `block_on`, and wrangle's task wrapper around each poll
/// of a spawned future. Guards nest.
///
/// # Examples
///
/// ```
/// use wrangle::context;
///
/// assert!(!context::is_driving());
/// {
///     let _guard = context::enter();
///     assert!(context::is_driving());
/// }
/// assert!(!context::is_driving());
/// ```
pub fn enter() -> EnterGuard {
    DEPTH.with(|d| d.set(d.get() + 1));
    EnterGuard {
        _not_send: std::marker::PhantomData,
    }
}

/// Whether wrangle is driving the current thread (inside a `block_on`, or polling a task).
///
/// # Examples
///
/// ```
/// assert!(!wrangle::context::is_driving());
/// wrangle::sim::run(1, |_rt| async move {
///     assert!(wrangle::context::is_driving()); // inside block_on
/// });
/// ```
pub fn is_driving() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Guard returned by [`enter()`]; the thread stops counting as driven when it is dropped.
#[derive(Debug)]
#[must_use = "the thread counts as driven only while the guard lives"]
pub struct EnterGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Wraps `future` so that the thread polling it counts as driven by wrangle during each poll.
///
/// wrangle's [`Job`](crate::task::Job) does this already; adapters that spawn through
/// [`Task::from_native`](crate::Task::from_native) wrap their futures with it, so that
/// `block_on` inside such a task is refused like everywhere else.
///
/// # Examples
///
/// ```
/// use wrangle::context;
///
/// # use futures_lite::future::block_on;
/// // `block_on`: your runtime's own, which does not mark the thread itself.
/// let inside = block_on(context::driven(async { context::is_driving() }));
/// assert!(inside);
/// ```
pub fn driven<F: Future>(future: F) -> Driven<F> {
    Driven { future }
}

pin_project! {
    /// Future for the [`driven()`] function.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Driven<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Driven<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _driving = enter();
        self.project().future.poll(cx)
    }
}

impl<F> fmt::Debug for Driven<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driven").finish_non_exhaustive()
    }
}
