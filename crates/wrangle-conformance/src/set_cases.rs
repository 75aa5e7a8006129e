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
use wrangle_combinators::TaskSet;
use wrangle_combinators::group::{SpawnRefused, StartError, TaskGroup};
use wrangle_core::{JoinError, Runtime, Spawn, Timer};
use wrangle_resilience::rate::{Quota, RateLimiter};

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
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "a task outlived its outcome"
        );

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

/// A child spawns siblings into its own group through the group's nursery: they run at once,
/// in parallel with it, and the group's await waits for them and reports their outcomes
/// after the children spawned before them; in a fail-fast group a nursery child's failure
/// cancels the others.
pub fn nursery_child_spawns_siblings<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let mut group = TaskGroup::new(rt.clone());
        let nursery = group.nursery();
        let (open, gate) = async_channel::bounded::<()>(1);
        group.spawn(async move {
            // The sibling lets this child through: both run at once.
            nursery
                .spawn(async move {
                    open.send(()).await.unwrap();
                    Ok(2)
                })
                .map_err(|e| e.to_string())?;
            gate.recv().await.unwrap();
            nursery.spawn(async { Ok(3) }).map_err(|e| e.to_string())?;
            Ok::<u32, String>(1)
        });
        assert_eq!(group.join().await.unwrap(), [1, 2, 3]);

        // Fail-fast across the nursery.
        let alive = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::new(rt.clone());
        let guard = Alive::new(&alive);
        group.spawn(async move {
            let _guard = guard;
            std::future::pending::<Result<u32, String>>().await
        });
        let nursery = group.nursery();
        group.spawn(async move {
            nursery
                .spawn_named("late", async { Err("late failed".to_owned()) })
                .map_err(|e| e.to_string())?;
            Ok(0)
        });
        let err = group.join().await.unwrap_err();
        assert_eq!(err.first().error(), "late failed");
        assert_eq!(err.first().child().name(), Some("late"));
        assert_eq!(alive.load(Ordering::SeqCst), 0, "a child outlived the join");
    });
    H::shutdown(&rt);
}

/// A sibling spawned after the group was joined, dropped or cancelled is refused with a
/// clear error — never silently lost — and its future is dropped unpolled.
pub fn nursery_refuses_after_join_or_cancel<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let polled = Arc::new(AtomicUsize::new(0));
        let late = |polled: &Arc<AtomicUsize>| {
            let polled = polled.clone();
            async move {
                polled.fetch_add(1, Ordering::SeqCst);
                Ok::<u32, ()>(0)
            }
        };

        let group = TaskGroup::<_, u32, ()>::new(rt.clone());
        let nursery = group.nursery();
        assert_eq!(group.join().await, Ok(vec![]));
        assert_eq!(nursery.spawn(late(&polled)), Err(SpawnRefused::Joined));

        let group = TaskGroup::<_, u32, ()>::new(rt.clone());
        let nursery = group.nursery();
        group.cancel();
        let refused = nursery.spawn(late(&polled)).unwrap_err();
        assert_eq!(refused, SpawnRefused::Cancelled);
        assert_eq!(
            refused.to_string(),
            "the task group is being cancelled; child not spawned"
        );
        assert!(matches!(
            nursery.start::<(), _, _>(|_| late(&polled)).await,
            Err(StartError::Refused(SpawnRefused::Cancelled))
        ));
        drop(group);
        assert_eq!(nursery.spawn(late(&polled)), Err(SpawnRefused::Joined));

        // Let any wrongly spawned future run before looking (50 ms on the runtime's clock).
        wait_until(&rt, ms(50), || false).await;
        assert_eq!(polled.load(Ordering::SeqCst), 0, "a refused child ran");
    });
    H::shutdown(&rt);
}

/// `start` returns the value the child signals, once it signals (not when it ends), and the
/// child runs on in the group.
pub fn start_returns_the_signalled_value<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let mut group = TaskGroup::<_, &str, String>::new(&rt);
        let (clock, (stop, stopped)) = (rt.clone(), async_channel::bounded::<()>(1));
        let begin = rt.now();
        let port = group.start(|status| async move {
            wrangle_core::sleep(&clock, ms(50)).await; // binding
            status.started(8080u16);
            let _ = stopped.recv().await; // serving
            Ok("served")
        });
        assert_eq!(port.await, Ok(8080));
        let took = rt.now() - begin;
        assert!(took >= ms(50) && took <= ms(50) + H::SLACK, "took {took:?}");
        stop.send(()).await.unwrap();
        assert_eq!(group.join().await.unwrap(), ["served"]);
    });
    H::shutdown(&rt);
}

/// `start` when the child does not signal: it fails first (`Failed`, the error is the
/// group's), returns first (`NeverSignalled`, the value is the group's), or the group fails
/// first and cancels it (`Cancelled`, the child is gone).
pub fn start_outcomes_without_signal<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        // Fails before signalling.
        let mut group = TaskGroup::<_, u32, String>::new(&rt);
        let start = group.start::<u16, _, _>(|_status| async { Err("bind failed".to_owned()) });
        assert_eq!(start.await, Err(StartError::Failed));
        assert_eq!(
            group.join().await.unwrap_err().first().error(),
            "bind failed"
        );

        // Panics before signalling: failed, and the panic surfaces at the group's join.
        let mut group = TaskGroup::<_, u32, String>::new(&rt);
        let start = group.start::<u16, _, _>(|_status| async { panic!("bind bug") });
        assert_eq!(start.await, Err(StartError::Failed));
        let payload = AssertUnwindSafe(group.join())
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"bind bug"));

        // Returns Ok before signalling.
        let mut group = TaskGroup::<_, u32, String>::new(&rt);
        let start = group.start::<u16, _, _>(|status| async move {
            drop(status);
            Ok(7)
        });
        assert_eq!(start.await, Err(StartError::NeverSignalled));
        assert_eq!(group.join().await.unwrap(), [7]);

        // The group fails first: the starting child is cancelled, and gone.
        let alive = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::<_, u32, String>::new(&rt);
        let (guard, clock) = (Alive::new(&alive), rt.clone());
        let start = group.start::<u16, _, _>(|status| async move {
            let _guard = guard;
            wrangle_core::sleep(&clock, ms(10_000)).await;
            status.started(1);
            Ok(0)
        });
        let clock = rt.clone();
        group.spawn(async move {
            wrangle_core::sleep(&clock, ms(10)).await;
            Err("sibling failed".to_owned())
        });
        let begin = rt.now();
        assert_eq!(start.await, Err(StartError::Cancelled));
        assert!(rt.now() - begin <= ms(10) + H::SLACK);
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "the cancelled child is still alive"
        );
        let err = group.join().await.unwrap_err();
        assert_eq!(err.first().error(), "sibling failed");
        assert_eq!(err.cancelled().len(), 1);
    });
    H::shutdown(&rt);
}

/// A spawning gather with a rate and a concurrency limit: never more than `limit` tasks in
/// flight, the k-th started no earlier than k admission intervals after the first, outputs
/// in input order.
pub fn spawn_gather_rate_and_limit<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let limiter = RateLimiter::new(rt.clone(), Quota::per_second(20).unwrap());
        let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let starts = Arc::new(std::sync::Mutex::new(Vec::new()));
        let begin = rt.now();
        let calls = (0..6u64).map(|i| {
            let (rt, in_flight, peak, starts) =
                (rt.clone(), in_flight.clone(), peak.clone(), starts.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                starts.lock().unwrap().push(rt.now());
                wrangle_core::sleep(&rt, ms(30)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                i
            }
        });
        let out = wrangle_combinators::spawn_gather(&rt, limiter.throttled_owned(calls))
            .limit(2)
            .await;
        assert_eq!(out, [0, 1, 2, 3, 4, 5]);
        assert!(
            peak.load(Ordering::SeqCst) <= 2,
            "more than the limit in flight"
        );
        let mut starts = starts.lock().unwrap().clone();
        starts.sort();
        for (k, start) in starts.iter().enumerate() {
            assert!(*start - begin >= ms(50) * k as u32, "start {k} too early");
        }
        // Starts 50 ms apart, the last one runs 30 ms.
        let took = rt.now() - begin;
        assert!(
            took >= ms(280) && took <= ms(280) + H::SLACK,
            "took {took:?}"
        );
    });
    H::shutdown(&rt);
}
