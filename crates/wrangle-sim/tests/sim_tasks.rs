//! The task contract on the simulation: panics, cancellation, detach, nesting, shutdown.
#![allow(clippy::unwrap_used)] // a test should fail loudly on the unexpected

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use wrangle_core::{BlockOnError, JoinError, Runtime, Spawn, sleep, yield_now};
use wrangle_sim::{Sim, run, try_run};

/// Sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_panic_is_reraised_at_the_await() {
    let panic = catch_unwind(AssertUnwindSafe(|| {
        run(1, |rt| async move {
            rt.spawn(async { panic!("task boom") }).await
        })
    }))
    .unwrap_err();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"task boom"));
}

#[test]
fn join_gives_the_panic_as_an_error() {
    let outcome = run(2, |rt| async move {
        rt.spawn(async { panic!("boom") }).join().await
    });
    match outcome {
        Err(JoinError::Panicked(panic)) => assert_eq!(panic.message(), "boom"),
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[test]
fn dropping_a_task_cancels_it() {
    let (dropped, finished) = run(3, |rt| async move {
        let dropped = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (flag, done, timer) = (DropFlag(dropped.clone()), finished.clone(), rt.clone());
        let task = rt.spawn(async move {
            let _flag = flag;
            sleep(&timer, Duration::from_secs(1)).await;
            done.store(true, Ordering::SeqCst);
        });
        for _ in 0..5 {
            yield_now().await;
        }
        assert!(
            !dropped.load(Ordering::SeqCst),
            "cancelled before the handle was dropped"
        );
        drop(task);
        sleep(&rt, Duration::from_secs(2)).await;
        (
            dropped.load(Ordering::SeqCst),
            finished.load(Ordering::SeqCst),
        )
    });
    assert!(dropped);
    assert!(!finished);
}

#[test]
fn cancel_waits_until_the_future_is_gone() {
    run(4, |rt| async move {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let task = rt.spawn(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        });
        yield_now().await;
        assert_eq!(task.cancel().await, None);
        assert!(dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn a_detached_task_runs_on() {
    let finished = run(5, |rt| async move {
        let finished = Arc::new(AtomicBool::new(false));
        let (done, timer) = (finished.clone(), rt.clone());
        rt.spawn(async move {
            sleep(&timer, Duration::from_secs(1)).await;
            done.store(true, Ordering::SeqCst);
        })
        .detach();
        sleep(&rt, Duration::from_secs(2)).await;
        finished.load(Ordering::SeqCst)
    });
    assert!(finished);
}

#[test]
fn block_on_inside_a_task_is_refused() {
    let (in_task, in_main, run_in_task) = run(6, |rt| async move {
        let inner = rt.clone();
        let in_task = rt
            .spawn(async move { inner.try_block_on(async { 1 }) })
            .await;
        let in_main = rt.try_block_on(async { 2 });
        let run_in_task = rt.spawn(async { try_run(7, |_| async { 3 }) }).await;
        (in_task, in_main, run_in_task)
    });
    assert_eq!(in_task, Err(BlockOnError::Nested));
    assert_eq!(in_main, Err(BlockOnError::Nested));
    assert_eq!(run_in_task, Err(BlockOnError::Nested));
}

#[test]
fn shutdown_refuses_new_work_and_cancels_pending_tasks() {
    let rt = Sim::new(8);
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let queued = rt.spawn(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
    });
    // Polled once, so it waits on nothing the simulation holds but its own registry.
    let waiting = rt.spawn(std::future::pending::<u32>());
    let timer = rt.clone();
    let sleeping = rt.spawn(async move { sleep(&timer, Duration::from_secs(60)).await });
    rt.block_on(async {
        for _ in 0..10 {
            yield_now().await;
        }
    });
    rt.shutdown();
    assert!(rt.is_shut_down());
    assert!(dropped.load(Ordering::SeqCst));
    // Checked first, so a task shutdown forgot fails the test instead of hanging the join.
    assert!(queued.is_finished() && waiting.is_finished() && sleeping.is_finished());
    for outcome in [
        futures_lite::future::block_on(queued.join()).map(|_| ()),
        futures_lite::future::block_on(waiting.join()).map(|_| ()),
        futures_lite::future::block_on(sleeping.join()),
    ] {
        assert!(matches!(outcome, Err(JoinError::Cancelled)), "{outcome:?}");
    }
    let err = rt.try_spawn(async {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot spawn: the sim runtime has been shut down"
    );
    assert_eq!(
        rt.try_block_on(async {}),
        Err(BlockOnError::Shutdown("sim"))
    );
    let refused = rt.spawn(async { 1 });
    assert!(
        futures_lite::future::block_on(refused.join())
            .unwrap_err()
            .is_cancelled()
    );
    rt.shutdown();
}

#[test]
fn shutdown_from_inside_ends_block_on() {
    let rt = Sim::new(9);
    let outcome = rt.try_block_on(async {
        rt.shutdown();
        yield_now().await;
        unreachable!("the simulation was shut down");
    });
    assert_eq!(outcome, Err(BlockOnError::Shutdown("sim")));
}

#[test]
fn seed_zero_works() {
    let (seed, elapsed, total) = run(0, |rt| async move {
        let tasks: Vec<_> = (0..5_u64)
            .map(|i| {
                let timer = rt.clone();
                rt.spawn(async move {
                    sleep(&timer, Duration::from_millis(i * 10)).await;
                    i
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await;
        }
        (rt.seed(), rt.elapsed(), total)
    });
    assert_eq!((seed, elapsed, total), (0, Duration::from_millis(40), 10));
}

#[test]
fn ten_thousand_tasks_all_finish() {
    let finished = run(10, |rt| async move {
        let finished = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10_000_u64)
            .map(|i| {
                let (timer, finished) = (rt.clone(), finished.clone());
                rt.spawn(async move {
                    yield_now().await;
                    sleep(&timer, Duration::from_millis(i % 97)).await;
                    finished.fetch_add(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await;
        }
        assert_eq!(sum, (0..10_000).sum::<u64>());
        assert_eq!(rt.elapsed(), Duration::from_millis(96));
        finished.load(Ordering::SeqCst)
    });
    assert_eq!(finished, 10_000);
}

#[test]
fn tasks_spawned_before_block_on_run_inside_it() {
    let rt = Sim::new(11);
    let task = rt.spawn(async { 6 * 7 });
    assert!(!task.is_finished());
    assert_eq!(rt.block_on(task), 42);
}

#[test]
fn a_main_future_spinning_on_yield_does_not_starve_tasks() {
    run(12, |rt| async move {
        let flag = Arc::new(AtomicBool::new(false));
        let set = flag.clone();
        rt.spawn(async move { set.store(true, Ordering::SeqCst) })
            .detach();
        // Bounded, so a starving scheduler fails the test instead of hanging it.
        for _ in 0..10_000 {
            if flag.load(Ordering::SeqCst) {
                return;
            }
            yield_now().await;
        }
        panic!("the spawned task never ran while main spun on yield_now");
    });
}

#[test]
fn a_panicking_main_future_leaves_the_simulation_usable() {
    let rt = Sim::new(13);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { panic!("main boom") })
    }));
    assert!(panicked.is_err());
    assert_eq!(rt.block_on(async { rt.spawn(async { 1 }).await }), 1);
}

#[test]
fn shutdown_drops_a_group_held_by_a_pending_task_without_hanging() {
    // Dropping the task drops its group, which cancels the children and so wakes them inside
    // the cancellation's notify: each child is dropped after that wake has returned, not
    // inside it (event-listener holds its lock while waking).
    let children_dropped = Arc::new(AtomicUsize::new(0));
    let dropped = children_dropped.clone();
    run(21, |rt| async move {
        let spawner = rt.clone();
        rt.spawn(async move {
            let mut group = wrangle_combinators::group::TaskGroup::new(&spawner);
            for _ in 0..3 {
                let guard = DropCount(dropped.clone());
                group.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<Result<(), ()>>().await
                });
            }
            let _ = group.join().await;
        })
        .detach();
        yield_now().await;
        yield_now().await;
    });
    assert_eq!(children_dropped.load(Ordering::SeqCst), 3);
}

struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
