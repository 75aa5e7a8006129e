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
//! shows them in scenario seconds. Under `sim` (virtual time) the figures are exact and the run
//! is instant. The program exits non-zero when a figure is off.

use std::process::ExitCode;
use std::time::Duration;

use wrangle::{AnyRuntime, Runtime, Spawn, Timer};

/// A runtime to run the pipeline on, and how its blocking calls take their time.
#[derive(Clone)]
struct Env {
    rt: AnyRuntime,
    /// Under virtual time a blocking call parks in sim's clock instead of the OS's.
    sim: Option<wrangle::sim::Sim>,
}

impl Env {
    /// One blocking call of the scenario, e.g. `fetch_product`.
    fn blocking_call(&self, call: Duration) {
        match &self.sim {
            Some(sim) => sim.sleep_blocking(call),
            None => std::thread::sleep(call),
        }
    }

    /// Offloads one blocking call to the runtime's blocking pool.
    fn offload(&self, call: Duration) -> wrangle::Task<()> {
        let env = self.clone();
        self.rt.spawn_blocking(move || env.blocking_call(call))
    }
}

struct Row {
    runtime: &'static str,
    variant: &'static str,
    expected: f64,
    measured: f64,
    exact: bool,
}

impl Row {
    /// Virtual time is exact; a scaled real-time figure may be late by scheduling noise,
    /// never early.
    fn ok(&self) -> bool {
        if self.exact {
            (self.measured - self.expected).abs() < 1e-9
        } else {
            self.measured >= self.expected * 0.98 && self.measured <= self.expected * 1.25 + 0.3
        }
    }
}

fn order_pipeline(env: &Env, call: Duration, scale: f64) -> Vec<Row> {
    let rt = &env.rt;
    let row = |variant, expected, took: Duration| Row {
        runtime: rt.name(),
        variant,
        expected,
        measured: took.as_secs_f64() / scale,
        exact: env.sim.is_some(),
    };
    let mut rows = Vec::new();

    // Sequential: 3 orders, two calls each, one after the other: 6 s.
    let took = rt.block_on(async {
        let start = rt.now();
        for _order in 0..3 {
            env.offload(call).await; // fetch_product
            env.offload(call).await; // check_inventory
        }
        rt.now() - start
    });
    rows.push(row("sequential, 3 orders", 6.0, took));

    // Concurrent: both calls of every order at once, offloaded: ≈ 1 s.
    let took = rt.block_on(async {
        let start = rt.now();
        let calls: Vec<_> = (0..6).map(|_| env.offload(call)).collect();
        for c in calls {
            c.await;
        }
        rt.now() - start
    });
    rows.push(row("concurrent, 3 orders", 1.0, took));
    rows
}

fn runtimes(which: &str) -> Result<Vec<Env>, String> {
    let real = |rt: AnyRuntime| Env { rt, sim: None };
    let all = which == "all";
    let mut out = Vec::new();
    if all || which == "tokio" {
        let rt = wrangle::tokio::Tokio::multi_thread().map_err(|e| e.to_string())?;
        out.push(real(AnyRuntime::new(rt)));
    }
    if all || which == "tokio-current-thread" {
        let rt = wrangle::tokio::Tokio::current_thread().map_err(|e| e.to_string())?;
        out.push(real(AnyRuntime::new(rt)));
    }
    if all || which == "smol" {
        let rt = wrangle::smol::Smol::new().map_err(|e| e.to_string())?;
        out.push(real(AnyRuntime::new(rt)));
    }
    if all || which == "async-std" {
        out.push(real(AnyRuntime::new(wrangle::async_std::AsyncStd::new())));
    }
    if all || which == "sim" {
        let sim = wrangle::sim::Sim::new(1);
        out.push(Env {
            rt: AnyRuntime::new(sim.clone()),
            sim: Some(sim),
        });
    }
    if out.is_empty() {
        return Err(format!(
            "unknown runtime {which:?}: use tokio, tokio-current-thread, smol, async-std, sim \
             or all"
        ));
    }
    Ok(out)
}

const USAGE: &str =
    "usage: showcase [--runtime tokio|tokio-current-thread|smol|async-std|sim|all] [--scale F]";

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
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let envs = match runtimes(&which) {
        Ok(envs) => envs,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let call = Duration::from_secs_f64(scale);
    println!("S1 order pipeline: blocking calls of 1 s (scaled x{scale}), in scenario seconds\n");
    let mut rows = Vec::new();
    for env in &envs {
        println!("running on {} ...", env.rt.name());
        rows.extend(order_pipeline(env, call, scale));
    }
    println!("\n| runtime | variant | expected | measured | check |");
    println!("|---|---|---:|---:|---|");
    let mut off = 0;
    for r in &rows {
        let ok = r.ok();
        off += usize::from(!ok);
        let check = if ok { "ok" } else { "OFF" };
        println!(
            "| {} | {} | {:.2} s | {:.3} s | {check} |",
            r.runtime, r.variant, r.expected, r.measured
        );
    }
    if off > 0 {
        eprintln!("\n{off} figure(s) off");
        return ExitCode::FAILURE;
    }
    println!("\nevery figure as expected");
    ExitCode::SUCCESS
}
