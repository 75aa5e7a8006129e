//! `CallLimit` under contention from real threads and executors: the cap holds, FIFO order
//! holds, and no permit is lost to cancellation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::Duration;

use futures_lite::future::block_on;
use wrangle_blocking::{BlockingPool, CallLimit, Offload};

#[test]
fn the_cap_holds_across_threads() {
    let limiter = CallLimit::new(3);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (limiter, running, peak) = (limiter.clone(), running.clone(), peak.clone());
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let _permit = block_on(limiter.acquire());
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::hint::spin_loop();
                    running.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(peak.load(Ordering::SeqCst) <= 3);
    assert_eq!(limiter.in_use(), 0);
    assert_eq!(limiter.waiting(), 0);
}

#[test]
fn waiters_are_served_in_arrival_order() {
    let limiter = CallLimit::new(1);
    let held = limiter.try_acquire().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters: Vec<_> = (0..10)
        .map(|i| {
            let (limiter, order) = (limiter.clone(), order.clone());
            Box::pin(async move {
                let _permit = limiter.acquire().await;
                order.lock().unwrap().push(i);
            })
        })
        .collect();
    let mut cx = Context::from_waker(Waker::noop());
    // Queue them in order 0..10, then poll them in reverse, over and over: the permit
    // still goes round in arrival order.
    for w in &mut waiters {
        assert!(w.as_mut().poll(&mut cx).is_pending());
    }
    drop(held);
    let mut done = [false; 10];
    while order.lock().unwrap().len() < 10 {
        for (i, w) in waiters.iter_mut().enumerate().rev() {
            if !done[i] {
                done[i] = w.as_mut().poll(&mut cx).is_ready();
            }
        }
    }
    assert_eq!(*order.lock().unwrap(), (0..10).collect::<Vec<_>>());
}

#[test]
fn cancelled_waiters_lose_no_permit() {
    let limiter = CallLimit::new(2);
    let mut cx = Context::from_waker(Waker::noop());
    for round in 0..100 {
        let a = limiter.try_acquire().unwrap();
        let b = limiter.try_acquire().unwrap();
        let mut waiters: Vec<_> = (0..5).map(|_| limiter.acquire()).collect();
        for w in &mut waiters {
            assert!(std::pin::Pin::new(w).poll(&mut cx).is_pending());
        }
        drop(a);
        // The first waiter was handed the permit; drop some granted, some queued.
        waiters.retain(|_| round % 2 == 0);
        drop(b);
        drop(waiters);
        assert_eq!(limiter.in_use(), 0, "round {round}");
        assert_eq!(limiter.waiting(), 0, "round {round}");
    }
}

#[test]
fn a_limited_offload_on_a_pool_caps_calls_in_flight() {
    let pool = BlockingPool::new();
    let limiter = CallLimit::new(3);
    let calls = Offload::pool(&pool).limit_by(&limiter);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let out = block_on(wrangle_combinators::gather((0..30).map(|i| {
        let (running, peak) = (running.clone(), peak.clone());
        calls.unblock(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            running.fetch_sub(1, Ordering::SeqCst);
            i
        })
    })));
    assert_eq!(out.len(), 30);
    assert_eq!(peak.load(Ordering::SeqCst), 3);
    assert_eq!(limiter.in_use(), 0);
}
