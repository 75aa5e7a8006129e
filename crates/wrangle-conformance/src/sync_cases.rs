//! The rules of `wrangle::sync` on each runtime's own clock and executor (scenarios S18 and
//! S19 of `docs/scenarios.md`): events, a barrier, a condition and a mutex shared by spawned
//! tasks. Re-exported from [`cases`](crate::cases).
//!
//! On virtual time one unit is S19's second and every figure is exact; on a real clock one
//! unit is 100 ms, late by at most [`Harness::SLACK`].

use std::sync::Arc;
use std::time::Duration;

use wrangle_core::sync::{Barrier, Condition, Event, Mutex};
use wrangle_core::{Runtime, Spawn, Task, Timer, TimerExt as _};

use crate::Harness;

/// One scenario second: exact on virtual time, 100 ms on a real clock.
fn unit<H: Harness>() -> Duration {
    if H::SLACK.is_zero() {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(100)
    }
}

/// Asserts `took` is `expected`, exactly on virtual time, never early and at most
/// `H::SLACK` late on a real clock.
fn assert_took<H: Harness>(what: &str, took: Duration, expected: Duration) {
    assert!(
        took >= expected && took <= expected + H::SLACK,
        "{what}: took {took:?}, expected {expected:?}"
    );
}

async fn join_all<T>(tasks: Vec<Task<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await);
    }
    out
}

/// An event set before anyone waits is seen: the wait completes at once, in the caller and
/// in a task spawned afterwards.
pub fn event_set_before_wait_is_seen<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let event = Event::new();
        event.set();
        let start = rt.now();
        event.wait().await;
        let waiter = rt.spawn(event.wait_owned());
        waiter.await;
        assert!(event.is_set());
        assert_took::<H>("waits on a set event", rt.now() - start, Duration::ZERO);
    });
}

/// One `set` releases every waiting task, each at the set.
pub fn event_set_releases_every_waiter<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let event = Event::new();
        let start = rt.now();
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let (event, rt2) = (event.clone(), rt.clone());
                rt.spawn(async move {
                    event.wait().await;
                    rt2.now()
                })
            })
            .collect();
        rt.sleep(unit::<H>()).await;
        event.set();
        for at in join_all(waiters).await {
            assert_took::<H>("a waiter released", at - start, unit::<H>());
        }
    });
}

/// After `clear`, a wait blocks until the next `set`.
pub fn event_clear_then_wait_blocks<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let event = Event::new();
        event.set();
        event.clear();
        assert!(!event.is_set());
        let start = rt.now();
        let waiter = rt.spawn({
            let (event, rt2) = (event.clone(), rt.clone());
            async move {
                event.wait().await;
                rt2.now()
            }
        });
        rt.sleep(unit::<H>()).await;
        assert!(!waiter.is_finished(), "a wait on a cleared event completed");
        event.set();
        assert_took::<H>("the wait after clear", waiter.await - start, unit::<H>());
    });
}

/// S19's wait with a time limit of 2 units, `rt.timeout(d, event.wait())`: on an event set at
/// 1 unit it returns then; on one set at 3 units it gives up at 2.
pub fn event_wait_with_timeout<H: Harness>() {
    let rt = H::make();
    let u = unit::<H>();
    rt.block_on(async {
        for (set_at, expected, returns) in [(1, 1, true), (3, 2, false)] {
            let event = Event::new();
            // Before the setter's sleep is made: its deadline counts from its creation, so a
            // start read after it could find the event set less than `set_at` units later.
            let start = rt.now();
            let setter = rt.spawn({
                let (event, nap) = (event.clone(), rt.sleep(u * set_at));
                async move {
                    nap.await;
                    event.set();
                }
            });
            let waited = rt.timeout(u * 2, event.wait()).await;
            let took = rt.now() - start;
            assert_eq!(waited.is_ok(), returns, "event set at {set_at} units");
            assert_took::<H>("the timed wait", took, u * expected);
            setter.await;
        }
    });
}

/// S19's barrier: three tasks arrive at 1, 2 and 3 units and all pass at 3, one the leader.
pub fn barrier_of_three_passes_together<H: Harness>() {
    let rt = H::make();
    let u = unit::<H>();
    rt.block_on(async {
        let barrier = Arc::new(Barrier::new(3));
        let start = rt.now();
        let tasks: Vec<_> = (1..=3)
            .map(|arrive| {
                let (barrier, rt2) = (barrier.clone(), rt.clone());
                rt.spawn(async move {
                    rt2.sleep(u * arrive).await;
                    let leader = barrier.wait().await.is_leader();
                    (rt2.now(), leader)
                })
            })
            .collect();
        let passed = join_all(tasks).await;
        for (at, _) in &passed {
            assert_took::<H>("passing the barrier", *at - start, u * 3);
        }
        assert_eq!(passed.iter().filter(|(_, leader)| *leader).count(), 1);
    });
}

/// S19's condition: consumers wait for a value to reach their threshold; a producer raises
/// it by one each unit and notifies all; each consumer wakes at its threshold's step.
pub fn condition_wakes_each_consumer_at_its_threshold<H: Harness>() {
    let rt = H::make();
    let u = unit::<H>();
    rt.block_on(async {
        let level = Arc::new(Condition::new(0u32));
        let start = rt.now();
        let consumers: Vec<_> = [1u32, 3, 5]
            .into_iter()
            .map(|threshold| {
                let (level, rt2) = (level.clone(), rt.clone());
                rt.spawn(async move {
                    let guard = level.lock().await;
                    let guard = level.wait_for(guard, |v| *v >= threshold).await;
                    (threshold, *guard, rt2.now())
                })
            })
            .collect();
        for _ in 0..5 {
            rt.sleep(u).await;
            *level.lock().await += 1;
            level.notify_all();
        }
        for (threshold, seen, at) in join_all(consumers).await {
            let step = u * threshold;
            assert_took::<H>("a consumer's wake-up", at - start, step);
            if H::SLACK.is_zero() {
                assert_eq!(seen, threshold, "woken at its step, before the next");
            } else {
                assert!(seen >= threshold);
            }
        }
    });
}

/// S18: ten spawned tasks read a counter, sleep, and write it back plus one, holding an
/// async mutex throughout: no update is lost (10), and the critical sections run one at a
/// time (10 naps).
pub fn mutex_prevents_lost_update<H: Harness>() {
    let rt = H::make();
    let nap = Duration::from_millis(10);
    rt.block_on(async {
        let counter = Arc::new(Mutex::new(0u32));
        let start = rt.now();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (counter, rt2) = (counter.clone(), rt.clone());
                rt.spawn(async move {
                    let mut value = counter.lock().await;
                    let read = *value;
                    rt2.sleep(nap).await;
                    *value = read + 1;
                })
            })
            .collect();
        join_all(tasks).await;
        assert_eq!(*counter.lock().await, 10);
        assert_took::<H>("ten critical sections", rt.now() - start, nap * 10);
    });
}
