//! Spawn-and-join of 200 000 trivial tasks: wrangle's `Spawn` against each runtime's own
//! spawn, on the same runtime configuration.
//!
//! ```text
//! cargo bench --bench spawn
//! ```
//!
//! Criterion measures each side; then a paired run alternates the two (native, wrangle,
//! wrangle, native, …) on the same runtime and prints the median ratio, which is the figure
//! that means something on a shared, noisy machine.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{WORKERS, median};
use criterion::{BenchmarkId, Criterion};
use wrangle_core::{Runtime, Spawn};

const N: u64 = 200_000;

/// One side of a comparison: runs the whole spawn-and-join of `n` tasks.
type Side = Box<dyn Fn(u64)>;

fn wrangle_side<R: Runtime + 'static>(rt: R) -> Side {
    Box::new(move |n| {
        rt.block_on(async {
            let tasks: Vec<_> = (0..n).map(|i| rt.spawn(async move { i })).collect();
            for t in tasks {
                black_box(t.await);
            }
        })
    })
}

struct Pair {
    runtime: &'static str,
    native: Side,
    wrangle: Side,
}

fn pairs() -> Vec<Pair> {
    let mut pairs = Vec::new();

    // tokio multi-thread: both sides on the same runtime.
    let native = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_time()
        .build()
        .expect("tokio starts");
    let wrangle = wrangle_tokio::Tokio::from_handle(native.handle().clone());
    let native = Arc::new(native);
    pairs.push(Pair {
        runtime: "tokio",
        native: Box::new(move |n| {
            native.block_on(async {
                let hs: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
                for h in hs {
                    black_box(h.await.expect("no panic"));
                }
            })
        }),
        wrangle: wrangle_side(wrangle),
    });

    // tokio current-thread.
    let native = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio starts");
    pairs.push(Pair {
        runtime: "tokio-current-thread",
        native: Box::new(move |n| {
            native.block_on(async {
                let hs: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
                for h in hs {
                    black_box(h.await.expect("no panic"));
                }
            })
        }),
        wrangle: wrangle_side(wrangle_tokio::Tokio::current_thread().expect("tokio starts")),
    });

    // smol: an async-executor run by two worker threads, as wrangle-smol builds it.
    let ex = Arc::new(async_executor::Executor::new());
    for _ in 0..WORKERS {
        let ex = ex.clone();
        std::thread::spawn(move || async_io::block_on(ex.run(std::future::pending::<()>())));
    }
    let workers = std::num::NonZeroUsize::new(WORKERS).expect("non-zero");
    pairs.push(Pair {
        runtime: "smol",
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

    // smol, wrapped: the application's executor (two threads of its own), spawned on through
    // `Smol::from_executor` against smol's spawn on that same executor — from `block_on`,
    // and from inside a task on it.
    let app = Arc::new(async_executor::Executor::new());
    for _ in 0..WORKERS {
        let app = app.clone();
        std::thread::spawn(move || async_io::block_on(app.run(std::future::pending::<()>())));
    }
    let wrapped = wrangle_smol::Smol::from_executor(app.clone());
    let native_app = app.clone();
    pairs.push(Pair {
        runtime: "smol, wrapped executor, from block_on",
        native: Box::new(move |n| {
            async_io::block_on(async {
                let hs: Vec<_> = (0..n).map(|i| native_app.spawn(async move { i })).collect();
                for h in hs {
                    black_box(h.await);
                }
            })
        }),
        wrangle: {
            let rt = wrapped.clone();
            Box::new(move |n| {
                // `futures_lite`'s block_on: the wrapped handle's own `block_on` would run
                // the executor on this thread too, which the native side does not.
                futures_lite::future::block_on(async {
                    let tasks: Vec<_> = (0..n).map(|i| rt.spawn(async move { i })).collect();
                    for t in tasks {
                        black_box(t.await);
                    }
                })
            })
        },
    });
    let native_app = app.clone();
    pairs.push(Pair {
        runtime: "smol, wrapped executor, from a task",
        native: Box::new(move |n| {
            let ex = native_app.clone();
            async_io::block_on(native_app.spawn(async move {
                let hs: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
                for h in hs {
                    black_box(h.await);
                }
            }))
        }),
        wrangle: {
            let rt = wrapped.clone();
            Box::new(move |n| {
                let inner = rt.clone();
                futures_lite::future::block_on(rt.spawn(async move {
                    let tasks: Vec<_> = (0..n).map(|i| inner.spawn(async move { i })).collect();
                    for t in tasks {
                        black_box(t.await);
                    }
                }))
            })
        },
    });

    // async-std's global runtime.
    pairs.push(Pair {
        runtime: "async-std",
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
    // WRANGLE_BENCH_RT=async-std (a substring of a runtime's name) runs only the matching pairs.
    let only = std::env::var("WRANGLE_BENCH_RT").unwrap_or_default();
    let pairs: Vec<Pair> = pairs()
        .into_iter()
        .filter(|p| p.runtime.contains(only.as_str()))
        .collect();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    {
        let mut group = c.benchmark_group("spawn_join_200k");
        for p in &pairs {
            group.bench_function(BenchmarkId::new("native", p.runtime), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| timed(&p.native, N)).sum())
            });
            group.bench_function(BenchmarkId::new("wrangle", p.runtime), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| timed(&p.wrangle, N)).sum())
            });
        }
        group.finish();
    }
    c.final_summary();

    // Paired, alternating run: the ratio that survives machine noise.
    let rounds = 15;
    println!("\npaired spawn-and-join of {N} tasks, {rounds} alternating rounds (median)");
    println!("| runtime | native ns/task | wrangle ns/task | wrangle ÷ native |");
    println!("|---|---:|---:|---:|");
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
            "| {} | {:.0} | {:.0} | {:.3}× |",
            p.runtime,
            median(native),
            median(wrangle),
            median(ratio)
        );
    }
}
