use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::child::{NameScope, Shared, drop_caught, record};
use super::error::{ChildError, ChildInfo, GroupError, Record, into_outcomes, into_result};
use super::shutdown::{Phase, ShutdownReport};
use crate::cancel::OwnedCancelled;
use crate::set::FutureSet;
use crate::task::Panic;
use crate::time::Sleep;
use crate::{CancellationToken, Timer};

/// What a local child's poll produced once it finished: its output or panic, and whether its
/// `Drop` panicked.
type Finished<T, E> = (Result<Result<T, E>, Panic>, Result<(), Panic>);

type BoxedChild<'a, T, E> = Pin<Box<dyn Future<Output = Finished<T, E>> + 'a>>;

pin_project! {
    /// A local child: catches its future's panic, drops it as soon as it finishes, and names
    /// it while it is polled.
    struct Catch<F> {
        #[pin]
        future: Option<F>,
        name: Option<Arc<str>>,
    }
}

impl<F, T, E> Future for Catch<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Finished<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        let polled = {
            let _name = NameScope::enter(this.name.as_ref());
            catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        };
        let polled = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(Panic::new(payload)),
        };
        Poll::Ready((polled, drop_caught(this.future)))
    }
}

/// [`TaskGroup`](super::TaskGroup) for `!Send` and borrowing children: the same fail-fast and
/// collect-all modes, names, errors, tokens and graceful shutdown, with the children run in
/// the current task instead of spawned.
///
/// [`Spawn`](crate::Spawn) spawns only `Send + 'static` futures, because only some runtimes
/// can run a `!Send` task at all (tokio inside a `LocalSet`, smol on a `LocalExecutor`,
/// async-std with `spawn_local`), each in its own way. `LocalTaskGroup` needs none of them: it
/// is an in-task combinator like [`gather()`](crate::gather()), polling its children itself
/// (each with its own waker, only when woken), so it works on every runtime and executor,
/// even a minimal `block_on`, and its children may hold `Rc`s and borrow from the
/// caller. The price is the in-task one: the children run on the thread awaiting the group,
/// one at a time, and **only while the group is being awaited** (through
/// [`join`](Self::join), [`join_outcomes`](Self::join_outcomes) or
/// [`shutdown`](Self::shutdown)); spawning one does not start it. That is what a group spawned
/// onto tokio's `LocalSet` or smol's `LocalExecutor` gives too — every `!Send` task there
/// shares one thread — so inside one of those, awaiting a `LocalTaskGroup` from a local task
/// behaves the same, and outside them it still works.
///
/// Semantics are those of [`TaskGroup`](super::TaskGroup), with in-task cancellation: when a
/// child fails in a fail-fast group, the other children woken for the same poll of the group
/// still run once, and keep their outcome if they finish (two failures at one instant are
/// both reported); every other child is then dropped in place within that same poll, before
/// the await returns. When the group is cancelled, every child is dropped at its next poll
/// without running.
///
/// # Cancellation
///
/// Dropping the group, or its await, drops every child in place before `drop` returns.
///
/// # Examples
///
/// Children sharing an `Rc`, with one failing:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use wrangle::group::LocalTaskGroup;
///
/// wrangle::sim::run(1, |rt| async move {
///     let hits = Rc::new(Cell::new(0));
///     let mut group = LocalTaskGroup::new();
///     for ms in [100, 200, 300] {
///         let (hits, rt) = (hits.clone(), &rt); // children may borrow
///         group.spawn_named(format!("{ms} ms"), async move {
///             wrangle::sleep(rt, Duration::from_millis(ms)).await;
///             hits.set(hits.get() + 1);
///             if ms == 200 { Err("slow path") } else { Ok(ms) }
///         });
///     }
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.to_string(), "1 of 3 children failed, 1 cancelled");
///     assert_eq!(err.first().to_string(), "child #1 \"200 ms\" failed");
///     assert_eq!(rt.elapsed(), Duration::from_millis(200));
///     assert_eq!(hits.get(), 2);
/// });
/// ```
///
/// # Errors
///
/// As [`TaskGroup::join`](super::TaskGroup::join).
///
/// # Panics
///
/// [`join`](Self::join) re-raises a child's panic once every child is gone, as
/// [`TaskGroup::join`](super::TaskGroup::join) does. A panic in a child's `Drop` while
/// the group cancels it is not caught: it propagates from the group's poll.
pub struct LocalTaskGroup<'a, T, E> {
    set: FutureSet<BoxedChild<'a, T, E>>,
    children: Vec<(ChildInfo, Option<Record<T, E>>)>,
    shared: Shared,
    token: CancellationToken,
    kill_wait: OwnedCancelled,
}

impl<'a, T: 'a, E: 'a> LocalTaskGroup<'a, T, E> {
    /// An empty fail-fast group: the first child to fail cancels the others.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut group = wrangle::group::LocalTaskGroup::new();
    /// group.spawn(async { Err::<(), _>("boom") });
    /// group.spawn(std::future::pending());
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.into_first(), "boom");
    /// # });
    /// ```
    pub fn new() -> Self {
        Self::with_policy(true)
    }

    /// An empty collect-all group: a failing child cancels nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut group = wrangle::group::LocalTaskGroup::collect_all();
    /// group.spawn(async { Err("down") });
    /// group.spawn(async { Ok(2) });
    /// let outcomes = group.join_outcomes().await;
    /// assert!(outcomes[0].is_err());
    /// assert!(matches!(outcomes[1], Ok(2)));
    /// # });
    /// ```
    pub fn collect_all() -> Self {
        Self::with_policy(false)
    }

    fn with_policy(fail_fast: bool) -> Self {
        let shared = Shared::new(fail_fast);
        Self {
            set: FutureSet::new(1),
            children: Vec::new(),
            token: shared.kill.child_token(),
            kill_wait: shared.kill.clone().cancelled_owned(),
            shared,
        }
    }

    /// Adds `future` as a child and returns its index. It starts running when the group is
    /// awaited. If the group's cancellation has been requested, the future is dropped at
    /// once and the child reported [`ChildError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let data = vec![1, 2, 3];
    /// let mut group = wrangle::group::LocalTaskGroup::new();
    /// for x in &data {
    ///     group.spawn(async move { Ok::<_, ()>(x * 10) }); // borrows `data`
    /// }
    /// assert_eq!(group.join().await, Ok(vec![10, 20, 30]));
    /// # });
    /// ```
    pub fn spawn<F>(&mut self, future: F) -> usize
    where
        F: Future<Output = Result<T, E>> + 'a,
    {
        self.spawn_child(None, future)
    }

    /// Like [`spawn`](Self::spawn), naming the child `name`, as
    /// [`TaskGroup::spawn_named`](super::TaskGroup::spawn_named) does.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut group = wrangle::group::LocalTaskGroup::new();
    /// group.spawn_named("parser", async { Err::<(), _>("bad input") });
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.first().child().name(), Some("parser"));
    /// # });
    /// ```
    pub fn spawn_named<F>(&mut self, name: impl Into<Arc<str>>, future: F) -> usize
    where
        F: Future<Output = Result<T, E>> + 'a,
    {
        self.spawn_child(Some(name.into()), future)
    }

    fn spawn_child<F>(&mut self, name: Option<Arc<str>>, future: F) -> usize
    where
        F: Future<Output = Result<T, E>> + 'a,
    {
        let index = self.children.len();
        let record = if self.shared.kill.is_cancelled() {
            drop(future);
            Some(Record::cancelled())
        } else {
            let child: BoxedChild<'a, T, E> = Box::pin(Catch {
                future: Some(future),
                name: name.clone(),
            });
            self.set.insert_woken(index, child);
            None
        };
        self.children.push((ChildInfo::new(index, name), record));
        index
    }
}

impl<'a, T: 'a, E: 'a> Default for LocalTaskGroup<'a, T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, T, E> LocalTaskGroup<'a, T, E> {
    /// As [`TaskGroup::cancel_on`](super::TaskGroup::cancel_on): cancels every child when
    /// `token` is cancelled (the children are dropped at the group's next poll).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::CancellationToken;
    ///
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let token = CancellationToken::new();
    /// token.cancel();
    /// let mut group = wrangle::group::LocalTaskGroup::new().cancel_on(&token);
    /// group.spawn(async { Ok::<_, ()>(()) }); // never started
    /// let err = group.join().await.unwrap_err();
    /// assert!(err.is_cancelled());
    /// # });
    /// ```
    pub fn cancel_on(self, token: &CancellationToken) -> Self {
        token.link_child(&self.shared.kill);
        self
    }

    /// As [`TaskGroup::cancel`](super::TaskGroup::cancel): the children are dropped at the
    /// group's next poll.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut group = wrangle::group::LocalTaskGroup::new();
    /// group.spawn(std::future::pending::<Result<(), ()>>());
    /// group.cancel();
    /// assert!(group.join().await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.shared.cancel();
    }

    /// Whether the group's cancellation has been requested.
    ///
    /// # Examples
    ///
    /// ```
    /// let group = wrangle::group::LocalTaskGroup::<(), ()>::new();
    /// assert!(!group.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.shared.kill.is_cancelled()
    }

    /// The group's cooperative token, as [`TaskGroup::token`](super::TaskGroup::token).
    ///
    /// # Examples
    ///
    /// ```
    /// let group = wrangle::group::LocalTaskGroup::<(), ()>::new();
    /// group.cancel();
    /// assert!(group.token().is_cancelled());
    /// ```
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// How many children have been added.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut group = wrangle::group::LocalTaskGroup::new();
    /// group.spawn(async { Ok::<_, ()>(()) });
    /// assert_eq!(group.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether no child has been added.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wrangle::group::LocalTaskGroup::<(), ()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Runs the children until every one has finished or been cancelled, and returns their
    /// values in spawn order, or a [`GroupError`], as
    /// [`TaskGroup::join`](super::TaskGroup::join) does.
    ///
    /// # Cancellation
    ///
    /// Dropping the future drops every child in place.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut group = wrangle::group::LocalTaskGroup::new();
    /// group.spawn(async { Ok::<_, ()>(1) });
    /// assert_eq!(group.join().await, Ok(vec![1]));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// A [`GroupError`] unless every child returned `Ok`.
    ///
    /// # Panics
    ///
    /// Re-raises a child's panic (the first in time) once every other child is gone.
    pub fn join(self) -> LocalGroupJoin<'a, T, E> {
        LocalGroupJoin {
            group: self,
            finished: false,
        }
    }

    /// Runs the children until every one has finished or been cancelled, and returns every
    /// outcome in spawn order, panics included.
    ///
    /// # Cancellation
    ///
    /// Dropping the future drops every child in place.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let mut group = wrangle::group::LocalTaskGroup::collect_all();
    /// group.spawn(async { panic!("bug") });
    /// group.spawn(async { Ok::<u8, ()>(1) });
    /// let outcomes = group.join_outcomes().await;
    /// assert!(outcomes[0].as_ref().unwrap_err().is_panic());
    /// assert!(matches!(outcomes[1], Ok(1)));
    /// # });
    /// ```
    pub fn join_outcomes(self) -> LocalGroupJoinOutcomes<'a, T, E> {
        LocalGroupJoinOutcomes {
            group: self,
            finished: false,
        }
    }

    /// As [`TaskGroup::shutdown`](super::TaskGroup::shutdown): cancels the token, runs the
    /// children for up to `grace` on `timer`'s clock, then drops the ones still running.
    /// `timer` is taken by value: `&rt` borrows the runtime, `rt.clone()` owns a handle.
    ///
    /// # Cancellation
    ///
    /// Dropping the future drops every child in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::LocalTaskGroup::new();
    /// group.spawn_named("stuck", std::future::pending::<Result<(), ()>>());
    /// let report = group.shutdown(&rt, Duration::from_millis(50)).await;
    /// assert_eq!(rt.elapsed(), Duration::from_millis(50));
    /// assert_eq!(report.unfinished()[0].name(), Some("stuck"));
    /// # });
    /// ```
    pub fn shutdown<Tm: Timer>(
        self,
        timer: Tm,
        grace: Duration,
    ) -> LocalGroupShutdown<'a, T, E, Tm> {
        LocalGroupShutdown {
            group: self,
            timer,
            grace,
            sleep: None,
            phase: Phase::Start,
            unfinished: Vec::new(),
        }
    }

    /// Polls the children woken since the last poll; ready once every child has an outcome.
    fn poll_children(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.set.register(cx.waker());
        let killed =
            self.shared.kill.is_cancelled() || Pin::new(&mut self.kill_wait).poll(cx).is_ready();
        if !killed {
            let (shared, children) = (&self.shared, &mut self.children);
            // A failure in a fail-fast group cancels the group, but the pass goes on: the
            // siblings woken with the failing child run once more and keep what they reach
            // (DESIGN's fail-fast rule, one scheduling round), and the rest are dropped below.
            self.set.start_pass();
            self.set.poll_woken(|index, (polled, dropped)| {
                children[index].1 = Some(record(shared, polled, dropped));
                true
            });
            if self.set.budget_spent() && !self.set.is_empty() {
                // The pass spent its budget (see `FutureSet`): come back after the runtime's
                // turn for the woken children it put off.
                cx.waker().wake_by_ref();
            }
        }
        if self.shared.kill.is_cancelled() {
            self.drop_rest();
        }
        if self.set.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Drops every child still running, in place, recording it as cancelled.
    fn drop_rest(&mut self) {
        for index in self.set.tags() {
            self.children[index].1 = Some(Record::cancelled());
        }
        self.set.clear();
    }

    fn take_records(&mut self) -> impl Iterator<Item = (ChildInfo, Record<T, E>)> {
        std::mem::take(&mut self.children)
            .into_iter()
            .map(|(info, record)| (info, record.unwrap_or_else(Record::cancelled)))
    }
}

impl<T, E> Drop for LocalTaskGroup<'_, T, E> {
    fn drop(&mut self) {
        self.shared.cancel();
    }
}

impl<'a, T, E> IntoFuture for LocalTaskGroup<'a, T, E> {
    type Output = Result<Vec<T>, GroupError<E>>;
    type IntoFuture = LocalGroupJoin<'a, T, E>;

    fn into_future(self) -> LocalGroupJoin<'a, T, E> {
        self.join()
    }
}

impl<T, E> fmt::Debug for LocalTaskGroup<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalTaskGroup")
            .field("fail_fast", &self.shared.fail_fast)
            .field("children", &self.children.len())
            .field("running", &self.set.len())
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// Future for the [`LocalTaskGroup::join`] method (and `.await` on a local group).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct LocalGroupJoin<'a, T, E> {
    group: LocalTaskGroup<'a, T, E>,
    finished: bool,
}

// No field is pinned: the children are pinned in the group's own slab.
impl<T, E> Unpin for LocalGroupJoin<'_, T, E> {}

impl<T, E> Future for LocalGroupJoin<'_, T, E> {
    type Output = Result<Vec<T>, GroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.finished, "`LocalGroupJoin` polled after completion");
        std::task::ready!(this.group.poll_children(cx));
        this.finished = true;
        Poll::Ready(into_result(this.group.take_records()))
    }
}

impl<T, E> fmt::Debug for LocalGroupJoin<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalGroupJoin")
            .field("group", &self.group)
            .finish()
    }
}

/// Future for the [`LocalTaskGroup::join_outcomes`] method.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct LocalGroupJoinOutcomes<'a, T, E> {
    group: LocalTaskGroup<'a, T, E>,
    finished: bool,
}

impl<T, E> Unpin for LocalGroupJoinOutcomes<'_, T, E> {}

impl<T, E> Future for LocalGroupJoinOutcomes<'_, T, E> {
    type Output = Vec<Result<T, ChildError<E>>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.finished,
            "`LocalGroupJoinOutcomes` polled after completion"
        );
        std::task::ready!(this.group.poll_children(cx));
        this.finished = true;
        Poll::Ready(into_outcomes(
            this.group.take_records().map(|(_, record)| record),
        ))
    }
}

impl<T, E> fmt::Debug for LocalGroupJoinOutcomes<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalGroupJoinOutcomes")
            .field("group", &self.group)
            .finish()
    }
}

pin_project! {
    /// Future for the [`LocalTaskGroup::shutdown`] method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct LocalGroupShutdown<'a, T, E, Tm: Timer> {
        group: LocalTaskGroup<'a, T, E>,
        timer: Tm,
        grace: Duration,
        #[pin]
        sleep: Option<Sleep<Tm>>,
        phase: Phase,
        unfinished: Vec<ChildInfo>,
    }
}

impl<T, E, Tm: Timer> Future for LocalGroupShutdown<'_, T, E, Tm> {
    type Output = ShutdownReport<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        match *this.phase {
            Phase::Start => {
                this.group.token.cancel();
                this.sleep
                    .set(Some(crate::sleep(&*this.timer, *this.grace)));
                *this.phase = Phase::Grace;
            }
            Phase::Grace | Phase::Killing => {}
            Phase::Done => panic!("`LocalGroupShutdown` polled after completion"),
        }
        if this.group.poll_children(cx).is_pending() {
            let grace_over = this
                .sleep
                .as_mut()
                .as_pin_mut()
                .is_none_or(|sleep| sleep.poll(cx).is_ready());
            if !grace_over {
                return Poll::Pending;
            }
            let mut unfinished = this.group.set.tags();
            unfinished.sort_unstable();
            *this.unfinished = unfinished
                .into_iter()
                .map(|index| this.group.children[index].0.clone())
                .collect();
            // In-task: the stragglers are dropped in place, now.
            this.group.shared.cancel();
            this.group.drop_rest();
        }
        *this.phase = Phase::Done;
        this.sleep.set(None);
        let outcomes = into_outcomes(this.group.take_records().map(|(_, record)| record));
        Poll::Ready(ShutdownReport::new(
            outcomes,
            std::mem::take(this.unfinished),
        ))
    }
}

impl<T, E, Tm: Timer> fmt::Debug for LocalGroupShutdown<'_, T, E, Tm> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalGroupShutdown")
            .field("group", &self.group)
            .field("grace", &self.grace)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}
