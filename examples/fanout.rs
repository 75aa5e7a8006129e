//! Fan-out, results as they finish, and waiting on a set: docs/scenarios.md S2, S5 and S6, on
//! every runtime.
//!
//! ```text
//! cargo run --example fanout --features full                       # every runtime
//! cargo run --example fanout --features full -- --runtime smol --scale 1
//! ```
//!
//! - S2: three services of 1, 1.5 and 0.8 s, one after the other (3.3 s), then gathered
//!   (1.5 s), results in argument order.
//! - S5: calls of 2.4, 0.7, 1.9, 0.5, 1.2 s handled as they finish; then an overall deadline
//!   of 2.5 s over calls of 1, 3, 2, 4 s: two results, a deadline error, two calls cancelled.
//! - S6: the first to finish; the first error; all with a time limit; redundant servers.
//!
//! Durations are scaled by `--scale` (default 0.1); under `sim` the figures are exact. The
//! program exits non-zero when a figure is off.

mod common;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Cleanup, Env, Report};
use futures_lite::StreamExt;
use wrangle::{Runtime, Timer};

/// A call that takes `seconds` of scenario time and answers its name.
async fn service(env: &Env, name: &'static str, seconds: f64) -> &'static str {
    wrangle::sleep(&env.rt, env.secs(seconds)).await;
    name
}

/// A call that takes `seconds`, whose cleanup counts in `dropped`.
async fn guarded(env: &Env, dropped: Arc<AtomicUsize>, seconds: f64) -> f64 {
    let _cleanup = Cleanup(dropped);
    wrangle::sleep(&env.rt, env.secs(seconds)).await;
    seconds
}

fn s2_fan_out(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let start = rt.now();
        let user = service(env, "user", 1.0).await;
        let orders = service(env, "orders", 1.5).await;
        let recs = service(env, "recommendations", 0.8).await;
        let took = rt.now() - start;
        println!("  S2: one after the other: {user}, {orders}, {recs}");
        report.took(env, "S2 sequential", 3.3, took);

        let start = rt.now();
        let all = wrangle::gather([
            service(env, "user", 1.0),
            service(env, "orders", 1.5),
            service(env, "recommendations", 0.8),
        ])
        .await;
        let took = rt.now() - start;
        println!("  S2: gathered: {all:?} (argument order, not finish order)");
        report.took(env, "S2 gathered", 1.5, took);
        report.equal(
            env,
            "S2 gathered order",
            vec!["user", "orders", "recommendations"],
            all,
        );
    });
}

fn s5_as_completed(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let durations = [2.4, 0.7, 1.9, 0.5, 1.2];
        let mut results = std::pin::pin!(wrangle::as_completed(
            durations.map(|d| service(env, "call", d).map_to(d))
        ));
        let mut handled = Vec::new();
        while let Some((index, seconds)) = results.next().await {
            println!("  S5: call {index} ({seconds} s) handled as it finished");
            handled.push(seconds);
        }
        report.equal(
            env,
            "S5 completion order",
            vec![0.5, 0.7, 1.2, 1.9, 2.4],
            handled,
        );

        let dropped = Arc::new(AtomicUsize::new(0));
        let start = rt.now();
        let calls = [1.0, 3.0, 2.0, 4.0].map(|d| guarded(env, dropped.clone(), d));
        let mut results =
            std::pin::pin!(wrangle::as_completed(calls).deadline(rt, start + env.secs(2.5)));
        let mut got = Vec::new();
        let mut deadline_at = None;
        while let Some(item) = results.next().await {
            match item {
                Ok((index, seconds)) => {
                    println!("  S5: with a 2.5 s deadline: call {index} ({seconds} s) done");
                    got.push(seconds);
                }
                Err(e) => {
                    println!(
                        "  S5: with a 2.5 s deadline: {e}; the unfinished calls are cancelled"
                    );
                    deadline_at = Some(rt.now() - start);
                }
            }
        }
        report.equal(env, "S5 results before the deadline", vec![1.0, 2.0], got);
        match deadline_at {
            Some(at) => report.took(env, "S5 deadline error", 2.5, at),
            None => report.check(env, "S5 deadline error", "an error", "none", false),
        };
        report.equal(
            env,
            "S5 calls dropped (2 done + 2 cancelled)",
            4,
            dropped.load(Ordering::SeqCst),
        );
    });
}

fn s6_waiting_on_a_set(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        // First to finish over 1, 2, 3 s.
        let dropped = Arc::new(AtomicUsize::new(0));
        let start = rt.now();
        let waited = wrangle::wait([1.0, 2.0, 3.0].map(|s| guarded(env, dropped.clone(), s)))
            .first_completed()
            .await;
        let took = rt.now() - start;
        println!(
            "  S6: first completed: {:?} done, {:?} pending; cancelling the pending ones",
            waited.done,
            waited.pending.indices()
        );
        report.took(env, "S6 first completed", 1.0, took);
        report.equal(
            env,
            "S6 first completed: done, pending",
            (vec![(0, 1.0)], vec![1, 2]),
            (waited.done, waited.pending.indices()),
        );
        drop(waited.pending);
        report.equal(
            env,
            "S6 pending cancelled on drop",
            3,
            dropped.load(Ordering::SeqCst),
        );

        // First error over "ok at 2 s", "fails at 1 s", "ok at 3 s".
        let call = |seconds: f64, ok: bool| async move {
            wrangle::sleep(rt, env.secs(seconds)).await;
            if ok {
                Ok(seconds)
            } else {
                Err(format!("failed at {seconds} s"))
            }
        };
        let start = rt.now();
        let waited = wrangle::wait([call(2.0, true), call(1.0, false), call(3.0, true)])
            .first_error()
            .await;
        let took = rt.now() - start;
        println!("  S6: first error: {:?}", waited.done);
        report.took(env, "S6 first error", 1.0, took);
        report.equal(
            env,
            "S6 first error: done",
            vec![(1, Err("failed at 1 s".to_owned()))],
            waited.done,
        );

        // All, with a 2 s limit, over 1, 3, 5 s.
        let start = rt.now();
        let waited = wrangle::wait([1.0, 3.0, 5.0].map(|s| guarded(env, dropped.clone(), s)))
            .timeout(rt, env.secs(2.0))
            .await;
        let took = rt.now() - start;
        println!(
            "  S6: all within 2 s: {:?} done, {:?} pending",
            waited.done,
            waited.pending.indices()
        );
        report.took(env, "S6 all, 2 s limit", 2.0, took);
        report.equal(
            env,
            "S6 all, 2 s limit: done, pending",
            (vec![(0, 1.0)], vec![1, 2]),
            (waited.done, waited.pending.indices()),
        );
        drop(waited.pending);

        // Redundant servers A 2 s, B 1 s, C 3 s.
        let dropped = Arc::new(AtomicUsize::new(0));
        let server = |name: &'static str, seconds: f64| {
            let dropped = dropped.clone();
            async move {
                let _cleanup = Cleanup(dropped);
                service(env, name, seconds).await
            }
        };
        let start = rt.now();
        let winner = wrangle::race([server("A", 2.0), server("B", 1.0), server("C", 3.0)]).await;
        let took = rt.now() - start;
        println!("  S6: redundant servers: {winner:?} answered first; A and C cancelled");
        report.took(env, "S6 race", 1.0, took);
        report.equal(env, "S6 race winner", Some((1, "B")), winner);
        report.equal(
            env,
            "S6 race: all three dropped",
            3,
            dropped.load(Ordering::SeqCst),
        );
    });
}

/// Maps a future's output to a value known in advance.
trait MapTo: Future + Sized {
    fn map_to<T>(self, value: T) -> impl Future<Output = T> {
        async move {
            self.await;
            value
        }
    }
}

impl<F: Future> MapTo for F {}

fn main() -> ExitCode {
    common::run_each("fanout", 0.1, true, |env, report| {
        s2_fan_out(env, report);
        s5_as_completed(env, report);
        s6_waiting_on_a_set(env, report);
    })
}
