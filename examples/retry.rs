//! Retry with exponential backoff: docs/scenarios.md S9, on every runtime.
//!
//! ```text
//! cargo run --example retry --features full                        # every runtime
//! cargo run --example retry --features full -- --runtime sim
//! ```
//!
//! Base delay 0.1 s, doubling, at most 3 retries (so at most 4 attempts):
//! - a call that always fails: delays 0.1, 0.2, 0.4 s, then the last error, 4 attempts, 0.7 s;
//! - a call that fails twice, then succeeds: its value after 0.3 s, 3 attempts;
//! - with full and equal jitter, every delay stays within its documented bounds
//!   (`[0, d]` and `[d/2, d]` for the nominal delay `d`);
//! - twenty calls that each fail 70 % of the time (the runtime's random source): each is tried
//!   at most 4 times.
//!
//! Retry is `wrangle::retry`: `retry(&rt, &policy, f)` borrows the runtime and the policy
//! (`rt.retry(policy, f)`, from `wrangle::RetryExt`, is the owning form, for a retry that is
//! spawned or stored). Durations are scaled by `--scale` (default 0.1); under `sim` the
//! figures are exact. The program exits non-zero when a figure is off.

mod common;

use std::cell::RefCell;
use std::process::ExitCode;
use std::time::Duration;

use common::{Env, Report};
use wrangle::retry::{FailedAttempt, Jitter, RetryPolicy, retry};
use wrangle::{Runtime, Timer};

/// S9's policy: base delay 0.1 s, doubling, at most 3 retries; with the given jitter.
fn policy(env: &Env, jitter: Jitter) -> RetryPolicy {
    RetryPolicy::builder()
        .exponential(env.secs(0.1), 2.0)
        .jitter(jitter)
        .max_retries(3)
        .build()
        .expect("S9's policy is valid")
}

fn always_fails(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let policy = policy(env, Jitter::None);
        let delays = RefCell::new(Vec::new());
        let start = rt.now();
        let outcome = retry(rt, &policy, |attempt| async move {
            Err::<(), _>(format!("failure {}", attempt.number()))
        })
        .before_sleep(|failure: &FailedAttempt<String>, _: &_, delay: Duration| {
            println!(
                "  S9: {failure:?}; retrying in {:.3} s",
                env.scenario(delay)
            );
            delays.borrow_mut().push(delay);
        })
        .await;
        let took = rt.now() - start;
        let delays: Vec<String> = delays
            .into_inner()
            .into_iter()
            .map(|d| format!("{:.3}", env.scenario(d)))
            .collect();
        report.equal(
            env,
            "S9 always fails: delays (s)",
            "0.100, 0.200, 0.400".to_owned(),
            delays.join(", "),
        );
        match outcome {
            Ok(()) => {
                report.check(env, "S9 always fails: outcome", "an error", "Ok", false);
            }
            Err(err) => {
                println!("  S9: {err}");
                report.equal(env, "S9 always fails: attempts", 4, err.attempts());
                report.equal(
                    env,
                    "S9 always fails: last error",
                    Some("failure 4"),
                    err.last_error().map(String::as_str),
                );
            }
        }
        report.took(env, "S9 always fails: total", 0.7, took);
    });
}

fn fails_twice(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let policy = policy(env, Jitter::None);
        let start = rt.now();
        let outcome = retry(rt, &policy, |attempt| async move {
            if attempt.number() <= 2 {
                Err("flaky")
            } else {
                Ok(42)
            }
        })
        .with_stats()
        .await;
        let took = rt.now() - start;
        println!("  S9: fails twice, then succeeds: {outcome:?}");
        report.took(env, "S9 fails twice: value after", 0.3, took);
        report.equal(
            env,
            "S9 fails twice: value, attempts",
            Some((42, 3)),
            outcome.ok().map(|(v, stats)| (v, stats.attempts())),
        );
    });
}

fn jitter_bounds(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    for (jitter, name, low) in [(Jitter::Full, "full", 0.0), (Jitter::Equal, "equal", 0.5)] {
        let delays = rt.block_on(async {
            let policy = policy(env, jitter);
            let delays = RefCell::new(Vec::new());
            let _ = retry(rt, &policy, |_| async { Err::<(), _>("down") })
                .before_sleep(|_: &FailedAttempt<&str>, _: &_, d: Duration| {
                    delays.borrow_mut().push(d)
                })
                .await;
            delays.into_inner()
        });
        let shown: Vec<String> = delays
            .iter()
            .map(|d| format!("{:.3}", env.scenario(*d)))
            .collect();
        println!("  S9: {name} jitter delays (s): {}", shown.join(", "));
        let within = delays.len() == 3
            && delays.iter().enumerate().all(|(k, d)| {
                let nominal = env.secs(0.1) * (1 << k);
                *d <= nominal && d.as_secs_f64() >= nominal.as_secs_f64() * low
            });
        report.check(
            env,
            &format!("S9 {name} jitter: 3 delays within bounds"),
            format!("[{low}d, d] for d = 0.1, 0.2, 0.4"),
            shown.join(", "),
            within,
        );
    }
}

fn seventy_percent(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let policy = policy(env, Jitter::Full);
        let (mut ok, mut gave_up, mut max_attempts) = (0, 0, 0);
        for _call in 0..20 {
            let outcome = retry(rt, &policy, |_| async {
                if rt.random_u64() % 10 < 7 {
                    Err("failed (70 % of calls do)")
                } else {
                    Ok("answer")
                }
            })
            .with_stats()
            .await;
            let attempts = match outcome {
                Ok((_, stats)) => {
                    ok += 1;
                    stats.attempts()
                }
                Err(err) => {
                    gave_up += 1;
                    err.attempts()
                }
            };
            max_attempts = max_attempts.max(attempts);
        }
        println!("  S9: 20 calls failing 70 % of the time: {ok} succeeded, {gave_up} gave up");
        report.equal(env, "S9 70 % failing: every call ends", 20, ok + gave_up);
        report.at_most(env, "S9 70 % failing: attempts per call", 4, max_attempts);
    });
}

fn main() -> ExitCode {
    common::run_each("retry", 0.1, true, |env, report| {
        always_fails(env, report);
        fails_twice(env, report);
        jitter_bounds(env, report);
        seventy_percent(env, report);
    })
}
