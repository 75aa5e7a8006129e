//! Rate limiting: an uncontended admission through wrangle's `RateLimiter`, against governor
//! and leaky-bucket on the same workload (a quota so large that every call is admitted).
//!
//! ```text
//! cargo bench --bench rate
//! ```
//!
//! The sides alternate round by round in one run; the table reports medians (BENCHMARKS.md
//! says why).

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

mod common;

use common::median;
use criterion::Criterion;
use wrangle_core::limit::{Quota, RateLimiter};

const N: u32 = 1_000_000;

/// One limiter under test: runs N admissions and returns ns per admission.
type Side<'a> = (&'static str, Box<dyn Fn() -> f64 + 'a>);

fn per_op(start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64 / f64::from(N)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio");
    let timer = wrangle_tokio::Tokio::from_handle(rt.handle().clone());
    let huge = u32::MAX;
    let quota = Quota::per_second(1_000_000_000)
        .and_then(|q| q.burst(huge))
        .expect("valid quota");
    let wrangle = RateLimiter::new(timer, quota);
    let nz = NonZeroU32::new(huge).expect("non-zero");
    let governor = governor::RateLimiter::direct(governor::Quota::per_second(nz).allow_burst(nz));
    let leaky = rt.block_on(async {
        leaky_bucket::RateLimiter::builder()
            .initial(huge as usize)
            .max(huge as usize)
            .refill(huge as usize)
            .interval(Duration::from_millis(1))
            .build()
    });

    let sides: Vec<Side<'_>> = vec![
        (
            "wrangle try_acquire",
            Box::new(|| {
                let start = Instant::now();
                for _ in 0..N {
                    black_box(wrangle.try_acquire().is_ok());
                }
                per_op(start)
            }),
        ),
        (
            "wrangle acquire().await",
            Box::new(|| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..N {
                        wrangle.acquire().await;
                    }
                    per_op(start)
                })
            }),
        ),
        (
            "governor check()",
            Box::new(|| {
                let start = Instant::now();
                for _ in 0..N {
                    black_box(governor.check().is_ok());
                }
                per_op(start)
            }),
        ),
        (
            "leaky-bucket acquire_one().await",
            Box::new(|| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..N {
                        leaky.acquire_one().await;
                    }
                    per_op(start)
                })
            }),
        ),
    ];

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("rate_uncontended_1m");
        for (name, side) in &sides {
            g.bench_function(*name, |b| b.iter(|| black_box(side())));
        }
        g.finish();
    }
    c.final_summary();

    let rounds = 11;
    let mut figures: Vec<Vec<f64>> = vec![Vec::new(); sides.len()];
    for round in 0..rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..sides.len()).collect()
        } else {
            (0..sides.len()).rev().collect()
        };
        for i in order {
            figures[i].push((sides[i].1)());
        }
    }
    let medians: Vec<f64> = figures.into_iter().map(median).collect();
    println!("\nuncontended admission, {rounds} alternating rounds (median), tokio current-thread");
    println!("| limiter | ns per admission | wrangle try_acquire ÷ this |");
    println!("|---|---:|---:|");
    for (i, (name, _)) in sides.iter().enumerate() {
        println!(
            "| {name} | {:.1} | {:.2}x |",
            medians[i],
            medians[0] / medians[i]
        );
    }
}
