//! The virtual clock: exact, instant, monotonic, and never early.
#![allow(clippy::unwrap_used)] // a test should fail loudly on the unexpected

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::future;
use wrangle_core::{BlockOnError, Deadlock, Spawn, Task, Timer, sleep, sleep_until, yield_now};
use wrangle_sim::{Sim, run, try_run};

const SEC: Duration = Duration::from_secs(1);

#[test]
fn an_hour_passes_exactly_and_instantly() {
    let wall = Instant::now();
    let elapsed = run(1, |rt| async move {
        sleep(&rt, Duration::from_secs(3600)).await;
        rt.elapsed()
    });
    assert_eq!(elapsed, Duration::from_secs(3600));
    // Wide bound: the point is that no real hour (or second) is spent.
    assert!(
        wall.elapsed() < SEC,
        "took {:?} of real time",
        wall.elapsed()
    );
}

#[test]
fn now_is_base_plus_elapsed() {
    run(1, |rt| async move {
        let start = rt.now();
        sleep(&rt, Duration::from_millis(1234)).await;
        assert_eq!(rt.now() - start, Duration::from_millis(1234));
        assert_eq!(rt.elapsed(), Duration::from_millis(1234));
    });
}

/// A "service" call: sleeps `millis` of virtual time, then answers with its name.
fn service(rt: &Sim, name: &'static str, millis: u64) -> Task<&'static str> {
    let timer = rt.clone();
    rt.spawn(async move {
        sleep(&timer, Duration::from_millis(millis)).await;
        name
    })
}

#[test]
fn fan_out_takes_as_long_as_the_slowest_call() {
    let (results, elapsed) = run(2, |rt| async move {
        let calls = [
            service(&rt, "users", 1000),
            service(&rt, "orders", 1500),
            service(&rt, "stock", 800),
        ];
        let mut results = Vec::new();
        for call in calls {
            results.push(call.await);
        }
        (results, rt.elapsed())
    });
    assert_eq!(results, ["users", "orders", "stock"]);
    assert_eq!(elapsed, Duration::from_millis(1500));
}

#[test]
fn sequential_calls_add_up() {
    let (results, elapsed) = run(2, |rt| async move {
        let mut results = Vec::new();
        for (name, millis) in [("users", 1000), ("orders", 1500), ("stock", 800)] {
            results.push(service(&rt, name, millis).await);
        }
        (results, rt.elapsed())
    });
    assert_eq!(results, ["users", "orders", "stock"]);
    assert_eq!(elapsed, Duration::from_millis(3300));
}

#[test]
fn sleeps_end_exactly_at_their_deadline_never_before() {
    run(3, |rt| async move {
        let mut tasks = Vec::new();
        for millis in [5_u64, 1, 1, 700, 3, 250, 0, 42] {
            let rt2 = rt.clone();
            tasks.push(rt.spawn(async move {
                let deadline = rt2.now() + Duration::from_millis(millis);
                sleep(&rt2, Duration::from_millis(millis)).await;
                (deadline, rt2.now())
            }));
        }
        for task in tasks {
            let (deadline, woke) = task.await;
            assert_eq!(woke, deadline);
        }
        assert_eq!(rt.elapsed(), Duration::from_millis(700));
    });
}

#[test]
fn a_past_deadline_is_ready_at_once_and_does_not_move_the_clock() {
    run(4, |rt| async move {
        let start = rt.now();
        sleep(&rt, 10 * SEC).await;
        let before = rt.elapsed();
        assert_eq!(future::poll_once(sleep_until(&rt, start)).await, Some(()));
        assert_eq!(future::poll_once(rt.sleep_until(rt.now())).await, Some(()));
        assert_eq!(
            future::poll_once(sleep(&rt, Duration::ZERO)).await,
            Some(())
        );
        assert_eq!(rt.elapsed(), before);
    });
}

#[test]
fn a_pending_sleep_is_not_ready_early() {
    run(5, |rt| async move {
        let mut nap = Box::pin(sleep(&rt, SEC));
        assert_eq!(future::poll_once(nap.as_mut()).await, None);
        for _ in 0..10 {
            yield_now().await;
            assert_eq!(future::poll_once(nap.as_mut()).await, None);
        }
        assert_eq!(rt.elapsed(), Duration::ZERO);
        nap.await;
        assert_eq!(rt.elapsed(), SEC);
    });
}

#[test]
fn a_dropped_sleep_does_not_move_the_clock() {
    run(6, |rt| async move {
        let mut long = Box::pin(sleep(&rt, Duration::from_secs(1000)));
        assert_eq!(future::poll_once(long.as_mut()).await, None);
        drop(long);
        sleep(&rt, SEC).await;
        assert_eq!(rt.elapsed(), SEC);
    });
}

#[test]
fn a_never_ending_sleep_does_not_stop_main_from_returning() {
    let wall = Instant::now();
    let (out, elapsed) = run(7, |rt| async move {
        let timer = rt.clone();
        rt.spawn(async move { sleep(&timer, Duration::MAX).await })
            .detach();
        let answer = service(&rt, "done", 250).await;
        (answer, rt.elapsed())
    });
    assert_eq!(out, "done");
    assert_eq!(elapsed, Duration::from_millis(250));
    assert!(wall.elapsed() < SEC);
}

#[test]
fn a_never_ending_sleep_loses_a_race() {
    let out = run(8, |rt| async move {
        future::or(
            async {
                sleep(&rt, Duration::MAX).await;
                "never"
            },
            async {
                sleep(&rt, SEC).await;
                "one second"
            },
        )
        .await
    });
    assert_eq!(out, "one second");
}

#[test]
fn main_alone_on_a_never_ending_sleep_is_a_deadlock() {
    let outcome = try_run(9, |rt| async move { sleep(&rt, Duration::MAX).await });
    assert_eq!(
        outcome,
        Err(BlockOnError::Deadlock(Deadlock::new(
            Duration::ZERO,
            Vec::new(),
            0
        )))
    );
}

#[test]
fn a_far_but_representable_deadline_is_reached() {
    let far = Duration::from_secs(100 * 365 * 24 * 3600);
    let elapsed = run(10, |rt| async move {
        rt.sleep_until(rt.now() + far).await;
        rt.elapsed()
    });
    assert_eq!(elapsed, far);
}

#[test]
fn the_clock_never_goes_backwards() {
    let samples = run(11, |rt| async move {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..16_u64 {
            let (rt2, samples) = (rt.clone(), samples.clone());
            tasks.push(rt.spawn(async move {
                for j in 0..8 {
                    samples.lock().unwrap().push(rt2.now());
                    if (i + j) % 3 == 0 {
                        yield_now().await;
                    } else {
                        sleep(&rt2, Duration::from_millis(rt2.random_u64() % 50)).await;
                    }
                }
            }));
        }
        for task in tasks {
            task.await;
        }
        Arc::try_unwrap(samples).unwrap().into_inner().unwrap()
    });
    assert_eq!(samples.len(), 16 * 8);
    assert!(samples.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        samples.first() < samples.last(),
        "the clock should have moved"
    );
}
