//! The dynamic task set ([`TaskSet`]) and the nursery of a group ([`Nursery`], `start`), one
//! function per rule, on each runtime's own executor and clock. Re-exported from
//! [`cases`](crate::cases).
//!
//! Completion order is forced with channels, not with sleeps, so it is exact on real clocks
//! too; "every task is gone" is checked with drop guards ([`Alive`]).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::FutureExt as _;
use wrangle_core::{JoinError, Runtime, Spawn, TaskSet};

use crate::Harness;
use crate::support::{Alive, wait_until};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Tasks come out of `join_next` in the order they finish, not the order they were spawned,
/// and a task spawned while the set is being drained joins like the others; `len` counts the
/// tasks whose outcome has not been taken.
pub fn task_set_joins_in_completion_order<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let mut set = TaskSet::new(&rt);
        let mut gates = Vec::new();
        for i in 0..3u32 {
            let (open, gate) = async_channel::bounded::<()>(1);
            gates.push(open);
            set.spawn(async move {
                let _ = gate.recv().await;
                i
            });
        }
        assert_eq!(set.len(), 3);
        let mut order = Vec::new();
        for i in [2usize, 0, 1] {
            gates[i].send(()).await.unwrap();
            order.push(set.join_next().await.unwrap().unwrap());
            if i == 0 {
                // Spawned while draining: joins next, once it is let through.
                let (open, gate) = async_channel::bounded::<()>(1);
                set.spawn(async move {
                    let _ = gate.recv().await;
                    10
                });
                open.send(()).await.unwrap();
                order.push(set.join_next().await.unwrap().unwrap());
            }
        }
        assert_eq!(order, [2, 0, 10, 1]);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
    H::shutdown(&rt);
}

/// `abort_all` cancels every task: each comes out of `join_next` as cancelled, and once the
/// set is drained every task's future is gone. Dropping a set cancels its tasks too.
pub fn task_set_abort_all_and_drop_cancel<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let mut set = TaskSet::new(&rt);
        for _ in 0..5 {
            let guard = Alive::new(&alive);
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        assert!(wait_until(&rt, H::SLACK, || alive.load(Ordering::SeqCst) == 5).await);
        set.abort_all();
        let mut cancelled = 0;
        while let Some(outcome) = set.join_next().await {
            assert!(outcome.unwrap_err().is_cancelled());
            cancelled += 1;
        }
        assert_eq!(cancelled, 5);
        assert_eq!(alive.load(Ordering::SeqCst), 0, "a task outlived its outcome");

        for _ in 0..5 {
            let guard = Alive::new(&alive);
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        assert!(wait_until(&rt, H::SLACK, || alive.load(Ordering::SeqCst) == 5).await);
        drop(set);
        let gone = wait_until(&rt, H::SLACK + ms(50), || alive.load(Ordering::SeqCst) == 0).await;
        assert!(gone, "tasks still alive after the set was dropped");
    });
    H::shutdown(&rt);
}

/// An outcome is not kept once taken: the set holds nothing for a task whose outcome was
/// handed over, and a dropped set drops the outcomes nobody took.
pub fn task_set_keeps_no_taken_outcome<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let value = Arc::new(());
        let mut set = TaskSet::new(&rt);
        for _ in 0..3 {
            let value = value.clone();
            set.spawn(async move { value });
        }
        let first = set.join_next().await.unwrap().unwrap();
        drop(first);
        assert_eq!(set.len(), 2);
        let second = set.join_next().await.unwrap().unwrap();
        drop(second);
        // Two outcomes taken and dropped: only the third (in the set, or its task) is left.
        assert_eq!(Arc::strong_count(&value), 2);
        let third = set.join_next().await.unwrap().unwrap();
        assert_eq!(Arc::strong_count(&value), 2);
        drop(third);
        assert_eq!(Arc::strong_count(&value), 1);
        assert!(set.is_empty());

        // Untaken outcomes go with the set.
        let finished = Arc::new(AtomicUsize::new(0));
        let mut set = TaskSet::new(&rt);
        for _ in 0..3 {
            let (value, finished) = (value.clone(), finished.clone());
            set.spawn(async move {
                finished.fetch_add(1, Ordering::SeqCst);
                value
            });
        }
        let all_done = wait_until(&rt, H::SLACK, || finished.load(Ordering::SeqCst) == 3).await;
        assert!(all_done);
        assert_eq!(set.len(), 3);
        drop(set);
        let dropped = wait_until(&rt, H::SLACK, || Arc::strong_count(&value) == 1).await;
        assert!(dropped, "a dropped set kept its outcomes");
    });
    H::shutdown(&rt);
}

/// A task's panic surfaces where it is joined — as `JoinError::Panicked` from `join_next`,
/// re-raised by `join_all` — not in the runtime, and the other tasks are unaffected.
pub fn task_set_panic_surfaces_at_join<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let mut set = TaskSet::new(&rt);
        set.spawn(async { panic!("set task bug") });
        let (open, gate) = async_channel::bounded::<()>(1);
        set.spawn(async move {
            let _ = gate.recv().await;
            1
        });
        match set.join_next().await {
            Some(Err(JoinError::Panicked(panic))) => assert_eq!(panic.message(), "set task bug"),
            other => panic!("expected the panic first, got {other:?}"),
        }
        open.send(()).await.unwrap();
        assert_eq!(set.join_next().await.unwrap().unwrap(), 1);

        let mut set = TaskSet::<_, u32>::new(&rt);
        set.spawn(async { panic!("again") });
        let payload = AssertUnwindSafe(set.join_all())
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"again"));
    });
    assert_eq!(rt.block_on(rt.spawn(async { 1 })), 1);
    H::shutdown(&rt);
}
