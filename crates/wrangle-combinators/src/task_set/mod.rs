//! A dynamic set of spawned tasks, joined in completion order: [`TaskSet`] (tokio's
//! `JoinSet`, on every runtime).

mod join_next;
mod tracked;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use join_next::JoinNext;

use tracked::{Outcome, ReadyQueue, Tracked};

use crate::{AbortHandle, JoinError, Spawn, Task};

/// A set of spawned tasks that grows while it runs and is drained in completion order:
/// tokio's `JoinSet` on every runtime.
///
/// [`spawn`](TaskSet::spawn) starts a task at once on the set's [`Spawn`]er, at any time,
/// also while the set is being drained; [`join_next`](TaskSet::join_next) waits for the next
/// task to finish, whichever it is, and hands its outcome over. Outcomes are pushed by the
/// tasks themselves to one queue, so `join_next` costs the same whatever the set's size, and
/// an outcome is kept only until it is taken: the set holds one handle per task still in it,
/// nothing for tasks already joined, so a long-lived set fed a stream of short jobs stays as
/// small as the number of jobs in flight.
///
/// Unlike a [`TaskGroup`](crate::group::TaskGroup), a set has no failure policy: a task that
/// fails or panics cancels nothing, and it is the caller who decides, at each `join_next`,
/// what to do — [`abort_all`](TaskSet::abort_all), for a fail-fast loop.
///
/// # Cancellation
///
/// Dropping the set requests cancellation of every task still in it: each is dropped at its
/// next scheduling point (as for a dropped [`Task`]). [`abort_all`](TaskSet::abort_all) does
/// the same without giving the set up; the aborted tasks then come out of `join_next` as
/// [`JoinError::Cancelled`] — unless they finished first — so a loop over `join_next` after
/// `abort_all` returns once every task is gone. [`detach_all`](TaskSet::detach_all) lets them
/// run on.
///
/// # Examples
///
/// Spawn while draining: each finished task may add more work.
///
/// ```
/// use wrangle::TaskSet;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut set = TaskSet::new(&rt);
///     set.spawn(async { 3u32 });
///     let mut seen = Vec::new();
///     while let Some(outcome) = set.join_next().await {
///         let n = outcome.unwrap();
///         seen.push(n);
///         if n > 0 {
///             set.spawn(async move { n - 1 });
///         }
///     }
///     assert_eq!(seen, [3, 2, 1, 0]);
///     assert!(set.is_empty());
/// });
/// ```
///
/// Completion order, and a panic handed over where it is joined:
///
/// ```
/// use std::time::Duration;
/// use wrangle::TaskSet;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut set = TaskSet::new(&rt);
///     for ms in [30u64, 10, 20] {
///         let nap = wrangle::sleep(&rt, Duration::from_millis(ms));
///         set.spawn(async move {
///             nap.await;
///             assert!(ms != 20, "task {ms} failed");
///             ms
///         });
///     }
///     assert_eq!(set.join_next().await.unwrap().unwrap(), 10);
///     let panicked = set.join_next().await.unwrap().unwrap_err();
///     assert_eq!(panicked.into_panic().downcast_ref::<String>().unwrap(), "task 20 failed");
///     assert_eq!(set.join_next().await.unwrap().unwrap(), 30);
///     assert!(set.join_next().await.is_none());
/// });
/// ```
///
/// # Panics
///
/// Never for a task's panic: it is handed over as [`JoinError::Panicked`] by `join_next`
/// (re-raise it with [`Panic::resume`](crate::task::Panic::resume)), and re-raised by
/// [`join_all`](TaskSet::join_all).
#[doc(alias = "JoinSet")]
#[doc(alias = "TaskTracker")]
pub struct TaskSet<S, T> {
    spawner: S,
    /// One handle per task still in the set, by slot; `None` for free slots.
    slots: Vec<Option<Task<()>>>,
    free: Vec<usize>,
    len: usize,
    ready: Arc<ReadyQueue<T>>,
    /// Outcomes taken from `ready` under one lock, not yet handed over.
    taken: VecDeque<Outcome<T>>,
}

impl<S: Spawn, T: Send + 'static> TaskSet<S, T> {
    /// An empty set spawning on `spawner` (by value: `&rt` borrows the runtime, `rt.clone()`
    /// gives a set that owns its handle).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let set = wrangle::TaskSet::<_, ()>::new(&rt);
    /// assert!(set.is_empty());
    /// # });
    /// ```
    pub fn new(spawner: S) -> Self {
        Self {
            spawner,
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: Arc::new(ReadyQueue::new()),
            taken: VecDeque::new(),
        }
    }

    /// Spawns `future` into the set; it starts running at once. Returns a handle that can
    /// abort this one task (its outcome then comes out of `join_next` as cancelled).
    ///
    /// On a runtime that has been shut down the future is dropped unpolled and its outcome
    /// is [`JoinError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// let handle = set.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let task = self
            .spawner
            .spawn(Tracked::new(future, slot, self.ready.clone()));
        self.insert(slot, task)
    }

    /// Like [`spawn`](Self::spawn), naming the task (see
    /// [`Spawn::spawn_named`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::group::current_name;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// set.spawn_named("fetch", async { current_name() });
    /// assert_eq!(set.join_next().await.unwrap().unwrap().as_deref(), Some("fetch"));
    /// # });
    /// ```
    pub fn spawn_named<F>(&mut self, name: impl Into<Arc<str>>, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let task = self
            .spawner
            .spawn_named(name, Tracked::new(future, slot, self.ready.clone()));
        self.insert(slot, task)
    }

    fn insert(&mut self, slot: usize, task: Task<()>) -> AbortHandle {
        let handle = task.abort_handle();
        if slot == self.slots.len() {
            self.slots.push(Some(task));
        } else {
            self.slots[slot] = Some(task);
        }
        self.len += 1;
        handle
    }
}

impl<S, T> TaskSet<S, T> {
    /// How many tasks are in the set: spawned, and whose outcome has not been taken.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// set.spawn(async { 1 });
    /// assert_eq!(set.len(), 1);
    /// set.join_next().await;
    /// assert_eq!(set.len(), 0);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no task.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// assert!(wrangle::TaskSet::<_, ()>::new(&rt).is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Waits for the next task to finish and takes its outcome out of the set: `None` once
    /// the set is empty. A panic is handed over as [`JoinError::Panicked`]; a task aborted
    /// or dropped by its runtime comes out as [`JoinError::Cancelled`].
    ///
    /// # Cancellation
    ///
    /// Cancel safe: an outcome is taken only when `join_next` returns it, so in a `select!`
    /// loop nothing is lost when another branch wins.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// set.spawn(async { "done" });
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    /// assert!(set.join_next().await.is_none());
    /// # });
    /// ```
    pub fn join_next(&mut self) -> JoinNext<'_, S, T> {
        JoinNext::new(self)
    }

    /// The outcome of a task that has already finished, without waiting: `None` if none
    /// has (or the set is empty).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// set.spawn(std::future::pending::<()>());
    /// assert!(set.try_join_next().is_none());
    /// # });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        if self.taken.is_empty() {
            self.ready.drain_into(&mut self.taken);
        }
        let (slot, outcome) = self.taken.pop_front()?;
        if let Some(task) = self.slots.get_mut(slot).and_then(Option::take) {
            // Finished: its handle has nothing left to cancel.
            task.detach();
        }
        self.free.push(slot);
        self.len -= 1;
        Some(outcome)
    }

    /// Polls for the next outcome, as [`join_next`](Self::join_next) does; for hand-written
    /// futures and streams.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// set.spawn(async { 7 });
    /// let next = poll_fn(|cx| set.poll_join_next(cx)).await;
    /// assert_eq!(next.unwrap().unwrap(), 7);
    /// # });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        if let Some(outcome) = self.try_join_next() {
            return Poll::Ready(Some(outcome));
        }
        self.ready.register(cx);
        match self.try_join_next() {
            Some(outcome) => Poll::Ready(Some(outcome)),
            None => Poll::Pending,
        }
    }

    /// Waits for every task and returns their values in completion order, re-raising the
    /// first panic met (the other tasks are then dropped with the set).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// set.spawn(async { 2 });
    /// assert_eq!(set.join_all().await, [2]);
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// Re-raises a task's panic, and panics if a task was cancelled (aborted, or its runtime
    /// shut down); loop over [`join_next`](Self::join_next) to handle either.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut values = Vec::with_capacity(self.len);
        while let Some(outcome) = self.join_next().await {
            match outcome {
                Ok(value) => values.push(value),
                Err(JoinError::Panicked(panic)) => panic.resume(),
                Err(_) => {
                    panic!("TaskSet::join_all: a task was cancelled; use join_next to handle it")
                }
            }
        }
        values
    }

    /// Requests cancellation of every task in the set: each is dropped at its next
    /// scheduling point and comes out of [`join_next`](Self::join_next) as
    /// [`JoinError::Cancelled`], unless it finished first. Tasks spawned afterwards run
    /// normally.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// for _ in 0..3 {
    ///     set.spawn(std::future::pending::<()>());
    /// }
    /// set.abort_all();
    /// let mut cancelled = 0;
    /// while let Some(outcome) = set.join_next().await {
    ///     cancelled += usize::from(outcome.unwrap_err().is_cancelled());
    /// }
    /// assert_eq!(cancelled, 3);
    /// # });
    /// ```
    pub fn abort_all(&self) {
        self.slots.iter().flatten().for_each(Task::abort);
    }

    /// Lets every task in the set run on with nobody waiting for it, and empties the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut set = wrangle::TaskSet::new(&rt);
    /// set.spawn(async { /* background work */ });
    /// set.detach_all();
    /// assert!(set.is_empty());
    /// # });
    /// ```
    pub fn detach_all(&mut self) {
        // A fresh queue: the detached tasks push their outcomes to the old one, now closed.
        self.ready.close();
        self.ready = Arc::new(ReadyQueue::new());
        self.taken.clear();
        self.slots.drain(..).flatten().for_each(Task::detach);
        self.free.clear();
        self.len = 0;
    }
}

impl<S, T> Drop for TaskSet<S, T> {
    /// Requests cancellation of every task (dropping their handles), and drops the
    /// outcomes nobody took.
    fn drop(&mut self) {
        self.ready.close();
    }
}

impl<S, T> fmt::Debug for TaskSet<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future::block_on;
    use wrangle_core::doctest::ThreadPerTask;

    #[test]
    fn smoke() {
        let mut set = TaskSet::new(&ThreadPerTask);
        for i in 0..10u32 {
            set.spawn(async move { i });
        }
        let mut out: Vec<_> = block_on(set.join_all());
        out.sort_unstable();
        assert_eq!(out, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn empty() {
        let mut set = TaskSet::<_, ()>::new(&ThreadPerTask);
        assert!(block_on(set.join_next()).is_none());
        assert!(set.try_join_next().is_none());
        assert!(block_on(set.join_all()).is_empty());
    }

    #[test]
    fn debug() {
        let mut set = TaskSet::new(&ThreadPerTask);
        set.spawn(async {});
        assert_eq!(format!("{set:?}"), "TaskSet { len: 1, .. }");
    }

    /// Slots are reused once their outcome is taken, so a long-lived set fed one task at a
    /// time holds one slot.
    #[test]
    fn slots_are_reused() {
        let mut set = TaskSet::new(&ThreadPerTask);
        let n = if cfg!(miri) { 5 } else { 100 };
        for i in 0..n {
            set.spawn(async move { i });
            assert_eq!(block_on(set.join_next()).unwrap().unwrap(), i);
        }
        assert_eq!(set.slots.len(), 1);
    }
}
