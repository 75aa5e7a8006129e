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

#[test]
fn a_deadlock_names_the_stuck_group_children() {
    // S20: A and B each hold the lock the other wants.
    let outcome = try_run(5, |rt| async move {
        let (one, two) = (
            std::sync::Arc::new(two_locks::Lock::default()),
            std::sync::Arc::new(two_locks::Lock::default()),
        );
        let mut group = wrangle_core::group::TaskGroup::new(&rt);
        for (name, first, second) in [("A", &one, &two), ("B", &two, &one)] {
            let (first, second, timer) = (first.clone(), second.clone(), rt.clone());
            group.spawn_named(name, async move {
                let _held = first.lock().await;
                sleep(&timer, Duration::from_millis(100)).await;
                let _both = second.lock().await;
                Ok::<(), ()>(())
            });
        }
        // An unnamed task stuck as well: counted, not named.
        let unnamed = rt.spawn(std::future::pending::<()>());
        let _ = group.join().await;
        unnamed.await;
    });
    match outcome {
        Err(BlockOnError::Deadlock { stuck, names }) => {
            assert_eq!(stuck, 4, "main, A, B and the unnamed task");
            assert_eq!(names, ["A", "B"]);
        }
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

/// A lock that waits by parking the task (a minimal async mutex, to keep the test's
/// dependencies to the crate's own).
mod two_locks {
    use std::future::poll_fn;
    use std::sync::Mutex;
    use std::task::{Poll, Waker};

    #[derive(Default)]
    pub(crate) struct Lock {
        state: Mutex<(bool, Vec<Waker>)>,
    }

    pub(crate) struct Guard<'a>(&'a Lock);

    impl Lock {
        pub(crate) async fn lock(&self) -> Guard<'_> {
            poll_fn(|cx| {
                let mut state = self.state.lock().unwrap();
                if state.0 {
                    state.1.push(cx.waker().clone());
                    Poll::Pending
                } else {
                    state.0 = true;
                    Poll::Ready(Guard(self))
                }
            })
            .await
        }
    }

    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            let wakers = {
                let mut state = self.0.state.lock().unwrap();
                state.0 = false;
                std::mem::take(&mut state.1)
            };
            wakers.into_iter().for_each(Waker::wake);
        }
    }
}
