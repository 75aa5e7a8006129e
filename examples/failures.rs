//! When calls fail or take too long: docs/scenarios.md S3 and S7 (first part), on every
//! runtime.
//!
//! ```text
//! cargo run --example failures --features full                     # every runtime
//! cargo run --example failures --features full -- --runtime tokio --scale 1
//! ```
//!
//! - S3: three calls of 1 s, the second fails after 0.5 s. Fail-fast (`try_gather`): the error
//!   at 0.5 s, the other two cancelled (their cleanup has run, nothing keeps running).
//!   Collect-all (`gather` over `Result`s): three outcomes in input order at 1 s.
//! - S7: a 5 s operation under a 3 s timeout: the timeout error at 3 s, and the operation's
//!   cleanup has run by the time the caller sees it.
//!
//! S3's fail-fast over *spawned* tasks is a task group, in `structured.rs` (S8) with S7's
//! shielded write. Durations are scaled by `--scale` (default 0.1); under `sim`
//! the figures are exact. The program exits non-zero when a figure is off.

mod common;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Cleanup, Env, Report};
use wrangle::{Runtime, Timer};

/// How many calls of a batch were dropped, and how many finished.
#[derive(Default, Clone)]
struct Counters {
    dropped: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
}

/// S3's call `i`: 1 s, except call 1, which fails after 0.5 s.
async fn call(env: &Env, counters: Counters, i: u32) -> Result<u32, String> {
    let _cleanup = Cleanup(counters.dropped.clone());
    if i == 1 {
        wrangle::sleep(&env.rt, env.secs(0.5)).await;
        return Err("call 1 failed".to_owned());
    }
    wrangle::sleep(&env.rt, env.secs(1.0)).await;
    counters.finished.fetch_add(1, Ordering::SeqCst);
    Ok(i)
}

fn s3_one_of_a_batch_fails(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let counters = Counters::default();
        let start = rt.now();
        let outcome = wrangle::try_gather((0..3).map(|i| call(env, counters.clone(), i))).await;
        let took = rt.now() - start;
        let dropped = counters.dropped.load(Ordering::SeqCst);
        println!(
            "  S3 fail-fast: {outcome:?} after {:.3} s; {dropped} calls dropped",
            env.scenario(took)
        );
        report.took(env, "S3 fail-fast error", 0.5, took);
        report.equal(
            env,
            "S3 fail-fast outcome",
            Err("call 1 failed".to_owned()),
            outcome,
        );
        report.equal(
            env,
            "S3 fail-fast: calls dropped before the error",
            3,
            dropped,
        );
        // Nothing keeps running in the background: a second later, still nothing finished.
        wrangle::sleep(rt, env.secs(1.0)).await;
        report.equal(
            env,
            "S3 fail-fast: finished in the background",
            0,
            counters.finished.load(Ordering::SeqCst),
        );

        let counters = Counters::default();
        let start = rt.now();
        let outcomes = wrangle::gather((0..3).map(|i| call(env, counters.clone(), i))).await;
        let took = rt.now() - start;
        println!("  S3 collect-all: {outcomes:?}");
        report.took(env, "S3 collect-all", 1.0, took);
        report.equal(
            env,
            "S3 collect-all outcomes",
            vec![Ok(0), Err("call 1 failed".to_owned()), Ok(2)],
            outcomes,
        );
    });
}

fn s7_timeout(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let operation = {
            let dropped = dropped.clone();
            async move {
                let _cleanup = Cleanup(dropped);
                wrangle::sleep(rt, env.secs(5.0)).await;
                "written"
            }
        };
        let start = rt.now();
        let outcome = wrangle::timeout(rt, env.secs(3.0), operation).await;
        let took = rt.now() - start;
        let cleaned_up = dropped.load(Ordering::SeqCst);
        println!(
            "  S7: a 5 s operation under a 3 s timeout: {outcome:?} at {:.3} s; cleanup ran: {}",
            env.scenario(took),
            cleaned_up == 1
        );
        report.took(env, "S7 timeout error", 3.0, took);
        report.equal(env, "S7 timed out", true, outcome.is_err());
        report.equal(env, "S7 cleanup ran before the error", 1, cleaned_up);
    });
}

fn main() -> ExitCode {
    common::run_each("failures", 0.1, true, |env, report| {
        s3_one_of_a_batch_fails(env, report);
        s7_timeout(env, report);
    })
}
