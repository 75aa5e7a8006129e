//! Two locks, a deadlock: docs/scenarios.md S20, on every runtime.
//!
//! ```text
//! cargo run --example deadlock --features full                      # every runtime
//! cargo run --example deadlock --features full -- --runtime smol --scale 0.2
//! ```
//!
//! Task A takes lock 1, sleeps 0.1 s and then wants lock 2; task B takes lock 2, sleeps 0.1 s
//! and then wants lock 1. Neither can go on.
//!
//! - The asyncio way, on every runtime: both tasks gathered under a 1 s timeout. A real clock
//!   cannot tell a deadlock from slow work, so the program learns of it from the timeout, at
//!   1 s; dropping the gather cancels both tasks, which lets the locks go.
//! - The fix: both take the locks in the same order; B waits for A and both are done at 0.2 s.
//! - On virtual time (`sim`), with no outer timeout: at 0.1 s every task waits and no timer is
//!   pending, so the deadlock is certain, and `wrangle::sim::try_run` reports it at once,
//!   naming the tasks given names at spawn (`rt.spawn_named("A", ..)`):
//!   `deadlock at 100ms: tasks "A" and "B" wait on each other and no timer is pending`.
//!
//! The locks are `async_lock::Mutex` (what `wrangle::sync::Mutex` re-exports). Durations are
//! scaled by `--scale` (default 0.5) on the real runtimes; under `sim` the figures are exact.
//! The program exits non-zero when a figure is off.

mod common;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use async_lock::Mutex;
use common::{Env, Report};
use wrangle::{BlockOnError, Runtime, Task, Timer, TimerExt};

type Lock = Arc<Mutex<()>>;

/// Spawns A and B. Each takes its first lock, sleeps `hold`, then takes its second.
/// `same_order`: B takes lock 1 first, as A does; otherwise lock 2 first.
fn a_and_b<R: Runtime + 'static>(
    rt: &R,
    locks: &[Lock; 2],
    hold: Duration,
    same_order: bool,
) -> [Task<()>; 2] {
    let [one, two] = locks.clone();
    let b = if same_order {
        [one.clone(), two.clone()]
    } else {
        [two.clone(), one.clone()]
    };
    [("A", [one, two]), ("B", b)].map(|(name, [first, second])| {
        let timer = rt.clone();
        rt.spawn_named(name, async move {
            let _held = first.lock().await;
            timer.sleep(hold).await;
            let _both = second.lock().await;
        })
    })
}

/// The asyncio program: `await asyncio.wait_for(asyncio.gather(a, b), timeout=1)`.
fn with_a_timeout(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let locks = [Lock::default(), Lock::default()];
        let start = rt.now();
        let tasks = a_and_b(rt, &locks, env.secs(0.1), false);
        let outcome = rt.timeout(env.secs(1.0), wrangle::gather(tasks)).await;
        let took = rt.now() - start;
        println!(
            "  S20: gathered under a 1 s timeout: {} at {:.2} s",
            if outcome.is_err() {
                "\"deadlock\" (timed out)"
            } else {
                "finished"
            },
            env.scenario(took)
        );
        report.equal(env, "S20 timeout form: timed out", true, outcome.is_err());
        report.took(env, "S20 timeout form: reported at", 1.0, took);
        // The gather was dropped with the timeout, and with it both tasks: the locks are free.
        let both_free = rt
            .timeout(env.secs(1.0), async {
                let _one = locks[0].lock().await;
                let _two = locks[1].lock().await;
            })
            .await
            .is_ok();
        report.equal(
            env,
            "S20 after the timeout: both locks free",
            true,
            both_free,
        );
    });
}

/// The fix: one lock order for everyone.
fn in_one_order(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let locks = [Lock::default(), Lock::default()];
        let start = rt.now();
        let tasks = a_and_b(rt, &locks, env.secs(0.1), true);
        wrangle::gather(tasks).await;
        let took = rt.now() - start;
        println!(
            "  S20: the same lock order: both done at {:.2} s",
            env.scenario(took)
        );
        report.took(env, "S20 same order: both done at", 0.2, took);
    });
}

/// On virtual time, no outer timeout: the deadlock is reported when it becomes certain.
fn on_virtual_time(env: &Env, report: &mut Report) {
    let outcome = wrangle::sim::try_run(1, |rt| async move {
        let locks = [Lock::default(), Lock::default()];
        let [a, b] = a_and_b(&rt, &locks, Duration::from_millis(100), false);
        a.await;
        b.await;
    });
    let Err(BlockOnError::Deadlock(deadlock)) = outcome else {
        report.check(
            env,
            "S20 virtual time: a deadlock",
            "a deadlock",
            format!("{outcome:?}"),
            false,
        );
        return;
    };
    println!("  S20: no timeout, on virtual time: {deadlock}");
    report.took(env, "S20 virtual time: reported at", 0.1, deadlock.at());
    report.equal(
        env,
        "S20 virtual time: stuck tasks",
        vec!["A", "B"],
        deadlock.names().collect(),
    );
    report.equal(
        env,
        "S20 virtual time: the report",
        r#"deadlock at 100ms: tasks "A" and "B" wait on each other and no timer is pending"#,
        deadlock.to_string().as_str(),
    );
}

fn main() -> ExitCode {
    common::run_each("deadlock", 0.5, true, |env, report| {
        with_a_timeout(env, report);
        in_one_order(env, report);
        if env.exact() {
            on_virtual_time(env, report);
        }
    })
}
