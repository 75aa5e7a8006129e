//! `as_completed` over 200 000 futures that each yield once, against `FuturesUnordered`
//! (and, bounded at 1024, against `buffer_unordered(1024)`), consuming the items one by one.
//!
//! ```text
//! cargo bench --bench as_completed
//! ```
//!
//! Target: per item no slower than `FuturesUnordered`.

mod common;

use std::hint::black_box;

use common::{Exec, criterion, paired};
use criterion::BenchmarkId;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

const N: u64 = 200_000;

async fn yield_once(i: u64) -> u64 {
    wrangle_core::yield_now().await;
    black_box(i)
}

async fn wrangle(n: u64, limit: Option<usize>) -> u64 {
    let mut s = wrangle::as_completed((0..n).map(yield_once));
    if let Some(limit) = limit {
        s = s.limit(limit);
    }
    let mut s = std::pin::pin!(s);
    let mut sum = 0;
    while let Some((_, v)) = s.next().await {
        sum += v;
    }
    sum
}

async fn futures_unordered(n: u64) -> u64 {
    let mut s: FuturesUnordered<_> = (0..n).map(yield_once).collect();
    let mut sum = 0;
    while let Some(v) = s.next().await {
        sum += v;
    }
    sum
}

async fn buffer_unordered(n: u64, limit: usize) -> u64 {
    let mut s = futures_util::stream::iter((0..n).map(yield_once)).buffer_unordered(limit);
    let mut sum = 0;
    while let Some(v) = s.next().await {
        sum += v;
    }
    sum
}

fn main() {
    let execs = Exec::all();
    let mut c = criterion();
    {
        let mut group = c.benchmark_group("as_completed_200k_yield_once");
        for exec in &execs {
            let id = |side: &str| BenchmarkId::new(side, exec.name());
            group.bench_function(id("wrangle"), |b| b.iter(|| exec.run(wrangle(N, None))));
            group.bench_function(id("FuturesUnordered"), |b| {
                b.iter(|| exec.run(futures_unordered(N)))
            });
            group.bench_function(id("wrangle limit 1024"), |b| {
                b.iter(|| exec.run(wrangle(N, Some(1024))))
            });
            group.bench_function(id("buffer_unordered(1024)"), |b| {
                b.iter(|| exec.run(buffer_unordered(N, 1024)))
            });
        }
        group.finish();
    }
    c.final_summary();

    let rounds = 9;
    println!(
        "\nas_completed of {N} yield-once futures, {rounds} alternating rounds (median ns/item)"
    );
    println!(
        "| executor | wrangle | FuturesUnordered | FU ÷ wrangle | wrangle, limit 1024 | buffer_unordered(1024) | b_u ÷ wrangle |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for exec in &execs {
        let (w, f, r) = paired(
            rounds,
            N,
            &mut || {
                exec.run(wrangle(N, None));
            },
            &mut || {
                exec.run(futures_unordered(N));
            },
        );
        let (wl, b, rb) = paired(
            rounds,
            N,
            &mut || {
                exec.run(wrangle(N, Some(1024)));
            },
            &mut || {
                exec.run(buffer_unordered(N, 1024));
            },
        );
        println!(
            "| {} | {w:.1} | {f:.1} | {r:.2}× | {wl:.1} | {b:.1} | {rb:.2}× |",
            exec.name()
        );
    }
}
