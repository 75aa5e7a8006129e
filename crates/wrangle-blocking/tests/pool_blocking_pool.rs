//! `BlockingPool` on real threads with no runtime: cap, backpressure, growth, keep-alive,
//! cancellation and shutdown. Real-time bounds are deliberately wide (a shared 2-core
//! machine can stall a thread for hundreds of milliseconds); counts are exact.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_lite::future::{self, block_on};
use wrangle_blocking::BlockingPool;

/// Polls `f` once with a no-op waker.
fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

/// Waits, in real time, until `cond` holds; panics after 10 s.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Counts calls in flight and the peak.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }
    fn exit(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn smoke() {
    let pool = BlockingPool::new();
    assert_eq!(block_on(pool.unblock(|| 1 + 1)), 2);
    assert_eq!(block_on(wrangle_blocking::unblock(|| "global")), "global");
}

#[test]
fn thread_cap_is_never_exceeded() {
    let pool = BlockingPool::builder()
        .max_threads(3)
        .grow_after(Duration::from_millis(1))
        .build()
        .unwrap();
    let flight = Arc::new(InFlight::default());
    let calls = (0..24).map(|_| {
        let flight = flight.clone();
        pool.unblock(move || {
            flight.enter();
            std::thread::sleep(Duration::from_millis(5));
            flight.exit();
        })
    });
    block_on(wrangle_combinators::gather(calls));
    // Three threads in all, the supervisor included: at most three calls at once.
    assert!(flight.peak.load(Ordering::SeqCst) <= 3);
    assert!(pool.metrics().peak_threads <= 3, "{:?}", pool.metrics());
}

#[test]
fn full_queue_makes_the_caller_wait() {
    let pool = BlockingPool::builder()
        .max_threads(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let mut first = pool.unblock(move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
        1
    });
    assert!(poll_once(&mut first).is_pending());
    started_rx.recv().unwrap();
    // The thread is busy: the second call fills the queue.
    let mut second = pool.unblock(|| 2);
    assert!(poll_once(&mut second).is_pending());
    assert_eq!(pool.metrics().queued, 1);
    // The third finds the queue full and waits for room: nothing is queued for it.
    let third_ran = Arc::new(AtomicBool::new(false));
    let ran = third_ran.clone();
    let mut third = pool.unblock(move || {
        ran.store(true, Ordering::SeqCst);
        3
    });
    assert!(poll_once(&mut third).is_pending());
    assert!(poll_once(&mut third).is_pending());
    assert_eq!(pool.metrics().queued, 1);
    assert!(!third_ran.load(Ordering::SeqCst));
    release_tx.send(()).unwrap();
    assert_eq!(block_on(first), 1);
    assert_eq!(block_on(second), 2);
    assert_eq!(block_on(third), 3);
}

#[test]
fn memory_is_bounded_by_the_queue_not_the_submissions() {
    // 20 000 submissions against a queue of 8: at no moment are more than 8 queued.
    let pool = BlockingPool::builder()
        .max_threads(2)
        .queue_capacity(8)
        .build()
        .unwrap();
    let max_queued = Arc::new(AtomicUsize::new(0));
    let probe = {
        let pool = pool.clone();
        let max_queued = max_queued.clone();
        move || {
            max_queued.fetch_max(pool.metrics().queued, Ordering::SeqCst);
        }
    };
    let calls = (0..20_000u32).map(|i| {
        let probe = probe.clone();
        pool.unblock(move || {
            if i % 64 == 0 {
                probe();
            }
            i
        })
    });
    let limit = std::num::NonZeroUsize::new(256).unwrap();
    let out = block_on(wrangle_combinators::gather(calls).limit(limit));
    assert_eq!(out.len(), 20_000);
    assert_eq!(out[19_999], 19_999);
    assert!(max_queued.load(Ordering::SeqCst) <= 8);
}

#[test]
fn dropped_before_it_starts_it_never_runs() {
    let pool = BlockingPool::builder().max_threads(1).build().unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let mut busy = pool.unblock(move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
    });
    assert!(poll_once(&mut busy).is_pending());
    started_rx.recv().unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(dropped.clone());
    let flag = ran.clone();
    let mut queued = pool.unblock(move || {
        let _guard = guard;
        flag.store(true, Ordering::SeqCst);
    });
    assert!(poll_once(&mut queued).is_pending());
    drop(queued);
    // The closure (and what it captured) is dropped at once, not when a thread reaches it.
    assert!(dropped.load(Ordering::SeqCst));
    release_tx.send(()).unwrap();
    block_on(busy);
    block_on(pool.unblock(|| ()));
    assert!(!ran.load(Ordering::SeqCst));
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_started_call_runs_to_the_end_and_its_result_is_dropped() {
    let pool = BlockingPool::new();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let result_dropped = Arc::new(AtomicBool::new(false));
    let flag = result_dropped.clone();
    let mut call = pool.unblock(move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
        DropFlag(flag)
    });
    assert!(poll_once(&mut call).is_pending());
    started_rx.recv().unwrap();
    drop(call);
    assert!(!result_dropped.load(Ordering::SeqCst));
    release_tx.send(()).unwrap();
    eventually("the result is dropped", || {
        result_dropped.load(Ordering::SeqCst)
    });
}

#[test]
fn a_panic_surfaces_at_the_await_and_the_pool_survives() {
    let pool = BlockingPool::builder().max_threads(1).build().unwrap();
    let caught = block_on(future::FutureExt::catch_unwind(
        std::panic::AssertUnwindSafe(pool.unblock(|| -> u8 { panic!("boom in a blocking call") })),
    ));
    let payload = caught.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"boom in a blocking call")
    );
    let err = block_on(async { pool.submit(|| panic!("again")).await.join().await });
    assert_eq!(err.unwrap_err().to_string(), "task panicked: again");
    // The one thread survived both panics.
    assert_eq!(block_on(pool.unblock(|| 5)), 5);
    assert!(pool.metrics().peak_threads <= 1);
}

#[test]
fn queued_calls_still_run_after_the_pool_is_dropped() {
    let pool = BlockingPool::builder()
        .max_threads(1)
        .queue_capacity(10)
        .build()
        .unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let first = block_on(pool.submit(move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
        0
    }));
    started_rx.recv().unwrap();
    let queued: Vec<_> = (1..=10).map(|i| block_on(pool.submit(move || i))).collect();
    assert_eq!(pool.metrics().queued, 10);
    // A call whose future is still waiting for room when the pool is dropped is not lost
    // either: it is queued once there is room, and runs.
    let mut waiting = pool.unblock(|| 11);
    assert!(poll_once(&mut waiting).is_pending());
    drop(pool);
    release_tx.send(()).unwrap();
    assert_eq!(block_on(first.join()).unwrap(), 0);
    for (i, task) in (1..).zip(queued) {
        assert_eq!(block_on(task.join()).unwrap(), i);
    }
    assert_eq!(block_on(waiting), 11);
}

#[test]
fn a_call_that_never_returns_leaks_its_thread_and_nothing_waits_for_it() {
    let pool = BlockingPool::builder().max_threads(4).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let hung = Arc::new(Mutex::new(None));
    let mut forever = pool.unblock(move || {
        let _ = started_tx.send(());
        loop {
            std::thread::park();
        }
    });
    assert!(poll_once(&mut forever).is_pending());
    started_rx.recv().unwrap();
    *hung.lock().unwrap() = Some(forever); // never awaited again
    // Other calls go on, on other threads.
    let calls = (0..20).map(|i| pool.unblock(move || i * 2));
    assert_eq!(block_on(wrangle_combinators::gather(calls))[19], 38);
    // Dropping the pool returns at once; the hung thread is detached, not joined.
    let start = Instant::now();
    drop(pool);
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn idle_threads_exit_after_the_keep_alive() {
    let pool = BlockingPool::builder()
        .keep_alive(Duration::from_millis(20))
        .build()
        .unwrap();
    block_on(wrangle_combinators::gather(
        (0..64).map(|i| pool.unblock(move || i)),
    ));
    assert!(pool.metrics().threads >= 1);
    eventually("every thread has exited", || pool.metrics().threads == 0);
    // And the pool starts threads again when needed.
    assert_eq!(block_on(pool.unblock(|| 9)), 9);
}

#[test]
fn forty_sleeping_calls_are_served_at_once_with_the_defaults() {
    let pool = BlockingPool::new();
    let start = Instant::now();
    let calls = (0..40).map(|_| pool.unblock(|| std::thread::sleep(Duration::from_millis(50))));
    block_on(wrangle_combinators::gather(calls));
    let elapsed = start.elapsed();
    let m = pool.metrics();
    // ≈ 50 ms plus two supervisor ticks; a serial pool of two threads would take 1 s.
    assert!(
        elapsed < Duration::from_millis(600),
        "took {elapsed:?}; {m:?}"
    );
    assert!(
        m.peak_threads >= 20 && m.peak_threads <= pool.max_threads(),
        "{m:?}"
    );
}

#[test]
fn short_calls_do_not_grow_the_pool_past_the_eager_threads() {
    let pool = BlockingPool::builder().eager_threads(2).build().unwrap();
    let limit = std::num::NonZeroUsize::new(256).unwrap();
    let out = block_on(
        wrangle_combinators::gather((0..20_000u32).map(|i| pool.unblock(move || i))).limit(limit),
    );
    assert_eq!(out.len(), 20_000);
    // Two eager workers and the supervisor. (A call preempted for a whole tick is busy, not
    // blocked, on Linux; elsewhere a badly loaded machine could add a thread or two.)
    let peak = pool.metrics().peak_threads;
    if cfg!(target_os = "linux") {
        assert!(peak <= 3, "peak threads {peak}");
    } else {
        assert!(peak <= 8, "peak threads {peak}");
    }
}

#[test]
fn a_busy_call_is_not_mistaken_for_a_blocked_one() {
    if !cfg!(target_os = "linux") {
        return;
    }
    // One eager thread spinning on the CPU for 60 ms with calls queued behind it: the
    // supervisor sees it running, so it starts no thread for it.
    let pool = BlockingPool::builder().eager_threads(1).build().unwrap();
    let spin = pool.unblock(|| {
        let end = Instant::now() + Duration::from_millis(60);
        while Instant::now() < end {
            std::hint::spin_loop();
        }
    });
    let queued = (0..4).map(|i| pool.unblock(move || i));
    let (_, out) = block_on(future::zip(spin, wrangle_combinators::gather(queued)));
    assert_eq!(out, [0, 1, 2, 3]);
    // The worker and the supervisor. On a machine so loaded that the spinning thread sleeps
    // in the middle of a tick, one more could appear; never one per queued call.
    assert!(pool.metrics().peak_threads <= 3, "{:?}", pool.metrics());
}

#[test]
fn a_hung_call_is_replaced_so_throughput_survives() {
    // One eager thread; its call hangs. The supervisor sees it asleep and starts another.
    let pool = BlockingPool::builder()
        .eager_threads(1)
        .max_threads(4)
        .build()
        .unwrap();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let mut hung = pool.unblock(move || {
        let _ = started_tx.send(());
        loop {
            std::thread::park();
        }
    });
    assert!(poll_once(&mut hung).is_pending());
    started_rx.recv().unwrap();
    std::mem::forget(hung);
    let out = block_on(wrangle_combinators::gather(
        (0..100).map(|i| pool.unblock(move || i)),
    ));
    assert_eq!(out.len(), 100);
}

#[test]
fn debug() {
    let pool = BlockingPool::builder().max_threads(2).build().unwrap();
    let text = format!("{pool:?}");
    assert!(text.starts_with("BlockingPool { max_threads: 2"), "{text}");
    let call = pool.unblock(|| ());
    assert!(format!("{call:?}").contains("not yet queued"));
    let submit = pool.submit(|| ());
    assert!(format!("{submit:?}").starts_with("Submit"));
}

#[test]
fn a_held_back_wake_up_is_not_held_behind_a_blocking_call() {
    // One worker runs a quick call, then a call that blocks for 600 ms, with more queued:
    // the quick call's wake-up is batched, but the supervisor delivers it within two ticks
    // instead of after the blocking call.
    let pool = BlockingPool::builder()
        .eager_threads(1)
        .max_threads(4)
        .build()
        .unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let mut gate = pool.unblock(move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
    });
    assert!(poll_once(&mut gate).is_pending());
    started_rx.recv().unwrap();
    let mut quick = pool.unblock(Instant::now);
    let mut slow = pool.unblock(|| std::thread::sleep(Duration::from_millis(600)));
    let mut after = pool.unblock(|| ());
    for f in [&mut slow, &mut after] {
        assert!(poll_once(f).is_pending());
    }
    assert!(poll_once(&mut quick).is_pending());
    release_tx.send(()).unwrap();
    block_on(gate);
    let finished = block_on(quick);
    let seen = Instant::now();
    assert!(
        seen - finished < Duration::from_millis(300),
        "the quick call's result was delivered {:?} after it finished",
        seen - finished
    );
    block_on(slow);
    block_on(after);
}

#[test]
fn without_batching_every_wake_up_is_immediate() {
    let pool = BlockingPool::builder()
        .batch_wakeups(false)
        .build()
        .unwrap();
    let limit = std::num::NonZeroUsize::new(64).unwrap();
    let out = block_on(
        wrangle_combinators::gather((0..5_000u32).map(|i| pool.unblock(move || i))).limit(limit),
    );
    assert_eq!(out.len(), 5_000);
}
