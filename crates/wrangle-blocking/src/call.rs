//! One offloaded call: the job a thread runs, the permit it runs under, and the portal
//! through which its closure can hand futures back to the awaiting side (`from_thread`).
//!
//! The call lives in one `Arc`, shared by whatever runs it (a pool's queue, or the closure
//! handed to a runtime's `spawn_blocking`) and by the future awaiting it. With the task's
//! own shared state that makes two allocations per call.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Wake, Waker};

use wrangle_core::Task;
use wrangle_core::task::BlockingJob;

use crate::CallPermit;
use crate::sync::{AtomicBool, AtomicWaker, Mutex};

/// A future handed from the blocking thread to the awaiting side, which polls it.
pub(crate) type Request = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The object-safe view of a call.
pub(crate) trait Host: Send + Sync + 'static {
    /// Runs the call on the current thread, unless it was discarded or cancelled first.
    fn run(self: Arc<Self>);
    /// Drops the job if it has not started: its caller went away.
    fn discard(&self);
    /// Gives the call the permit it runs under; dropped as soon as the closure returns.
    fn set_permit(&self, permit: CallPermit);
    fn portal(&self) -> &Portal;
    /// The waker the awaiting future polls the call's task with: it wakes the awaiting
    /// future through the portal, at once or, on a pool worker, batched with its siblings.
    fn waker(self: Arc<Self>) -> Waker;
}

struct Pending<J> {
    job: J,
    permit: Option<CallPermit>,
}

struct Call<J> {
    pending: Mutex<Option<Pending<J>>>,
    portal: Portal,
}

/// Splits `f` into the shared call and the task handle that yields its outcome. `served`
/// says whether a future will await the call and serve `from_thread` requests.
pub(crate) fn new<F, T>(f: F, served: bool) -> (Arc<dyn Host>, Task<T>)
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // Feature `tracing`: a span from submission to the closure's end, a child of the
    // caller's span, entered on the thread that runs the closure.
    #[cfg(feature = "tracing")]
    let f = {
        let span = tracing::debug_span!(target: "wrangle::blocking", "blocking_call");
        move || {
            let _entered = span.enter();
            f()
        }
    };
    let (job, task) = wrangle_core::task::new_blocking(move || {
        // The permit goes back before the outcome (value or panic) is published, so a
        // caller that sees the outcome and starts its next call finds the permit free.
        let _release = ReleasePermit;
        f()
    });
    let call = Arc::new(Call {
        pending: Mutex::new(Some(Pending { job, permit: None })),
        portal: Portal::new(served),
    });
    (call, task)
}

impl<F, T> Host for Call<BlockingJob<F, T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Arc<Self>) {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(Pending { job, permit }) = pending else {
            return;
        };
        if job.is_cancelled() {
            // Dropped before it started: it never runs (`run` marks the task cancelled).
            job.run();
            drop(permit);
            return;
        }
        let previous =
            CURRENT.with(|current| current.replace(Some(Current { host: self, permit })));
        job.run();
        // Restored before anything is dropped: a permit left behind by a panicking closure
        // is released here, outside the thread-local.
        let ours = CURRENT.with(|current| current.replace(previous));
        drop(ours);
    }

    fn discard(&self) {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Outside the lock: dropping the closure runs user code.
        drop(pending);
    }

    fn set_permit(&self, permit: CallPermit) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        match pending.as_mut() {
            Some(pending) => pending.permit = Some(permit),
            None => {
                drop(pending);
                drop(permit);
            }
        }
    }

    fn portal(&self) -> &Portal {
        &self.portal
    }

    fn waker(self: Arc<Self>) -> Waker {
        Waker::from(self)
    }
}

impl<F, T> Wake for Call<BlockingJob<F, T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let deferred = SINK.with(|sink| match &*sink.borrow() {
            Some(sink) => sink.defer(self.clone()).is_ok(),
            None => false,
        });
        if !deferred {
            self.portal.waker.wake();
        }
    }
}

/// Where a pool worker holds back the wake-ups of the calls it completes, to deliver them
/// in a batch.
pub(crate) trait WakeSink: Send + Sync {
    /// Holds back `host`'s wake-up, or gives it back to be delivered now.
    fn defer(&self, host: Arc<dyn Host>) -> Result<(), Arc<dyn Host>>;
}

thread_local! {
    static SINK: RefCell<Option<Arc<dyn WakeSink>>> = const { RefCell::new(None) };
}

/// Sets (or clears) the current thread's wake sink.
pub(crate) fn set_wake_sink(sink: Option<Arc<dyn WakeSink>>) {
    let previous = SINK.with(|s| s.replace(sink));
    drop(previous);
}

/// Delivers a held-back wake-up.
pub(crate) fn wake_awaiting(host: &Arc<dyn Host>) {
    host.portal().waker.wake();
}

/// What the current thread is running, for `from_thread` and for giving the permit back.
pub(crate) struct Current {
    pub(crate) host: Arc<dyn Host>,
    permit: Option<CallPermit>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Gives back the current call's permit when dropped: when its closure returns or unwinds.
struct ReleasePermit;

impl Drop for ReleasePermit {
    fn drop(&mut self) {
        let permit = CURRENT.with(|current| {
            current
                .borrow_mut()
                .as_mut()
                .and_then(|current| current.permit.take())
        });
        drop(permit);
    }
}

/// The call the current thread is running, if it is running one.
pub(crate) fn current_host() -> Option<Arc<dyn Host>> {
    CURRENT.with(|current| current.borrow().as_ref().map(|c| c.host.clone()))
}

/// A queued call: runs it, or discards it when dropped unrun.
pub(crate) struct Entry {
    host: Option<Arc<dyn Host>>,
}

impl Entry {
    pub(crate) fn new(host: Arc<dyn Host>) -> Self {
        Self { host: Some(host) }
    }

    pub(crate) fn run(mut self) {
        if let Some(host) = self.host.take() {
            host.run();
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Some(host) = self.host.take() {
            host.discard();
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry").finish_non_exhaustive()
    }
}

/// Where a blocking closure leaves a future for the awaiting side to poll.
pub(crate) struct Portal {
    /// Whether a future awaits the call at all (`unblock`), rather than a bare task handle.
    served: bool,
    /// A request waits in the mailbox: lets the awaiting side skip the lock.
    pending: AtomicBool,
    waker: AtomicWaker,
    mailbox: Mutex<Mailbox>,
}

struct Mailbox {
    request: Option<Request>,
    /// The awaiting future is gone: requests are refused.
    closed: bool,
}

impl Portal {
    fn new(served: bool) -> Self {
        Self {
            served,
            pending: AtomicBool::new(false),
            waker: AtomicWaker::new(),
            mailbox: Mutex::new(Mailbox {
                request: None,
                closed: false,
            }),
        }
    }

    pub(crate) fn is_served(&self) -> bool {
        self.served
    }

    /// Leaves `request` for the awaiting side and wakes it; gives it back if that side is
    /// gone.
    pub(crate) fn send(&self, request: Request) -> Result<(), Request> {
        {
            let mut mailbox = self.mailbox.lock().unwrap_or_else(PoisonError::into_inner);
            if mailbox.closed {
                return Err(request);
            }
            mailbox.request = Some(request);
            self.pending.store(true, Ordering::SeqCst);
        }
        self.waker.wake();
        Ok(())
    }

    /// The request waiting in the mailbox, if any.
    pub(crate) fn take(&self) -> Option<Request> {
        if !self.pending.load(Ordering::SeqCst) {
            return None;
        }
        let mut mailbox = self.mailbox.lock().unwrap_or_else(PoisonError::into_inner);
        self.pending.store(false, Ordering::SeqCst);
        mailbox.request.take()
    }

    pub(crate) fn has_request(&self) -> bool {
        self.pending.load(Ordering::SeqCst)
    }

    pub(crate) fn register(&self, waker: &Waker) {
        if self.served {
            self.waker.register(waker);
        }
    }

    /// The awaiting side is gone: refuse further requests and drop a waiting one.
    pub(crate) fn close(&self) {
        if !self.served {
            return;
        }
        let request = {
            let mut mailbox = self.mailbox.lock().unwrap_or_else(PoisonError::into_inner);
            mailbox.closed = true;
            self.pending.store(false, Ordering::SeqCst);
            mailbox.request.take()
        };
        // Outside the lock: dropping the request tells its sender the caller is gone. The
        // waker of the future that went away is not needed any more either.
        drop(request);
        drop(self.waker.take());
    }
}

/// loom models (RELIABILITY.md, "loom"): a call's portal and its waker, between the thread
/// that runs the call and the future that awaits it, through the real [`new`], [`Host`] and
/// [`Portal`]. The task state underneath is wrangle-core's, built without `--cfg loom` here
/// (it has its own models in that crate), so loom does not interleave inside it.
#[cfg(all(test, loom))]
mod loom_tests {
    use std::future::{Future, poll_fn};
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering::SeqCst;
    use std::task::{Context, Poll};

    use loom::future::block_on;
    use loom::thread;

    use super::*;
    use crate::sync::model;

    /// A request that counts its drops; it is never polled in these models.
    fn request(drops: &Arc<AtomicUsize>) -> Request {
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        let counted = Counted(drops.clone());
        Box::pin(async move {
            let _counted = counted;
        })
    }

    /// The closure's thread sends a request while the awaiting side registers its waker and
    /// looks in the mailbox (as `Unblock::poll` does): the request reaches it, once.
    #[test]
    fn request_reaches_the_awaiting_side() {
        model(|| {
            let (host, _task) = new(|| (), true);
            let drops = Arc::new(AtomicUsize::new(0));
            let sender = {
                let (host, drops) = (host.clone(), drops.clone());
                thread::spawn(move || host.portal().send(request(&drops)).is_ok())
            };
            let portal = host.portal();
            let got = block_on(poll_fn(|cx| {
                portal.register(cx.waker());
                match portal.take() {
                    Some(request) => Poll::Ready(request),
                    None => Poll::Pending,
                }
            }));
            assert!(sender.join().expect("the sending thread panicked"));
            assert!(portal.take().is_none(), "a request taken twice");
            drop(got);
            assert_eq!(drops.load(SeqCst), 1);
        });
    }

    /// A request sent as the awaiting side goes away: it is refused and given back, or
    /// accepted and then dropped by `close`; either way dropped exactly once, and nothing is
    /// left in the mailbox.
    #[test]
    fn send_races_close() {
        model(|| {
            let (host, _task) = new(|| (), true);
            let drops = Arc::new(AtomicUsize::new(0));
            let sender = {
                let (host, drops) = (host.clone(), drops.clone());
                thread::spawn(move || {
                    // A refused request is dropped here.
                    let _ = host.portal().send(request(&drops));
                })
            };
            host.portal().close();
            sender.join().expect("the sending thread panicked");
            assert_eq!(drops.load(SeqCst), 1, "the request dropped once");
            assert!(!host.portal().has_request());
        });
    }

    /// The call runs on another thread while the awaiting side polls its task with the
    /// call's waker and registers its own in the portal (as `Unblock::poll` does): the
    /// completion wakes it through the portal, and it gets the output.
    #[test]
    fn completion_wakes_the_awaiting_side_through_the_portal() {
        model(|| {
            let (host, mut task) = new(|| 7, true);
            let runner = {
                let host = host.clone();
                thread::spawn(move || host.run())
            };
            let call_waker = host.clone().waker();
            let output = block_on(poll_fn(|cx| {
                host.portal().register(cx.waker());
                let mut task_cx = Context::from_waker(&call_waker);
                Pin::new(&mut task).poll(&mut task_cx)
            }));
            assert_eq!(output, 7);
            runner.join().expect("the call's thread panicked");
        });
    }
}
