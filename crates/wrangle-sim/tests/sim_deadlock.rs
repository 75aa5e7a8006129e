//! Nothing can happen any more: reported at once, by name, not hung.
#![allow(clippy::unwrap_used)] // a test should fail loudly on the unexpected

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use async_lock::Mutex;
use wrangle_combinators::group::{TaskGroup, current_name};
use wrangle_core::{AnyRuntime, BlockOnError, Deadlock, Runtime, Spawn, StuckTask, sleep};
use wrangle_sim::{Sim, run, try_run};

const TENTH: Duration = Duration::from_millis(100);

/// The report of a run that must deadlock.
fn deadlock<T: std::fmt::Debug>(outcome: Result<T, BlockOnError>) -> Deadlock {
    match outcome {
        Err(BlockOnError::Deadlock(deadlock)) => deadlock,
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

/// S20: A takes lock 1, sleeps 0.1 s and wants lock 2; B the reverse. Spawned with
/// `spawn_named`, awaited with no outer timeout.
async fn two_locks(rt: Sim, same_order: bool) -> Duration {
    let (one, two) = (Arc::new(Mutex::new(())), Arc::new(Mutex::new(())));
    let b_locks = if same_order {
        [&one, &two]
    } else {
        [&two, &one]
    };
    let mut tasks = Vec::new();
    for (name, [first, second]) in [("A", [&one, &two]), ("B", b_locks)] {
        let (first, second, timer) = (first.clone(), second.clone(), rt.clone());
        tasks.push(rt.spawn_named(name, async move {
            let _held = first.lock().await;
            // Slept once the lock is held: in the same order, B's sleep starts at 0.1 s.
            sleep(&timer, TENTH).await;
            let _both = second.lock().await;
        }));
    }
    for task in tasks {
        task.await;
    }
    rt.elapsed()
}

#[test]
fn s20_two_locks_are_reported_by_name_at_exactly_a_tenth_of_a_second() {
    // Every seed: whichever task runs first, each takes its first lock at 0 and the cycle
    // is certain once both have slept.
    for seed in 0..20 {
        let rt = Sim::new(seed);
        let report = deadlock(rt.try_block_on(two_locks(rt.clone(), false)));
        assert_eq!(report.at(), TENTH, "seed {seed}");
        assert_eq!(
            rt.elapsed(),
            TENTH,
            "seed {seed}: reported at once, no later"
        );
        assert!(report.names().eq(["A", "B"]), "seed {seed}: {report:?}");
        assert_eq!(report.stuck(), 3, "main, A and B");
        assert_eq!(report.parked_jobs(), 0);
        assert_eq!(
            report.to_string(),
            r#"deadlock at 100ms: tasks "A" and "B" wait on each other and no timer is pending"#
        );
        rt.shutdown();
    }
}

#[test]
fn s20_the_same_lock_order_finishes_in_two_tenths() {
    for seed in 0..20 {
        assert_eq!(
            run(seed, |rt| two_locks(rt, true)),
            2 * TENTH,
            "seed {seed}"
        );
    }
}

#[test]
fn run_panics_with_the_named_report_and_the_seed() {
    let panic = catch_unwind(AssertUnwindSafe(|| {
        run(3, |rt| two_locks(rt, false));
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert_eq!(
        message,
        r#"deadlock at 100ms: tasks "A" and "B" wait on each other and no timer is pending (wrangle-sim seed 3)"#
    );
}

#[test]
fn unnamed_tasks_are_listed_by_number_and_finished_ones_not_at_all() {
    let report = deadlock(try_run(1, |rt| async move {
        // A detached task that finishes is not listed; it still took number 0.
        rt.spawn(async {}).detach();
        let inner = rt.spawn(std::future::pending::<u32>());
        let outer = rt.spawn(async move { inner.await + 1 });
        outer.await
    }));
    assert_eq!(
        report.tasks(),
        [StuckTask::new(1, None), StuckTask::new(2, None)]
    );
    assert_eq!(report.stuck(), 3);
    assert_eq!(report.names().count(), 0);
    assert_eq!(
        report.to_string(),
        "deadlock at 0ns: tasks #1 and #2 wait on each other and no timer is pending"
    );
}

#[test]
fn named_and_unnamed_tasks_are_listed_together_in_spawn_order() {
    let report = deadlock(try_run(2, |rt| async move {
        let a = rt.spawn_named("A", std::future::pending::<()>());
        let unnamed = rt.spawn(std::future::pending::<()>());
        let b = rt.spawn_named(String::from("B"), std::future::pending::<()>());
        (a.await, unnamed.await, b.await)
    }));
    assert_eq!(
        report.to_string(),
        r#"deadlock at 0ns: tasks "A", #1 and "B" wait on each other and no timer is pending"#
    );
    let listed: Vec<String> = report.tasks().iter().map(ToString::to_string).collect();
    assert_eq!(listed, [r#"task "A""#, "task #1", r#"task "B""#]);
}

#[test]
fn the_main_future_alone() {
    let report = deadlock(try_run(3, |_rt| std::future::pending::<()>()));
    assert_eq!(report.stuck(), 1);
    assert_eq!(
        report.to_string(),
        "deadlock at 0ns: the future passed to block_on waits for ever and no timer is pending"
    );
}

#[test]
fn a_deadlock_after_time_has_passed_is_stamped_with_the_virtual_instant() {
    let rt = Sim::new(2);
    let outcome = rt.try_block_on(async {
        sleep(&rt, Duration::from_secs(5)).await;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // The sender is alive but nothing will ever send: the task waits for ever.
        let stuck = rt.spawn_named("listener", async move {
            std::future::pending::<()>().await;
            drop((tx, rx));
        });
        stuck.await;
    });
    let report = deadlock(outcome);
    assert_eq!(report.at(), Duration::from_secs(5));
    assert_eq!(rt.elapsed(), Duration::from_secs(5));
    assert_eq!(
        report.to_string(),
        r#"deadlock at 5s: task "listener" waits for ever and no timer is pending"#
    );
    rt.shutdown();
}

#[test]
fn the_simulation_is_usable_after_a_deadlock() {
    let rt = Sim::new(4);
    let report = deadlock(rt.try_block_on(std::future::pending::<()>()));
    assert_eq!(report.stuck(), 1);
    assert_eq!(rt.block_on(async { rt.spawn(async { 5 }).await }), 5);
}

#[test]
fn a_deadlock_names_the_stuck_group_children() {
    // S20 again, the children of a group this time.
    let report = deadlock(try_run(5, |rt| async move {
        let (one, two) = (Arc::new(Mutex::new(())), Arc::new(Mutex::new(())));
        let mut group = TaskGroup::new(&rt);
        for (name, first, second) in [("A", &one, &two), ("B", &two, &one)] {
            let (first, second) = (first.clone(), second.clone());
            let nap = sleep(&rt, TENTH);
            group.spawn_named(name, async move {
                let _held = first.lock().await;
                nap.await;
                let _both = second.lock().await;
                Ok::<(), ()>(())
            });
        }
        // An unnamed task stuck as well: listed by number.
        let unnamed = rt.spawn(std::future::pending::<()>());
        let _ = group.join().await;
        unnamed.await;
    }));
    assert_eq!(report.stuck(), 4, "main, A, B and the unnamed task");
    assert!(report.names().eq(["A", "B"]), "{report:?}");
    assert_eq!(
        report.to_string(),
        r#"deadlock at 100ms: tasks "A", "B" and #2 wait on each other and no timer is pending"#
    );
}

#[test]
fn names_are_labels_taken_as_given() {
    let report = deadlock(try_run(6, |rt| async move {
        let empty = rt.spawn_named("", async {
            assert_eq!(current_name().as_deref(), Some(""));
            std::future::pending::<()>().await
        });
        let nul = rt.spawn_named("a\0b", async {
            assert_eq!(current_name().as_deref(), Some("a\0b"));
            std::future::pending::<()>().await
        });
        (empty.await, nul.await)
    }));
    assert!(report.names().eq(["", "a\0b"]));
    assert_eq!(
        report.to_string(),
        r#"deadlock at 0ns: tasks "" and "a\0b" wait on each other and no timer is pending"#
    );
}

#[test]
fn the_name_is_current_while_the_task_runs_and_only_then() {
    run(7, |rt| async move {
        let task = rt.spawn_named("worker", {
            let nap = sleep(&rt, TENTH);
            async move {
                let before = current_name();
                nap.await;
                (before, current_name())
            }
        });
        assert_eq!(current_name(), None);
        let (before, after) = task.await;
        assert_eq!(before.as_deref(), Some("worker"));
        assert_eq!(after.as_deref(), Some("worker"), "still named after a wait");
        assert_eq!(current_name(), None);
    });
}

#[test]
fn borrowed_and_type_erased_spawners_name_too() {
    let report = deadlock(try_run(8, |rt| async move {
        let borrowed = pending_on(&rt, "borrowed");
        let erased = AnyRuntime::new(rt.clone());
        let any = pending_on(erased, "erased");
        (borrowed.await, any.await)
    }));
    assert!(report.names().eq(["borrowed", "erased"]), "{report:?}");
}

#[test]
fn a_named_task_and_the_named_children_of_its_group_are_each_named() {
    let report = deadlock(try_run(9, |rt| async move {
        let spawner = rt.clone();
        rt.spawn_named("parent", async move {
            let mut group = TaskGroup::new(&spawner);
            group.spawn_named("child", async {
                assert_eq!(current_name().as_deref(), Some("child"));
                std::future::pending::<Result<(), ()>>().await
            });
            let _ = group.join().await;
            assert_eq!(current_name().as_deref(), Some("parent"));
        })
        .await
    }));
    assert!(report.names().eq(["parent", "child"]), "{report:?}");
}

/// A task that waits for ever, named `name`, spawned on `spawner` (borrowed or type-erased).
fn pending_on<S: Spawn>(spawner: S, name: &str) -> wrangle_core::Task<()> {
    spawner.spawn_named(name, std::future::pending::<()>())
}
