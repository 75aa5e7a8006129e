//! Bounded gather against the crates people use today.
//!
//! ```text
//! cargo bench --bench gather
//! ```
//!
//! - 200 000 futures that each yield once, at limit 64 and 1024, on `block_on` and on every
//!   runtime: wrangle's `gather(..).limit(n)` against `stream::iter(..).buffered(n)` and
//!   against `buffer_unordered(n)` followed by a sort into input order. Target: ≥ 2.5× faster
//!   than `buffered`, and faster than `buffer_unordered` + sort.
//! - 1 000 000 futures ready at once, no limit: against `futures::future::join_all` and
//!   futures-concurrency's `Vec::join`. Target: no slower than either.
//! - Cost per item from N = 10 to 1 000 000 (yield-once futures, limit 64 and none).
//!   Target: flat within ±20 %.
//! - Peak RSS of the streaming form (`gather_stream(..).limit(1024)`) over 10^5, 10^6 and
//!   10^7 items, each in a fresh process. Target: grows < 10 %.
//! - 20 000 futures sleeping 1 ms at limit 1000 on each runtime's timer: wall ÷ ideal
//!   (ideal: 20 rounds of 1 ms). Target: ≤ 1.10 on smol and async-std; on tokio no worse
//!   than `buffered(1000)` over tokio's own sleep; on smol and async-std beside the same gather
//!   over `async_io::Timer` used directly. Only this table: `WRANGLE_BENCH_TABLE=sleep`.
//!
//! Criterion measures each side; then paired, alternating runs print the median ratios.

mod common;

use std::hint::black_box;

use common::{Exec, criterion, paired};
use criterion::BenchmarkId;
use futures_util::StreamExt;

const N: u64 = 200_000;
const LIMITS: [usize; 2] = [64, 1024];

async fn yield_once(i: u64) -> u64 {
    wrangle_core::yield_now().await;
    black_box(i)
}

async fn wrangle_gather(n: u64, limit: usize) -> usize {
    let out = wrangle::gather((0..n).map(yield_once)).limit(limit).await;
    assert_eq!(out.len() as u64, n);
    out.len()
}

async fn buffered(n: u64, limit: usize) -> usize {
    let out: Vec<u64> = futures_util::stream::iter((0..n).map(yield_once))
        .buffered(limit)
        .collect()
        .await;
    out.len()
}

async fn buffer_unordered_sorted(n: u64, limit: usize) -> usize {
    let mut out: Vec<(u64, u64)> =
        futures_util::stream::iter((0..n).map(|i| async move { (i, yield_once(i).await) }))
            .buffer_unordered(limit)
            .collect()
            .await;
    out.sort_unstable_by_key(|(i, _)| *i);
    out.len()
}

fn bench_bounded(c: &mut criterion::Criterion, execs: &[Exec]) {
    let mut group = c.benchmark_group("gather_200k_yield_once");
    for exec in execs {
        for limit in LIMITS {
            let id = |side: &str| BenchmarkId::new(side, format!("{}/limit {limit}", exec.name()));
            group.bench_function(id("wrangle"), |b| {
                b.iter(|| exec.run(wrangle_gather(N, limit)))
            });
            group.bench_function(id("buffered"), |b| b.iter(|| exec.run(buffered(N, limit))));
            group.bench_function(id("buffer_unordered+sort"), |b| {
                b.iter(|| exec.run(buffer_unordered_sorted(N, limit)))
            });
        }
    }
    group.finish();
}

fn bench_ready(c: &mut criterion::Criterion) {
    const M: u64 = 1_000_000;
    let mut group = c.benchmark_group("gather_1m_ready_no_limit");
    group.bench_function("wrangle", |b| {
        b.iter(|| {
            futures_lite::future::block_on(wrangle::gather(
                (0..M).map(|i| std::future::ready(black_box(i))),
            ))
        })
    });
    group.bench_function("join_all", |b| {
        b.iter(|| {
            futures_lite::future::block_on(futures_util::future::join_all(
                (0..M).map(|i| std::future::ready(black_box(i))),
            ))
        })
    });
    group.bench_function("futures-concurrency Vec::join", |b| {
        use futures_concurrency::prelude::*;
        b.iter(|| {
            let v: Vec<_> = (0..M).map(|i| std::future::ready(black_box(i))).collect();
            futures_lite::future::block_on(v.join())
        })
    });
    group.finish();
}

/// Peak resident set size of this process so far, in KiB (Linux), or 0.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// In a child process: streams `items` yield-once futures through `gather_stream` at limit
/// 1024 and prints the peak RSS.
fn rss_child(items: u64) {
    let source = futures_lite::stream::iter(0..items).map(yield_once);
    let sum = futures_lite::future::block_on(
        wrangle::gather_stream(source)
            .limit(1024)
            .fold(0u64, |acc, v| async move { acc.wrapping_add(v) }),
    );
    black_box(sum);
    println!("{}", peak_rss_kib());
}

fn rss_table() {
    println!(
        "
peak RSS of gather_stream(..).limit(1024), fresh process per size"
    );
    println!("| items | peak RSS KiB |");
    println!("|---:|---:|");
    let exe = std::env::current_exe().expect("own path");
    let mut first = None;
    for items in [100_000u64, 1_000_000, 10_000_000] {
        let out = std::process::Command::new(&exe)
            .env("WRANGLE_RSS_ITEMS", items.to_string())
            .output()
            .expect("child runs");
        let kib: f64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0.0);
        let base = *first.get_or_insert(kib);
        println!(
            "| {items} | {kib:.0} ({:+.1} %) |",
            (kib / base - 1.0) * 100.0
        );
    }
}

/// 20 000 futures sleeping 1 ms at limit 1000 on each runtime: wall ÷ ideal (20 ms).
fn sleep_table() {
    const K: u64 = 20_000;
    let ideal = std::time::Duration::from_millis(20);
    println!(
        "
{K} futures sleeping 1 ms, limit 1000: wall ÷ ideal (20 ms), median of 9"
    );
    println!(
        "| runtime | wrangle gather | native: buffered(1000) over tokio::time::sleep (tokio); \
         the same gather over async_io::Timer (smol, async-std) |"
    );
    println!("|---|---:|---:|");
    let limit = 1000;
    for exec in Exec::runtimes() {
        let mut ratios = Vec::new();
        let mut native = Vec::new();
        for _ in 0..9 {
            let took = match &exec {
                Exec::Tokio(rt) | Exec::TokioCurrentThread(rt) => {
                    let rt2 = rt.clone();
                    exec.run(async move {
                        let start = std::time::Instant::now();
                        wrangle::gather((0..K).map(|_| {
                            wrangle_core::sleep(&rt2, std::time::Duration::from_millis(1))
                        }))
                        .limit(limit)
                        .await;
                        start.elapsed()
                    })
                }
                Exec::Smol(rt) => {
                    let rt2 = rt.clone();
                    exec.run(async move {
                        let start = std::time::Instant::now();
                        wrangle::gather((0..K).map(|_| {
                            wrangle_core::sleep(&rt2, std::time::Duration::from_millis(1))
                        }))
                        .limit(limit)
                        .await;
                        start.elapsed()
                    })
                }
                Exec::AsyncStd(rt) => {
                    let rt2 = rt.clone();
                    exec.run(async move {
                        let start = std::time::Instant::now();
                        wrangle::gather((0..K).map(|_| {
                            wrangle_core::sleep(&rt2, std::time::Duration::from_millis(1))
                        }))
                        .limit(limit)
                        .await;
                        start.elapsed()
                    })
                }
                Exec::BlockOn => unreachable!(),
            };
            ratios.push(took.as_secs_f64() / ideal.as_secs_f64());
            if matches!(exec, Exec::Smol(_) | Exec::AsyncStd(_)) {
                // The same gather over async-io's timer used directly, alternating with the
                // adapter's `Timer`: what the adapter's layer costs on a 1 ms sleep.
                let took = exec.run(async move {
                    let start = std::time::Instant::now();
                    wrangle::gather(
                        (0..K).map(|_| async_io::Timer::after(std::time::Duration::from_millis(1))),
                    )
                    .limit(limit)
                    .await;
                    start.elapsed()
                });
                native.push(took.as_secs_f64() / ideal.as_secs_f64());
            }
            if matches!(exec, Exec::Tokio(_) | Exec::TokioCurrentThread(_)) {
                let took = exec.run(async move {
                    let start = std::time::Instant::now();
                    let _: Vec<()> = futures_util::stream::iter(
                        (0..K).map(|_| tokio::time::sleep(std::time::Duration::from_millis(1))),
                    )
                    .buffered(1000)
                    .collect()
                    .await;
                    start.elapsed()
                });
                native.push(took.as_secs_f64() / ideal.as_secs_f64());
            }
        }
        let native = if native.is_empty() {
            "—".to_owned()
        } else {
            format!("{:.2}", common::median(native))
        };
        println!(
            "| {} | {:.2} | {native} |",
            exec.name(),
            common::median(ratios)
        );
    }
}

fn main() {
    if let Some(items) = std::env::var("WRANGLE_RSS_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        rss_child(items);
        return;
    }
    // `WRANGLE_BENCH_TABLE=sleep cargo bench --bench gather`: only the timer table.
    if std::env::var("WRANGLE_BENCH_TABLE").as_deref() == Ok("sleep") {
        sleep_table();
        return;
    }
    let execs = Exec::all();
    let mut c = criterion();
    bench_bounded(&mut c, &execs);
    bench_ready(&mut c);
    c.final_summary();

    let rounds = 9;
    println!("\ngather of {N} yield-once futures, {rounds} alternating rounds (median ns/item)");
    println!(
        "| executor | limit | wrangle | buffered | buffered ÷ wrangle | buffer_unordered+sort | b_u+sort ÷ wrangle |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for exec in &execs {
        for limit in LIMITS {
            let (w, b, r) = paired(
                rounds,
                N,
                &mut || {
                    exec.run(wrangle_gather(N, limit));
                },
                &mut || {
                    exec.run(buffered(N, limit));
                },
            );
            let (_, u, ru) = paired(
                rounds,
                N,
                &mut || {
                    exec.run(wrangle_gather(N, limit));
                },
                &mut || {
                    exec.run(buffer_unordered_sorted(N, limit));
                },
            );
            println!(
                "| {} | {limit} | {w:.1} | {b:.1} | {r:.2}× | {u:.1} | {ru:.2}× |",
                exec.name()
            );
        }
    }

    const M: u64 = 1_000_000;
    let ready = |i: u64| std::future::ready(black_box(i));
    let (w, j, rj) = paired(
        rounds,
        M,
        &mut || {
            black_box(futures_lite::future::block_on(wrangle::gather(
                (0..M).map(ready),
            )));
        },
        &mut || {
            black_box(futures_lite::future::block_on(
                futures_util::future::join_all((0..M).map(ready)),
            ));
        },
    );
    let (_, fc, rf) = paired(
        rounds,
        M,
        &mut || {
            black_box(futures_lite::future::block_on(wrangle::gather(
                (0..M).map(ready),
            )));
        },
        &mut || {
            use futures_concurrency::prelude::*;
            let v: Vec<_> = (0..M).map(ready).collect();
            black_box(futures_lite::future::block_on(v.join()));
        },
    );
    println!("\ngather of {M} ready futures, no limit, block_on (median ns/item)");
    println!("| wrangle | join_all | join_all ÷ wrangle | futures-concurrency | f-c ÷ wrangle |");
    println!("|---:|---:|---:|---:|---:|");
    println!("| {w:.1} | {j:.1} | {rj:.2}× | {fc:.1} | {rf:.2}× |");

    println!("\ncost per item, yield-once futures, block_on (median ns/item over {rounds} runs)");
    println!("| N | limit 64 | no limit |");
    println!("|---:|---:|---:|");
    for n in [10u64, 1_000, 100_000, 1_000_000] {
        // Small N: repeat so each timing covers about a million items.
        let reps = (1_000_000 / n).max(1);
        let per = |limit: usize| {
            let mut v = Vec::new();
            for _ in 0..rounds {
                // One block_on around all repetitions: the figure is the gather's alone.
                let d = common::timed(&mut || {
                    futures_lite::future::block_on(async {
                        for _ in 0..reps {
                            black_box(wrangle_gather(n, limit).await);
                        }
                    })
                });
                v.push(d.as_nanos() as f64 / (n * reps) as f64);
            }
            common::median(v)
        };
        println!("| {n} | {:.1} | {:.1} |", per(64), per(usize::MAX));
    }

    rss_table();
    sleep_table();
}
