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

mod common;

use std::process::ExitCode;

use common::{Args, Env, Report};
use wrangle::{Runtime, Timer};

fn order_pipeline(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    let call = env.secs(1.0);

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
