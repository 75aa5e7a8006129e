//! The order pipeline of docs/scenarios.md S1, on every runtime, with one summary table.
//!
//! Each order needs `fetch_product(id)` and `check_inventory(id)`, two *blocking* calls of
//! one second each. The pipeline runs them sequentially, then concurrently through the
//! runtime's blocking pool, and checks that each variant takes the time it should.
//!
//! ```text
//! cargo run --release --example showcase --features full            # every runtime
//! cargo run --release --example showcase --features full -- --runtime smol --scale 1
//! ```
//!
//! Durations are scaled (`--scale 0.1`, the default, makes a 1 s call take 100 ms); the table
//! shows them in scenario seconds. Under `sim` (virtual time) the figures are exact and the run
//! is instant. The program exits non-zero when a figure is off.

mod common;

use std::process::ExitCode;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Args, Env, Report};
use wrangle::blocking::CallLimit;
use wrangle::{Runtime, Spawn, Timer};

/// One call of an order, bounded by `cap`: the permit is taken first and moves into the
/// blocking call, so a call that never returns keeps its permit (as the contract says a hung
/// call does). `peak` records the most calls in flight, measured inside the calls.
async fn limited_call(
    env: &Env,
    cap: &CallLimit,
    call: Duration,
    in_flight: &Arc<(AtomicUsize, AtomicUsize)>,
) {
    let permit = cap.acquire().await;
    let (env2, in_flight) = (env.clone(), in_flight.clone());
    env.rt
        .spawn_blocking(move || {
            let _permit = permit;
            let now = in_flight.0.fetch_add(1, Ordering::SeqCst) + 1;
            in_flight.1.fetch_max(now, Ordering::SeqCst);
            env2.blocking_call(call);
            in_flight.0.fetch_sub(1, Ordering::SeqCst);
        })
        .await;
}

fn counters() -> Arc<(AtomicUsize, AtomicUsize)> {
    Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)))
}

fn order_pipeline(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    let call = env.secs(1.0);
    let bar = common::progress(env, 5, "S1 variants");
    bar.set_message("sequential");

    // Sequential: 3 orders, two calls each, one after the other: 6 s.
    let took = rt.block_on(async {
        let start = rt.now();
        for _order in 0..3 {
            env.offload(call).await; // fetch_product
            env.offload(call).await; // check_inventory
        }
        rt.now() - start
    });
    report.took(env, "sequential, 3 orders", 6.0, took);
    bar.inc(1);
    bar.set_message("concurrent");

    // Concurrent: both calls of every order at once, offloaded: ≈ 1 s.
    let took = rt.block_on(async {
        let start = rt.now();
        let calls: Vec<_> = (0..6).map(|_| env.offload(call)).collect();
        for c in calls {
            c.await;
        }
        rt.now() - start
    });
    report.took(env, "concurrent, 3 orders", 1.0, took);
    bar.inc(1);
    bar.set_message("bounded");

    // Bounded: 6 orders, every call at once, at most 3 blocking calls in flight: 12 / 3 = 4 s.
    let cap = CallLimit::new(3);
    let in_flight = counters();
    let took = rt.block_on(async {
        let start = rt.now();
        let calls = (0..12).map(|_| limited_call(env, &cap, call, &in_flight));
        wrangle::gather(calls).await;
        rt.now() - start
    });
    report.took(env, "bounded: 6 orders, <= 3 calls at once", 4.0, took);
    report.equal(
        env,
        "bounded: peak calls in flight",
        3,
        in_flight.1.load(Ordering::SeqCst),
    );
    bar.inc(1);
    bar.set_message("timed");

    // Per-call timeout of 3 s (covering the wait for a slot too: the limit is taken inside the
    // timed call), the two calls of an order one after the other, 3 orders: 2 s.
    let per_call = env.secs(3.0);
    let cap = CallLimit::new(3);
    let in_flight = counters();
    let (took, timeouts) = rt.block_on(async {
        let start = rt.now();
        let orders = (0..3).map(|_| async {
            for _ in 0..2 {
                wrangle::timeout(rt, per_call, limited_call(env, &cap, call, &in_flight)).await?;
            }
            Ok::<(), wrangle::Elapsed>(())
        });
        let outcomes = wrangle::gather(orders).await;
        (
            rt.now() - start,
            outcomes.iter().filter(|o| o.is_err()).count(),
        )
    });
    report.took(env, "timed: 3 orders, 3 s per call", 2.0, took);
    report.equal(env, "timed: orders timed out", 0, timeouts);
    bar.inc(1);
    bar.set_message("one hung call");

    // The same with one call that hangs forever: only that order times out, at 3 s; every
    // other order completes; the program ends (the hung thread is left behind, with its
    // permit, and nothing waits for it).
    let cap = CallLimit::new(3);
    let in_flight = counters();
    let (took, outcomes) = rt.block_on(async {
        let start = rt.now();
        let orders = (0..3).map(|order| {
            let (cap, in_flight) = (&cap, &in_flight);
            async move {
                for step in 0..2 {
                    let this_call = if order == 1 && step == 0 {
                        Duration::MAX
                    } else {
                        call
                    };
                    wrangle::timeout(rt, per_call, limited_call(env, cap, this_call, in_flight))
                        .await?;
                }
                Ok::<(), wrangle::Elapsed>(())
            }
        });
        let outcomes = wrangle::gather(orders).await;
        (rt.now() - start, outcomes)
    });
    let failed: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_err())
        .map(|(i, _)| i)
        .collect();
    report.took(env, "one hung call: the program ends", 3.0, took);
    report.equal(env, "one hung call: orders timed out", vec![1], failed);
    bar.finish_and_clear();
}

fn main() -> ExitCode {
    let args = match Args::parse("showcase", 0.1) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let envs = match args.runtimes(true) {
        Ok(envs) => envs,
        Err(code) => return code,
    };
    println!(
        "S1 order pipeline: blocking calls of 1 s (scaled x{}), in scenario seconds\n",
        args.scale
    );
    let mut report = Report::default();
    for env in &envs {
        println!("running on {} ...", env.name());
        order_pipeline(env, &mut report);
    }
    report.finish()
}
