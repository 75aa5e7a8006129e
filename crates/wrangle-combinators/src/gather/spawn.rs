//! The spawning form of gather: [`spawn_gather()`] and [`try_spawn_gather()`].

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::TryFuture;
use pin_project_lite::pin_project;

use crate::set::FutureSet;
use crate::task::{Join, Panic};
use crate::{IntoLimit, JoinError, Progress, Spawn};

/// Why a spawned gather stopped early.
enum Stop<E> {
    /// A child returned `Err` (the `try_` form).
    Error(E),
    Panic(Panic),
    /// A child's task was cancelled under the gather: its runtime shut down.
    Cancelled,
}

impl<E> Stop<E> {
    /// A panic outranks an error: it is a bug, and must not be lost.
    fn outranks(&self, other: &Stop<E>) -> bool {
        matches!(self, Stop::Panic(_)) && !matches!(other, Stop::Panic(_))
    }
}

/// How a form of the gather reads a child's outcome.
type Classify<O, T, E> = fn(Result<O, JoinError>) -> Result<T, Stop<E>>;

fn plain<T>(outcome: Result<T, JoinError>) -> Result<T, Stop<Infallible>> {
    match outcome {
        Ok(value) => Ok(value),
        Err(JoinError::Panicked(panic)) => Err(Stop::Panic(panic)),
        // Cancelled, or any other way a task can end without an output.
        Err(_) => Err(Stop::Cancelled),
    }
}

fn fallible<T, E>(outcome: Result<Result<T, E>, JoinError>) -> Result<T, Stop<E>> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(Stop::Error(err)),
        Err(JoinError::Panicked(panic)) => Err(Stop::Panic(panic)),
        // Cancelled, or any other way a task can end without an output.
        Err(_) => Err(Stop::Cancelled),
    }
}

const CANCELLED: &str = "a task of a spawned gather was cancelled under it (its runtime shut down, or \
     it was aborted): the gather has no output to give for it";

/// What both forms share: the tasks in flight, each joined through a slot waker of its own,
/// and the outputs put back in input order as they arrive.
///
/// It drives the slab of [`FutureSet`] itself rather than through the in-task gather's
/// driver, for two reasons. A runtime's cooperative budget: joining a task consumes budget
/// on tokio, and once it is spent every further join in the same poll returns `Pending` and
/// wakes itself; with a thousand tasks finished at once, polling them all would redo most of
/// that work at every pass. So a pass stops at the first woken join that is not ready, keeps
/// the woken slots it has not polled for the next pass, and wakes its own task to come back.
/// And the cost of a waker per task: a new task is joined at the next pass (`fresh`), not
/// right after it is spawned, so a short one is found done and never has a waker
/// registered with it.
struct Core<O, T, E> {
    set: Option<FutureSet<Join<O>>>,
    /// Woken slots not polled yet (put off by a join that was not ready).
    woken: VecDeque<usize>,
    /// Slots of the tasks spawned in the last pass, not joined yet.
    fresh: Vec<usize>,
    /// Every output before `head`, in input order.
    outputs: Vec<T>,
    /// Outputs from `head` on: `None` until that input completes.
    window: VecDeque<Option<T>>,
    head: usize,
    limit: usize,
    pulled: usize,
    done: usize,
    total: Option<usize>,
    exhausted: bool,
    stop: Option<Stop<E>>,
    finished: bool,
}

impl<O, T, E> Core<O, T, E> {
    fn new(limit: usize) -> Self {
        Self {
            set: None,
            woken: VecDeque::new(),
            fresh: Vec::new(),
            outputs: Vec::new(),
            window: VecDeque::new(),
            head: 0,
            limit,
            pulled: 0,
            done: 0,
            total: None,
            exhausted: false,
            stop: None,
            finished: false,
        }
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct(name);
        if self.limit != usize::MAX {
            s.field("limit", &self.limit);
        }
        match &self.set {
            Some(set) => s
                .field("pulled", &self.pulled)
                .field("in_flight", &set.len())
                .field("progress", &Progress::new(self.done, self.total)),
            None => s.field("started", &false),
        };
        s.finish_non_exhaustive()
    }

    /// Puts `value`, the output of input `index`, in order.
    fn put_value(&mut self, index: usize, value: T) {
        if index != self.head {
            self.window[index - self.head] = Some(value);
            return;
        }
        self.outputs.push(value);
        self.window.pop_front();
        self.head += 1;
        while let Some(Some(_)) = self.window.front() {
            if let Some(Some(value)) = self.window.pop_front() {
                self.outputs.push(value);
                self.head += 1;
            }
        }
    }

    /// Takes one task's outcome: its output in order, or the reason to stop. Returns whether
    /// this outcome stopped the gather.
    fn take<P: FnMut(Progress)>(
        &mut self,
        index: usize,
        outcome: Result<O, JoinError>,
        classify: Classify<O, T, E>,
        progress: &mut Option<P>,
    ) -> bool {
        self.done += 1;
        match classify(outcome) {
            Ok(value) if self.stop.is_none() => {
                self.put_value(index, value);
                if let Some(hook) = progress {
                    hook(Progress::new(self.done, self.total));
                }
            }
            // After a stop, the tasks still finishing are only waited for.
            Ok(_) => {}
            Err(stop) => match &self.stop {
                None => {
                    self.stop = Some(stop);
                    return true;
                }
                Some(first) if stop.outranks(first) => self.stop = Some(stop),
                Some(_) => {}
            },
        }
        false
    }

    /// One pass: joins the tasks that finished, spawns inputs while there is room; after a
    /// stop, aborts every task in flight and waits until they are all gone.
    fn poll<I, S, P>(
        &mut self,
        cx: &mut Context<'_>,
        inputs: &mut I,
        spawner: &S,
        progress: &mut Option<P>,
        classify: Classify<O, T, E>,
    ) -> Poll<Result<Vec<T>, Stop<E>>>
    where
        I: Iterator,
        I::Item: Future<Output = O> + Send + 'static,
        O: Send + 'static,
        S: Spawn,
        P: FnMut(Progress),
    {
        assert!(!self.finished, "spawned gather polled after completion");
        let set = match self.set.take() {
            Some(set) => set,
            None => {
                let hint = inputs.size_hint();
                self.outputs.reserve(hint.0);
                if let (lower, Some(upper)) = hint
                    && lower == upper
                {
                    self.total = Some(lower);
                }
                FutureSet::new(hint.1.map_or(self.limit, |upper| upper.min(self.limit)))
            }
        };
        // Put back however this pass ends, a panic in the iterator or the hook included, so
        // the tasks in flight are dropped (cancelled) with the gather.
        let mut guard = PutBack {
            core: self,
            set: Some(set),
        };
        let polled = guard.pass(cx, inputs, spawner, progress, classify);
        drop(guard);
        polled
    }
}

/// Gives the set back to the core when a pass ends.
struct PutBack<'a, O, T, E> {
    core: &'a mut Core<O, T, E>,
    set: Option<FutureSet<Join<O>>>,
}

impl<O, T, E> Drop for PutBack<'_, O, T, E> {
    fn drop(&mut self) {
        self.core.set = self.set.take();
    }
}

impl<O, T, E> PutBack<'_, O, T, E> {
    fn pass<I, S, P>(
        &mut self,
        cx: &mut Context<'_>,
        inputs: &mut I,
        spawner: &S,
        progress: &mut Option<P>,
        classify: Classify<O, T, E>,
    ) -> Poll<Result<Vec<T>, Stop<E>>>
    where
        I: Iterator,
        I::Item: Future<Output = O> + Send + 'static,
        O: Send + 'static,
        S: Spawn,
        P: FnMut(Progress),
    {
        let Some(set) = self.set.as_mut() else {
            return Poll::Pending;
        };
        let core = &mut *self.core;
        let mut stopped = false;
        set.register(cx.waker());
        // The tasks spawned last pass, joined now rather than at once: a short task has run
        // by then (on a single thread, only once this task has yielded) and needs no waker
        // registered with it at all; the others get the slot's waker now.
        for id in std::mem::take(&mut core.fresh) {
            if let Poll::Ready((index, outcome)) = set.poll_slot(id) {
                stopped |= core.take(index, outcome, classify, progress);
            }
        }
        set.take_woken(|id| core.woken.push_back(id));
        while let Some(id) = core.woken.pop_front() {
            match set.poll_slot(id) {
                Poll::Ready((index, outcome)) => {
                    stopped |= core.take(index, outcome, classify, progress);
                }
                // Not finished after all, or the runtime's budget is spent (the join has
                // woken itself): come back for the rest.
                Poll::Pending => {
                    if !core.woken.is_empty() {
                        cx.waker().wake_by_ref();
                    }
                    break;
                }
            }
        }
        while core.stop.is_none() && !core.exhausted && set.len() < core.limit {
            let Some(input) = inputs.next() else {
                core.exhausted = true;
                core.total = Some(core.pulled);
                break;
            };
            let index = core.pulled;
            core.pulled += 1;
            core.window.push_back(None);
            let id = set.insert(index, spawner.spawn(input).join());
            core.fresh.push(id);
        }
        if stopped {
            set.for_each(|join| join.get_ref().abort());
        }
        if !core.fresh.is_empty() {
            // Come back to join them: yield rather than wait (they have no waker yet).
            cx.waker().wake_by_ref();
        }
        if core.stop.is_some() {
            if !set.is_empty() {
                return Poll::Pending;
            }
            core.finished = true;
            core.window = VecDeque::new();
            core.outputs = Vec::new();
            return Poll::Ready(Err(core.stop.take().unwrap_or(Stop::Cancelled)));
        }
        if core.exhausted && set.is_empty() {
            core.finished = true;
            return Poll::Ready(Ok(std::mem::take(&mut core.outputs)));
        }
        Poll::Pending
    }
}

/// The spawning form of [`gather()`](crate::gather()): each input is spawned on `spawner`
/// as a task of its own, so the inputs run in parallel on a multi-thread runtime and make
/// progress whether or not the gather is being polled. Same outputs, same order, same limit
/// as the in-task gather.
///
/// `spawner` is taken by value: pass `&rt` to borrow the runtime (no clone; the future then
/// borrows `rt`), or `rt.clone()` (any owned handle) for a future that is `'static`, to be
/// spawned, returned or stored.
///
/// Inputs are pulled and spawned lazily: with [`limit(n)`](SpawnGather::limit) at most `n`
/// spawned tasks are unfinished at any instant, the next input being pulled only when one of
/// them completes, so memory for the tasks is O(n) whatever the number of inputs. Each task
/// is joined through a waker of its own, so the cost per input stays flat. Outputs are put
/// back in input order as they arrive: an early output waits for the ones before it in a
/// window, and the result is built in one `Vec`. Without a limit every input is spawned at
/// the first poll.
///
/// For CPU-bound inputs on a multi-thread runtime this is where the parallelism comes from;
/// for inputs that only wait (I/O, timers) the in-task gather does the same with no spawning
/// cost. The inputs must be `Send + 'static`, as any spawned task. The future is configured
/// by value before it runs ([`limit`](SpawnGather::limit),
/// [`progress`](SpawnGather::progress)) and is `!Unpin`, so nothing can be configured once
/// it has been polled.
///
/// # Cancellation
///
/// Dropping the gather drops every task handle, which requests cancellation of every task
/// in flight: each is dropped at its next scheduling point (see [`Task`]); the inputs not
/// pulled yet are dropped with the iterator.
///
/// [`Task`]: crate::Task
///
/// # Examples
///
/// CPU-heavy work on every core, at most 8 tasks at a time, outputs in input order:
///
/// ```
/// wrangle::sim::run(1, |rt| async move {
///     fn checksum(seed: u64) -> u64 {
///         (0..10_000u64).fold(seed, |h, i| h.rotate_left(5) ^ i)
///     }
///     let sums = wrangle::spawn_gather(&rt, (0..100).map(|seed| async move { checksum(seed) }))
///         .limit(8)
///         .await;
///     assert_eq!(sums.len(), 100);
///     assert_eq!(sums[7], checksum(7));
/// });
/// ```
///
/// With an owned handle the gather is `'static`, so it can itself be spawned:
///
/// ```
/// use wrangle::Spawn;
///
/// wrangle::sim::run(1, |rt| async move {
///     let all = wrangle::spawn_gather(rt.clone(), (0..4u32).map(|i| async move { i * i }));
///     let squares = rt.spawn(all.limit(2)).await;
///     assert_eq!(squares, [0, 1, 4, 9]);
/// });
/// ```
///
/// # Panics
///
/// When a task panics, every other task in flight is cancelled and, once they are all gone,
/// the panic is re-raised where the gather is awaited. A task cancelled under the gather
/// (its runtime shut down) is reported the same way, with a wrangle message, as awaiting a
/// cancelled [`Task`] does.
#[doc(alias = "JoinSet")]
pub fn spawn_gather<S, I>(spawner: S, inputs: I) -> SpawnGather<I::IntoIter, S>
where
    S: Spawn,
    I: IntoIterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
{
    SpawnGather {
        inputs: inputs.into_iter(),
        spawner,
        core: Core::new(usize::MAX),
        progress: None,
        _pinned: PhantomPinned,
    }
}

pin_project! {
    /// Future for the [`spawn_gather()`] function.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct SpawnGather<I, S, P = fn(Progress)>
    where
        I: Iterator,
        I::Item: Future,
    {
        inputs: I,
        spawner: S,
        core: Core<<I::Item as Future>::Output, <I::Item as Future>::Output, Infallible>,
        progress: Option<P>,
        // `!Unpin`: configured before the first poll, never after. No other field is pinned:
        // the children are tasks, joined through their handles.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<I, S, P> SpawnGather<I, S, P>
where
    I: Iterator,
    I::Item: Future,
{
    /// Runs at most `limit` spawned tasks at once; by default there is no limit.
    ///
    /// `limit` is a plain number or a [`NonZeroUsize`](std::num::NonZeroUsize); see
    /// [`IntoLimit`].
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let out = wrangle::spawn_gather(&rt, (0..5).map(|i| async move { i })).limit(2).await;
    /// assert_eq!(out, [0, 1, 2, 3, 4]);
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// At once, on a plain `0`: "a concurrency limit must be at least 1".
    #[track_caller]
    pub fn limit(mut self, limit: impl IntoLimit) -> Self {
        self.core.limit = limit.into_limit().get();
        self
    }

    /// Calls `hook` with the [`Progress`] (done, total) each time a task completes, from
    /// inside the gather's `poll`: keep it short.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut done = 0;
    /// wrangle::spawn_gather(&rt, (0..3).map(|i| async move { i }))
    ///     .progress(|p| done = p.done())
    ///     .await;
    /// assert_eq!(done, 3);
    /// # });
    /// ```
    pub fn progress<Q: FnMut(Progress)>(self, hook: Q) -> SpawnGather<I, S, Q> {
        SpawnGather {
            inputs: self.inputs,
            spawner: self.spawner,
            core: self.core,
            progress: Some(hook),
            _pinned: PhantomPinned,
        }
    }
}

impl<I, S, P> Future for SpawnGather<I, S, P>
where
    I: Iterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
    S: Spawn,
    P: FnMut(Progress),
{
    type Output = Vec<<I::Item as Future>::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = this
            .core
            .poll(cx, this.inputs, &*this.spawner, this.progress, plain);
        match std::task::ready!(polled) {
            Ok(outputs) => Poll::Ready(outputs),
            Err(Stop::Panic(panic)) => panic.resume(),
            Err(Stop::Cancelled) => panic!("{CANCELLED}"),
            Err(Stop::Error(never)) => match never {},
        }
    }
}

impl<I, S, P> fmt::Debug for SpawnGather<I, S, P>
where
    I: Iterator,
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.debug("SpawnGather", f)
    }
}

/// The spawning form of the fail-fast [`try_gather()`](crate::try_gather()): as
/// [`spawn_gather()`], but on the first error in time every task still in flight is
/// cancelled, no further input is pulled, and the error is returned **once those tasks are
/// gone** — so when the await returns, nothing the gather started is still running.
///
/// `spawner` is taken by value, as for [`spawn_gather()`]: `&rt` borrows, `rt.clone()` owns.
///
/// # Cancellation
///
/// As [`spawn_gather()`]: dropping the future requests cancellation of every task in
/// flight.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(1, |rt| async move {
///     let fetch = |i: u64| {
///         let nap = wrangle::sleep(&rt, Duration::from_millis(10 * i));
///         async move {
///             nap.await;
///             if i == 3 { Err(format!("item {i} failed")) } else { Ok(i) }
///         }
///     };
///     let err = wrangle::try_spawn_gather(&rt, (1..=100).map(fetch))
///         .limit(4)
///         .await
///         .unwrap_err();
///     assert_eq!(err, "item 3 failed");
///     assert_eq!(rt.elapsed(), Duration::from_millis(30));
/// });
/// ```
///
/// # Errors
///
/// The first error a task returns.
///
/// # Panics
///
/// As [`spawn_gather()`]; a panic outranks an error that came before it.
pub fn try_spawn_gather<S, I, T, E>(spawner: S, inputs: I) -> TrySpawnGather<I::IntoIter, S>
where
    S: Spawn,
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    TrySpawnGather {
        inputs: inputs.into_iter(),
        spawner,
        core: Core::new(usize::MAX),
        progress: None,
        _pinned: PhantomPinned,
    }
}

/// The core of the `try_` form, by input type.
type TryCore<F> = Core<<F as Future>::Output, <F as TryFuture>::Ok, <F as TryFuture>::Error>;

pin_project! {
    /// Future for the [`try_spawn_gather()`] function.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TrySpawnGather<I, S, P = fn(Progress)>
    where
        I: Iterator,
        I::Item: TryFuture,
    {
        inputs: I,
        spawner: S,
        core: TryCore<I::Item>,
        progress: Option<P>,
        // `!Unpin`: configured before the first poll, never after.
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<I, S, P> TrySpawnGather<I, S, P>
where
    I: Iterator,
    I::Item: TryFuture,
{
    /// Runs at most `limit` spawned tasks at once; by default there is no limit.
    ///
    /// `limit` is a plain number or a [`NonZeroUsize`](std::num::NonZeroUsize); see
    /// [`IntoLimit`].
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let inputs = (0..5).map(|i| async move { Ok::<_, ()>(i) });
    /// let out = wrangle::try_spawn_gather(&rt, inputs).limit(1).await;
    /// assert_eq!(out, Ok(vec![0, 1, 2, 3, 4]));
    /// # });
    /// ```
    ///
    /// # Panics
    ///
    /// At once, on a plain `0`: "a concurrency limit must be at least 1".
    #[track_caller]
    pub fn limit(mut self, limit: impl IntoLimit) -> Self {
        self.core.limit = limit.into_limit().get();
        self
    }

    /// Calls `hook` with the [`Progress`] each time a task succeeds.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut done = 0;
    /// let _ = wrangle::try_spawn_gather(&rt, (0..3).map(|i| async move { Ok::<_, ()>(i) }))
    ///     .progress(|p| done = p.done())
    ///     .await;
    /// assert_eq!(done, 3);
    /// # });
    /// ```
    pub fn progress<Q: FnMut(Progress)>(self, hook: Q) -> TrySpawnGather<I, S, Q> {
        TrySpawnGather {
            inputs: self.inputs,
            spawner: self.spawner,
            core: self.core,
            progress: Some(hook),
            _pinned: PhantomPinned,
        }
    }
}

impl<I, S, P, T, E> Future for TrySpawnGather<I, S, P>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    S: Spawn,
    P: FnMut(Progress),
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = this
            .core
            .poll(cx, this.inputs, &*this.spawner, this.progress, fallible);
        match std::task::ready!(polled) {
            Ok(outputs) => Poll::Ready(Ok(outputs)),
            Err(Stop::Error(err)) => Poll::Ready(Err(err)),
            Err(Stop::Panic(panic)) => panic.resume(),
            Err(Stop::Cancelled) => panic!("{CANCELLED}"),
        }
    }
}

impl<I, S, P> fmt::Debug for TrySpawnGather<I, S, P>
where
    I: Iterator,
    I::Item: TryFuture,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.debug("TrySpawnGather", f)
    }
}
