//! S17 of docs/scenarios.md, both directions: sync code calls an async function and gets its
//! result; a blocking worker hands a future back to the side that offloaded it and waits
//! for the answer. On no runtime, on smol, and on wrangle-sim.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_lite::FutureExt as _;
use wrangle_blocking::{BlockingPool, FromThreadError, block_on, from_thread, unblock_on};
use wrangle_core::{Runtime, Spawn, Timer};

async fn fetch_user(id: u32) -> String {
    format!("user-{id}")
}

#[test]
fn sync_code_calls_an_async_function() {
    assert_eq!(block_on(fetch_user(7)), "user-7");
    // On a blocking worker too: it is not a thread wrangle drives.
    let name = block_on(wrangle_blocking::unblock(|| block_on(fetch_user(8))));
    assert_eq!(name, "user-8");
}

#[test]
fn a_worker_asks_the_side_that_offloaded_it_with_no_runtime() {
    // The awaiting future (here under futures-lite's block_on) runs the request.
    let total = block_on(wrangle_blocking::unblock(|| {
        let a = from_thread(fetch_user(1)).unwrap();
        let b = from_thread(async { 41 + 1 }).unwrap();
        format!("{a}:{b}")
    }));
    assert_eq!(total, "user-1:42");
}

#[test]
fn a_worker_uses_the_runtimes_own_timer_through_from_thread() {
    let rt = wrangle_smol::Smol::new().unwrap();
    let timer = rt.clone();
    let start = Instant::now();
    let slept = rt.block_on(unblock_on(&rt, move || {
        // A future that needs the runtime (its timer), run by the runtime that offloaded us.
        from_thread(async move {
            let before = timer.now();
            wrangle_core::sleep(&timer, Duration::from_millis(30)).await;
            timer.now() - before
        })
        .unwrap()
    }));
    assert!(slept >= Duration::from_millis(30));
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_worker_spawns_on_the_runtime_and_waits_for_the_task() {
    let rt = wrangle_smol::Smol::new().unwrap();
    let spawner = rt.clone();
    let out = rt.block_on(unblock_on(&rt, move || {
        from_thread(async move { spawner.spawn(async { 6 * 7 }).await }).unwrap()
    }));
    assert_eq!(out, 42);
}

#[test]
fn several_workers_cross_back_at_once() {
    let rt = wrangle_smol::Smol::new().unwrap();
    let pool = BlockingPool::new();
    let out = rt.block_on(wrangle_combinators::gather((0..16u32).map(|i| {
        pool.unblock(move || from_thread(async move { i * 2 }).unwrap() + 1)
    })));
    assert_eq!(out, (0..16).map(|i| i * 2 + 1).collect::<Vec<_>>());
}

#[test]
fn on_sim_a_worker_asks_the_simulation() {
    wrangle_sim::run(17, |rt| async move {
        let spawner = rt.clone();
        let out = unblock_on(&rt, move || {
            // Under sim the waiting thread holds the clock still, so the future must not
            // wait on virtual time; spawning and awaiting a task is fine.
            from_thread(async move { spawner.spawn(async { 5 }).await }).unwrap() * 2
        })
        .await;
        assert_eq!(out, 10);
        assert_eq!(rt.elapsed(), Duration::ZERO);
    });
}

#[test]
fn on_sim_a_worker_waits_on_virtual_time_through_the_simulations_block_on() {
    wrangle_sim::run(18, |rt| async move {
        let sim = rt.clone();
        let (slept, answer) = unblock_on(&rt, move || {
            // Parked in the simulation's own block_on, the worker lets the clock move.
            sim.block_on(async {
                wrangle_core::sleep(&sim, Duration::from_secs(1)).await;
                (sim.elapsed(), sim.spawn(async { 21 * 2 }).await)
            })
        })
        .await;
        assert_eq!((slept, answer), (Duration::from_secs(1), 42));
        assert_eq!(rt.elapsed(), Duration::from_secs(1));
    });
}

#[test]
fn a_panic_in_the_handed_back_future_surfaces_in_the_worker_then_at_the_await() {
    let caught = block_on(
        AssertUnwindSafe(wrangle_blocking::unblock(|| {
            let _: u32 = from_thread(async { panic!("async side failed") }).unwrap();
        }))
        .catch_unwind(),
    );
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"async side failed"));
}

#[test]
fn when_the_caller_goes_away_the_worker_is_told() {
    let rt = wrangle_smol::Smol::new().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let outcome = rt.block_on(wrangle_core::timeout(
        &rt,
        Duration::from_millis(50),
        unblock_on(&rt, move || {
            struct Guard(Arc<AtomicBool>);
            impl Drop for Guard {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let guard = Guard(flag);
            let answer = from_thread(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            let _ = tx.send(answer);
        }),
    ));
    assert!(outcome.is_err(), "the caller timed out");
    let answer = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(answer, Err(FromThreadError::CallerGone));
    // The request's future was dropped with the caller.
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn outside_an_offloaded_closure_from_thread_refuses() {
    assert_eq!(
        from_thread(async {}).unwrap_err(),
        FromThreadError::NotOffloaded
    );
    let rt = wrangle_smol::Smol::new().unwrap();
    // A runtime's own spawn_blocking, not through wrangle-blocking: no awaiting future.
    let err = rt.block_on(rt.spawn_blocking(|| from_thread(async {})));
    assert_eq!(err.unwrap_err(), FromThreadError::NotOffloaded);
}
