//! A cloneable cancellation signal: [`CancellationToken`], with child tokens, and the futures
//! its methods return ([`Cancelled`], [`OwnedCancelled`], [`RunUntilCancelled`]).
//!
//! The token is re-exported at the crate root (`wrangle::CancellationToken`); its futures
//! live here, in `wrangle::cancel`, apart from the [`JoinError::Cancelled`](crate::JoinError)
//! outcome of a task.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use event_listener::{Event, EventListener};
use pin_project_lite::pin_project;

use crate::loom_sync::{Arc, AtomicBool, Mutex};

/// A signal that work should stop, shared by every clone: [`cancel`](Self::cancel) it once
/// and every clone [`is_cancelled`](Self::is_cancelled), and every
/// [`cancelled()`](Self::cancelled) future completes.
///
/// A token is a flag and a list of waiters; it cancels nothing by itself. Code that should
/// stop watches it — `select`s on [`cancelled()`](Self::cancelled), wraps its work in
/// [`run_until_cancelled`](Self::run_until_cancelled), or checks
/// [`is_cancelled`](Self::is_cancelled) between steps — and a
/// `TaskGroup` linked to it with
/// `cancel_on` cancels its children when it fires.
/// Cancellation is final: a token never becomes un-cancelled.
///
/// [`child_token`](Self::child_token) makes a token that is cancelled with its parent (and
/// its parent's parent, …) but can also be cancelled alone, for one part of a program. A
/// child costs one allocation; one whose handles are all gone is pruned from its parent the
/// next time the parent's list grows, so creating and dropping children in a loop does not
/// leak.
///
/// It works on every runtime and needs none: the waiting is done with
/// [`event_listener`](https://docs.rs/event-listener).
///
/// # Examples
///
/// A worker that loops until shutdown (scenario S16 of the repository's `docs/scenarios.md`),
/// then cleans up:
///
/// ```
/// use std::time::Duration;
/// use wrangle::{CancellationToken, Spawn, TimerExt};
///
/// wrangle::sim::run(1, |rt| async move {
///     let shutdown = CancellationToken::new();
///     let mut ticks = rt.interval(Duration::from_secs(1)).unwrap();
///     let worker = rt.spawn({
///         let shutdown = shutdown.clone();
///         async move {
///             let mut handled = 0;
///             while shutdown.run_until_cancelled(ticks.tick()).await.is_some() {
///                 handled += 1;
///             }
///             handled // cleanup would go here
///         }
///     });
///     rt.sleep(Duration::from_millis(10_500)).await;
///     shutdown.cancel();
///     assert_eq!(worker.await, 11); // the ticks at 0, 1, …, 10 s
/// });
/// ```
#[derive(Clone, Default)]
pub struct CancellationToken {
    node: Arc<Node>,
}

#[derive(Default)]
struct Node {
    cancelled: AtomicBool,
    event: Event,
    children: Mutex<Children>,
}

#[derive(Default)]
struct Children {
    nodes: Vec<Arc<Node>>,
    /// Prune handle-less children when `nodes` grows to this, keeping pushes amortised O(1).
    prune_at: usize,
}

impl Node {
    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

impl Drop for Node {
    /// Drops a chain of children iteratively, so a long one cannot overflow the stack.
    fn drop(&mut self) {
        let children = self
            .children
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let mut stack = std::mem::take(&mut children.nodes);
        while let Some(node) = stack.pop() {
            if let Ok(mut node) = Arc::try_unwrap(node) {
                let children = node
                    .children
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner);
                stack.append(&mut children.nodes);
            }
        }
    }
}

impl Children {
    /// Drops the children nobody holds a handle to, keeping their own children (which may
    /// still be held) by adopting them.
    fn prune(&mut self) {
        let mut i = 0;
        while i < self.nodes.len() {
            // Only this list holds the node: no handle can reach it again, and nobody can
            // clone it meanwhile, since cloning needs a handle.
            if Arc::strong_count(&self.nodes[i]) == 1 {
                let orphan = self.nodes.swap_remove(i);
                let mut adopted = std::mem::take(
                    &mut orphan
                        .children
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .nodes,
                );
                self.nodes.append(&mut adopted);
            } else {
                i += 1;
            }
        }
        self.prune_at = (self.nodes.len() * 2).max(16);
    }
}

impl CancellationToken {
    /// A token that is not cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = wrangle::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the token, every clone of it and every child token, and wakes everything
    /// waiting on them. Cancelling again does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = wrangle::CancellationToken::new();
    /// let clone = token.clone();
    /// token.cancel();
    /// assert!(clone.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        // Iterative, so a long chain of child tokens cannot overflow the stack.
        let mut stack = vec![self.node.clone()];
        while let Some(node) = stack.pop() {
            if node.cancelled.swap(true, Ordering::AcqRel) {
                continue;
            }
            node.event.notify(usize::MAX);
            // Taken after the flag is set: a child made from now on sees the flag instead.
            let children = std::mem::take(
                &mut node
                    .children
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .nodes,
            );
            stack.extend(children);
        }
    }

    /// Whether the token has been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = wrangle::CancellationToken::new();
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// A token cancelled with this one (and this one's parents), which can also be
    /// cancelled alone. A child of a cancelled token is born cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::CancellationToken;
    ///
    /// let parent = CancellationToken::new();
    /// let child = parent.child_token();
    /// child.cancel();
    /// assert!(!parent.is_cancelled()); // a child does not cancel its parent
    ///
    /// let other = parent.child_token();
    /// parent.cancel();
    /// assert!(other.is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        let child = CancellationToken::new();
        self.link_child(&child);
        child
    }

    /// Makes `child` cancelled with this token (at once if this one already is). A token may
    /// be linked under several parents.
    #[doc(hidden)]
    pub fn link_child(&self, child: &CancellationToken) {
        let mut children = self
            .node
            .children
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock: `cancel` sets the flag before it takes the list, so either
        // we see the flag or it sees the child.
        if self.is_cancelled() {
            drop(children);
            child.cancel();
            return;
        }
        if children.nodes.len() >= children.prune_at {
            children.prune();
        }
        children.nodes.push(child.node.clone());
    }

    /// A future that completes once the token is cancelled (at once if it already is).
    ///
    /// The future borrows the token; [`cancelled_owned`](Self::cancelled_owned) is its
    /// owning twin, for a `'static` future.
    ///
    /// Cancel safe: dropping it and calling `cancelled()` again loses nothing, so it can sit
    /// in a `select` loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::{CancellationToken, Spawn};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let token = CancellationToken::new();
    ///     let waiter = {
    ///         let token = token.clone();
    ///         rt.spawn(async move {
    ///             token.cancelled().await;
    ///             "stopped"
    ///         })
    ///     };
    ///     token.cancel();
    ///     assert_eq!(waiter.await, "stopped");
    /// });
    /// ```
    pub fn cancelled(&self) -> Cancelled<'_> {
        Cancelled {
            node: &self.node,
            listener: None,
        }
    }

    /// Like [`cancelled`](Self::cancelled), but owning the token, so the future is `'static`
    /// and can be moved into a spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::{CancellationToken, Spawn};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let token = CancellationToken::new();
    ///     let waiter = rt.spawn(token.clone().cancelled_owned());
    ///     token.cancel();
    ///     waiter.await;
    /// });
    /// ```
    pub fn cancelled_owned(self) -> OwnedCancelled {
        OwnedCancelled {
            token: self,
            listener: None,
        }
    }

    /// Runs `future` until it completes (`Some(output)`) or the token is cancelled (`None`,
    /// and `future` has been dropped). The token is checked first, so a cancelled token wins
    /// even against a future that is ready.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::CancellationToken;
    ///
    /// wrangle::sim::run(1, |_rt| async move {
    ///     let token = CancellationToken::new();
    ///     assert_eq!(token.run_until_cancelled(async { 3 }).await, Some(3));
    ///     token.cancel();
    ///     assert_eq!(token.run_until_cancelled(async { 3 }).await, None);
    /// });
    /// ```
    pub fn run_until_cancelled<F: Future>(&self, future: F) -> RunUntilCancelled<'_, F> {
        RunUntilCancelled {
            cancelled: self.cancelled(),
            future: Some(future),
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Polls a wait on `node`: ready once it is cancelled.
fn poll_cancelled(
    node: &Node,
    listener: &mut Option<EventListener>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    loop {
        if node.is_cancelled() {
            *listener = None;
            return Poll::Ready(());
        }
        match listener {
            // Listen, then look at the flag again: a cancel in between is not missed.
            None => *listener = Some(node.event.listen()),
            Some(l) => {
                if Pin::new(l).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                *listener = None;
            }
        }
    }
}

/// Future for the [`CancellationToken::cancelled`] method.
///
/// # Examples
///
/// ```
/// use wrangle::CancellationToken;
/// use wrangle::cancel::Cancelled;
///
/// wrangle::sim::run(1, |_rt| async move {
///     let token = CancellationToken::new();
///     token.cancel();
///     let wait: Cancelled<'_> = token.cancelled();
///     wait.await; // at once: already cancelled
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Cancelled<'a> {
    node: &'a Node,
    listener: Option<EventListener>,
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        poll_cancelled(this.node, &mut this.listener, cx)
    }
}

impl fmt::Debug for Cancelled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field("cancelled", &self.node.is_cancelled())
            .finish()
    }
}

/// Future for the [`CancellationToken::cancelled_owned`] method: [`Cancelled`] owning its
/// token, so it is `'static`.
///
/// # Examples
///
/// ```
/// use wrangle::{CancellationToken, Spawn};
/// use wrangle::cancel::OwnedCancelled;
///
/// wrangle::sim::run(1, |rt| async move {
///     let token = CancellationToken::new();
///     let wait: OwnedCancelled = token.clone().cancelled_owned();
///     let waiter = rt.spawn(wait);
///     token.cancel();
///     waiter.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedCancelled {
    token: CancellationToken,
    listener: Option<EventListener>,
}

impl OwnedCancelled {
    /// The token being waited on.
    ///
    /// # Examples
    ///
    /// ```
    /// let wait = wrangle::CancellationToken::new().cancelled_owned();
    /// assert!(!wait.token().is_cancelled());
    /// ```
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Future for OwnedCancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        poll_cancelled(&this.token.node, &mut this.listener, cx)
    }
}

impl fmt::Debug for OwnedCancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedCancelled")
            .field("cancelled", &self.token.is_cancelled())
            .finish()
    }
}

pin_project! {
    /// Future for the [`CancellationToken::run_until_cancelled`] method.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::cancel::RunUntilCancelled;
    /// use wrangle::{CancellationToken, TimerExt};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let token = CancellationToken::new();
    ///     token.cancel();
    ///     let run: RunUntilCancelled<'_, _> = token.run_until_cancelled(rt.sleep(Duration::MAX));
    ///     assert_eq!(run.await, None);
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct RunUntilCancelled<'a, F> {
        cancelled: Cancelled<'a>,
        #[pin]
        future: Option<F>,
    }
}

impl<F: Future> Future for RunUntilCancelled<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if Pin::new(&mut *this.cancelled).poll(cx).is_ready() {
            this.future.set(None);
            return Poll::Ready(None);
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`RunUntilCancelled` polled after completion");
        };
        let output = std::task::ready!(future.poll(cx));
        this.future.set(None);
        Poll::Ready(Some(output))
    }
}

impl<F> fmt::Debug for RunUntilCancelled<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntilCancelled")
            .field("cancelled", &self.cancelled.node.is_cancelled())
            .field("running", &self.future.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    #[test]
    fn smoke() {
        let token = CancellationToken::new();
        let mut wait = Box::pin(token.cancelled());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        token.clone().cancel();
        assert!(wait.as_mut().poll(&mut cx).is_ready());
        assert!(token.is_cancelled());
    }

    #[test]
    fn debug() {
        let token = CancellationToken::new();
        assert_eq!(
            format!("{token:?}"),
            "CancellationToken { cancelled: false }"
        );
        assert_eq!(
            format!("{:?}", token.cancelled()),
            "Cancelled { cancelled: false }"
        );
        assert_eq!(
            format!("{:?}", token.clone().cancelled_owned()),
            "OwnedCancelled { cancelled: false }"
        );
        assert_eq!(
            format!("{:?}", token.run_until_cancelled(async {})),
            "RunUntilCancelled { cancelled: false, running: true }"
        );
    }

    #[test]
    fn grandchildren_survive_a_dropped_middle_token() {
        let root = CancellationToken::new();
        let grandchild = {
            let middle = root.child_token();
            middle.child_token()
        };
        // Churn to force pruning of the handle-less middle token.
        for _ in 0..100 {
            drop(root.child_token());
        }
        let len = root
            .node
            .children
            .lock()
            .map(|c| c.nodes.len())
            .unwrap_or(0);
        assert!(len < 40, "children not pruned: {len}");
        root.cancel();
        assert!(grandchild.is_cancelled());
    }

    #[test]
    fn long_chain_cancels_without_recursion() {
        let root = CancellationToken::new();
        let mut tokens = vec![root.clone()];
        // Long enough to overflow a recursive walk's stack; far shorter under miri, which
        // checks the walk for undefined behaviour, not for depth (and is ~1000x slower).
        let len = if cfg!(miri) { 300 } else { 100_000 };
        for _ in 0..len {
            let next = tokens[tokens.len() - 1].child_token();
            tokens.push(next);
        }
        root.cancel();
        assert!(tokens.iter().all(CancellationToken::is_cancelled));
    }

    #[test]
    fn long_chain_without_handles_drops_without_recursion() {
        let root = CancellationToken::new();
        let mut last = root.child_token();
        let len = if cfg!(miri) { 300 } else { 200_000 };
        for _ in 0..len {
            last = last.child_token();
        }
        drop(last);
        drop(root);
    }

    #[test]
    fn child_of_cancelled_is_cancelled() {
        let root = CancellationToken::new();
        root.cancel();
        assert!(root.child_token().is_cancelled());
    }

    #[test]
    fn cancel_wakes_threads() {
        let token = CancellationToken::new();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let token = token.clone();
                std::thread::spawn(move || futures_lite::future::block_on(token.cancelled_owned()))
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(10));
        token.cancel();
        for w in waiters {
            assert!(w.join().is_ok());
        }
    }
}

/// loom models (RELIABILITY.md, "loom"): `cancel` racing a waiter's registration, and a
/// child being linked. event-listener runs on loom's primitives here too (its `loom`
/// feature), so its list of listeners is part of the model.
#[cfg(all(test, loom))]
mod loom_tests {
    use loom::future::block_on;
    use loom::thread;

    use super::*;
    use crate::loom_sync::model;

    /// A waiter checks the flag and starts listening while another thread cancels: it is
    /// woken whichever goes first.
    #[test]
    fn cancel_wakes_a_waiter() {
        model(|| {
            let token = CancellationToken::new();
            let waiter = {
                let token = token.clone();
                thread::spawn(move || block_on(token.cancelled_owned()))
            };
            token.cancel();
            waiter.join().expect("the waiting thread panicked");
        });
    }

    /// A child made while its parent is being cancelled is cancelled too, and its waiter
    /// woken: `link_child` sees the parent's flag, or `cancel` sees the child in the list.
    #[test]
    fn child_made_while_the_parent_cancels() {
        model(|| {
            let parent = CancellationToken::new();
            let waiter = {
                let parent = parent.clone();
                thread::spawn(move || {
                    let child = parent.child_token();
                    block_on(child.cancelled());
                    assert!(child.is_cancelled());
                })
            };
            parent.cancel();
            waiter.join().expect("the waiting thread panicked");
        });
    }
}
