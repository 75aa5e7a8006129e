//! Structured concurrency: docs/scenarios.md S7 (shielding), S8 (task group) and S16 (graceful
//! shutdown on Ctrl-C), on every runtime.
//!
//! ```text
//! cargo run --example structured --features full                   # every runtime
//! cargo run --example structured --features full -- --runtime smol --scale 1
//! cargo run --example structured --features full -- --runtime tokio --until-ctrl-c
//! ```
//!
//! - S7: a critical 3 s write shielded from a 1 s timeout: the caller sees the timeout at 1 s,
//!   the write still completes at 3 s.
//! - S8: task 1 succeeds at 1 s, task 2 fails at 2 s, task 3 would run 5 s: the group ends at
//!   2 s, task 3 is cancelled (its cleanup has run), and the group reports task 2's error.
//! - S16: three workers loop forever, a fourth ignores the shutdown signal. On the signal
//!   (Ctrl-C, or a timer at 1 s so the run checks itself), the group is shut down with a grace
//!   of 1 s: the three polite workers stop at their next step and flush (0.2 s), the stubborn
//!   one is cancelled when the grace runs out, every worker's cleanup runs, and the program
//!   waits for all of them: nothing is left running. With `--until-ctrl-c` only S16 runs, on
//!   each runtime asked for, and waits for Ctrl-C itself. Ctrl-C at any other moment ends the
//!   program at once (exit code 130), as it would without the example's handler.
//!
//! Durations are scaled by `--scale` (default 0.1); under `sim` the figures are exact.
//! `RUST_LOG=info` shows the workers' tracing events. The program exits non-zero when a figure
//! is off.

mod common;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use common::{Args, Cleanup, Env, Report};
use wrangle::group::{ChildError, TaskGroup};
use wrangle::{CancellationToken, Runtime, Spawn, Timer, TimerExt};

/// The token Ctrl-C cancels while S16 waits for its signal; `None` at any other moment.
static SIGNAL: Mutex<Option<CancellationToken>> = Mutex::new(None);

/// Installs the Ctrl-C handler: it starts S16's shutdown when S16 is listening, and ends the
/// program otherwise.
fn install_ctrl_c() -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(|| {
        match SIGNAL
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            Some(token) => {
                eprintln!("\n  Ctrl-C: shutting down gracefully (Ctrl-C again to quit at once)");
                token.cancel();
            }
            None => std::process::exit(130),
        }
        // The next Ctrl-C quits.
        SIGNAL.lock().unwrap_or_else(PoisonError::into_inner).take();
    })
}

fn s7_shield(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let written_at = Arc::new(Mutex::new(None));
        let start = rt.now();
        let write = {
            // The write runs in a task of its own (the shield spawns it) and reads the clock
            // when it is done: it keeps a handle of its own.
            let (clock, written_at, takes) = (rt.clone(), written_at.clone(), env.secs(3.0));
            async move {
                clock.sleep(takes).await;
                *written_at.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(clock.now() - start);
            }
        };
        let outcome = wrangle::timeout(rt, env.secs(1.0), wrangle::shield(rt, write)).await;
        let gave_up = rt.now() - start;
        println!(
            "  S7: a 3 s write, shielded, under a 1 s timeout: the caller sees {outcome:?} at \
             {:.3} s",
            env.scenario(gave_up)
        );
        report.took(env, "S7 shielded: the caller's timeout", 1.0, gave_up);
        report.equal(
            env,
            "S7 shielded: the caller timed out",
            true,
            outcome.is_err(),
        );
        // The write goes on without the caller; wait for it as an observer, not through it.
        wrangle::sleep(rt, env.secs(2.5)).await;
        let written = *written_at.lock().unwrap_or_else(PoisonError::into_inner);
        match written {
            Some(at) => {
                println!("  S7: the write completed at {:.3} s", env.scenario(at));
                report.took(env, "S7 shielded: the write completes", 3.0, at);
            }
            None => {
                report.check(
                    env,
                    "S7 shielded: the write completes",
                    "3.00 s",
                    "never",
                    false,
                );
            }
        }
    });
}

fn s8_task_group(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let cleaned_up = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let mut group = TaskGroup::new(rt);
        // (name, seconds, fails)
        for (name, seconds, fails) in [
            ("task 1", 1.0, false),
            ("task 2", 2.0, true),
            ("task 3", 5.0, false),
        ] {
            let (nap, cleaned_up, finished) = (
                rt.sleep(env.secs(seconds)),
                cleaned_up.clone(),
                finished.clone(),
            );
            group.spawn_named(name, async move {
                let _cleanup = Cleanup(cleaned_up);
                nap.await;
                if fails {
                    tracing::info!(task = name, "failing");
                    return Err(format!("{name} failed"));
                }
                finished.fetch_add(1, Ordering::SeqCst);
                tracing::info!(task = name, "done");
                Ok(name)
            });
        }
        let start = rt.now();
        let outcome = group.join().await;
        let took = rt.now() - start;
        let (first, failures, cancelled) = match &outcome {
            Ok(_) => (None, 0, Vec::new()),
            Err(e) => (
                Some(e.first().error().clone()),
                e.failures().len(),
                e.cancelled()
                    .iter()
                    .map(|c| c.name().unwrap_or("?").to_owned())
                    .collect(),
            ),
        };
        println!(
            "  S8: the group ended at {:.3} s with {:?}; cancelled: {cancelled:?}",
            env.scenario(took),
            first
        );
        report.took(env, "S8 the group ends with the failure", 2.0, took);
        report.equal(
            env,
            "S8 the group's error",
            Some("task 2 failed".to_owned()),
            first,
        );
        report.equal(env, "S8 failures reported", 1, failures);
        report.equal(env, "S8 cancelled", vec!["task 3".to_owned()], cancelled);
        report.equal(
            env,
            "S8 finished, cleaned up when the group returned",
            (1, 3),
            (
                finished.load(Ordering::SeqCst),
                cleaned_up.load(Ordering::SeqCst),
            ),
        );
    });
}

/// What S16's workers did.
#[derive(Default, Clone)]
struct Workers {
    /// Work items done, all workers together.
    items: Arc<AtomicUsize>,
    /// Workers that flushed on the signal.
    flushed: Arc<AtomicUsize>,
    /// Cleanups run (one per worker, however it ended).
    cleaned_up: Arc<AtomicUsize>,
    /// Workers running now.
    alive: Arc<AtomicUsize>,
}

/// Counts a worker alive until dropped.
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(alive: &Arc<AtomicUsize>) -> Self {
        alive.fetch_add(1, Ordering::SeqCst);
        Self(alive.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A worker that loops forever, an item every 0.1 s, until `token` is cancelled; then it
/// flushes for 0.2 s and returns.
async fn polite_worker(
    env: Env,
    id: usize,
    token: CancellationToken,
    w: Workers,
) -> Result<(), String> {
    let _cleanup = Cleanup(w.cleaned_up.clone());
    let _alive = Alive::new(&w.alive);
    while token
        .run_until_cancelled(wrangle::sleep(&env.rt, env.secs(0.1)))
        .await
        .is_some()
    {
        w.items.fetch_add(1, Ordering::SeqCst);
    }
    tracing::info!(worker = id, "signalled: flushing");
    wrangle::sleep(&env.rt, env.secs(0.2)).await;
    w.flushed.fetch_add(1, Ordering::SeqCst);
    tracing::info!(worker = id, "flushed, stopping");
    Ok(())
}

/// A worker that never looks at the signal: only cancellation stops it.
async fn stubborn_worker(env: Env, w: Workers) -> Result<(), String> {
    let _cleanup = Cleanup(w.cleaned_up.clone());
    let _alive = Alive::new(&w.alive);
    loop {
        wrangle::sleep(&env.rt, env.secs(0.1)).await;
        w.items.fetch_add(1, Ordering::SeqCst);
    }
}

fn s16_graceful_shutdown(env: &Env, report: &mut Report, until_ctrl_c: bool) {
    let rt = &env.rt;
    rt.block_on(async {
        let w = Workers::default();
        let mut group = TaskGroup::new(rt);
        for id in 0..3 {
            let token = group.token().clone();
            group.spawn_named(
                format!("worker {id}"),
                polite_worker(env.clone(), id, token, w.clone()),
            );
        }
        group.spawn_named("stubborn", stubborn_worker(env.clone(), w.clone()));

        // The shutdown signal: Ctrl-C, or (so the run checks itself) a timer at 1 s.
        let signal = CancellationToken::new();
        *SIGNAL.lock().unwrap_or_else(PoisonError::into_inner) = Some(signal.clone());
        let start = rt.now();
        let _timer = (!until_ctrl_c).then(|| {
            let (nap, signal) = (rt.sleep(env.secs(1.0)), signal.clone());
            rt.spawn(async move {
                nap.await;
                println!("  S16: the shutdown signal (a timer standing in for Ctrl-C)");
                signal.cancel();
            })
        });
        if until_ctrl_c {
            println!("  S16: 4 workers running; press Ctrl-C to shut them down");
        }
        signal.cancelled().await;
        SIGNAL.lock().unwrap_or_else(PoisonError::into_inner).take();
        let signalled = rt.now();
        let items_at_signal = w.items.load(Ordering::SeqCst);

        let shutdown = group.shutdown(rt, env.secs(1.0)).await;
        let took = rt.now() - signalled;
        let unfinished: Vec<String> = shutdown
            .unfinished()
            .iter()
            .map(|c| c.name().unwrap_or("?").to_owned())
            .collect();
        let outcomes: Vec<&str> = shutdown
            .outcomes()
            .iter()
            .map(|o| match o {
                Ok(()) => "finished",
                Err(ChildError::Cancelled) => "cancelled",
                Err(_) => "failed",
            })
            .collect();
        println!(
            "  S16: signal after {:.3} s and {items_at_signal} items; shutdown took {:.3} s; \
             outcomes {outcomes:?}; not finished within the grace: {unfinished:?}",
            env.scenario(signalled - start),
            env.scenario(took)
        );
        if !until_ctrl_c {
            report.took(env, "S16 the signal", 1.0, signalled - start);
        }
        if !until_ctrl_c {
            // 4 workers, an item every 0.1 s for 1 s: 40 at most (fewer when a worker's 10th
            // item and the signal fall due together and the signal goes first). On a real
            // clock each sleep also waits for the timer's tick (tokio rounds up to the next
            // millisecond: 24 items at --scale 0.02), so only "every worker worked" is checked.
            let (expected, low) = if env.exact() {
                ("36..=40", 36)
            } else {
                ("4..=40", 4)
            };
            report.check(
                env,
                "S16 items done before the signal",
                expected,
                items_at_signal,
                (low..=40).contains(&items_at_signal),
            );
        }
        // The stubborn worker holds the shutdown for the whole grace.
        report.took(
            env,
            "S16 shutdown (grace 1 s, one stubborn worker)",
            1.0,
            took,
        );
        report.equal(
            env,
            "S16 outcomes",
            vec!["finished", "finished", "finished", "cancelled"],
            outcomes,
        );
        report.equal(
            env,
            "S16 not finished within the grace",
            vec!["stubborn".to_owned()],
            unfinished,
        );
        report.equal(
            env,
            "S16 flushed, cleaned up, alive after the shutdown",
            (3, 4, 0),
            (
                w.flushed.load(Ordering::SeqCst),
                w.cleaned_up.load(Ordering::SeqCst),
                w.alive.load(Ordering::SeqCst),
            ),
        );
        // Nothing keeps running: half a second later, no worker did another item.
        let items = w.items.load(Ordering::SeqCst);
        wrangle::sleep(rt, env.secs(0.5)).await;
        report.equal(
            env,
            "S16 items done after the shutdown",
            0,
            w.items.load(Ordering::SeqCst) - items,
        );
    });
}

fn main() -> ExitCode {
    let (args, flags) = match Args::parse_with("structured", 0.1, &["--until-ctrl-c"]) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let until_ctrl_c = flags.contains(&"--until-ctrl-c");
    if let Err(e) = install_ctrl_c() {
        eprintln!("cannot install the Ctrl-C handler: {e}");
        return ExitCode::FAILURE;
    }
    let envs = match args.runtimes(true) {
        Ok(envs) => envs,
        Err(code) => return code,
    };
    let mut report = Report::default();
    for env in &envs {
        if until_ctrl_c && env.exact() {
            println!("\non sim: skipped (nothing but virtual time would ever send Ctrl-C)");
            continue;
        }
        println!("\non {} (1 scenario second = {} s):", env.name(), env.scale);
        if !until_ctrl_c {
            s7_shield(env, &mut report);
            s8_task_group(env, &mut report);
        }
        s16_graceful_shutdown(env, &mut report, until_ctrl_c);
    }
    report.finish()
}
