//! Virtual time: 1 000 000 sleeps of random durations across 10 000 tasks, on wrangle-sim and
//! on tokio's paused clock (`start_paused`), which auto-advances when every task is idle.
//!
//! ```text
//! cargo bench --bench sim
//! ```
//!
//! Reports wall time per virtual event (one sleep completing), the two runtimes alternated
//! round by round in one run, medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

mod common;

use common::median;
use criterion::Criterion;
use wrangle_core::Spawn;

const TASKS: u64 = 10_000;
const SLEEPS_PER_TASK: u64 = 100;
const EVENTS: u64 = TASKS * SLEEPS_PER_TASK;

/// The durations task `t` sleeps: 1 µs to 10 ms, the same on both runtimes.
fn durations(t: u64) -> impl Iterator<Item = Duration> {
    let mut rng = fastrand::Rng::with_seed(t);
    (0..SLEEPS_PER_TASK).map(move |_| Duration::from_micros(rng.u64(1..10_000)))
}

fn sim_run() -> f64 {
    let start = Instant::now();
    let virtual_end = wrangle_sim::run(7, |rt| async move {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let timer = rt.clone();
                rt.spawn(async move {
                    for d in durations(t) {
                        wrangle_core::sleep(&timer, d).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        rt.elapsed()
    });
    black_box(virtual_end);
    start.elapsed().as_nanos() as f64 / EVENTS as f64
}

fn tokio_paused_run() -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio");
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                tokio::spawn(async move {
                    for d in durations(t) {
                        tokio::time::sleep(d).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("no panic");
        }
    });
    start.elapsed().as_nanos() as f64 / EVENTS as f64
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("virtual_time_1m_sleeps");
        g.bench_function("wrangle-sim", |b| b.iter(sim_run));
        g.bench_function("tokio start_paused", |b| b.iter(tokio_paused_run));
        g.finish();
    }
    c.final_summary();

    let rounds = 7;
    let (mut sim, mut tokio) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            sim.push(sim_run());
            tokio.push(tokio_paused_run());
        } else {
            tokio.push(tokio_paused_run());
            sim.push(sim_run());
        }
    }
    let ratio: Vec<f64> = sim.iter().zip(&tokio).map(|(s, t)| s / t).collect();
    println!("\n1 000 000 sleeps across 10 000 tasks, {rounds} alternating rounds (median)");
    println!("| runtime | wall ns per virtual event |");
    println!("|---|---:|");
    println!("| wrangle-sim | {:.0} |", median(sim));
    println!("| tokio start_paused | {:.0} |", median(tokio));
    println!("| wrangle-sim ÷ tokio | {:.2}x |", median(ratio));
}
