//! The circuit breaker's cost per call: the failure-rate trip with 10^3 to 10^6 calls already
//! in its window, and the consecutive-failures trip beside it.
//!
//! ```text
//! cargo bench --bench breaker
//! ```
//!
//! Each figure is the wall time of one `try_enter` plus its report, averaged over 200 000
//! calls made after the window was filled with N calls (a quarter of them failures, so the
//! breaker stays closed), on the smol adapter's clock. The window is one hour, so every call
//! stays in it. The sizes alternate round by round; the table reports medians. Target: flat
//! (±20 %) from 10^3 to 10^6.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::median;
use criterion::{BenchmarkId, Criterion};
use wrangle::breaker::CircuitBreaker;
use wrangle_core::Timer;

const MEASURED: u64 = 200_000;
const SIZES: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];

fn breaker<T: Timer>(timer: T, rate: bool) -> CircuitBreaker<T> {
    let builder = CircuitBreaker::builder();
    let builder = if rate {
        builder.failure_rate(0.5, Duration::from_secs(3600), 10)
    } else {
        builder.consecutive_failures(u32::MAX)
    };
    builder.build(timer).expect("valid breaker")
}

fn call<T: Timer>(breaker: &CircuitBreaker<T>, i: u64) {
    let permit = breaker.try_enter().expect("closed");
    if i.is_multiple_of(4) {
        permit.failure();
    } else {
        permit.success();
    }
}

/// ns per call after `filled` calls are in the window.
fn per_call<T: Timer>(timer: &T, rate: bool, filled: u64) -> f64 {
    let breaker = breaker(timer.clone(), rate);
    for i in 0..filled {
        call(&breaker, i);
    }
    let start = Instant::now();
    for i in 0..MEASURED {
        call(black_box(&breaker), i);
    }
    start.elapsed().as_nanos() as f64 / MEASURED as f64
}

fn main() {
    let timer = wrangle_smol::Smol::new().expect("smol starts");
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("breaker_failure_rate_call");
        for filled in [1_000u64, 1_000_000] {
            let breaker = breaker(timer.clone(), true);
            for i in 0..filled {
                call(&breaker, i);
            }
            g.bench_with_input(BenchmarkId::from_parameter(filled), &breaker, |b, br| {
                let mut i = 0;
                b.iter(|| {
                    i += 1;
                    call(br, i)
                })
            });
        }
        g.finish();
    }
    c.final_summary();

    let rounds = 7;
    let mut rate: Vec<Vec<f64>> = vec![Vec::new(); SIZES.len()];
    let mut consecutive = Vec::new();
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..SIZES.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for k in order {
            rate[k].push(per_call(&timer, true, SIZES[k]));
        }
        consecutive.push(per_call(&timer, false, 1_000));
    }
    let base = median(rate[0].clone());
    println!("\nbreaker cost per call, {rounds} alternating rounds (median)");
    println!("| trip | calls in the window | ns per call | ÷ 10^3 |");
    println!("|---|---:|---:|---:|");
    for (k, n) in SIZES.iter().enumerate() {
        let m = median(rate[k].clone());
        println!("| failure rate | {n} | {m:.0} | {:.2} |", m / base);
    }
    println!(
        "| consecutive failures | — | {:.0} | — |",
        median(consecutive)
    );
}
