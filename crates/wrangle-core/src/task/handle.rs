use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::shared::Shared;
use super::{AbortHandle, JoinError, NativeHandle};

/// A handle to a spawned task: the same type, with the same semantics, on every runtime.
///
/// - **Awaiting** it yields the task's output, and re-raises the task's panic.
/// - **[`join`](Task::join)** yields `Result<T, JoinError>` instead, for callers that handle
///   panics and cancellation themselves.
/// - **Dropping** it requests cancellation: the task's future is dropped at its next
///   scheduling point, which on a multi-thread runtime may be just after `drop` returns.
///   [`cancel`](Task::cancel) requests it and waits until the future is gone.
/// - **[`detach`](Task::detach)** lets the task run on with nobody waiting for it.
///
/// tokio and async-std detach a task when its handle is dropped and smol cancels it; the
/// wrangle adapters all cancel, so code behaves the same on every runtime.
///
/// # Cancellation
///
/// A future is cancelled by dropping it, so a task is only cancelled at an `.await` point,
/// where it yields to the runtime. Code that never yields cannot be interrupted. A blocking
/// closure that has started cannot be cancelled at all: it runs to the end and its result is
/// discarded.
///
/// # Examples
///
/// ```
/// use wrangle::{JoinError, Runtime};
///
/// fn demo<R: Runtime>(rt: &R) {
///     rt.block_on(async {
///         let task = rt.spawn(async { 1 + 1 });
///         assert_eq!(task.await, 2);
///
///         let failing = rt.spawn(async { panic!("boom") });
///         match failing.join().await {
///             Err(JoinError::Panicked(p)) => assert_eq!(p.message(), "boom"),
///             other => unreachable!("{other:?}"),
///         }
///     });
/// }
/// # demo(&wrangle::sim::Sim::new(1));
/// ```
#[must_use = "dropping a Task cancels it; call .detach() to let it run on"]
pub struct Task<T> {
    /// `None` only after `detach`, which consumes the handle.
    repr: Option<Repr<T>>,
}

enum Repr<T> {
    /// wrangle's own state, shared with a [`Job`](super::Job) or
    /// [`BlockingJob`](super::BlockingJob).
    Shared(Arc<Shared<T>>),
    /// A runtime's own handle, which already has wrangle's semantics.
    Native(Box<dyn NativeHandle<T>>),
    /// tokio's handle, held inline: a box here costs a pointer chase per task, which is
    /// most of wrangle's spawn overhead on tokio.
    #[cfg(feature = "tokio")]
    Tokio(tokio::task::JoinHandle<T>),
}

impl<T> Task<T> {
    pub(crate) fn from_shared(shared: Arc<Shared<T>>) -> Self {
        Self {
            repr: Some(Repr::Shared(shared)),
        }
    }

    /// Wraps tokio's `JoinHandle`, which already aborts synchronously, catches panics and
    /// reports a task dropped at shutdown as cancelled; the handle is held inline. For the
    /// tokio adapter (feature `tokio`).
    #[cfg(feature = "tokio")]
    pub fn from_tokio(handle: tokio::task::JoinHandle<T>) -> Self
    where
        T: Send + 'static,
    {
        Self {
            repr: Some(Repr::Tokio(handle)),
        }
    }

    /// Wraps a runtime's own task handle that already keeps wrangle's contract (see
    /// [`NativeHandle`]). For adapter authors.
    pub fn from_native(handle: Box<dyn NativeHandle<T>>) -> Self {
        Self {
            repr: Some(Repr::Native(handle)),
        }
    }

    /// A task that has already been cancelled: it joins as [`JoinError::Cancelled`].
    ///
    /// [`Spawn::spawn`](crate::Spawn::spawn) returns one when the runtime has been shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Task;
    ///
    /// let task = Task::<u32>::cancelled();
    /// assert!(task.is_finished());
    /// let outcome = wrangle::sim::run(1, |_rt| task.join());
    /// assert!(outcome.unwrap_err().is_cancelled());
    /// ```
    pub fn cancelled() -> Self {
        let shared = Arc::new(Shared::new());
        shared.complete(Err(JoinError::Cancelled));
        Self::from_shared(shared)
    }

    /// Lets the task run to completion with nobody waiting for it; its output is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::Spawn;
    /// # fn demo<S: Spawn>(spawner: &S) {
    /// spawner.spawn(async { /* background work */ }).detach();
    /// # }
    /// # demo(&wrangle::sim::Sim::new(1));
    /// ```
    pub fn detach(mut self) {
        match self.repr.take() {
            Some(Repr::Shared(shared)) => shared.release(false),
            // A native handle detaches when dropped without an abort.
            Some(Repr::Native(handle)) => drop(handle),
            #[cfg(feature = "tokio")]
            Some(Repr::Tokio(handle)) => drop(handle),
            None => {}
        }
    }

    /// Requests cancellation without waiting: the task's future is dropped at its next
    /// scheduling point. A task that already finished keeps its output.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::Runtime;
    /// # fn demo<R: Runtime>(rt: &R) { rt.block_on(async {
    /// let task = rt.spawn(std::future::pending::<()>());
    /// task.abort();
    /// assert!(task.join().await.unwrap_err().is_cancelled());
    /// # }) }
    /// # demo(&wrangle::sim::Sim::new(1));
    /// ```
    pub fn abort(&self) {
        // `None`: already joined, nothing to cancel.
        match &self.repr {
            Some(Repr::Shared(shared)) => shared.request_cancel(),
            Some(Repr::Native(handle)) => handle.abort(),
            #[cfg(feature = "tokio")]
            Some(Repr::Tokio(handle)) => handle.abort(),
            None => {}
        }
    }

    /// A handle that can cancel the task without owning it.
    ///
    /// # Examples
    ///
    /// ```
    /// let task = wrangle::Task::<()>::cancelled();
    /// assert!(task.abort_handle().is_finished());
    /// ```
    pub fn abort_handle(&self) -> AbortHandle
    where
        T: Send + 'static,
    {
        match &self.repr {
            Some(Repr::Shared(shared)) => AbortHandle::new(shared.clone()),
            Some(Repr::Native(handle)) => handle.abort_handle(),
            #[cfg(feature = "tokio")]
            Some(Repr::Tokio(handle)) => super::tokio::abort_handle(handle),
            None => AbortHandle::finished(),
        }
    }

    /// Whether the task has finished: it produced an outcome and its future is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let task = wrangle::Task::<()>::cancelled();
    /// assert!(task.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        match &self.repr {
            Some(Repr::Shared(shared)) => shared.is_done(),
            Some(Repr::Native(handle)) => handle.is_finished(),
            #[cfg(feature = "tokio")]
            Some(Repr::Tokio(handle)) => handle.is_finished(),
            None => true,
        }
    }

    /// Waits for the task and returns its outcome without re-raising a panic.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::Runtime;
    /// # fn demo<R: Runtime>(rt: &R) { rt.block_on(async {
    /// let outcome = rt.spawn(async { 7 }).join().await;
    /// assert_eq!(outcome.unwrap(), 7);
    /// # }) }
    /// # demo(&wrangle::sim::Sim::new(1));
    /// ```
    pub fn join(self) -> Join<T> {
        Join { task: self }
    }

    /// Cancels the task and waits until its future has been dropped.
    ///
    /// Resolves to `Some(output)` if the task finished before the cancellation took hold, and
    /// `None` otherwise. A panic that happened before the cancellation is re-raised.
    ///
    /// # Examples
    ///
    /// ```
    /// # use wrangle::Runtime;
    /// # fn demo<R: Runtime>(rt: &R) { rt.block_on(async {
    /// let task = rt.spawn(std::future::pending::<u32>());
    /// assert_eq!(task.cancel().await, None);
    /// # }) }
    /// # demo(&wrangle::sim::Sim::new(1));
    /// ```
    pub fn cancel(self) -> Cancel<T> {
        self.abort();
        Cancel { task: self }
    }

    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let polled = match self.repr.as_mut() {
            Some(Repr::Shared(shared)) => match shared.poll_take(cx.waker()) {
                None => Poll::Pending,
                Some(Some(outcome)) => Poll::Ready(outcome),
                Some(None) => panic!("Task polled after it completed"),
            },
            Some(Repr::Native(handle)) => handle.poll_join(cx),
            #[cfg(feature = "tokio")]
            Some(Repr::Tokio(handle)) => super::tokio::poll_join(handle, cx),
            None => panic!("Task polled after it completed"),
        };
        if polled.is_ready() {
            // Joined: nothing is left to cancel, so `Drop` has nothing to do.
            self.repr = None;
        }
        polled
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        match &self.repr {
            Some(Repr::Shared(shared)) => shared.release(true),
            Some(Repr::Native(handle)) => handle.abort(),
            #[cfg(feature = "tokio")]
            Some(Repr::Tokio(handle)) => handle.abort(),
            None => {}
        }
    }
}

impl<T> Future for Task<T> {
    type Output = T;

    /// # Panics
    ///
    /// Re-raises the task's panic; panics with a wrangle message if the task was cancelled
    /// (use [`Task::join`] to handle that case).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.get_mut().poll_join(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(output)) => Poll::Ready(output),
            Poll::Ready(Err(JoinError::Panicked(panic))) => panic.resume(),
            Poll::Ready(Err(JoinError::Cancelled)) => panic!(
                "awaited a wrangle Task that was cancelled (aborted, or its runtime shut down); \
                 use Task::join to handle cancellation"
            ),
        }
    }
}

/// Terminated once its outcome has been taken, for `futures::select!` (which then skips it).
impl<T> futures_core::FusedFuture for Task<T> {
    fn is_terminated(&self) -> bool {
        self.repr.is_none()
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.repr {
            None => "joined",
            Some(Repr::Shared(shared)) if shared.is_done() => "finished",
            Some(Repr::Shared(shared)) if shared.is_cancel_requested() => "cancelling",
            Some(Repr::Native(handle)) if handle.is_finished() => "finished",
            #[cfg(feature = "tokio")]
            Some(Repr::Tokio(handle)) if handle.is_finished() => "finished",
            Some(_) => "running",
        };
        f.debug_struct("Task").field("state", &state).finish()
    }
}

/// Future for the [`Task::join`] method.
///
/// # Examples
///
/// ```
/// use wrangle::Spawn;
/// use wrangle::task::Join;
///
/// wrangle::sim::run(1, |rt| async move {
///     let join: Join<u8> = rt.spawn(async { 1 }).join();
///     assert_eq!(join.await.ok(), Some(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Join<T> {
    task: Task<T>,
}

impl<T> Join<T> {
    /// The task being joined.
    pub fn get_ref(&self) -> &Task<T> {
        &self.task
    }

    /// The task being joined, back as a handle.
    pub fn into_inner(self) -> Task<T> {
        self.task
    }
}

impl<T> Future for Join<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().task.poll_join(cx)
    }
}

/// Terminated once the outcome has been taken, for `futures::select!`.
impl<T> futures_core::FusedFuture for Join<T> {
    fn is_terminated(&self) -> bool {
        self.task.repr.is_none()
    }
}

/// Future for the [`Task::cancel`] method.
///
/// # Examples
///
/// ```
/// use wrangle::Spawn;
/// use wrangle::task::Cancel;
///
/// wrangle::sim::run(1, |rt| async move {
///     let cancel: Cancel<()> = rt.spawn(std::future::pending()).cancel();
///     assert_eq!(cancel.await, None);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Cancel<T> {
    task: Task<T>,
}

impl<T> Future for Cancel<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.get_mut().task.poll_join(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(output)) => Poll::Ready(Some(output)),
            Poll::Ready(Err(JoinError::Cancelled)) => Poll::Ready(None),
            Poll::Ready(Err(JoinError::Panicked(panic))) => panic.resume(),
        }
    }
}

/// Terminated once the outcome has been taken, for `futures::select!`.
impl<T> futures_core::FusedFuture for Cancel<T> {
    fn is_terminated(&self) -> bool {
        self.task.repr.is_none()
    }
}
