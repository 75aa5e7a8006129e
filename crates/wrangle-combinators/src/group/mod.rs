//! Structured concurrency: [`TaskGroup`] spawns children on any [`Spawn`] and joins every one
//! of them before it returns; [`LocalTaskGroup`] does the same for `!Send` children, in the
//! current task.
//!
//! asyncio's `TaskGroup`, trio's nurseries and anyio's task groups, on every runtime: no child
//! outlives the group's await, and a failing child cancels its siblings. Children can be
//! named, and the names appear in errors and in [`current_name`]. A group can be linked to a
//! [`CancellationToken`] and shut down with a grace period.

mod child;
mod error;
mod inbox;
mod join;
mod local;
mod nursery;
mod refused;
mod shutdown;
mod start;
mod start_error;
mod status;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

pub use error::{ChildError, ChildFailure, ChildInfo, GroupError};
pub use join::{GroupJoin, GroupJoinOutcomes};
pub use local::{LocalGroupJoin, LocalGroupJoinOutcomes, LocalGroupShutdown, LocalTaskGroup};
pub use nursery::Nursery;
pub use refused::SpawnRefused;
pub use shutdown::{GroupShutdown, ShutdownReport};
pub use start::Start;
pub use start_error::StartError;
pub use status::TaskStatus;
pub use wrangle_core::name::{current_name, poll_recording_name};

use child::{Child, Shared};
use error::Record;
use inbox::Inbox;

use crate::{CancellationToken, JoinError, Spawn, Timer};

/// A set of spawned children that is awaited as one: [`join`](TaskGroup::join) returns only
/// once every child has finished or been cancelled, and in the default, fail-fast mode the
/// first child to fail cancels all the others — asyncio's `TaskGroup`, trio's nursery.
///
/// Children are spawned at once on the group's [`Spawn`]er, so they run in parallel on a
/// multi-thread runtime and make progress whether or not the group is being awaited. Each
/// child is a future returning `Result<T, E>` (use
/// [`Infallible`](std::convert::Infallible) for children that cannot fail); give it a name
/// with [`spawn_named`](TaskGroup::spawn_named) and the name appears in errors and, while the
/// child runs, in [`current_name`].
///
/// - **Fail-fast** ([`TaskGroup::new`]): when a child returns `Err` or panics, every sibling
///   is cancelled — from the failing child's own task, whether or not the group is being
///   awaited, and deferred by one scheduling round: each sibling runs once more before it is
///   dropped, so one woken at the same instant as the failure keeps the outcome it reaches
///   (asyncio's `TaskGroup` and tokio's `JoinSet` report two failures at one instant too).
///   `join` returns, once they are all gone, a [`GroupError`] whose first entry is that
///   failure, keeping every other child that failed before the cancellation took hold, in
///   time order.
/// - **Collect-all** ([`TaskGroup::collect_all`]): a failure cancels nothing; `join` waits
///   for every child and reports every failure, in the order they happened, and
///   [`join_outcomes`](TaskGroup::join_outcomes) returns every outcome in spawn order
///   (asyncio's `gather(..., return_exceptions=True)`, with tasks).
///
/// The group keeps every child's outcome until it is joined, so its memory grows with the
/// number of children spawned into it; for a long stream of short jobs, the spawning form
/// of gather ([`spawn_gather()`](crate::gather::spawn_gather())) keeps memory to its limit,
/// and a [`TaskSet`](crate::TaskSet) keeps no outcome once it is taken.
/// A child spawns siblings into its own group through the group's [`Nursery`]
/// ([`nursery`](TaskGroup::nursery), trio's nursery passed around), and
/// [`start`](TaskGroup::start) waits until a child signals that it is ready (anyio's
/// `TaskGroup.start`).
///
/// A child is cancelled the way every wrangle task is: its future is dropped at its next
/// scheduling point, so its synchronous `Drop` cleanup runs. For cleanup that must `.await`,
/// a child watches the group's [`token`](TaskGroup::token), which is cancelled as soon as the
/// group starts cancelling for any reason, and first of all by
/// [`shutdown`](TaskGroup::shutdown), which then gives children a grace period before it
/// drops them.
///
/// # Cancellation
///
/// Dropping the group, or its [`GroupJoin`] future before it completes, *requests* cancellation of
/// every child: each is dropped at its next scheduling point, which on a multi-thread runtime
/// may be just after `drop` returns (as for a [`Task`](crate::Task)). The awaited paths —
/// `join`, `join_outcomes`, `shutdown` — return only once every child's future is gone.
/// [`cancel`](TaskGroup::cancel) cancels every child without giving the group up, and
/// [`cancel_on`](TaskGroup::cancel_on) does it when a [`CancellationToken`] fires; a group
/// whose cancellation has been requested starts no more children: a child spawned into it is
/// dropped unpolled and reported cancelled. To let one piece of work outlive the group, spawn
/// it with [`shield`](crate::shield()) inside a child.
///
/// # Examples
///
/// `docs/scenarios.md`, S3, fail-fast: three calls of 1 s, the second fails after 0.5 s; the caller
/// gets the error at 0.5 s and the other two have been cancelled.
///
/// ```
/// use std::time::Duration;
/// use wrangle::group::TaskGroup;
///
/// wrangle::sim::run(1, |rt| async move {
///     let call = |i: u32| {
///         let ms = if i == 1 { 500 } else { 1000 };
///         let nap = wrangle::sleep(&rt, Duration::from_millis(ms)); // holds no handle
///         async move {
///             nap.await;
///             if i == 1 { Err(format!("call {i} failed")) } else { Ok(i) }
///         }
///     };
///     let mut group = TaskGroup::new(&rt);
///     for i in 0..3 {
///         group.spawn(call(i));
///     }
///     let err = group.join().await.unwrap_err();
///     assert_eq!(rt.elapsed(), Duration::from_millis(500));
///     assert_eq!(err.first().error(), "call 1 failed");
///     assert_eq!(err.cancelled().len(), 2);
/// });
/// ```
///
/// A group can be awaited directly; on success the values come back in spawn order:
///
/// ```
/// use wrangle::group::TaskGroup;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut group = TaskGroup::new(&rt);
///     for i in 0..4u64 {
///         group.spawn(async move { Ok::<_, std::io::Error>(i * i) });
///     }
///     assert_eq!(group.await.unwrap(), [0, 1, 4, 9]);
/// });
/// ```
///
/// With an owned handle (`rt.clone()`) the group is `'static`, so it can be handed to a
/// spawned task:
///
/// ```
/// use wrangle::Spawn;
/// use wrangle::group::TaskGroup;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut group = TaskGroup::new(rt.clone());
///     group.spawn(async { Ok::<_, std::io::Error>(1) });
///     let joined = rt.spawn(group.join()).await;
///     assert_eq!(joined.unwrap(), [1]);
/// });
/// ```
///
/// A group is consumed by its await, so it cannot be awaited twice:
///
/// ```compile_fail
/// # wrangle::sim::run(1, |rt| async move {
/// let group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
/// let join = group.join();
/// let again = group.join(); // error: use of moved value
/// # });
/// ```
///
/// # Errors
///
/// [`join`](TaskGroup::join) returns a [`GroupError`] unless every child returned `Ok`.
///
/// # Panics
///
/// [`join`](TaskGroup::join) re-raises a child's panic (the first in time, in a fail-fast
/// group the one that cancelled the others) once every child is gone.
/// [`join_outcomes`](TaskGroup::join_outcomes) and [`shutdown`](TaskGroup::shutdown) hand it
/// over as [`ChildError::Panicked`] instead.
#[doc(alias = "nursery")]
#[doc(alias = "JoinSet")]
#[doc(alias = "TaskTracker")]
pub struct TaskGroup<S, T, E> {
    spawner: S,
    shared: Arc<Shared>,
    /// The cooperative token handed to children; a child of `shared.kill`.
    token: CancellationToken,
    children: Vec<Entry<T, E>>,
    /// Children spawned through a [`Nursery`], until the group adopts them.
    inbox: Arc<Inbox<T, E>>,
}

struct Entry<T, E> {
    info: ChildInfo,
    state: State<T, E>,
}

enum State<T, E> {
    Running(crate::task::Join<Record<T, E>>),
    Done(Record<T, E>),
}

impl<T, E> Entry<T, E> {
    fn into_record(self) -> Record<T, E> {
        match self.state {
            State::Done(record) => record,
            // Not reached: records are taken once every child is done.
            State::Running(_) => Record::cancelled(),
        }
    }

    fn is_finished(&self) -> bool {
        match &self.state {
            State::Done(_) => true,
            State::Running(join) => join.get_ref().is_finished(),
        }
    }
}

impl<S: Spawn, T, E> TaskGroup<S, T, E> {
    /// An empty fail-fast group spawning on `spawner`: the first child to fail cancels the
    /// others.
    ///
    /// `spawner` is taken by value: `&rt` borrows the runtime (no clone; the group then
    /// borrows `rt`), `rt.clone()` gives a group that owns its handle and can be moved into a
    /// spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// group.spawn(async { Err::<(), _>("boom") });
    /// group.spawn(std::future::pending()); // cancelled by the failure
    /// assert_eq!(group.join().await.unwrap_err().into_first(), "boom");
    /// # });
    /// ```
    pub fn new(spawner: S) -> Self {
        Self::with_policy(spawner, true)
    }

    /// An empty collect-all group spawning on `spawner`: a failing child cancels nothing, and
    /// the group's await reports every outcome.
    ///
    /// # Examples
    ///
    /// `docs/scenarios.md`, S3, collect-all: three outcomes, in input order, one of them the error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::group::{ChildError, TaskGroup};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let mut group = TaskGroup::collect_all(&rt);
    ///     for i in 0..3u32 {
    ///         let ms = if i == 1 { 500 } else { 1000 };
    ///         let nap = wrangle::sleep(&rt, Duration::from_millis(ms));
    ///         group.spawn(async move {
    ///             nap.await;
    ///             if i == 1 { Err("call 1 failed") } else { Ok(i) }
    ///         });
    ///     }
    ///     let outcomes = group.join_outcomes().await;
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
    ///     assert!(matches!(outcomes[..], [Ok(0), Err(ChildError::Failed("call 1 failed")), Ok(2)]));
    /// });
    /// ```
    pub fn collect_all(spawner: S) -> Self {
        Self::with_policy(spawner, false)
    }

    fn with_policy(spawner: S, fail_fast: bool) -> Self {
        let shared = Arc::new(Shared::new(fail_fast));
        Self {
            spawner,
            token: shared.kill.child_token(),
            shared,
            children: Vec::new(),
            inbox: Arc::new(Inbox::new()),
        }
    }

    /// Spawns `future` as a child of the group, and returns its index (its place in spawn
    /// order, from 0, as in [`join_outcomes`](Self::join_outcomes) and [`ChildInfo`]).
    ///
    /// The child starts running at once. If the group's cancellation has already been
    /// requested, it is not spawned: the future is dropped unpolled and the child is reported
    /// [`ChildError::Cancelled`]. On a runtime that has been shut down the child is reported
    /// cancelled as well.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// assert_eq!(group.spawn(async { Ok::<_, ()>("a") }), 0);
    /// assert_eq!(group.spawn(async { Ok("b") }), 1);
    /// assert_eq!(group.join().await, Ok(vec!["a", "b"]));
    /// # });
    /// ```
    pub fn spawn<F>(&mut self, future: F) -> usize
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        self.spawn_child(None, future)
    }

    /// Like [`spawn`](Self::spawn), naming the child `name`: errors say which child failed
    /// by name, and while the child is being polled [`current_name`] returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// group.spawn_named(format!("shard-{}", 3), async { Err::<(), _>("disk full") });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.first().to_string(), "child #0 \"shard-3\" failed");
    /// assert_eq!(err.to_string(), "1 of 1 child failed");
    /// # });
    /// ```
    pub fn spawn_named<F>(&mut self, name: impl Into<Arc<str>>, future: F) -> usize
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        self.spawn_child(Some(name.into()), future)
    }

    fn spawn_child<F>(&mut self, name: Option<Arc<str>>, future: F) -> usize
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let index = self.children.len();
        let state = if self.shared.kill.is_cancelled() {
            drop(future);
            State::Done(Record::cancelled())
        } else {
            let child = Child::new(future, self.shared.clone(), name.clone());
            let child = crate::trace::group_child(child, name.as_ref(), Some(index));
            State::Running(self.spawner.spawn(child).join())
        };
        self.children.push(Entry {
            info: ChildInfo::new(index, name),
            state,
        });
        index
    }

    /// A handle that spawns children into this group from anywhere, from inside its own
    /// children above all (trio's nursery, anyio's `start_soon`). See [`Nursery`].
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::group::TaskGroup;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let mut group = TaskGroup::new(rt.clone());
    ///     let nursery = group.nursery();
    ///     group.spawn(async move {
    ///         nursery.spawn(async { Ok(2) }).map_err(drop)?; // a sibling
    ///         Ok::<_, ()>(1)
    ///     });
    ///     assert_eq!(group.join().await, Ok(vec![1, 2]));
    /// });
    /// ```
    pub fn nursery(&self) -> Nursery<S, T, E> {
        Nursery::new(
            self.spawner.clone(),
            self.shared.clone(),
            self.inbox.clone(),
        )
    }

    /// Spawns the child `f` builds, handing it a [`TaskStatus`], and waits until the child
    /// signals with [`TaskStatus::started`] that it is ready — a server that has bound its
    /// port — returning the value it signalled: anyio's `TaskGroup.start`. The child then
    /// runs on as a child of the group.
    ///
    /// Every outcome is defined:
    ///
    /// - the child signals: `Ok(value)`; it can signal only once (`started` takes the status
    ///   by value, so a second signal does not compile);
    /// - the child returns `Err` or panics before signalling: [`StartError::Failed`]; the
    ///   error itself is the group's, reported by its await, and in a fail-fast group it
    ///   cancels the siblings, as any child's failure does;
    /// - the child returns `Ok` before signalling: [`StartError::NeverSignalled`]; its value
    ///   is in the group's outcome;
    /// - the group fails or is cancelled first (or the runtime shuts down): the child is
    ///   cancelled, [`StartError::Cancelled`].
    ///
    /// # Cancellation
    ///
    /// Dropping the [`Start`] future stops the waiting, not the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::group::TaskGroup;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let mut group = TaskGroup::<_, (), std::io::Error>::new(&rt);
    ///     let clock = rt.clone();
    ///     let port = group.start(|status| async move {
    ///         wrangle::sleep(&clock, Duration::from_millis(50)).await; // binding
    ///         status.started(8080u16);
    ///         std::future::pending().await // serving
    ///     });
    ///     assert_eq!(port.await.unwrap(), 8080);
    ///     assert_eq!(rt.elapsed(), Duration::from_millis(50));
    ///     group.cancel();
    ///     assert!(group.join().await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn start<V, F, Fut>(&mut self, f: F) -> Start<V>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        V: Send + 'static,
    {
        let (status, start) = start::pair();
        let future = start::Starting::new(f(status), start.slot());
        self.spawn_child(None, future);
        start
    }
}

impl<S, T, E> TaskGroup<S, T, E> {
    /// Cancels every child when `token` is cancelled — at once, if it already is — and
    /// returns the group, for chaining after [`new`](Self::new). A group can be linked to
    /// several tokens; cancelling the group does not cancel them.
    ///
    /// # Examples
    ///
    /// `docs/scenarios.md`, S16: workers loop forever; on the shutdown signal every worker is
    /// cancelled, its cleanup runs, and the program waits for all of them.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::time::Duration;
    /// use wrangle::{CancellationToken, Spawn};
    /// use wrangle::group::TaskGroup;
    ///
    /// struct Cleanup(Arc<AtomicUsize>);
    /// impl Drop for Cleanup {
    ///     fn drop(&mut self) { self.0.fetch_add(1, Ordering::SeqCst); }
    /// }
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let shutdown = CancellationToken::new();
    ///     let cleaned = Arc::new(AtomicUsize::new(0));
    ///     let mut workers = TaskGroup::new(&rt).cancel_on(&shutdown);
    ///     for i in 0..3 {
    ///         // Each worker owns a handle to the clock it loops on.
    ///         let (rt, cleanup) = (rt.clone(), Cleanup(cleaned.clone()));
    ///         workers.spawn_named(format!("worker-{i}"), async move {
    ///             let _cleanup = cleanup;
    ///             loop {
    ///                 wrangle::sleep(&rt, Duration::from_millis(100)).await;
    ///             }
    ///             #[allow(unreachable_code)]
    ///             Ok::<(), std::io::Error>(())
    ///         });
    ///     }
    ///     // The signal, one second in.
    ///     let (signal, nap) = (shutdown.clone(), wrangle::sleep(&rt, Duration::from_secs(1)));
    ///     rt.spawn(async move {
    ///         nap.await;
    ///         signal.cancel();
    ///     })
    ///     .detach();
    ///
    ///     let err = workers.join().await.unwrap_err();
    ///     assert!(err.is_cancelled());
    ///     assert_eq!(cleaned.load(Ordering::SeqCst), 3);
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn cancel_on(self, token: &CancellationToken) -> Self {
        token.link_child(&self.shared.kill);
        self
    }

    /// Requests cancellation of every child: each is dropped at its next scheduling point and
    /// reported [`ChildError::Cancelled`], unless it finished first, and children spawned
    /// from now on are not started. The group's [`token`](Self::token) is cancelled too.
    /// Await the group to know they are gone.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// group.spawn(std::future::pending::<Result<(), ()>>());
    /// group.cancel();
    /// assert!(group.is_cancelled());
    /// assert!(group.join().await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.shared.cancel();
    }

    /// Whether the group's cancellation has been requested: by [`cancel`](Self::cancel), a
    /// linked token, or (fail-fast) a child's failure.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
    /// assert!(!group.is_cancelled());
    /// # });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.shared.kill.is_cancelled()
    }

    /// The group's cooperative cancellation token, for children that want to notice
    /// cancellation and clean up with `.await` before they return.
    ///
    /// It is cancelled whenever the group starts cancelling: a child's failure (fail-fast),
    /// [`cancel`](Self::cancel), a linked token, dropping the group, and — first, before any
    /// child is dropped — [`shutdown`](Self::shutdown). Cancelling it yourself signals the
    /// children without dropping any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// let token = group.token().clone();
    /// group.spawn(async move {
    ///     token.cancelled().await;
    ///     Ok::<_, ()>("flushed") // an async cleanup would go here
    /// });
    /// let report = group.shutdown(&rt, Duration::from_secs(1)).await;
    /// assert!(report.is_clean());
    /// assert!(matches!(report.outcomes()[0], Ok("flushed")));
    /// # });
    /// ```
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// How many children have been spawned (finished ones included).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// group.spawn(async { Ok::<_, ()>(()) });
    /// assert_eq!(group.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether no child has been spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
    /// assert!(group.is_empty());
    /// assert_eq!(group.join().await, Ok(vec![]));
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Waits for every child to finish or be cancelled, and returns their values in spawn
    /// order, or a [`GroupError`] (the first failure in time first). Also what `.await` on
    /// the group does.
    ///
    /// # Cancellation
    ///
    /// Dropping the future before it completes drops the group: every child's cancellation
    /// is requested.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// group.spawn(async { Ok::<_, ()>(1) });
    /// group.spawn(async { Ok(2) });
    /// assert_eq!(group.join().await, Ok(vec![1, 2]));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// A [`GroupError`] unless every child returned `Ok`: with the failures, first in time
    /// first, and the children that were cancelled.
    ///
    /// # Panics
    ///
    /// Re-raises a child's panic (the first in time) once every child is gone. Polling the
    /// future after it completed panics.
    pub fn join(self) -> GroupJoin<S, T, E> {
        GroupJoin::new(self)
    }

    /// Waits for every child to finish or be cancelled, and returns every outcome in spawn
    /// order: values, errors, panics ([`ChildError::Panicked`], not re-raised) and
    /// cancellations.
    ///
    /// # Cancellation
    ///
    /// As [`join`](Self::join).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::group::ChildError;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// group.spawn(async { Err::<(), _>("down") });
    /// group.spawn(std::future::pending());
    /// let outcomes = group.join_outcomes().await;
    /// assert!(matches!(outcomes[..], [Err(ChildError::Failed("down")), Err(ChildError::Cancelled)]));
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// Polling the future after it completed panics.
    pub fn join_outcomes(self) -> GroupJoinOutcomes<S, T, E> {
        GroupJoinOutcomes::new(self)
    }

    /// Shuts the group down gracefully: cancels its [`token`](Self::token), waits up to
    /// `grace` on `timer`'s clock for the children to finish on their own, then cancels
    /// (drops) the ones still running and waits until they are gone (`timer` by value: `&rt`
    /// borrows, `rt.clone()` owns). The
    /// [`ShutdownReport`] has every outcome in spawn order and names the children that did
    /// not finish within the grace.
    ///
    /// The grace starts at the first poll. With a zero `grace` every child still running at
    /// the first poll is cancelled at once and reported unfinished; a `grace` too large for
    /// the clock (such as [`Duration::MAX`]) waits for as long as it takes. A child that never
    /// yields cannot be cancelled, so the shutdown waits for it after the grace as well.
    ///
    /// # Cancellation
    ///
    /// Dropping the future drops the group: every child's cancellation is requested.
    ///
    /// # Examples
    ///
    /// A worker that flushes on the signal, and one that ignores it:
    ///
    /// ```
    /// use std::time::Duration;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::new(&rt);
    /// let (token, clock) = (group.token().clone(), rt.clone()); // the child owns a handle
    /// group.spawn_named("polite", async move {
    ///     token.cancelled().await;
    ///     wrangle::sleep(&clock, Duration::from_millis(200)).await; // flush
    ///     Ok::<_, ()>(())
    /// });
    /// group.spawn_named("stubborn", std::future::pending());
    ///
    /// let report = group.shutdown(&rt, Duration::from_secs(1)).await;
    /// assert_eq!(rt.elapsed(), Duration::from_secs(1));
    /// assert_eq!(report.unfinished()[0].name(), Some("stubborn"));
    /// assert!(report.outcomes()[0].is_ok());
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// Polling the future after it completed panics. A child's panic is reported as
    /// [`ChildError::Panicked`], not re-raised.
    pub fn shutdown<Tm: Timer>(self, timer: Tm, grace: Duration) -> GroupShutdown<S, T, E, Tm> {
        GroupShutdown::new(self, timer, grace)
    }

    /// Polls the children from `*next` on, head first, keeping each outcome; ready once
    /// every child has one.
    fn poll_children(&mut self, next: &mut usize, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            std::task::ready!(self.poll_some_children(next, cx));
            // Every child has an outcome: close the nursery, unless it holds children to
            // adopt first (atomic with its spawns, so none is lost).
            if self.inbox.close_if_empty() {
                return Poll::Ready(());
            }
        }
    }

    /// Adopts the children a nursery spawned, then polls from `*next` on, head first.
    fn poll_some_children(&mut self, next: &mut usize, cx: &mut Context<'_>) -> Poll<()> {
        for (name, state) in self.inbox.take() {
            let info = ChildInfo::new(self.children.len(), name);
            self.children.push(Entry { info, state });
        }
        while let Some(entry) = self.children.get_mut(*next) {
            if let State::Running(join) = &mut entry.state {
                let record = match Pin::new(join).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(record)) => record,
                    // Not reached: the child catches its future's panics.
                    Poll::Ready(Err(JoinError::Panicked(panic))) => Record {
                        result: Err(ChildError::Panicked(panic)),
                        seq: u64::MAX - 1,
                    },
                    // The runtime dropped the task (shutdown) or it was aborted: `Cancelled`,
                    // or any other way a task can end without an output.
                    Poll::Ready(Err(_)) => Record::cancelled(),
                };
                entry.state = State::Done(record);
            }
            *next += 1;
        }
        Poll::Ready(())
    }

    /// Every child's info and record, once all are done; the group is left empty.
    fn take_records(&mut self) -> impl Iterator<Item = (ChildInfo, Record<T, E>)> {
        std::mem::take(&mut self.children)
            .into_iter()
            .map(|entry| (entry.info.clone(), entry.into_record()))
    }

    /// The children not finished yet, from `next` on.
    fn unfinished(&self, next: usize) -> Vec<ChildInfo> {
        self.children[next.min(self.children.len())..]
            .iter()
            .filter(|entry| !entry.is_finished())
            .map(|entry| entry.info.clone())
            .collect()
    }
}

impl<S, T, E> Drop for TaskGroup<S, T, E> {
    /// Requests cancellation of every child still running (dropping their tasks would too;
    /// this also cancels the group's token).
    fn drop(&mut self) {
        self.shared.cancel();
        self.inbox.close();
    }
}

impl<S, T, E> IntoFuture for TaskGroup<S, T, E> {
    type Output = Result<Vec<T>, GroupError<E>>;
    type IntoFuture = GroupJoin<S, T, E>;

    fn into_future(self) -> GroupJoin<S, T, E> {
        self.join()
    }
}

impl<S, T, E> fmt::Debug for TaskGroup<S, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let running = self.children.iter().filter(|e| !e.is_finished()).count();
        f.debug_struct("TaskGroup")
            .field("fail_fast", &self.shared.fail_fast)
            .field("children", &self.children.len())
            .field("running", &running)
            .field("cancelled", &self.is_cancelled())
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
        let mut group = TaskGroup::new(&ThreadPerTask);
        for i in 0..10u32 {
            group.spawn(async move { Ok::<_, ()>(i) });
        }
        assert_eq!(block_on(group.join()), Ok((0..10).collect()));
    }

    #[test]
    fn empty() {
        let group = TaskGroup::<_, (), ()>::new(&ThreadPerTask);
        assert_eq!(block_on(group.join()), Ok(vec![]));
        let group = TaskGroup::<_, (), ()>::collect_all(&ThreadPerTask);
        assert!(block_on(group.join_outcomes()).is_empty());
    }

    #[test]
    fn debug() {
        let mut group = TaskGroup::<_, (), ()>::new(&ThreadPerTask);
        group.cancel();
        group.spawn(async { Ok(()) });
        assert_eq!(
            format!("{group:?}"),
            "TaskGroup { fail_fast: true, children: 1, running: 0, cancelled: true, .. }"
        );
    }

    /// Two children fail at the same moment on two threads: both failures are kept, the one
    /// that happened first first.
    #[test]
    fn failures_before_cancellation_took_hold_are_kept() {
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let mut group = TaskGroup::new(&ThreadPerTask);
        for (name, delay) in [("first", 0), ("second", 30)] {
            let barrier = barrier.clone();
            group.spawn_named(name, async move {
                // Both children are inside `poll` at once, so neither can see the other's
                // cancellation before it fails.
                barrier.wait();
                std::thread::sleep(Duration::from_millis(delay));
                Err::<(), _>(name)
            });
        }
        let err = block_on(group.join()).unwrap_err();
        let order: Vec<_> = err.failures().iter().map(|f| *f.error()).collect();
        assert_eq!(order, ["first", "second"]);
        assert!(err.cancelled().is_empty());
    }
}
