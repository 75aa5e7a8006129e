//! The contract of the blocking bridge (wrangle-blocking) on every runtime: a limiter caps
//! the calls in flight on the runtime's own blocking pool and holds further callers back,
//! a call dropped before it starts never runs, and a `BlockingPool` driven from the
//! runtime keeps its thread cap and its queue bound.
//!
//! The blocking calls here wait on real channels and real sleeps, which under wrangle-sim
//! hold the virtual clock still: the cases wait for them by yielding ([`settle`]), never by
//! sleeping on the runtime's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wrangle_blocking::{BlockingPool, CallLimit, Offload};
use wrangle_core::{Runtime, Spawn, Timer};

use crate::Harness;
use crate::support::settle;

/// Counts calls in flight, and the peak.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn enter(&self) -> usize {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        now
    }
    fn exit(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// A flag a call sets when it runs.
fn flag() -> (Arc<AtomicBool>, Arc<AtomicBool>) {
    let f = Arc::new(AtomicBool::new(false));
    (f.clone(), f)
}

/// A blocking call that runs until released.
fn gate() -> (
    mpsc::Sender<()>,
    impl FnOnce() + Send + 'static,
    mpsc::Receiver<()>,
) {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let call = move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv_timeout(Duration::from_secs(10));
    };
    (release_tx, call, started_rx)
}

/// A limiter of 3 over the runtime's own blocking pool: 12 calls, never more than 3 at once,
/// and 3 at once at some point.
pub fn offload_limiter_caps_calls_in_flight<H: Harness>() {
    let rt = H::make();
    let limiter = CallLimit::new(3);
    let calls = Offload::runtime(&rt).limit_by(&limiter);
    let flight = Arc::new(InFlight::default());
    let out = rt.block_on(async {
        let each = (0..12u32).map(|i| {
            let flight = flight.clone();
            calls.unblock(move || {
                flight.enter();
                // Wait (boundedly, in real time) for the others of the first wave, so the
                // peak shows even on a runtime slow to start blocking threads.
                let deadline = Instant::now() + Duration::from_secs(2);
                while flight.peak() < 3 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(Duration::from_millis(2));
                flight.exit();
                i
            })
        });
        wrangle_combinators::gather(each).await
    });
    assert_eq!(out, (0..12).collect::<Vec<_>>());
    assert_eq!(flight.peak(), 3);
    assert_eq!(limiter.in_use(), 0);
    H::shutdown(&rt);
}

/// While the limiter's one permit is held, a second caller waits: its closure has not
/// started, and it runs once the first call returns.
pub fn offload_limiter_holds_callers_back<H: Harness>() {
    let rt = H::make();
    let limiter = CallLimit::new(1);
    let calls = Offload::runtime(&rt).limit_by(&limiter);
    rt.block_on(async {
        let (release, first, started) = gate();
        let first = rt.spawn(calls.unblock(first));
        assert!(
            settle(|| started.try_recv().is_ok()).await,
            "first call did not start"
        );
        let (ran, seen) = flag();
        let second = rt.spawn(calls.unblock(move || ran.store(true, Ordering::SeqCst)));
        assert!(
            settle(|| limiter.waiting() == 1).await,
            "second caller is not waiting"
        );
        assert!(!seen.load(Ordering::SeqCst));
        release.send(()).unwrap();
        first.await;
        second.await;
        assert!(seen.load(Ordering::SeqCst));
        assert_eq!(limiter.in_use(), 0);
    });
    H::shutdown(&rt);
}

/// A call whose future is dropped while it waits for a permit never runs, and the permit
/// is not lost.
pub fn offload_call_dropped_before_start_never_runs<H: Harness>() {
    let rt = H::make();
    let limiter = CallLimit::new(1);
    let calls = Offload::runtime(&rt).limit_by(&limiter);
    rt.block_on(async {
        let (release, first, started) = gate();
        let first = rt.spawn(calls.unblock(first));
        assert!(
            settle(|| started.try_recv().is_ok()).await,
            "first call did not start"
        );
        let (ran, seen) = flag();
        let waiting = rt.spawn(calls.unblock(move || ran.store(true, Ordering::SeqCst)));
        assert!(settle(|| limiter.waiting() == 1).await);
        drop(waiting);
        assert!(
            settle(|| limiter.waiting() == 0).await,
            "dropped caller still queued"
        );
        release.send(()).unwrap();
        first.await;
        assert!(settle(|| limiter.in_use() == 0).await);
        // A later call gets the permit; the dropped one never ran.
        calls.unblock(|| ()).await;
        assert!(!seen.load(Ordering::SeqCst));
    });
    H::shutdown(&rt);
}

/// A `BlockingPool` awaited from the runtime: one thread, a queue of one. A third caller
/// waits for room (its closure not queued), and every call completes once the first is
/// released.
pub fn pool_thread_cap_and_queue_bound_hold<H: Harness>() {
    let rt = H::make();
    let pool = BlockingPool::builder()
        .max_threads(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let (release, first, started) = gate();
        let first = rt.spawn(pool.unblock(first));
        assert!(
            settle(|| started.try_recv().is_ok()).await,
            "first call did not start"
        );
        let second = rt.spawn(pool.unblock(|| 2));
        assert!(
            settle(|| pool.metrics().queued == 1).await,
            "second call not queued"
        );
        let (ran, seen) = flag();
        let third = rt.spawn(pool.unblock(move || {
            ran.store(true, Ordering::SeqCst);
            3
        }));
        // Give the third caller every chance to (wrongly) queue or start.
        for _ in 0..200 {
            wrangle_core::yield_now().await;
        }
        assert_eq!(pool.metrics().queued, 1);
        assert!(!seen.load(Ordering::SeqCst));
        assert!(pool.metrics().threads <= 1);
        release.send(()).unwrap();
        let done = settle(|| first.is_finished() && second.is_finished() && third.is_finished());
        assert!(done.await, "calls did not complete");
        first.await;
        assert_eq!(second.await + third.await, 5);
        assert_eq!(pool.metrics().peak_threads, 1);
    });
    H::shutdown(&rt);
}

/// S17's crossing back: a job of the runtime's own `spawn_blocking`, while the runtime is
/// driven from its `block_on`, calls the runtime's `block_on` over a sleep on the runtime's
/// clock and over a task it spawns back onto the runtime, and gets both. The sleep lasts its
/// full length (exactly, on virtual time: the job parked in `block_on` lets the clock move).
pub fn block_on_from_a_blocking_job<H: Harness>() {
    const NAP: Duration = Duration::from_millis(20);
    let rt = H::make();
    let (slept, answer, main_saw) = rt.block_on(async {
        let inner = rt.clone();
        let start = rt.now();
        let (slept, answer) = rt
            .spawn_blocking(move || {
                let outcome = inner.try_block_on(async {
                    let before = inner.now();
                    wrangle_core::sleep(&inner, NAP).await;
                    let slept = inner.now() - before;
                    (slept, inner.spawn(async { 6 * 7 }).await)
                });
                outcome.expect("block_on on a blocking job of the runtime")
            })
            .await;
        (slept, answer, rt.now() - start)
    });
    assert_eq!(answer, 42);
    assert!(slept >= NAP, "slept {slept:?}, asked {NAP:?}");
    assert!(slept <= NAP + H::SLACK, "slept {slept:?}, asked {NAP:?}");
    assert!(main_saw >= NAP);
    H::shutdown(&rt);
}
