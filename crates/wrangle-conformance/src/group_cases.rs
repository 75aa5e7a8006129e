//! The spawning combinators of the contract — task groups, the local group, the spawning mode
//! of gather, `shield` and the cancellation token — one function per rule, on each runtime's
//! own executor and clock. Re-exported from [`cases`](crate::cases).
//!
//! Every "no child is still running" claim is checked with drop guards ([`Alive`]) at the
//! instant the await returns; times are bounded below exactly and above by
//! [`Harness::SLACK`].

use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_lite::FutureExt as _;
use wrangle_combinators::group::{ChildError, GroupError, LocalTaskGroup, TaskGroup};
use wrangle_core::{CancellationToken, Runtime, Spawn, Timer};

use crate::Harness;
use crate::support::{Alive, wait_until};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A child that counts itself alive, sleeps `millis` on `rt`, then returns `outcome`.
fn child<R: Runtime + 'static>(
    rt: &R,
    alive: &Arc<AtomicUsize>,
    millis: u64,
    outcome: Result<u32, String>,
) -> impl Future<Output = Result<u32, String>> + Send + 'static {
    let (rt, guard) = (rt.clone(), Alive::new(alive));
    async move {
        let _guard = guard;
        wrangle_core::sleep(&rt, ms(millis)).await;
        outcome
    }
}

fn took_within<H: Harness>(took: Duration, at_least: Duration) {
    assert!(
        took >= at_least && took <= at_least + H::SLACK,
        "took {took:?}, expected {at_least:?} (+ {:?} slack)",
        H::SLACK
    );
}

/// Fail-fast (S3, scaled): the second of three calls fails at 50 ms; the join returns then,
/// with that error first and the other two cancelled and gone (their cleanup has run).
pub fn group_fail_fast_cancels_siblings<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let start = rt.now();
        let mut group = TaskGroup::new(&rt);
        group.spawn(child(&rt, &alive, 10_000, Ok(0)));
        group.spawn_named(
            "second",
            child(&rt, &alive, 50, Err("second failed".into())),
        );
        group.spawn(child(&rt, &alive, 10_000, Ok(2)));
        let err = group.join().await.unwrap_err();
        took_within::<H>(rt.now() - start, ms(50));
        assert_eq!(alive.load(Ordering::SeqCst), 0, "a child outlived the join");
        assert_eq!(err.first().error(), "second failed");
        assert_eq!(err.first().child().name(), Some("second"));
        let cancelled: Vec<_> = err.cancelled().iter().map(|c| c.index()).collect();
        assert_eq!(cancelled, [0, 2]);
    });
    H::shutdown(&rt);
}

/// Collect-all (S3, scaled): a failure cancels nothing; every outcome comes back in spawn
/// order once the slowest child is done.
pub fn group_collect_all_keeps_order<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let start = rt.now();
        let mut group = TaskGroup::collect_all(&rt);
        group.spawn(child(&rt, &alive, 60, Ok(0)));
        group.spawn(child(&rt, &alive, 20, Err("one failed".into())));
        group.spawn(child(&rt, &alive, 40, Ok(2)));
        let outcomes = group.join_outcomes().await;
        took_within::<H>(rt.now() - start, ms(60));
        assert_eq!(alive.load(Ordering::SeqCst), 0);
        assert!(matches!(outcomes[0], Ok(0)));
        assert!(matches!(&outcomes[1], Err(ChildError::Failed(e)) if e == "one failed"));
        assert!(matches!(outcomes[2], Ok(2)));
    });
    H::shutdown(&rt);
}

/// Several failures (S8): every failure that happened before the cancellation took hold is
/// kept, the first in time first. Two children fail while both are inside `poll` on two
/// worker threads (when the runtime has two); on one thread the second, already scheduled
/// when the first fails, still runs once (the fail-fast deferral) and fails too. In
/// collect-all mode every failure is kept, in time order.
pub fn group_keeps_failures_in_time_order<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let arrived = Arc::new(AtomicUsize::new(0));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut group = TaskGroup::new(&rt);
        for (name, delay) in [("a", 0), ("b", 30)] {
            let (arrived, order) = (arrived.clone(), order.clone());
            group.spawn_named(name, async move {
                // A rendezvous inside `poll`, bounded in real time.
                arrived.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + ms(500);
                while arrived.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                    std::thread::sleep(ms(1));
                }
                if arrived.load(Ordering::SeqCst) == 2 {
                    std::thread::sleep(ms(delay));
                }
                order
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(name);
                Err::<(), _>(name)
            });
        }
        let err = group.join().await.unwrap_err();
        let failed: Vec<_> = err.failures().iter().map(|f| *f.error()).collect();
        let order = order.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(failed, order, "both failed, in time order");
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(err.cancelled().is_empty());

        let alive = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::collect_all(&rt);
        group.spawn_named("late", child(&rt, &alive, 80, Err("late".into())));
        group.spawn_named("ok", child(&rt, &alive, 10, Ok(1)));
        group.spawn_named("early", child(&rt, &alive, 30, Err("early".into())));
        let err = group.join().await.unwrap_err();
        let failed: Vec<_> = err.failures().iter().map(|f| f.error().as_str()).collect();
        assert_eq!(failed, ["early", "late"]);
        assert_eq!(alive.load(Ordering::SeqCst), 0);
    });
    H::shutdown(&rt);
}

/// A child that counts itself alive, sleeps until `deadline` on `rt`, then notes `index` in
/// `failed` (the order children failed in time) and fails.
fn fail_at<R: Runtime + 'static>(
    rt: &R,
    alive: &Arc<AtomicUsize>,
    failed: &Arc<Mutex<Vec<usize>>>,
    deadline: Instant,
    index: usize,
) -> impl Future<Output = Result<u32, String>> + Send + 'static {
    let (rt, guard, failed) = (rt.clone(), Alive::new(alive), failed.clone());
    async move {
        let _guard = guard;
        wrangle_core::sleep_until(&rt, deadline).await;
        failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(index);
        Err(format!("child {index} failed"))
    }
}

/// The error of a group whose children 0 and 1 fail at one instant and whose child 2 runs
/// far longer: every failure that completed (`failed`, in time order) is reported, child 2
/// is cancelled, and nothing else. On virtual time both failed, and are reported in time
/// order, the first in time first.
fn check_same_instant<H: Harness>(err: &GroupError<String>, failed: &[usize]) {
    let reported: Vec<_> = err.failures().iter().map(|f| f.child().index()).collect();
    let cancelled: Vec<_> = err.cancelled().iter().map(|c| c.index()).collect();
    let (mut sorted, mut done) = (reported.clone(), failed.to_vec());
    sorted.sort_unstable();
    done.sort_unstable();
    assert_eq!(sorted, done, "a failure that completed was lost: {err:?}");
    assert!(cancelled.contains(&2), "the 10 s child was not cancelled");
    assert_eq!(reported.len() + cancelled.len(), 3, "{err:?}");
    if H::SLACK.is_zero() {
        assert_eq!(reported, failed, "both failures, first in time first");
        assert_eq!(
            reported.len(),
            2,
            "both children failed at the same instant"
        );
        assert_eq!(cancelled, [2]);
    }
}

/// Two failures at one instant (S8 with two failures, scaled): children 0 and 1 fail at the
/// same 20 ms deadline, child 2 would run 10 s. The failing child's cancellation is deferred
/// by one scheduling round, so the other, woken at the same instant, runs once more and its
/// failure is kept: the group reports both, in time order, at exactly 20 ms on virtual time,
/// and cancels child 2. On real clocks no completed outcome is lost.
pub fn group_failures_at_one_instant_all_kept<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(Mutex::new(Vec::new()));
        let start = rt.now();
        let deadline = start + ms(20);
        let mut group = TaskGroup::new(&rt);
        for index in 0..2 {
            group.spawn(fail_at(&rt, &alive, &failed, deadline, index));
        }
        group.spawn(child(&rt, &alive, 10_000, Ok(2)));
        let err = group.join().await.unwrap_err();
        took_within::<H>(rt.now() - start, ms(20));
        assert_eq!(alive.load(Ordering::SeqCst), 0, "a child outlived the join");
        let failed = failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        check_same_instant::<H>(&err, &failed);
    });
    H::shutdown(&rt);
}

/// As [`group_failures_at_one_instant_all_kept`], for a group nobody awaits: the failure
/// still cancels the long child at 20 ms, from the children's own tasks, and both failures
/// are there when the group is joined later.
pub fn group_failure_cancels_siblings_while_not_awaited<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(Mutex::new(Vec::new()));
        let start = rt.now();
        let deadline = start + ms(20);
        let mut group = TaskGroup::new(&rt);
        for index in 0..2 {
            group.spawn(fail_at(&rt, &alive, &failed, deadline, index));
        }
        group.spawn(child(&rt, &alive, 10_000, Ok(2)));
        let gone = wait_until(&rt, ms(20) + H::SLACK, || alive.load(Ordering::SeqCst) == 0).await;
        assert!(gone, "a failure nobody awaited left its siblings running");
        took_within::<H>(rt.now() - start, ms(20));
        assert!(group.is_cancelled());
        let err = group.join().await.unwrap_err();
        let failed = failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        check_same_instant::<H>(&err, &failed);
    });
    H::shutdown(&rt);
}

/// As [`group_failures_at_one_instant_all_kept`], for the local group: both children woken
/// at 20 ms run in the same pass before the rest is dropped.
pub fn local_group_failures_at_one_instant_all_kept<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(Mutex::new(Vec::new()));
        let start = rt.now();
        let deadline = start + ms(20);
        let mut group = LocalTaskGroup::new();
        for index in 0..2 {
            group.spawn(fail_at(&rt, &alive, &failed, deadline, index));
        }
        group.spawn(child(&rt, &alive, 10_000, Ok(2)));
        let err = group.join().await.unwrap_err();
        took_within::<H>(rt.now() - start, ms(20));
        assert_eq!(alive.load(Ordering::SeqCst), 0, "a child outlived the join");
        let failed = failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        check_same_instant::<H>(&err, &failed);
    });
    H::shutdown(&rt);
}

/// A child whose cleanup is slow (its `Drop` blocks for 20 ms): the join still returns only
/// once that cleanup is over, on every path — success, failure and cancellation.
pub fn group_join_returns_after_every_child_is_gone<H: Harness>() {
    struct SlowDrop(Arc<AtomicUsize>);
    impl Drop for SlowDrop {
        fn drop(&mut self) {
            std::thread::sleep(ms(20));
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let rt = H::make();
    rt.block_on(async {
        for fail in [false, true] {
            let alive = Arc::new(AtomicUsize::new(0));
            let mut group = TaskGroup::new(&rt);
            for i in 0..4u64 {
                alive.fetch_add(1, Ordering::SeqCst);
                let (guard, timer) = (SlowDrop(alive.clone()), rt.clone());
                group.spawn(async move {
                    let _guard = guard;
                    wrangle_core::sleep(&timer, ms(if i == 0 { 10 } else { 10_000 })).await;
                    if fail { Err(i) } else { Ok(i) }
                });
            }
            if !fail {
                group.cancel();
            }
            let outcome = group.join().await;
            assert_eq!(alive.load(Ordering::SeqCst), 0, "fail = {fail}");
            assert!(outcome.is_err());
        }
    });
    H::shutdown(&rt);
}

/// A panicking child: the siblings are cancelled and gone before the panic is re-raised at
/// the join; `join_outcomes` hands the panic over, and the runtime survives.
pub fn group_panic_reraised_after_siblings_gone<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::new(&rt);
        group.spawn(child(&rt, &alive, 10_000, Ok(0)));
        let timer = rt.clone();
        group.spawn(async move {
            wrangle_core::sleep(&timer, ms(10)).await;
            panic!("group child bug");
        });
        let payload = AssertUnwindSafe(group.join())
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"group child bug"));
        assert_eq!(alive.load(Ordering::SeqCst), 0);

        let mut group = TaskGroup::<_, u32, String>::new(&rt);
        group.spawn(async { panic!("again") });
        let outcomes = group.join_outcomes().await;
        assert!(outcomes[0].as_ref().is_err_and(ChildError::is_panic));
    });
    assert_eq!(rt.block_on(rt.spawn(async { 1 })), 1);
    H::shutdown(&rt);
}

/// Dropping the group requests cancellation of every child: each is dropped within a
/// bounded time.
pub fn group_drop_requests_cancellation<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::new(&rt);
        for i in 0..5 {
            group.spawn(child(&rt, &alive, 10_000, Ok(i)));
        }
        assert!(wait_until(&rt, H::SLACK, || alive.load(Ordering::SeqCst) == 5).await);
        drop(group);
        let gone = wait_until(&rt, H::SLACK + ms(50), || alive.load(Ordering::SeqCst) == 0).await;
        assert!(gone, "children still alive after the group was dropped");
    });
    H::shutdown(&rt);
}

/// A token cancelled before the group starts: no child is ever polled, each is reported
/// cancelled, and the join returns at once.
pub fn group_token_cancelled_before_start<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let token = CancellationToken::new();
        token.cancel();
        let started = Arc::new(AtomicBool::new(false));
        let mut group = TaskGroup::new(&rt).cancel_on(&token);
        for _ in 0..3 {
            let started = started.clone();
            group.spawn(async move {
                started.store(true, Ordering::SeqCst);
                Ok::<_, String>(())
            });
        }
        let err = group.join().await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.cancelled().len(), 3);
        assert!(!started.load(Ordering::SeqCst));
    });
    H::shutdown(&rt);
}

/// S16 (scaled): workers loop forever; a token cancelled at 50 ms cancels every one, each
/// one's cleanup runs, and the join returns once all of them are gone.
pub fn group_cancel_on_token_stops_workers<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let shutdown = CancellationToken::new();
        let mut workers = TaskGroup::new(&rt).cancel_on(&shutdown);
        for i in 0..4 {
            let (guard, timer) = (Alive::new(&alive), rt.clone());
            workers.spawn_named(format!("worker-{i}"), async move {
                let _cleanup = guard;
                loop {
                    wrangle_core::sleep(&timer, ms(5)).await;
                }
                #[allow(unreachable_code)]
                Ok::<(), String>(())
            });
        }
        let start = rt.now();
        let (signal, timer) = (shutdown.clone(), rt.clone());
        rt.spawn(async move {
            wrangle_core::sleep(&timer, ms(50)).await;
            signal.cancel();
        })
        .detach();
        let err = workers.join().await.unwrap_err();
        took_within::<H>(rt.now() - start, ms(50));
        assert!(err.is_cancelled());
        assert_eq!(err.cancelled().len(), 4);
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "every worker's cleanup ran"
        );
    });
    H::shutdown(&rt);
}

/// Shutdown with a grace period: a child that watches the token finishes its async cleanup
/// within the grace; one that ignores it is dropped once the grace is over and reported by
/// name. A zero grace drops every running child at once.
pub fn group_shutdown_grace_reports_stragglers<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::new(&rt);
        let (token, timer, guard) = (group.token().clone(), rt.clone(), Alive::new(&alive));
        group.spawn_named("polite", async move {
            let _guard = guard;
            token.cancelled().await;
            wrangle_core::sleep(&timer, ms(10)).await;
            Ok::<_, String>(1)
        });
        group.spawn_named("stubborn", child(&rt, &alive, 100_000, Ok(2)));
        let start = rt.now();
        let report = group.shutdown(&rt, ms(60)).await;
        took_within::<H>(rt.now() - start, ms(60));
        let unfinished: Vec<_> = report.unfinished().iter().map(|c| c.name()).collect();
        assert_eq!(unfinished, [Some("stubborn")]);
        assert!(matches!(report.outcomes()[0], Ok(1)));
        assert!(
            report.outcomes()[1]
                .as_ref()
                .is_err_and(ChildError::is_cancelled)
        );
        assert_eq!(alive.load(Ordering::SeqCst), 0);

        let mut group = TaskGroup::new(&rt);
        group.spawn_named("busy", child(&rt, &alive, 100_000, Ok(3)));
        let start = rt.now();
        let report = group.shutdown(&rt, Duration::ZERO).await;
        took_within::<H>(rt.now() - start, Duration::ZERO);
        assert_eq!(report.unfinished().len(), 1);
        assert_eq!(alive.load(Ordering::SeqCst), 0);
    });
    H::shutdown(&rt);
}

/// Names appear in errors, and `current_name` gives a child's name while it runs, on every
/// runtime's worker threads.
pub fn group_names_in_errors_and_current_name<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let mut group = TaskGroup::new(&rt);
        let timer = rt.clone();
        group.spawn_named("indexer", async move {
            wrangle_core::yield_now().await;
            wrangle_core::sleep(&timer, ms(1)).await;
            Err::<(), _>(format!(
                "{} gave up",
                wrangle_core::name::current_name().as_deref().unwrap_or("?")
            ))
        });
        let err = group.join().await.unwrap_err();
        assert_eq!(err.to_string(), "1 of 1 child failed");
        assert_eq!(err.first().to_string(), "child #0 \"indexer\" failed");
        assert_eq!(err.first().error(), "indexer gave up");
        assert_eq!(wrangle_core::name::current_name(), None);
    });
    H::shutdown(&rt);
}

/// `LocalTaskGroup` runs `!Send` children in the task awaiting it, on every runtime, with
/// the fail-fast rule: the failure at 20 ms drops the sibling in place before the join
/// returns.
pub fn local_group_runs_non_send_children<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let dropped = Rc::new(Cell::new(0));
        struct Guard(Rc<Cell<u32>>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let start = rt.now();
        let mut group = LocalTaskGroup::new();
        for (millis, fails) in [(10_000, false), (20, true)] {
            let guard = Guard(dropped.clone());
            let rt = &rt;
            group.spawn(async move {
                let _guard = guard;
                wrangle_core::sleep(rt, ms(millis)).await;
                if fails {
                    Err("local failure")
                } else {
                    Ok(millis)
                }
            });
        }
        let err = group.join().await.unwrap_err();
        took_within::<H>(rt.now() - start, ms(20));
        assert_eq!(err.into_first(), "local failure");
        assert_eq!(dropped.get(), 2);
    });
    H::shutdown(&rt);
}

/// The spawning mode of gather: input order, at most `limit` tasks alive (counted inside
/// them), and no faster than the limit allows.
pub fn spawn_gather_order_and_limit<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let start = rt.now();
        let out = wrangle_combinators::spawn_gather(
            &rt,
            (0..12u64).map(|i| {
                let (alive, peak, timer) = (alive.clone(), peak.clone(), rt.clone());
                async move {
                    let _alive = Alive::new(&alive);
                    peak.fetch_max(alive.load(Ordering::SeqCst), Ordering::SeqCst);
                    wrangle_core::sleep(&timer, ms(10)).await;
                    i
                }
            }),
        )
        .limit(3)
        .await;
        let took = rt.now() - start;
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 3, "peak {peak} over the limit");
        if H::SLACK.is_zero() {
            assert_eq!(peak, 3);
        }
        assert_eq!(alive.load(Ordering::SeqCst), 0);
        took_within::<H>(took, ms(40));
    });
    H::shutdown(&rt);
}

/// Dropping a spawned gather requests cancellation of every task in flight.
pub fn spawn_gather_drop_cancels_in_flight<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let pulled = Arc::new(AtomicUsize::new(0));
        let inputs = (0..1000u32).map(|i| {
            pulled.fetch_add(1, Ordering::SeqCst);
            child(&rt, &alive, 10_000, Ok(i))
        });
        let gather = wrangle_combinators::spawn_gather(&rt, inputs).limit(8);
        assert!(wrangle_core::timeout(&rt, ms(30), gather).await.is_err());
        assert_eq!(pulled.load(Ordering::SeqCst), 8);
        let gone = wait_until(&rt, H::SLACK + ms(50), || alive.load(Ordering::SeqCst) == 0).await;
        assert!(gone, "tasks still alive after the gather was dropped");
    });
    H::shutdown(&rt);
}

/// The spawned fail-fast form: the first error comes back once every other task is gone,
/// and nothing is pulled after it.
pub fn try_spawn_gather_returns_after_rest_gone<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let pulled = Arc::new(AtomicUsize::new(0));
        let inputs = (0..100u32).map(|i| {
            pulled.fetch_add(1, Ordering::SeqCst);
            let outcome = if i == 2 {
                Err(format!("input {i} failed"))
            } else {
                Ok(i)
            };
            child(&rt, &alive, if i == 2 { 20 } else { 10_000 }, outcome)
        });
        let start = rt.now();
        let err = wrangle_combinators::try_spawn_gather(&rt, inputs)
            .limit(4)
            .await
            .unwrap_err();
        took_within::<H>(rt.now() - start, ms(20));
        assert_eq!(err, "input 2 failed");
        assert_eq!(alive.load(Ordering::SeqCst), 0, "a task outlived the error");
        assert_eq!(pulled.load(Ordering::SeqCst), 4);
    });
    H::shutdown(&rt);
}

/// A panicking task of a spawned gather: the others are cancelled and gone before the panic
/// is re-raised where the gather is awaited.
pub fn spawn_gather_panic_after_rest_gone<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let inputs = (0..10u32).map(|i| {
            let (guard, timer) = (Alive::new(&alive), rt.clone());
            async move {
                let _guard = guard;
                wrangle_core::sleep(&timer, ms(if i == 3 { 10 } else { 10_000 })).await;
                assert!(i != 3, "input {i} panicked");
                i
            }
        });
        let payload = AssertUnwindSafe(wrangle_combinators::spawn_gather(&rt, inputs))
            .catch_unwind()
            .await
            .unwrap_err();
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert_eq!(message, "input 3 panicked");
        assert_eq!(alive.load(Ordering::SeqCst), 0);
    });
    H::shutdown(&rt);
}

/// S7 (scaled): a 60 ms write shielded from a 20 ms timeout: the caller sees the timeout at
/// 20 ms, and the write completes all the same.
pub fn shield_runs_on_after_timeout<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let written = Arc::new(AtomicBool::new(false));
        let write = {
            let (timer, written) = (rt.clone(), written.clone());
            async move {
                wrangle_core::sleep(&timer, ms(60)).await;
                written.store(true, Ordering::SeqCst);
            }
        };
        let start = rt.now();
        let out = wrangle_core::timeout(&rt, ms(20), wrangle_combinators::shield(&rt, write)).await;
        let took = rt.now() - start;
        assert!(out.is_err());
        took_within::<H>(took, ms(20));
        if took < ms(60) {
            assert!(
                !written.load(Ordering::SeqCst),
                "the write cannot be done yet"
            );
        }
        let done = wait_until(&rt, H::SLACK + ms(60), || written.load(Ordering::SeqCst)).await;
        assert!(done, "the shielded write did not complete");
    });
    H::shutdown(&rt);
}

/// A cancellation token wakes every task waiting on it or on a child token, across threads.
pub fn cancellation_token_wakes_tasks<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let root = CancellationToken::new();
        let child = root.child_token();
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..8)
            .map(|i| {
                let token = if i % 2 == 0 {
                    root.clone()
                } else {
                    child.clone()
                };
                let woken = woken.clone();
                rt.spawn(async move {
                    token.cancelled().await;
                    woken.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        wrangle_core::sleep(&rt, ms(10)).await;
        assert_eq!(woken.load(Ordering::SeqCst), 0);
        root.cancel();
        for waiter in waiters {
            waiter.await;
        }
        assert_eq!(woken.load(Ordering::SeqCst), 8);
        assert!(child.is_cancelled());
    });
    H::shutdown(&rt);
}
