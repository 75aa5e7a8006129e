//! [`unblock()`], [`unblock_on()`], and their futures [`Unblock`] and [`Submit`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

use wrangle_core::{Spawn, Task};

use crate::call::{self, Entry, Host, Request};
use crate::call_limit::AcquireCall;
use crate::offload::Route;
use crate::pool::push::Push;
use crate::{BlockingPool, CallLimit, Offload};

/// Runs `f` on the process-wide [`BlockingPool`] and resolves to its result: asyncio's
/// `to_thread`, anyio's `to_thread.run_sync`.
///
/// Works on any executor, with no async runtime at all. The pool (see [`BlockingPool`] for
/// its defaults) runs at most 64 calls at once and queues at most 1024 more; beyond that the
/// future waits for room. Nothing happens until the future is polled.
///
/// # Cancellation
///
/// Dropping the future before the call starts removes it: `f` is dropped without running.
/// A call that has started cannot be cancelled: it runs to the end and its result is
/// dropped.
///
/// # Examples
///
/// ```
/// let text = wrangle::blocking::block_on(wrangle::blocking::unblock(|| {
///     std::fs::read_to_string("Cargo.toml").unwrap_or_default()
/// }));
/// assert!(text.contains("wrangle-blocking"));
/// ```
///
/// # Panics
///
/// The await re-raises a panic of `f`.
#[doc(alias = "to_thread")]
#[doc(alias = "spawn_blocking")]
pub fn unblock<F, T>(f: F) -> Unblock<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Unblock::new(Route::Global, None, f)
}

/// Runs `f` on `spawner`'s own blocking pool ([`Spawn::spawn_blocking`]) and resolves to
/// its result; inside `f`, [`from_thread`](crate::from_thread()) can hand futures back to
/// the awaiting side. A shorthand for [`Offload::runtime(spawner).unblock(f)`](Offload::runtime).
///
/// The future keeps a clone of the handle (an `Arc` increment), so it is `'static`
/// whatever `spawner` borrows from: pass `&rt`.
///
/// # Cancellation
///
/// As [`unblock()`]: dropping the future before the call starts means it never runs; a
/// started call runs to the end.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(7, |rt| async move {
///     let sim = rt.clone();
///     let v = wrangle::blocking::unblock_on(&rt, move || {
///         sim.sleep_blocking(Duration::from_secs(1)); // a slow blocking call
///         42
///     })
///     .await;
///     assert_eq!((v, rt.elapsed()), (42, Duration::from_secs(1)));
/// });
/// ```
///
/// # Panics
///
/// The await re-raises a panic of `f`, and panics as a cancelled task does if the runtime
/// has been shut down.
pub fn unblock_on<S, F, T>(spawner: &S, f: F) -> Unblock<T>
where
    S: Spawn + 'static,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Offload::runtime(spawner).unblock(f)
}

/// Hands a call over: waits for a permit, then for room in the queue (or gives it to the
/// runtime).
struct Submission {
    route: Route,
    host: Arc<dyn Host>,
    stage: Stage,
}

enum Stage {
    Acquire(AcquireCall),
    /// Being queued on a pool (or handed to a runtime), through the pool's push protocol.
    Queue(Push),
    /// Handed over; on a runtime, with the runtime's own task for the job.
    Handed(Option<Task<()>>),
}

impl Submission {
    fn new(route: Route, limiter: Option<CallLimit>, host: Arc<dyn Host>) -> Self {
        let stage = match limiter {
            Some(limiter) => Stage::Acquire(limiter.acquire()),
            None => Stage::Queue(Push::new(Entry::new(host.clone()))),
        };
        Self { route, host, stage }
    }

    fn poll_submit(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Self { route, host, stage } = self;
        loop {
            match stage {
                Stage::Acquire(acquire) => {
                    let permit = ready!(Pin::new(acquire).poll(cx));
                    host.set_permit(permit);
                    *stage = Stage::Queue(Push::new(Entry::new(host.clone())));
                }
                Stage::Queue(push) => {
                    let pool = match route {
                        Route::Global => BlockingPool::global().inner(),
                        Route::Pool(pool) => &*pool,
                        Route::Runtime(spawner) => {
                            let handed = push.take_entry().and_then(|entry| {
                                // If the runtime refuses, or later drops the closure unrun,
                                // the entry is dropped with it: the call is discarded and
                                // its task joins as cancelled.
                                spawner.spawn_call(Box::new(move || entry.run())).ok()
                            });
                            *stage = Stage::Handed(handed);
                            return Poll::Ready(());
                        }
                    };
                    ready!(push.poll_push(pool, cx));
                    *stage = Stage::Handed(None);
                    return Poll::Ready(());
                }
                Stage::Handed(_) => return Poll::Ready(()),
            }
        }
    }

    fn take_runtime_task(&mut self) -> Option<Task<()>> {
        match &mut self.stage {
            Stage::Handed(task) => task.take(),
            _ => None,
        }
    }

    fn stage_name(&self) -> &'static str {
        match self.stage {
            Stage::Acquire(_) => "waiting for a permit",
            Stage::Queue(ref push) if push.is_waiting() => "waiting for room in the queue",
            Stage::Queue(_) => "not yet queued",
            Stage::Handed(_) => "handed over",
        }
    }
}

impl Drop for Submission {
    fn drop(&mut self) {
        if let Stage::Queue(push) = &mut self.stage
            && push.is_waiting()
        {
            let pool = match &self.route {
                Route::Global => BlockingPool::global().inner(),
                Route::Pool(pool) => pool,
                Route::Runtime(_) => return,
            };
            push.abandon(pool);
        }
    }
}

/// Future for the [`unblock()`] function (and for [`BlockingPool::unblock`],
/// [`Offload::unblock`] and [`unblock_on()`]).
///
/// While the call runs, the future also runs the futures its closure hands back with
/// [`from_thread`](crate::from_thread()).
///
/// # Examples
///
/// ```
/// let call: wrangle::blocking::Unblock<u32> = wrangle::blocking::unblock(|| 7);
/// assert_eq!(wrangle::blocking::block_on(call), 7);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Unblock<T> {
    submission: Submission,
    task: Task<T>,
    /// A future handed back by the closure, being run here.
    serving: Option<Request>,
    /// What the task is polled with: wakes this future through the call's portal.
    waker: Option<Waker>,
    done: bool,
}

impl<T: Send + 'static> Unblock<T> {
    pub(crate) fn new<F>(route: Route, limiter: Option<CallLimit>, f: F) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let (host, task) = call::new(f, true);
        Self {
            submission: Submission::new(route, limiter, host),
            task,
            serving: None,
            waker: None,
            done: false,
        }
    }
}

/// Runs the request the closure handed back, if any, until it is pending or done.
fn serve(serving: &mut Option<Request>, portal: &call::Portal, cx: &mut Context<'_>) {
    if serving.is_none() {
        *serving = portal.take();
    }
    let finished = match serving {
        Some(request) => request.as_mut().poll(cx).is_ready(),
        None => false,
    };
    if finished {
        *serving = None;
    }
}

impl<T> Future for Unblock<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        assert!(!this.done, "Unblock polled after it completed");
        ready!(this.submission.poll_submit(cx));
        let host = &this.submission.host;
        let waker = this.waker.get_or_insert_with(|| host.clone().waker());
        loop {
            host.portal().register(cx.waker());
            serve(&mut this.serving, host.portal(), cx);
            let mut task_cx = Context::from_waker(waker);
            if let Poll::Ready(output) = Pin::new(&mut this.task).poll(&mut task_cx) {
                this.done = true;
                return Poll::Ready(output);
            }
            if !host.portal().has_request() {
                return Poll::Pending;
            }
        }
    }
}

impl<T> Drop for Unblock<T> {
    fn drop(&mut self) {
        if !self.done {
            let host = &self.submission.host;
            // Refuse further requests from the closure, and drop a queued call's closure now
            // rather than when a thread reaches it.
            host.portal().close();
            host.discard();
        }
    }
}

impl<T> fmt::Debug for Unblock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unblock")
            .field("route", &self.submission.route.name())
            .field("stage", &self.submission.stage_name())
            .field("task", &self.task)
            .field("done", &self.done)
            .finish()
    }
}

/// Future for the [`BlockingPool::submit`] and [`Offload::submit`] methods: resolves to the
/// call's [`Task`] once the call is handed over.
///
/// # Examples
///
/// ```
/// let pool = wrangle::blocking::BlockingPool::new();
/// let submit: wrangle::blocking::Submit<u32> = pool.submit(|| 8);
/// let task = wrangle::blocking::block_on(submit);
/// assert_eq!(wrangle::blocking::block_on(task), 8);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Submit<T> {
    submission: Submission,
    task: Option<Task<T>>,
}

impl<T: Send + 'static> Submit<T> {
    pub(crate) fn new<F>(route: Route, limiter: Option<CallLimit>, f: F) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let (host, task) = call::new(f, false);
        Self {
            submission: Submission::new(route, limiter, host),
            task: Some(task),
        }
    }
}

impl<T> Future for Submit<T> {
    type Output = Task<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Task<T>> {
        let this = self.get_mut();
        ready!(this.submission.poll_submit(cx));
        // The call's own task decides whether it runs (it checks for cancellation when a
        // thread reaches it), so the runtime's task for the job can be let go.
        if let Some(job) = this.submission.take_runtime_task() {
            job.detach();
        }
        match this.task.take() {
            Some(task) => Poll::Ready(task),
            None => panic!("Submit polled after it completed"),
        }
    }
}

impl<T> fmt::Debug for Submit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submit")
            .field("route", &self.submission.route.name())
            .field("stage", &self.submission.stage_name())
            .finish()
    }
}
