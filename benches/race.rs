//! `race` against futures-util's `select_all` over N futures, on `block_on` and on every
//! runtime, in two shapes:
//!
//! - ready: every future is ready at its first poll; the first in input order wins.
//! - one wakes: N − 1 futures stay pending, the last yields once and wins at its second poll
//!   (the first poll touches every future, the second only the woken one).
//!
//! ```text
//! cargo bench --bench race
//! ```
//!
//! Both sides race the same `Unpin` futures (no boxing), and each timing builds and runs
//! enough races to cover about 200 000 futures. Target: per future no slower than
//! `select_all`. Criterion measures each side; then paired, alternating runs print the median
//! ratios.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};

use common::{Exec, criterion, paired};
use criterion::BenchmarkId;

/// Futures per timing, over every race it runs.
const FUTURES: usize = 200_000;
const SIZES: [usize; 3] = [2, 64, 1024];

/// One runner of a race: ready at once, never ready, or ready at its second poll having
/// woken itself at the first.
enum Runner {
    Ready(u64),
    Pending,
    YieldOnce(bool, u64),
}

impl Future for Runner {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        match self.get_mut() {
            Runner::Ready(v) => Poll::Ready(*v),
            Runner::Pending => Poll::Pending,
            Runner::YieldOnce(polled, v) => {
                if *polled {
                    return Poll::Ready(*v);
                }
                *polled = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Ready,
    OneWakes,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Ready => "ready",
            Shape::OneWakes => "one wakes",
        }
    }

    fn runners(self, n: usize) -> impl Iterator<Item = Runner> {
        (0..n).map(move |i| match self {
            Shape::Ready => Runner::Ready(black_box(i as u64)),
            Shape::OneWakes if i + 1 == n => Runner::YieldOnce(false, black_box(i as u64)),
            Shape::OneWakes => Runner::Pending,
        })
    }
}

async fn wrangle(shape: Shape, n: usize) -> u64 {
    let mut sum = 0;
    for _ in 0..FUTURES / n {
        let (index, v) = wrangle::race(shape.runners(n))
            .await
            .expect("a non-empty race has a winner");
        sum += index as u64 + v;
    }
    sum
}

async fn select_all(shape: Shape, n: usize) -> u64 {
    let mut sum = 0;
    for _ in 0..FUTURES / n {
        let (v, index, rest) = futures_util::future::select_all(shape.runners(n)).await;
        drop(black_box(rest));
        sum += index as u64 + v;
    }
    sum
}

fn main() {
    let execs = Exec::all();
    let shapes = [Shape::Ready, Shape::OneWakes];
    let mut c = criterion();
    for shape in shapes {
        let mut group = c.benchmark_group(format!("race_{}", shape.name().replace(' ', "_")));
        for exec in &execs {
            for n in SIZES {
                let id = |side: &str| BenchmarkId::new(side, format!("{}/n {n}", exec.name()));
                group.bench_function(id("wrangle"), |b| b.iter(|| exec.run(wrangle(shape, n))));
                group.bench_function(id("select_all"), |b| {
                    b.iter(|| exec.run(select_all(shape, n)))
                });
            }
        }
        group.finish();
    }
    c.final_summary();

    let rounds = 9;
    println!("\nrace over N futures, {rounds} alternating rounds (median ns per future)");
    println!("| shape | executor | N | wrangle | select_all | select_all ÷ wrangle |");
    println!("|---|---|---:|---:|---:|---:|");
    for shape in shapes {
        for exec in &execs {
            for n in SIZES {
                let futures = (FUTURES / n * n) as u64;
                let (w, s, r) = paired(
                    rounds,
                    futures,
                    &mut || {
                        black_box(exec.run(wrangle(shape, n)));
                    },
                    &mut || {
                        black_box(exec.run(select_all(shape, n)));
                    },
                );
                println!(
                    "| {} | {} | {n} | {w:.1} | {s:.1} | {r:.2}× |",
                    shape.name(),
                    exec.name()
                );
            }
        }
    }
}
