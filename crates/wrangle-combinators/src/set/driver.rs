//! The pass every combinator runs: poll the woken children, then pull new inputs while there
//! is room, polling each at once.

use std::collections::VecDeque;
use std::future::Future;
use std::task::{Context, Poll};

use super::FutureSet;
use crate::Progress;

/// Where a [`Driver`]'s outputs go, and how much room there is for more inputs.
pub(crate) trait Sink<T> {
    /// Whether another input may be pulled while `in_flight` futures are in the set.
    fn has_room(&self, in_flight: usize) -> bool;

    /// Input `index` was pulled.
    fn pulled(&mut self, _index: usize) {}

    /// The output of input `index`; `progress` counts it. Returns `false` to stop the pass
    /// here: nothing more is polled or pulled, and the next pass resumes where this one
    /// stopped (the woken children it did not reach first).
    fn put(&mut self, index: usize, value: T, progress: Progress) -> bool;
}

/// A [`FutureSet`] fed from a source of inputs, with the bookkeeping every combinator needs.
pub(crate) struct Driver<F> {
    pub(crate) set: FutureSet<F>,
    /// Inputs pulled so far (the next input's index).
    pulled: usize,
    /// Outputs handed out so far.
    done: usize,
    /// The number of inputs, once known.
    total: Option<usize>,
    exhausted: bool,
}

impl<F> Driver<F> {
    /// A driver that will pull inputs lazily, at most `limit` in the set at once;
    /// `size_hint` is the source's, to size the set and report a total early.
    pub(crate) fn new(limit: usize, size_hint: (usize, Option<usize>)) -> Self {
        let want = size_hint.1.map_or(limit, |upper| upper.min(limit));
        let total = match size_hint {
            (lower, Some(upper)) if lower == upper => Some(lower),
            _ => None,
        };
        Self {
            set: FutureSet::new(want),
            pulled: 0,
            done: 0,
            total,
            exhausted: false,
        }
    }

    /// A driver whose inputs are all in the set already, each marked woken.
    pub(crate) fn eager(inputs: impl IntoIterator<Item = F>) -> Self {
        let inputs = inputs.into_iter();
        let mut driver = Self::new(usize::MAX, inputs.size_hint());
        for future in inputs {
            driver.set.insert_woken(driver.pulled, future);
            driver.pulled += 1;
        }
        driver.exhausted = true;
        driver.total = Some(driver.pulled);
        driver
    }

    /// Whether every input has been pulled and every pulled future has completed (or been
    /// dropped by [`stop`](Self::stop)).
    pub(crate) fn is_done(&self) -> bool {
        self.exhausted && self.set.is_empty()
    }

    /// Inputs pulled so far.
    pub(crate) fn pulled(&self) -> usize {
        self.pulled
    }

    /// Outputs handed out so far, and the number of inputs if known.
    pub(crate) fn progress(&self) -> Progress {
        Progress::new(self.done, self.total)
    }

    /// Drops every future in the set and pulls no more inputs.
    pub(crate) fn stop(&mut self) {
        self.exhausted = true;
        self.set.clear();
    }
}

impl<F: Future> Driver<F> {
    /// One pass: registers `cx`'s waker, polls every child woken since the last pass, then
    /// pulls inputs from `pull` while `sink` has room, polling each new one at once — unless
    /// `sink` stops it at an output ([`Sink::put`]).
    ///
    /// If anything panics — a child, the source, the sink — every future in the set is
    /// dropped before the panic goes on, and no more inputs are pulled.
    pub(crate) fn pass<S: Sink<F::Output>>(
        &mut self,
        cx: &mut Context<'_>,
        pull: &mut impl FnMut(&mut Context<'_>) -> Poll<Option<F>>,
        sink: &mut S,
    ) {
        self.set.register(cx.waker());
        self.pass_unregistered(cx, pull, sink);
    }

    /// A pass that leaves the registered waker alone: for a caller that will return `Ready`
    /// if the pass produces something, and otherwise registers and passes again before it
    /// returns `Pending` (so no wake is lost, and no wake is asked for when none is needed)
    /// — unless this pass [`yielded`](Self::yielded).
    ///
    /// A pass that spends its budget (see the [module docs](super)) stops where it is and
    /// wakes `cx`'s waker, so the caller is polled again after the runtime has had its turn;
    /// the caller returns `Pending` without another pass.
    pub(crate) fn pass_unregistered<S: Sink<F::Output>>(
        &mut self,
        cx: &mut Context<'_>,
        pull: &mut impl FnMut(&mut Context<'_>) -> Poll<Option<F>>,
        sink: &mut S,
    ) {
        let mut guard = StopOnUnwind {
            driver: self,
            finished: false,
        };
        guard.driver.set.start_pass();
        guard.driver.pass_inner(cx, pull, sink);
        guard.finished = true;
        drop(guard);
        if self.yielded() {
            cx.waker().wake_by_ref();
        }
    }

    /// Whether the last pass stopped because it spent its budget, with work left: it has
    /// woken the caller's task, and the caller should return `Pending` without another pass.
    pub(crate) fn yielded(&self) -> bool {
        self.set.budget_spent() && !self.is_done()
    }

    fn pass_inner<S: Sink<F::Output>>(
        &mut self,
        cx: &mut Context<'_>,
        pull: &mut impl FnMut(&mut Context<'_>) -> Poll<Option<F>>,
        sink: &mut S,
    ) {
        let (done, total) = (&mut self.done, self.total);
        let finished = self.set.poll_woken(|index, value| {
            *done += 1;
            sink.put(index, value, Progress::new(*done, total))
        });
        if !finished {
            return;
        }
        while !self.exhausted && sink.has_room(self.set.len()) && !self.set.budget_spent() {
            match pull(cx) {
                Poll::Ready(Some(future)) => {
                    let index = self.pulled;
                    self.pulled += 1;
                    sink.pulled(index);
                    let id = self.set.insert(index, future);
                    if let Poll::Ready((index, value)) = self.set.poll_fresh(id) {
                        self.done += 1;
                        if !sink.put(index, value, Progress::new(self.done, self.total)) {
                            return;
                        }
                    }
                }
                Poll::Ready(None) => {
                    self.exhausted = true;
                    self.total = Some(self.pulled);
                }
                Poll::Pending => break,
            }
        }
    }
}

/// Drops every child when a pass unwinds, so a panic surfaces only after the siblings of
/// whatever panicked are gone.
struct StopOnUnwind<'a, F> {
    driver: &'a mut Driver<F>,
    finished: bool,
}

impl<F> Drop for StopOnUnwind<'_, F> {
    fn drop(&mut self) {
        if !self.finished {
            self.driver.stop();
        }
    }
}

/// A driver whose outputs queue up in completion order: the core of the unordered streams
/// (`as_completed`, `gather_stream(..).unordered()`) and of `wait`, `race` and `race_ok`.
pub(crate) struct Unordered<F: Future> {
    pub(crate) driver: Driver<F>,
    pub(crate) queue: VecDeque<(usize, F::Output)>,
    limit: usize,
}

struct QueueSink<'a, T, P> {
    queue: &'a mut VecDeque<(usize, T)>,
    limit: usize,
    progress: &'a mut Option<P>,
    /// Stop the pass at the first output.
    first: bool,
}

impl<T, P: FnMut(Progress)> Sink<T> for QueueSink<'_, T, P> {
    fn has_room(&self, in_flight: usize) -> bool {
        in_flight.saturating_add(self.queue.len()) < self.limit
    }

    fn put(&mut self, index: usize, value: T, progress: Progress) -> bool {
        self.queue.push_back((index, value));
        if let Some(hook) = self.progress {
            hook(progress);
        }
        !self.first
    }
}

impl<F: Future> Unordered<F> {
    /// Outputs queued plus futures in flight stay within `limit`.
    pub(crate) fn new(driver: Driver<F>, limit: usize) -> Self {
        Self {
            driver,
            queue: VecDeque::new(),
            limit,
        }
    }

    /// Registers `cx`'s waker, then runs a pass, queueing every output it produces.
    pub(crate) fn pass<P: FnMut(Progress)>(
        &mut self,
        cx: &mut Context<'_>,
        pull: &mut impl FnMut(&mut Context<'_>) -> Poll<Option<F>>,
        progress: &mut Option<P>,
    ) {
        self.driver.set.register(cx.waker());
        self.pass_unregistered(cx, pull, progress, false);
    }

    /// A pass that leaves the registered waker alone; with `first`, it stops at the first
    /// output, and the next pass resumes where it stopped.
    fn pass_unregistered<P: FnMut(Progress)>(
        &mut self,
        cx: &mut Context<'_>,
        pull: &mut impl FnMut(&mut Context<'_>) -> Poll<Option<F>>,
        progress: &mut Option<P>,
        first: bool,
    ) {
        let mut sink = QueueSink {
            queue: &mut self.queue,
            limit: self.limit,
            progress,
            first,
        };
        self.driver.pass_unregistered(cx, pull, &mut sink);
    }

    /// Returns the next output in completion order; `None` once every input has been pulled
    /// and every output handed out.
    ///
    /// A queued output comes first, without a pass. Otherwise it runs a pass that stops at
    /// the first output, so a child's output is taken only when it is handed out: outputs
    /// of children not reached stay with them (a receiver's message stays in its channel)
    /// until the next call, which resumes where this one stopped. This is what `race`,
    /// `race_ok` and the unordered streams are built on.
    ///
    /// The waker is registered only when the first pass produced nothing: a stream that
    /// returns an item owes its consumer no wake, so children that wake while items are
    /// flowing do not wake the consumer's task each time. Before returning `Pending` it
    /// registers and runs a second pass, so a wake that came in between is not lost.
    pub(crate) fn poll_next<P: FnMut(Progress)>(
        &mut self,
        cx: &mut Context<'_>,
        pull: &mut impl FnMut(&mut Context<'_>) -> Poll<Option<F>>,
        progress: &mut Option<P>,
    ) -> Poll<Option<(usize, F::Output)>> {
        if let Some(item) = self.queue.pop_front() {
            return Poll::Ready(Some(item));
        }
        self.pass_unregistered(cx, pull, progress, true);
        if let Some(item) = self.queue.pop_front() {
            return Poll::Ready(Some(item));
        }
        if self.driver.yielded() {
            // Spent the pass's budget: the task has been woken, let the runtime run first.
            self.driver.set.register(cx.waker());
            return Poll::Pending;
        }
        if !self.driver.is_done() {
            self.driver.set.register(cx.waker());
            self.pass_unregistered(cx, pull, progress, true);
        }
        match self.queue.pop_front() {
            Some(item) => Poll::Ready(Some(item)),
            None if self.driver.is_done() => Poll::Ready(None),
            None => Poll::Pending,
        }
    }

    /// Outputs queued and futures in flight, and an upper bound including the inputs not
    /// pulled yet when `remaining` (the source's upper bound) is known.
    pub(crate) fn size_hint(&self, remaining: Option<usize>) -> (usize, Option<usize>) {
        let here = self.queue.len() + self.driver.set.len();
        let upper = if self.driver.exhausted {
            Some(here)
        } else {
            remaining.and_then(|r| r.checked_add(here))
        };
        (self.queue.len(), upper)
    }

    /// Drops every future in flight and every queued output; pulls no more inputs.
    pub(crate) fn stop(&mut self) {
        self.driver.stop();
        self.queue.clear();
    }
}
