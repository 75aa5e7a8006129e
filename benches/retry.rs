//! Retry: the cost of `retry()` when the first attempt succeeds, against a bare call; and a
//! call that fails twice then succeeds, against backon, on tokio's current-thread runtime.
//!
//! ```text
//! cargo bench --bench retry
//! ```
//!
//! Both comparisons alternate the two sides round by round in one run and report the median
//! of the paired figures (BENCHMARKS.md says why).

use std::hint::black_box;
use std::time::{Duration, Instant};

use backon::Retryable as _;
mod common;

use common::median;
use criterion::Criterion;
use wrangle_core::retry::{RetryPolicy, retry};

const N: u32 = 1_000_000;
const FLAKY_N: u32 = 100_000;

async fn ok(i: u32) -> Result<u32, ()> {
    Ok(black_box(i))
}

/// Fails on the first two attempts of every call, then succeeds.
async fn flaky(attempt: u32, i: u32) -> Result<u32, &'static str> {
    if attempt < 3 {
        Err("transient")
    } else {
        Ok(black_box(i))
    }
}

/// backon's sleeper, skipping zero delays as wrangle's retry does: tokio rounds a zero sleep
/// up to its next millisecond tick, which would make the comparison about tokio's timer.
async fn zero_skipping_sleep(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio");
    let timer = wrangle_tokio::Tokio::from_handle(rt.handle().clone());
    let policy = RetryPolicy::builder()
        .constant(Duration::ZERO)
        .max_retries(3)
        .build()
        .expect("valid");
    let backon_policy = backon::ConstantBuilder::default()
        .with_delay(Duration::ZERO)
        .with_max_times(3);

    let bare = || {
        rt.block_on(async {
            let start = Instant::now();
            for i in 0..N {
                black_box(ok(i).await.ok());
            }
            start.elapsed().as_nanos() as f64 / f64::from(N)
        })
    };
    let wrangle_ok = || {
        rt.block_on(async {
            let start = Instant::now();
            for i in 0..N {
                black_box(retry(&timer, &policy, |_| ok(i)).await.ok());
            }
            start.elapsed().as_nanos() as f64 / f64::from(N)
        })
    };
    let wrangle_flaky = || {
        rt.block_on(async {
            let start = Instant::now();
            for i in 0..FLAKY_N {
                black_box(retry(&timer, &policy, |a| flaky(a.number(), i)).await.ok());
            }
            start.elapsed().as_nanos() as f64 / f64::from(FLAKY_N)
        })
    };
    let backon_flaky = || {
        rt.block_on(async {
            let start = Instant::now();
            for i in 0..FLAKY_N {
                let mut attempt = 0;
                let call = || {
                    attempt += 1;
                    flaky(attempt, i)
                };
                black_box(
                    call.retry(backon_policy)
                        .sleep(zero_skipping_sleep)
                        .await
                        .ok(),
                );
            }
            start.elapsed().as_nanos() as f64 / f64::from(FLAKY_N)
        })
    };

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    {
        let mut g = c.benchmark_group("retry");
        g.bench_function("first_attempt_ok/bare", |b| b.iter(|| black_box(bare())));
        g.bench_function("first_attempt_ok/wrangle", |b| {
            b.iter(|| black_box(wrangle_ok()))
        });
        g.bench_function("fails_twice/wrangle", |b| {
            b.iter(|| black_box(wrangle_flaky()))
        });
        g.bench_function("fails_twice/backon", |b| {
            b.iter(|| black_box(backon_flaky()))
        });
        g.finish();
    }
    c.final_summary();

    let rounds = 11;
    let (mut added, mut ratio) = (Vec::new(), Vec::new());
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (b, w) = if round % 2 == 0 {
            (bare(), wrangle_ok())
        } else {
            let w = wrangle_ok();
            (bare(), w)
        };
        added.push(w - b);
        let (x, y) = if round % 2 == 0 {
            (wrangle_flaky(), backon_flaky())
        } else {
            let y = backon_flaky();
            (wrangle_flaky(), y)
        };
        ours.push(x);
        theirs.push(y);
        ratio.push(x / y);
    }
    println!("\nretry, {rounds} alternating rounds (median), tokio current-thread");
    println!("| workload | wrangle | other | figure |");
    println!("|---|---:|---:|---:|");
    println!(
        "| first attempt succeeds, vs a bare call | | | +{:.1} ns per call |",
        median(added)
    );
    println!(
        "| fails twice then succeeds (zero delay), vs backon | {:.0} ns | {:.0} ns | {:.2}x |",
        median(ours),
        median(theirs),
        median(ratio)
    );
}
