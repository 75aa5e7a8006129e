//! Nothing can happen any more: reported, not hung.
#![allow(clippy::unwrap_used)] // a test should fail loudly on the unexpected

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use wrangle_core::{BlockOnError, Runtime, Spawn, sleep};
use wrangle_sim::{Sim, run, try_run};

#[test]
fn a_chain_of_tasks_waiting_on_nothing_is_reported() {
    let outcome = try_run(1, |rt| async move {
        // A detached task that finishes is not counted.
        rt.spawn(async {}).detach();
        let inner = rt.spawn(std::future::pending::<u32>());
        let outer = rt.spawn(async move { inner.await + 1 });
        outer.await
    });
    assert_eq!(
        outcome,
        Err(BlockOnError::Deadlock {
            stuck: 3,
            names: Vec::new()
        })
    );
}

#[test]
fn a_deadlock_after_time_has_passed() {
    let rt = Sim::new(2);
    let outcome = rt.try_block_on(async {
        sleep(&rt, Duration::from_secs(5)).await;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // The sender is alive but nothing will ever send: the task waits for ever.
        let stuck = rt.spawn(async move {
            std::future::pending::<()>().await;
            drop((tx, rx));
        });
        stuck.await;
    });
    assert!(
        matches!(outcome, Err(BlockOnError::Deadlock { stuck: 2, .. })),
        "{outcome:?}"
    );
    assert_eq!(rt.elapsed(), Duration::from_secs(5));
    rt.shutdown();
}

#[test]
fn run_panics_with_the_deadlock_message() {
    let panic = catch_unwind(AssertUnwindSafe(|| {
        run(3, |rt| async move {
            rt.spawn(std::future::pending::<()>()).await
        })
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("deadlock"), "{message}");
    assert!(message.contains("2 task(s)"), "{message}");
    assert!(message.contains("seed 3"), "{message}");
}

#[test]
fn the_simulation_is_usable_after_a_deadlock() {
    let rt = Sim::new(4);
    let outcome = rt.try_block_on(std::future::pending::<()>());
    assert!(matches!(
        outcome,
        Err(BlockOnError::Deadlock { stuck: 1, .. })
    ));
    assert_eq!(rt.block_on(async { rt.spawn(async { 5 }).await }), 5);
}
