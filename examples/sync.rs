//! Shared state and signals: docs/scenarios.md S18 (a lost update, then a lock) and S19
//! (events, barriers, conditions), on every runtime, with `wrangle::sync`.
//!
//! ```text
//! cargo run --example sync --features full                         # every runtime
//! cargo run --example sync --features full -- --runtime smol --scale 1
//! ```
//!
//! - S18: ten tasks read a counter, sleep 0.01 s and write back what they read plus one.
//!   Without a lock every task reads 0: the counter ends at 1, after 0.01 s. Holding a
//!   `wrangle::sync::Mutex` across the read, the sleep and the write: 10, after 0.10 s. Three
//!   producers add three items each, 0.1 s apart, to a list behind a lock (a
//!   `wrangle::sync::Condition`'s, so the processor waits for an item instead of polling); one
//!   processor takes items under the lock and works 0.05 s on each outside it: all nine are
//!   processed, each once, the last at 0.45 s.
//! - S19: a producer waits for the `start` event (set at 0.5 s), makes five items 0.2 s apart
//!   and sets `data_ready` at 1.5 s; three processors wait for it and share the items (0.1 s
//!   each); the last one done sets `done`, at 1.7 s. A wait with a 2 s timeout
//!   (`rt.timeout(d, event.wait())`) on an event set at 1 s returns at 1 s; on one set at 3 s
//!   it gives up at 2 s. Three tasks reach a barrier at 1, 2 and 3 s and pass it together at
//!   3 s. Consumers wait on a condition until a level reaches 2, 3 and 5; a producer raises it
//!   by one every 0.5 s and notifies all: each wakes at its step, at 1.0, 1.5 and 2.5 s.
//!
//! Durations are scaled by `--scale` (default 0.1); under `sim` the figures are exact. The
//! program exits non-zero when a figure is off.

mod common;

use std::cell::Cell;
use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::Arc;

use common::{Env, Report};
use wrangle::sync::{Barrier, Condition, Event, Mutex};
use wrangle::{Runtime, Spawn, Task, Timer, TimerExt};

async fn join_all<T>(tasks: Vec<Task<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await);
    }
    out
}

fn s18_lost_update(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        // All ten in one task with `gather`, as asyncio's program does: a `Cell` is enough,
        // since the update is lost at the `.await`, not to a data race.
        let counter = Cell::new(0);
        let start = rt.now();
        wrangle::gather((0..10).map(|_| async {
            let read = counter.get();
            rt.sleep(env.secs(0.01)).await;
            counter.set(read + 1);
        }))
        .await;
        let took = rt.now() - start;
        println!(
            "  S18: without a lock, the counter is {} after {:.3} s (nine updates lost)",
            counter.get(),
            env.scenario(took)
        );
        report.equal(env, "S18 without a lock: counter", 1, counter.get());
        report.took(env, "S18 without a lock: took", 0.01, took);

        let counter = Mutex::new(0);
        let start = rt.now();
        wrangle::gather((0..10).map(|_| async {
            let mut value = counter.lock().await;
            let read = *value;
            rt.sleep(env.secs(0.01)).await;
            *value = read + 1;
        }))
        .await;
        let took = rt.now() - start;
        let counter = counter.into_inner();
        println!(
            "  S18: holding the mutex, the counter is {counter} after {:.3} s",
            env.scenario(took)
        );
        report.equal(env, "S18 with the mutex: counter", 10, counter);
        report.took(env, "S18 with the mutex: took", 0.10, took);
    });
}

/// S18's list, behind the condition's lock, and how many producers are still at work.
#[derive(Default)]
struct Shared {
    items: VecDeque<(u32, u32)>,
    producing: usize,
}

fn s18_producers_and_processor(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        // The list is behind the condition's lock: the processor waits on the condition for
        // an item instead of polling the list with a sleep.
        let shared = Arc::new(Condition::new(Shared {
            producing: 3,
            ..Shared::default()
        }));
        let start = rt.now();
        // Spawned tasks, so on a multi-threaded runtime the lock is taken from several
        // threads; each keeps a handle of its own for its repeated sleeps.
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let (shared, handle, gap) = (shared.clone(), rt.clone(), env.secs(0.1));
                rt.spawn(async move {
                    for k in 0..3 {
                        if k > 0 {
                            handle.sleep(gap).await;
                        }
                        shared.lock().await.items.push_back((p, k));
                        shared.notify_one();
                    }
                    shared.lock().await.producing -= 1;
                    shared.notify_one();
                })
            })
            .collect();
        let processor = {
            let (shared, handle, work) = (shared.clone(), rt.clone(), env.secs(0.05));
            rt.spawn(async move {
                let mut processed = Vec::new();
                loop {
                    let guard = shared.lock().await;
                    let mut guard = shared
                        .wait_for(guard, |s| !s.items.is_empty() || s.producing == 0)
                        .await;
                    // Taken under the lock ...
                    let Some(item) = guard.items.pop_front() else {
                        break; // empty, and nobody producing
                    };
                    drop(guard);
                    // ... processed outside it.
                    handle.sleep(work).await;
                    processed.push(item);
                }
                (processed, handle.now())
            })
        };
        join_all(producers).await;
        let (mut processed, last) = processor.await;
        println!(
            "  S18: one processor handled {} items from three producers; the last done at {:.3} s",
            processed.len(),
            env.scenario(last - start)
        );
        processed.sort_unstable();
        let every_item: Vec<_> = (0..3).flat_map(|p| (0..3).map(move |k| (p, k))).collect();
        report.equal(
            env,
            "S18 producer-consumer: every item processed once",
            every_item,
            processed,
        );
        report.took(
            env,
            "S18 producer-consumer: last item done",
            0.45,
            last - start,
        );
    });
}

fn s19_event_coordination(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let (start, data_ready, done) = (Event::new(), Event::new(), Event::new());
        let items = Arc::new(Mutex::new(Vec::new()));
        let processed = Arc::new(Mutex::new(Vec::new()));
        let begin = rt.now();
        let producer = {
            let (start, data_ready, items) = (start.clone(), data_ready.clone(), items.clone());
            let (handle, gap) = (rt.clone(), env.secs(0.2));
            rt.spawn(async move {
                start.wait().await;
                for item in 0..5 {
                    handle.sleep(gap).await;
                    items.lock().await.push(item);
                }
                data_ready.set();
                handle.now()
            })
        };
        let processors: Vec<_> = (0..3)
            .map(|_| {
                let (data_ready, done) = (data_ready.clone(), done.clone());
                let (items, processed) = (items.clone(), processed.clone());
                let (handle, work) = (rt.clone(), env.secs(0.1));
                rt.spawn(async move {
                    data_ready.wait().await;
                    let mut mine = 0;
                    loop {
                        let next = items.lock().await.pop();
                        let Some(item) = next else { break };
                        handle.sleep(work).await;
                        mine += 1;
                        let mut all = processed.lock().await;
                        all.push(item);
                        if all.len() == 5 {
                            done.set();
                        }
                    }
                    mine
                })
            })
            .collect();
        rt.sleep(env.secs(0.5)).await;
        start.set();
        done.wait().await;
        let done_at = rt.now() - begin;
        let ready_at = producer.await - begin;
        let mut per_processor = join_all(processors).await;
        let mut processed = std::mem::take(&mut *processed.lock().await);
        println!(
            "  S19: start at 0.5 s, data_ready at {:.3} s, done at {:.3} s; items per processor \
             {per_processor:?}",
            env.scenario(ready_at),
            env.scenario(done_at)
        );
        report.took(env, "S19 events: data_ready set", 1.5, ready_at);
        report.took(env, "S19 events: done set", 1.7, done_at);
        processed.sort_unstable();
        report.equal(
            env,
            "S19 events: every item processed once",
            vec![0, 1, 2, 3, 4],
            processed,
        );
        per_processor.sort_unstable();
        if env.exact() {
            report.equal(
                env,
                "S19 events: items per processor",
                vec![1, 2, 2],
                per_processor,
            );
        } else {
            // On a real clock, which processor takes the second round is a race.
            let total: usize = per_processor.iter().sum();
            report.equal(env, "S19 events: items processed in all", 5, total);
        }
    });
}

fn s19_wait_with_timeout(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        for (set_at, expected, returns) in [(1.0, 1.0, true), (3.0, 2.0, false)] {
            let event = Event::new();
            // Read before the setter's sleep is made: its deadline counts from its creation,
            // so a start read after the spawn could see the event set early by however long
            // the spawn took (2.8 ms once on smol in CI).
            let start = rt.now();
            let setter = {
                let (event, nap) = (event.clone(), rt.sleep(env.secs(set_at)));
                rt.spawn(async move {
                    nap.await;
                    event.set();
                })
            };
            let waited = rt.timeout(env.secs(2.0), event.wait()).await;
            let took = rt.now() - start;
            let outcome = if waited.is_ok() { "set" } else { "timed out" };
            println!(
                "  S19: event set at {set_at} s, 2 s timeout: {outcome} at {:.3} s",
                env.scenario(took)
            );
            report.equal(
                env,
                &format!("S19 timed wait, event set at {set_at} s: returned"),
                returns,
                waited.is_ok(),
            );
            report.took(
                env,
                &format!("S19 timed wait, event set at {set_at} s: took"),
                expected,
                took,
            );
            setter.await;
        }
    });
}

fn s19_barrier(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let barrier = Barrier::new(3);
        let start = rt.now();
        let (barrier, begin) = (&barrier, start);
        let passed = wrangle::gather((1..=3).map(|arrive| async move {
            rt.sleep(env.secs(f64::from(arrive))).await;
            let leader = barrier.wait().await.is_leader();
            (rt.now() - begin, leader)
        }))
        .await;
        let at: Vec<String> = passed
            .iter()
            .map(|(t, _)| format!("{:.3}", env.scenario(*t)))
            .collect();
        println!("  S19: three tasks arrived at 1, 2, 3 s and passed the barrier at {at:?} s");
        for (i, (took, _)) in passed.iter().enumerate() {
            report.took(
                env,
                &format!("S19 barrier: task {} passes", i + 1),
                3.0,
                *took,
            );
        }
        let leaders = passed.iter().filter(|(_, leader)| *leader).count();
        report.equal(env, "S19 barrier: leaders", 1, leaders);
    });
}

fn s19_condition(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let level = Arc::new(Condition::new(0u32));
        let start = rt.now();
        let consumers: Vec<_> = [2u32, 3, 5]
            .into_iter()
            .map(|threshold| {
                let (level, handle) = (level.clone(), rt.clone());
                rt.spawn(async move {
                    let guard = level.lock().await;
                    let guard = level.wait_for(guard, |v| *v >= threshold).await;
                    (threshold, *guard, handle.now())
                })
            })
            .collect();
        for _ in 0..5 {
            rt.sleep(env.secs(0.5)).await;
            *level.lock().await += 1;
            level.notify_all();
        }
        for (threshold, seen, at) in join_all(consumers).await {
            let woke = at - start;
            println!(
                "  S19: the consumer waiting for {threshold} woke at {:.3} s, level {seen}",
                env.scenario(woke)
            );
            report.equal(
                env,
                &format!("S19 condition: level seen by the consumer for {threshold}"),
                threshold,
                seen,
            );
            report.took(
                env,
                &format!("S19 condition: consumer for {threshold} wakes"),
                0.5 * f64::from(threshold),
                woke,
            );
        }
    });
}

fn main() -> ExitCode {
    common::run_each("sync", 0.1, true, |env, report| {
        s18_lost_update(env, report);
        s18_producers_and_processor(env, report);
        s19_event_coordination(env, report);
        s19_wait_with_timeout(env, report);
        s19_barrier(env, report);
        s19_condition(env, report);
    })
}
