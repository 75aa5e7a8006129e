//! The order pipeline of SCENARIOS.md S1, on every runtime, with one summary table.
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
//! shows them in scenario seconds. The program exits non-zero when a figure is off.

use std::process::ExitCode;
use std::time::Duration;

use wrangle::{AnyRuntime, Runtime, Spawn, Timer};

/// One blocking call of the scenario, e.g. `fetch_product`.
fn blocking_call(call: Duration) {
    std::thread::sleep(call);
}

struct Row {
    runtime: &'static str,
    variant: &'static str,
    expected: f64,
    measured: f64,
}

impl Row {
    /// A scaled real-time figure may be late by scheduling noise, never early.
    fn ok(&self) -> bool {
        self.measured >= self.expected * 0.98 && self.measured <= self.expected * 1.25 + 0.3
    }
}

fn order_pipeline(rt: &AnyRuntime, call: Duration, scale: f64) -> Vec<Row> {
    let name = rt.name();
    let secs = |d: Duration| d.as_secs_f64() / scale;
    let mut rows = Vec::new();

    // Sequential: 3 orders, two calls each, one after the other: 6 s.
    let took = rt.block_on(async {
        let start = rt.now();
        for _ in 0..3 {
            rt.spawn_blocking(move || blocking_call(call)).await;
            rt.spawn_blocking(move || blocking_call(call)).await;
        }
        rt.now() - start
    });
    rows.push(Row {
        runtime: name,
        variant: "sequential, 3 orders",
        expected: 6.0,
        measured: secs(took),
    });

    // Concurrent: both calls of every order at once, offloaded: ≈ 1 s.
    let took = rt.block_on(async {
        let start = rt.now();
        let calls: Vec<_> = (0..6)
            .map(|_| rt.spawn_blocking(move || blocking_call(call)))
            .collect();
        for c in calls {
            c.await;
        }
        rt.now() - start
    });
    rows.push(Row {
        runtime: name,
        variant: "concurrent, 3 orders",
        expected: 1.0,
        measured: secs(took),
    });
    rows
}

fn runtimes(which: &str) -> Result<Vec<AnyRuntime>, String> {
    let mut out = Vec::new();
    let all = which == "all";
    if all || which == "tokio" {
        out.push(AnyRuntime::new(
            wrangle::tokio::Tokio::multi_thread().map_err(|e| e.to_string())?,
        ));
    }
    if all || which == "tokio-current-thread" {
        out.push(AnyRuntime::new(
            wrangle::tokio::Tokio::current_thread().map_err(|e| e.to_string())?,
        ));
    }
    if all || which == "smol" {
        out.push(AnyRuntime::new(
            wrangle::smol::Smol::new().map_err(|e| e.to_string())?,
        ));
    }
    if all || which == "async-std" {
        out.push(AnyRuntime::new(wrangle::async_std::AsyncStd::new()));
    }
    if out.is_empty() {
        return Err(format!(
            "unknown runtime {which:?}: use tokio, tokio-current-thread, smol, async-std or all"
        ));
    }
    Ok(out)
}

fn main() -> ExitCode {
    let mut which = String::from("all");
    let mut scale = 0.1_f64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--runtime", Some(v)) => which = v,
            ("--scale", Some(v)) => match v.parse::<f64>() {
                Ok(s) if s > 0.0 && s <= 10.0 => scale = s,
                _ => {
                    eprintln!("--scale takes a number in (0, 10], got {v:?}");
                    return ExitCode::FAILURE;
                }
            },
            _ => {
                eprintln!(
                    "usage: showcase [--runtime tokio|tokio-current-thread|smol|async-std|all] [--scale F]"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let rts = match runtimes(&which) {
        Ok(rts) => rts,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let call = Duration::from_secs_f64(scale);
    println!(
        "S1 order pipeline: blocking calls of 1 s (scaled ×{scale}), figures in scenario seconds\n"
    );
    let mut rows = Vec::new();
    for rt in &rts {
        println!("running on {} …", rt.name());
        rows.extend(order_pipeline(rt, call, scale));
    }
    println!("\n| runtime | variant | expected | measured | check |");
    println!("|---|---|---:|---:|---|");
    let mut failed = 0;
    for r in &rows {
        let ok = r.ok();
        failed += usize::from(!ok);
        println!(
            "| {} | {} | {:.2} s | {:.2} s | {} |",
            r.runtime,
            r.variant,
            r.expected,
            r.measured,
            if ok { "ok" } else { "OFF" }
        );
    }
    if failed > 0 {
        eprintln!("\n{failed} figure(s) off");
        return ExitCode::FAILURE;
    }
    println!("\nevery figure as expected");
    ExitCode::SUCCESS
}
