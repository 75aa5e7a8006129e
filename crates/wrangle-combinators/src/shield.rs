//! Work that runs to completion even when its caller stops waiting: [`shield()`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{Spawn, Task};

/// Spawns `future` on `spawner` so that it runs to completion whether or not anyone waits
/// for it, and returns a future for its output — asyncio's `shield`.
///
/// The work starts at once, as a task of its own. Awaiting the returned [`Shield`] waits for
/// it; dropping the `Shield` — because a [`timeout`](crate::timeout()) ran out, a `select`
/// took another branch, or the enclosing task or [`TaskGroup`](crate::group::TaskGroup) child
/// was cancelled — stops the *waiting*, not the work: the task is detached and finishes on
/// its own, and its output is dropped. Use it for work that must not be left half done, such
/// as a write that has to land or a transaction that has to commit or roll back.
///
/// The work outlives its caller, so it must be `Send + 'static`; it is cancelled only when
/// its runtime shuts down. Keep shielded work bounded: nothing waits for it at exit.
///
/// # Cancellation
///
/// Dropping the `Shield` detaches the work; it keeps running. [`Shield::into_task`] gives the
/// ordinary [`Task`] back, for a caller who wants to cancel it after all.
///
/// # Examples
///
/// Scenario S7 of the repository's `docs/scenarios.md`: a critical 3 s write shielded from a
/// 1 s timeout; the caller sees the timeout at 1 s, the write still completes at 3 s.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
/// use wrangle::TimerExt;
///
/// wrangle::sim::run(1, |rt| async move {
///     let written = Arc::new(AtomicBool::new(false));
///     let write = {
///         let (nap, written) = (rt.sleep(Duration::from_secs(3)), written.clone());
///         async move {
///             nap.await;
///             written.store(true, Ordering::SeqCst);
///         }
///     };
///     let outcome = rt.timeout(Duration::from_secs(1), wrangle::shield(&rt, write)).await;
///     assert!(outcome.is_err());
///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
///
///     rt.sleep(Duration::from_millis(2001)).await;
///     assert!(written.load(Ordering::SeqCst)); // done at 3 s all the same
/// });
/// ```
///
/// # Panics
///
/// Awaiting the `Shield` re-raises the work's panic, as awaiting a [`Task`] does, and panics
/// if the work was cancelled because its runtime shut down. A panic in detached work is
/// caught and dropped with its task.
#[doc(alias = "detach")]
pub fn shield<S, F>(spawner: &S, future: F) -> Shield<F::Output>
where
    S: Spawn,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Shield {
        task: Some(spawner.spawn(future)),
    }
}

/// Future for the [`shield()`] function.
///
/// It holds the task, not the spawner, so it is `'static` (and `Send` when the output is).
///
/// # Examples
///
/// ```
/// use wrangle::Shield;
///
/// wrangle::sim::run(1, |rt| async move {
///     let shielded: Shield<u8> = wrangle::shield(&rt, async { 5 });
///     assert_eq!(shielded.await, 5);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Shield<T> {
    /// `None` once the output has been taken, or the task handed back.
    task: Option<Task<T>>,
}

impl<T> Shield<T> {
    /// The task doing the work, for a caller who wants to cancel it or handle its panic
    /// after all; dropping that task cancels the work.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let shielded = wrangle::shield(&rt, std::future::pending::<()>());
    /// let task = shielded.into_task();
    /// assert!(task.cancel().await.is_none());
    /// # });
    /// ```
    pub fn into_task(mut self) -> Task<T> {
        match self.task.take() {
            Some(task) => task,
            None => Task::cancelled(),
        }
    }

    /// Whether the work has finished.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let shielded = wrangle::shield(&rt, std::future::pending::<()>());
    /// assert!(!shielded.is_finished());
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(Task::is_finished)
    }
}

impl<T> Future for Shield<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let Some(task) = this.task.as_mut() else {
            panic!("`Shield` polled after completion");
        };
        let output = std::task::ready!(Pin::new(task).poll(cx));
        this.task = None;
        Poll::Ready(output)
    }
}

impl<T> Drop for Shield<T> {
    /// Lets the work run on.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield")
            .field("finished", &self.is_finished())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;
    use wrangle_core::doctest::ThreadPerTask;

    #[test]
    fn smoke() {
        let out = futures_lite::future::block_on(shield(&ThreadPerTask, async { 5 }));
        assert_eq!(out, 5);
    }

    #[test]
    fn debug() {
        let s = shield(&ThreadPerTask, async {});
        let text = format!("{s:?}");
        assert!(text.starts_with("Shield { finished: "), "{text}");
    }

    #[test]
    fn dropped_shield_keeps_running() {
        let done = Arc::new(AtomicBool::new(false));
        let done2 = done.clone();
        let s = shield(&ThreadPerTask, async move {
            std::thread::sleep(Duration::from_millis(20));
            done2.store(true, Ordering::SeqCst);
        });
        drop(s);
        let start = std::time::Instant::now();
        while !done.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(done.load(Ordering::SeqCst));
    }
}
