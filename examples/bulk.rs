//! Bulk work with a bound: docs/scenarios.md S4, S14 and S15, on every runtime.
//!
//! ```text
//! cargo run --example bulk --features full                         # every runtime
//! cargo run --example bulk --features full -- --runtime smol --scale 0.05
//! ```
//!
//! - S4: 1 000 requests of 1 s, at most 50 in flight: ≈ 20 s, and the peak number in flight,
//!   measured inside the requests, is exactly 50. Every hundredth request fails. Prints the
//!   statistics a user wants: started, completed, failed, peak concurrency, total time.
//! - S14: twenty items of 0.1 s gathered at once take 0.1 s; four batches of five, gathered
//!   at once, each batch taking 0.05 s per item, take 0.25 s.
//! - S15: 1 000, then 10 000 items from an async source, processed as they arrive with at most
//!   32 in flight: the number of items held at once (pulled from the source, not yet handed
//!   on) stays at most 32 however many items flow: memory stays flat.
//!
//! Durations are scaled by `--scale` (default 0.05); under `sim` the figures are exact. The
//! program exits non-zero when a figure is off.

mod common;

use std::cell::Cell;
use std::process::ExitCode;

use common::{Env, Report};
use futures_lite::StreamExt;
use wrangle::{Runtime, Timer};

/// What S4's user wants to know at the end.
#[derive(Debug, Default)]
struct Stats {
    started: Cell<usize>,
    completed: Cell<usize>,
    failed: Cell<usize>,
    in_flight: Cell<usize>,
    peak: Cell<usize>,
}

fn bump(c: &Cell<usize>) {
    c.set(c.get() + 1);
}

fn s4_bounded_bulk_fetch(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    let limit = 50;
    rt.block_on(async {
        let stats = Stats::default();
        let request = |i: u32| {
            let stats = &stats;
            async move {
                bump(&stats.started);
                bump(&stats.in_flight);
                stats.peak.set(stats.peak.get().max(stats.in_flight.get()));
                wrangle::sleep(rt, env.secs(1.0)).await;
                stats.in_flight.set(stats.in_flight.get() - 1);
                if i % 100 == 99 {
                    bump(&stats.failed);
                    Err(format!("request {i} failed"))
                } else {
                    bump(&stats.completed);
                    Ok(i)
                }
            }
        };
        println!("  S4: 1000 requests of 1 s, at most 50 in flight ...");
        let bar = common::progress(env, 1000, "S4 requests");
        let start = rt.now();
        let outcomes = wrangle::gather((0..1000).map(request))
            .limit(limit)
            .progress(|p| {
                bar.set_position(p.done() as u64);
                if p.done() % 250 == 0 {
                    common::say(&bar, format!("  S4: {} of 1000 done", p.done()));
                }
            })
            .await;
        bar.finish_and_clear();
        let took = rt.now() - start;
        println!(
            "  S4: started {}, completed {}, failed {}, peak concurrency {}, total time {:.3} s",
            stats.started.get(),
            stats.completed.get(),
            stats.failed.get(),
            stats.peak.get(),
            env.scenario(took)
        );
        report.took(env, "S4 total time", 20.0, took);
        report.equal(env, "S4 peak in flight", 50, stats.peak.get());
        report.equal(
            env,
            "S4 started, completed, failed",
            (1000, 990, 10),
            (
                stats.started.get(),
                stats.completed.get(),
                stats.failed.get(),
            ),
        );
        let in_order = outcomes.iter().enumerate().all(|(i, o)| match o {
            Ok(v) => *v as usize == i,
            Err(e) => *e == format!("request {i} failed"),
        });
        report.equal(env, "S4 outcomes in input order", true, in_order);
    });
}

fn s14_batching(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let item = |i: u64, seconds: f64| async move {
            wrangle::sleep(rt, env.secs(seconds)).await;
            i
        };
        let start = rt.now();
        let out = wrangle::gather((0..20).map(|i| item(i, 0.1))).await;
        let took = rt.now() - start;
        println!(
            "  S14: 20 items of 0.1 s gathered at once: {:.3} s",
            env.scenario(took)
        );
        report.took(env, "S14 twenty at once", 0.1, took);
        report.equal(
            env,
            "S14 twenty at once, in order",
            (0..20).collect::<Vec<_>>(),
            out,
        );

        let batch = |b: u64| async move {
            let mut out = Vec::new();
            for i in b * 5..b * 5 + 5 {
                out.push(item(i, 0.05).await);
            }
            out
        };
        let start = rt.now();
        let batches = wrangle::gather((0..4).map(batch)).await;
        let took = rt.now() - start;
        println!(
            "  S14: 4 batches of 5 at 0.05 s an item, batches at once: {:.3} s",
            env.scenario(took)
        );
        report.took(env, "S14 four batches of five", 0.25, took);
        report.equal(
            env,
            "S14 batches, in order",
            (0..20).collect::<Vec<_>>(),
            batches.concat(),
        );
    });
}

/// Streams `items` through a bounded gather; gives the peak number held at once.
fn s15_stream(env: &Env, items: u64) -> (u64, usize) {
    let rt = &env.rt;
    let limit = 32;
    rt.block_on(async {
        let held = Cell::new(0usize);
        let peak = Cell::new(0usize);
        let source = futures_lite::stream::iter(0..items).map(|i| {
            held.set(held.get() + 1);
            peak.set(peak.get().max(held.get()));
            async move {
                wrangle::sleep(rt, env.secs(0.01)).await;
                i * 2
            }
        });
        let mut outputs = std::pin::pin!(wrangle::gather_stream(source).limit(limit));
        let mut seen = 0;
        while let Some(v) = outputs.next().await {
            held.set(held.get() - 1);
            if v == seen * 2 {
                seen += 1;
            }
        }
        (seen, peak.get())
    })
}

fn s15_streaming(env: &Env, report: &mut Report) {
    for items in [1_000, 10_000] {
        let start = std::time::Instant::now();
        let (seen, peak) = s15_stream(env, items);
        println!(
            "  S15: {items} items streamed, at most {peak} held at once ({:.0} ms of wall time)",
            start.elapsed().as_secs_f64() * 1e3
        );
        report.equal(env, &format!("S15 {items} items, in order"), items, seen);
        report.at_most(env, &format!("S15 {items} items, held at once"), 32, peak);
    }
}

fn main() -> ExitCode {
    common::run_each("bulk", 0.05, true, |env, report| {
        s4_bounded_bulk_fetch(env, report);
        s14_batching(env, report);
        s15_streaming(env, report);
    })
}
