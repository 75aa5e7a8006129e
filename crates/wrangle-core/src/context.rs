//! Which threads wrangle is driving right now.
//!
//! `block_on` must refuse to run on a thread that is already polling wrangle work: blocking
//! there would stall every task that shares the thread, and with a single-threaded runtime it
//! deadlocks. wrangle tracks this itself with a thread-local counter that the task wrapper and
//! every adapter's `block_on` raise while they poll. It does not guess from other crates'
//! internals.

use std::cell::Cell;

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
/// use wrangle_core::context;
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
    EnterGuard { _not_send: std::marker::PhantomData }
}

/// Whether wrangle is driving the current thread (inside a `block_on`, or polling a task).
///
/// # Examples
///
/// ```
/// assert!(!wrangle_core::context::is_driving());
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
