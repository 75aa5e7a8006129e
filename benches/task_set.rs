//! Spawn + join-next of 200 000 trivial tasks through wrangle's `TaskSet`, against tokio's
//! `JoinSet` on tokio, and against plain spawn-and-join (handles in a `Vec`, awaited in
//! order) on smol and async-std, which have no set of their own.
//!
//! ```text
//! cargo bench --bench task_set
//! ```
//!
//! Criterion measures each side; then a paired run alternates the two (baseline, wrangle,
//! wrangle, baseline, …) on the same runtime and prints the median ratio.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{WORKERS, median};
use criterion::{BenchmarkId, Criterion};
use wrangle::TaskSet;
use wrangle_core::Runtime;

const N: u64 = 200_000;

type Side = Box<dyn Fn(u64)>;

fn wrangle_side<R: Runtime + 'static>(rt: R) -> Side {
    Box::new(move |n| {
        rt.block_on(async {
            let mut set = TaskSet::new(&rt);
            for i in 0..n {
                set.spawn(async move { i });
            }
            while let Some(outcome) = set.join_next().await {
                black_box(outcome.expect("no panic"));
            }
        })
    })
}

struct Pair {
    runtime: &'static str,
    baseline: &'static str,
    native: Side,
    wrangle: Side,
}

fn tokio_join_set(rt: Arc<tokio::runtime::Runtime>) -> Side {
    Box::new(move |n| {
        rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..n {
                set.spawn(async move { i });
            }
            while let Some(outcome) = set.join_next().await {
                black_box(outcome.expect("no panic"));
            }
        })
    })
}

fn pairs() -> Vec<Pair> {
    let mut pairs = Vec::new();

    let native = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_time()
        .build()
        .expect("tokio starts");
    let wrangle = wrangle_tokio::Tokio::from_handle(native.handle().clone());
    pairs.push(Pair {
        runtime: "tokio",
        baseline: "JoinSet",
        native: tokio_join_set(Arc::new(native)),
        wrangle: wrangle_side(wrangle),
    });

    let native = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio starts");
    pairs.push(Pair {
        runtime: "tokio-current-thread",
        baseline: "JoinSet",
        native: tokio_join_set(Arc::new(native)),
        wrangle: wrangle_side(wrangle_tokio::Tokio::current_thread().expect("tokio starts")),
    });

    let ex = Arc::new(async_executor::Executor::new());
    for _ in 0..WORKERS {
        let ex = ex.clone();
        std::thread::spawn(move || async_io::block_on(ex.run(std::future::pending::<()>())));
    }
    let workers = std::num::NonZeroUsize::new(WORKERS).expect("non-zero");
    pairs.push(Pair {
        runtime: "smol",
        baseline: "spawn + join in order",
        native: Box::new(move |n| {
            async_io::block_on(async {
                let hs: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
                for h in hs {
                    black_box(h.await);
                }
            })
        }),
        wrangle: wrangle_side(
            wrangle_smol::SmolBuilder::new()
                .worker_threads(workers)
                .build()
                .expect("smol starts"),
        ),
    });

    pairs.push(Pair {
        runtime: "async-std",
        baseline: "spawn + join in order",
        native: Box::new(|n| {
            async_std::task::block_on(async {
                let hs: Vec<_> = (0..n)
                    .map(|i| async_std::task::spawn(async move { i }))
                    .collect();
                for h in hs {
                    black_box(h.await);
                }
            })
        }),
        wrangle: wrangle_side(wrangle_async_std::AsyncStd::new()),
    });
    pairs
}

fn timed(side: &Side, n: u64) -> Duration {
    let start = Instant::now();
    side(n);
    start.elapsed()
}

fn main() {
    let pairs = pairs();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    {
        let mut group = c.benchmark_group("task_set_200k");
        for p in &pairs {
            group.bench_function(BenchmarkId::new("baseline", p.runtime), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| timed(&p.native, N)).sum())
            });
            group.bench_function(BenchmarkId::new("wrangle", p.runtime), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| timed(&p.wrangle, N)).sum())
            });
        }
        group.finish();
    }
    c.final_summary();

    let rounds = 15;
    println!("\npaired spawn + join-next of {N} tasks, {rounds} alternating rounds (median)");
    println!("| runtime | baseline | baseline ns/task | TaskSet ns/task | TaskSet ÷ baseline |");
    println!("|---|---|---:|---:|---:|");
    for p in &pairs {
        let (mut native, mut wrangle, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let (a, b) = if round % 2 == 0 {
                let a = timed(&p.native, N);
                (a, timed(&p.wrangle, N))
            } else {
                let b = timed(&p.wrangle, N);
                (timed(&p.native, N), b)
            };
            let per = |d: Duration| d.as_nanos() as f64 / N as f64;
            native.push(per(a));
            wrangle.push(per(b));
            ratio.push(per(b) / per(a));
        }
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.3}× |",
            p.runtime,
            p.baseline,
            median(native),
            median(wrangle),
            median(ratio)
        );
    }
}
