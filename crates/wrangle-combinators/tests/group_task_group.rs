//! `TaskGroup` on virtual time: docs/scenarios.md S3, S8 and S16 exact, and every documented
//! outcome of bad input (a panicking child, a group awaited twice, a zero grace, a token
//! cancelled before the group starts, a dropped group), each checked with drop guards.
#![allow(clippy::unwrap_used)]

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::FutureExt as _;
use wrangle_combinators::group::{ChildError, TaskGroup};
use wrangle_core::{CancellationToken, Spawn};
use wrangle_sim::Sim;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts how many are alive, how many were dropped and how many finished.
#[derive(Default)]
struct Counters {
    alive: AtomicUsize,
    dropped: AtomicUsize,
    finished: AtomicUsize,
}

struct Guard(Arc<Counters>);

impl Guard {
    fn new(c: &Arc<Counters>) -> Self {
        c.alive.fetch_add(1, Ordering::SeqCst);
        Self(c.clone())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::SeqCst);
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// A call that sleeps `ms` and then returns `Ok(i)`, or `Err` if `fails`.
fn call(
    rt: &Sim,
    c: &Arc<Counters>,
    i: u32,
    millis: u64,
    fails: bool,
) -> impl Future<Output = Result<u32, String>> + Send + 'static {
    let (rt, c) = (rt.clone(), c.clone());
    async move {
        let _guard = Guard::new(&c);
        wrangle_core::sleep(&rt, ms(millis)).await;
        if fails {
            return Err(format!("call {i} failed"));
        }
        c.finished.fetch_add(1, Ordering::SeqCst);
        Ok(i)
    }
}

/// S3, fail-fast: the error at exactly 0.5 s; the other two cancelled (their cleanup ran)
/// before the caller sees it, and nothing keeps running afterwards.
#[test]
fn s3_fail_fast() {
    wrangle_sim::run(3, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        for i in 0..3 {
            group.spawn(call(&rt, &c, i, if i == 1 { 500 } else { 1000 }, i == 1));
        }
        let err = group.join().await.unwrap_err();
        assert_eq!(rt.elapsed(), ms(500));
        assert_eq!(err.first().error(), "call 1 failed");
        assert_eq!(err.failures().len(), 1);
        let cancelled: Vec<_> = err.cancelled().iter().map(|c| c.index()).collect();
        assert_eq!(cancelled, [0, 2]);
        assert_eq!(
            c.dropped.load(Ordering::SeqCst),
            3,
            "cleanup of all three ran"
        );
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        wrangle_core::sleep(&rt, ms(1000)).await;
        assert_eq!(c.finished.load(Ordering::SeqCst), 0, "nothing ran on");
    });
}

/// S3, collect-all: three outcomes in input order, one of them the error, at 1 s.
#[test]
fn s3_collect_all() {
    wrangle_sim::run(3, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::collect_all(&rt);
        for i in 0..3 {
            group.spawn(call(&rt, &c, i, if i == 1 { 500 } else { 1000 }, i == 1));
        }
        let outcomes = group.join_outcomes().await;
        assert_eq!(rt.elapsed(), ms(1000));
        assert!(matches!(outcomes[0], Ok(0)));
        assert!(matches!(&outcomes[1], Err(ChildError::Failed(e)) if e == "call 1 failed"));
        assert!(matches!(outcomes[2], Ok(2)));
        assert_eq!(c.finished.load(Ordering::SeqCst), 2);
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
    });
}

/// S8: task 1 succeeds at 1 s, task 2 fails at 2 s, task 3 would run 5 s: the group ends at
/// exactly 2 s, task 3 is cancelled, task 2's error is reported, by name.
#[test]
fn s8_task_group() {
    for seed in 0..20 {
        wrangle_sim::run(seed, |rt| async move {
            let c = Arc::new(Counters::default());
            let mut group = TaskGroup::new(&rt);
            group.spawn_named("task 1", call(&rt, &c, 1, 1000, false));
            group.spawn_named("task 2", call(&rt, &c, 2, 2000, true));
            group.spawn_named("task 3", call(&rt, &c, 3, 5000, false));
            let err = group.join().await.unwrap_err();
            assert_eq!(rt.elapsed(), ms(2000));
            assert_eq!(err.failures().len(), 1);
            assert_eq!(err.first().child().name(), Some("task 2"));
            assert_eq!(err.first().error(), "call 2 failed");
            assert_eq!(err.cancelled().len(), 1);
            assert_eq!(err.cancelled()[0].name(), Some("task 3"));
            // A summary; which child, and its own error, are the next layers.
            assert_eq!(err.to_string(), "1 of 3 children failed, 1 cancelled");
            assert_eq!(err.first().to_string(), "child #1 \"task 2\" failed");
            assert_eq!(c.finished.load(Ordering::SeqCst), 1);
            assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        });
    }
}

/// S8 with two failures at the same instant: task 1 succeeds at 1 s, tasks 2 and 3 fail at
/// 2 s, task 4 would run 5 s. The cancellation is deferred by one scheduling round, so the
/// second failure is kept too: both are reported at exactly 2 s, first in time first (the
/// simulation orders the two at random by seed), and task 4 is cancelled. The same with
/// nobody awaiting the group until after the failures.
#[test]
fn s8_two_failures_at_the_same_instant() {
    for awaited in [true, false] {
        for seed in 0..20 {
            wrangle_sim::run(seed, |rt| async move {
                let c = Arc::new(Counters::default());
                let order = Arc::new(std::sync::Mutex::new(Vec::new()));
                let mut group = TaskGroup::new(&rt);
                group.spawn(call(&rt, &c, 1, 1000, false));
                for i in [2, 3] {
                    let (call, order) = (call(&rt, &c, i, 2000, true), order.clone());
                    group.spawn(async move {
                        let out = call.await;
                        order.lock().unwrap().push(i as usize - 1);
                        out
                    });
                }
                group.spawn(call(&rt, &c, 4, 5000, false));
                if !awaited {
                    wrangle_core::sleep(&rt, ms(2000)).await;
                    // Siblings' cancellation is the children's own doing.
                    while c.alive.load(Ordering::SeqCst) > 0 {
                        wrangle_core::yield_now().await;
                    }
                }
                let err = group.join().await.unwrap_err();
                assert_eq!(rt.elapsed(), ms(2000), "seed {seed}");
                let failed: Vec<_> = err.failures().iter().map(|f| f.child().index()).collect();
                assert_eq!(failed, *order.lock().unwrap(), "seed {seed}, in time order");
                assert_eq!(failed.len(), 2, "seed {seed}: {err:?}");
                let cancelled: Vec<_> = err.cancelled().iter().map(|c| c.index()).collect();
                assert_eq!(cancelled, [3], "seed {seed}");
                assert_eq!(c.finished.load(Ordering::SeqCst), 1);
                assert_eq!(c.alive.load(Ordering::SeqCst), 0);
            });
        }
    }
}

/// S8, several failures: in a collect-all group every error is reported, in the order they
/// happened (not spawn order).
#[test]
fn s8_all_errors_when_several_fail() {
    wrangle_sim::run(8, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::collect_all(&rt);
        group.spawn_named("slow", call(&rt, &c, 0, 3000, true));
        group.spawn_named("ok", call(&rt, &c, 1, 1000, false));
        group.spawn_named("fast", call(&rt, &c, 2, 2000, true));
        let err = group.join().await.unwrap_err();
        assert_eq!(rt.elapsed(), ms(3000));
        let names: Vec<_> = err
            .failures()
            .iter()
            .map(|f| f.child().name().unwrap())
            .collect();
        assert_eq!(names, ["fast", "slow"]);
        assert!(err.cancelled().is_empty());
    });
}

/// S16 with a token: workers loop forever; on the shutdown signal every worker is cancelled,
/// its cleanup runs, and the program waits for all of them.
#[test]
fn s16_graceful_shutdown_by_token() {
    wrangle_sim::run(16, |rt| async move {
        let c = Arc::new(Counters::default());
        let shutdown = CancellationToken::new();
        let mut workers = TaskGroup::new(&rt).cancel_on(&shutdown);
        for i in 0..4 {
            let (rt, c) = (rt.clone(), c.clone());
            workers.spawn_named(format!("worker-{i}"), async move {
                let _cleanup = Guard::new(&c);
                loop {
                    wrangle_core::sleep(&rt, ms(100 + i)).await;
                    c.finished.fetch_add(1, Ordering::SeqCst);
                }
                #[allow(unreachable_code)]
                Ok::<(), String>(())
            });
        }
        let (signal, timer) = (shutdown.clone(), rt.clone());
        rt.spawn(async move {
            wrangle_core::sleep(&timer, ms(1050)).await;
            signal.cancel();
        })
        .detach();
        let err = workers.join().await.unwrap_err();
        assert_eq!(rt.elapsed(), ms(1050));
        assert!(err.is_cancelled());
        assert_eq!(err.cancelled().len(), 4);
        assert_eq!(c.dropped.load(Ordering::SeqCst), 4, "every cleanup ran");
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        // 10 iterations each for 100..103 ms periods within 1050 ms.
        assert_eq!(c.finished.load(Ordering::SeqCst), 40);
    });
}

/// S16 with a grace period: polite workers notice the group's token and flush (an async
/// cleanup of 200 ms) within the grace; a stubborn one is dropped after it and named.
#[test]
fn s16_shutdown_with_grace_names_the_stragglers() {
    wrangle_sim::run(16, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        for i in 0..3u64 {
            let (rt, c, token) = (rt.clone(), c.clone(), group.token().clone());
            group.spawn_named(format!("polite-{i}"), async move {
                let _cleanup = Guard::new(&c);
                while token
                    .run_until_cancelled(wrangle_core::sleep(&rt, ms(100)))
                    .await
                    .is_some()
                {}
                wrangle_core::sleep(&rt, ms(100 * (i + 1))).await; // flush
                c.finished.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(i)
            });
        }
        let c2 = c.clone();
        group.spawn_named("stubborn", async move {
            let _cleanup = Guard::new(&c2);
            std::future::pending::<()>().await;
            Ok(99)
        });
        wrangle_core::sleep(&rt, ms(1000)).await;
        let report = group.shutdown(&rt, ms(500)).await;
        assert_eq!(rt.elapsed(), ms(1500));
        assert_eq!(report.unfinished().len(), 1);
        assert_eq!(report.unfinished()[0].name(), Some("stubborn"));
        assert!(matches!(report.outcomes()[..3], [Ok(0), Ok(1), Ok(2)]));
        assert!(report.outcomes()[3].as_ref().unwrap_err().is_cancelled());
        assert_eq!(c.finished.load(Ordering::SeqCst), 3);
        assert_eq!(
            c.alive.load(Ordering::SeqCst),
            0,
            "no child outlives the shutdown"
        );
    });
}

/// Everything finishes within the grace: the shutdown returns as soon as the last one does.
#[test]
fn shutdown_returns_when_the_last_child_finishes() {
    wrangle_sim::run(1, |rt| async move {
        let mut group = TaskGroup::new(&rt);
        let (token, timer) = (group.token().clone(), rt.clone());
        group.spawn(async move {
            token.cancelled().await;
            wrangle_core::sleep(&timer, ms(30)).await;
            Ok::<_, ()>(())
        });
        let report = group.shutdown(&rt, Duration::MAX).await;
        assert!(report.is_clean());
        assert_eq!(rt.elapsed(), ms(30));
    });
}

/// Zero grace: every child still running is cancelled at once and reported unfinished;
/// children that already finished keep their outcome.
#[test]
fn shutdown_with_zero_grace() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        group.spawn_named("done", call(&rt, &c, 0, 0, false));
        group.spawn_named("busy", call(&rt, &c, 1, 1000, false));
        wrangle_core::yield_now().await;
        wrangle_core::sleep(&rt, ms(1)).await;
        let report = group.shutdown(&rt, Duration::ZERO).await;
        assert_eq!(rt.elapsed(), ms(1));
        let names: Vec<_> = report.unfinished().iter().map(|c| c.name()).collect();
        assert_eq!(names, [Some("busy")]);
        assert!(matches!(report.outcomes()[0], Ok(0)));
        assert!(report.outcomes()[1].as_ref().unwrap_err().is_cancelled());
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
    });
}

/// A token cancelled before the group starts: no child is ever started (polled), each is
/// reported cancelled, and the group returns at once.
#[test]
fn token_cancelled_before_the_group_starts() {
    wrangle_sim::run(1, |rt| async move {
        let token = CancellationToken::new();
        token.cancel();
        let started = Arc::new(AtomicBool::new(false));
        let mut group = TaskGroup::new(&rt).cancel_on(&token);
        assert!(group.is_cancelled());
        assert!(group.token().is_cancelled());
        for _ in 0..3 {
            let started = started.clone();
            group.spawn(async move {
                started.store(true, Ordering::SeqCst);
                Ok::<_, ()>(())
            });
        }
        let err = group.join().await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.cancelled().len(), 3);
        assert_eq!(rt.elapsed(), Duration::ZERO);
        wrangle_core::sleep(&rt, ms(10)).await;
        assert!(!started.load(Ordering::SeqCst));
    });
}

/// A panicking child: its siblings are cancelled, and the panic is re-raised at the join
/// only once they are gone; `join_outcomes` hands it over instead.
#[test]
fn panicking_child() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        group.spawn(call(&rt, &c, 0, 1000, false));
        let timer = rt.clone();
        group.spawn(async move {
            wrangle_core::sleep(&timer, ms(10)).await;
            panic!("child bug");
        });
        group.spawn(call(&rt, &c, 2, 1000, false));
        let payload = AssertUnwindSafe(group.join())
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"child bug"));
        assert_eq!(rt.elapsed(), ms(10));
        assert_eq!(
            c.alive.load(Ordering::SeqCst),
            0,
            "siblings gone before the panic"
        );
        assert_eq!(c.dropped.load(Ordering::SeqCst), 2);

        let mut group = TaskGroup::<_, u32, String>::collect_all(&rt);
        group.spawn(async { panic!("again") });
        group.spawn(call(&rt, &c, 1, 10, false));
        let outcomes = group.join_outcomes().await;
        match &outcomes[0] {
            Err(ChildError::Panicked(p)) => assert_eq!(p.message(), "again"),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(outcomes[1], Ok(1)),
            "collect-all: the sibling ran on"
        );
    });
}

/// A group is consumed by its await (awaiting it twice does not compile: see the
/// `compile_fail` example on `TaskGroup`); polling its join future again panics.
#[test]
fn join_polled_after_completion_panics() {
    wrangle_sim::run(1, |rt| async move {
        let mut group = TaskGroup::new(&rt);
        group.spawn(async { Ok::<_, ()>(1) });
        let mut join = group.join();
        assert_eq!((&mut join).await, Ok(vec![1]));
        let again = AssertUnwindSafe(&mut join)
            .catch_unwind()
            .await
            .unwrap_err();
        let message = again.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.contains("polled after completion"), "{message}");
    });
}

/// Dropping the group requests cancellation of every child: each is dropped at its next
/// scheduling point, with no time passing.
#[test]
fn dropping_the_group_cancels_every_child() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        for i in 0..5 {
            group.spawn(call(&rt, &c, i, 1000, false));
        }
        wrangle_core::sleep(&rt, ms(1)).await;
        assert_eq!(c.alive.load(Ordering::SeqCst), 5);
        drop(group);
        for _ in 0..10 {
            wrangle_core::yield_now().await;
        }
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        assert_eq!(rt.elapsed(), ms(1));
        wrangle_core::sleep(&rt, ms(2000)).await;
        assert_eq!(c.finished.load(Ordering::SeqCst), 0);
    });
}

/// A join dropped by a timeout drops the group: the children are cancelled.
#[test]
fn join_under_a_timeout_cancels_on_elapse() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        group.spawn(call(&rt, &c, 0, 5000, false));
        let out = wrangle_core::timeout(&rt, ms(100), group.join()).await;
        assert!(out.is_err());
        for _ in 0..10 {
            wrangle_core::yield_now().await;
        }
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
    });
}

/// `cancel` mid-run cancels the running children; ones that finished keep their value; no
/// child is spawned afterwards.
#[test]
fn cancel_mid_run() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        group.spawn(call(&rt, &c, 0, 10, false));
        group.spawn(call(&rt, &c, 1, 1000, false));
        wrangle_core::sleep(&rt, ms(50)).await;
        group.cancel();
        group.spawn(call(&rt, &c, 2, 0, false));
        let outcomes = group.join_outcomes().await;
        assert_eq!(rt.elapsed(), ms(50));
        assert!(matches!(outcomes[0], Ok(0)));
        assert!(outcomes[1].as_ref().unwrap_err().is_cancelled());
        assert!(outcomes[2].as_ref().unwrap_err().is_cancelled());
        assert_eq!(c.finished.load(Ordering::SeqCst), 1);
    });
}

/// A failing child cancels its siblings even while nobody is awaiting the group.
#[test]
fn failure_cancels_siblings_without_a_join() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let mut group = TaskGroup::new(&rt);
        group.spawn(call(&rt, &c, 0, 100, true));
        group.spawn(call(&rt, &c, 1, 1000, false));
        wrangle_core::sleep(&rt, ms(200)).await;
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        assert!(group.is_cancelled());
        assert!(group.token().is_cancelled());
        let err = group.join().await.unwrap_err();
        assert_eq!(rt.elapsed(), ms(200));
        assert_eq!(err.first().child().index(), 0);
    });
}

/// Names are visible to code running inside a child (for a blocking detector or a logger).
#[test]
fn current_name_inside_named_children() {
    wrangle_sim::run(1, |rt| async move {
        let mut group = TaskGroup::new(&rt);
        for i in 0..3 {
            let timer = rt.clone();
            group.spawn_named(format!("n{i}"), async move {
                wrangle_core::sleep(&timer, ms(i)).await;
                Ok::<_, ()>(wrangle_combinators::group::current_name())
            });
        }
        group.spawn(async { Ok(wrangle_combinators::group::current_name()) });
        let names = group.join().await.unwrap();
        let names: Vec<_> = names.iter().map(|n| n.as_deref()).collect();
        assert_eq!(names, [Some("n0"), Some("n1"), Some("n2"), None]);
    });
}

/// On a runtime that has been shut down, children are reported cancelled.
#[test]
fn spawning_on_a_shut_down_runtime() {
    let rt = Sim::new(1);
    rt.shutdown();
    let mut group = TaskGroup::new(&rt);
    group.spawn(async { Ok::<_, ()>(()) });
    let err = futures_lite::future::block_on(group.join()).unwrap_err();
    assert!(err.is_cancelled());
}
