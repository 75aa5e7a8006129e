//! Same seed, same run; another seed, possibly another interleaving.
#![allow(clippy::unwrap_used)] // a test should fail loudly on the unexpected

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wrangle_core::{Spawn, Timer, sleep, yield_now};
use wrangle_sim::{Sim, run};

type Trace = Vec<(usize, Duration)>;

/// 20 tasks, each yielding or sleeping a random few milliseconds several times, recording
/// (task, virtual time) at every step.
fn workload(seed: u64) -> Trace {
    run(seed, |rt| async move {
        let trace = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for id in 0..20 {
            let (rt2, trace) = (rt.clone(), trace.clone());
            tasks.push(rt.spawn(async move {
                for _ in 0..5 {
                    trace.lock().unwrap().push((id, rt2.elapsed()));
                    let roll = rt2.random_u64();
                    if roll % 3 == 0 {
                        yield_now().await;
                    } else {
                        sleep(&rt2, Duration::from_millis(roll % 4)).await;
                    }
                }
                trace.lock().unwrap().push((id, rt2.elapsed()));
            }));
        }
        for task in tasks {
            task.await;
        }
        Arc::try_unwrap(trace).unwrap().into_inner().unwrap()
    })
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for seed in [0, 1, 2, 99, u64::MAX] {
        let first = workload(seed);
        assert_eq!(first.len(), 20 * 6);
        assert_eq!(first, workload(seed), "seed {seed} was not reproducible");
    }
}

#[test]
fn other_seeds_give_other_traces() {
    let traces: Vec<Trace> = (1..=10).map(workload).collect();
    assert!(
        traces.iter().any(|t| *t != traces[0]),
        "ten seeds all produced the same trace"
    );
}

/// Only the scheduler decides this order: no time, no random numbers.
fn yield_order(seed: u64) -> Vec<usize> {
    run(seed, |rt| async move {
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..10)
            .map(|id| {
                let order = order.clone();
                rt.spawn(async move {
                    for _ in 0..3 {
                        order.lock().unwrap().push(id);
                        yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        Arc::try_unwrap(order).unwrap().into_inner().unwrap()
    })
}

#[test]
fn the_scheduler_is_seeded() {
    assert_eq!(yield_order(5), yield_order(5));
    let orders: Vec<_> = (1..=10).map(yield_order).collect();
    assert!(orders.iter().any(|o| *o != orders[0]));
}

#[test]
fn random_numbers_are_seeded() {
    let draw = |seed| {
        let rt = Sim::new(seed);
        (0..8).map(|_| rt.random_u64()).collect::<Vec<_>>()
    };
    assert_eq!(draw(3), draw(3));
    assert_ne!(draw(3), draw(4));
    let zero = draw(0);
    assert!(
        zero.windows(2).any(|w| w[0] != w[1]),
        "seed 0 gave a constant stream"
    );
}

#[test]
fn random_numbers_do_not_depend_on_scheduling() {
    // Drawing from the scheduler's generator (more tasks) leaves `random_u64` unchanged.
    let draw = |tasks: usize| {
        run(8, |rt| async move {
            for _ in 0..tasks {
                rt.spawn(yield_now()).await;
            }
            rt.random_u64()
        })
    };
    assert_eq!(draw(0), draw(25));
}
