//! The paths an outside harness found far behind `FuturesUnordered`, measured the way an
//! application runs them: the top-level future in the runtime's own `block_on` on the main
//! thread (as `#[tokio::main]` does), on a runtime the application built (tokio's wrapped by
//! `Tokio::from_handle`), wrangle and the anchor alternating in one process.
//!
//! ```text
//! cargo bench --bench cliffs            # every table
//! WRANGLE_BENCH_TABLE=sleep cargo bench --bench cliffs   # or: first, yield
//! WRANGLE_BENCH_RT=smol cargo bench --bench cliffs       # runtimes whose name contains it
//! ```
//!
//! - `sleep`: `as_completed` over N futures, future i sleeps (i % 4) × 250 µs on the
//!   runtime's timer, at N = 10³, 10⁴ and 2 × 10⁵ — ns per item, and wrangle ÷
//!   `FuturesUnordered`. Targets: within 1.10× at 2 × 10⁵ on tokio multi-thread; flat per item
//!   (±20 %) on every runtime.
//! - `first`: time to the first result when input 0 is ready at once and the rest sleep
//!   50 ms, from building the stream to the first item, N = 10² … 10⁵. Targets: independent of
//!   N (±20 %), within 1.10× `FuturesUnordered`.
//! - `yield`: `as_completed` over 200 000 futures, future i yields i % 4 times. Target:
//!   ≤ 1.0× `FuturesUnordered`.
//!
//! Every figure is a median of alternating rounds; the ratios are the medians of the
//! per-round ratios.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{WORKERS, median};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use wrangle_core::{Timer, TimerExt};

/// A runtime the application built, and wrangle's handle to it.
enum Rt {
    TokioMt(tokio::runtime::Runtime, wrangle_tokio::Tokio),
    TokioCt(tokio::runtime::Runtime, wrangle_tokio::Tokio),
    Smol(wrangle_smol::Smol),
    AsyncStd(wrangle_async_std::AsyncStd),
}

impl Rt {
    fn all() -> Vec<Rt> {
        let mt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .enable_all()
            .build()
            .expect("tokio starts");
        let mt_w = wrangle_tokio::Tokio::from_handle(mt.handle().clone());
        let ct = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio starts");
        let ct_w = wrangle_tokio::Tokio::from_handle(ct.handle().clone());
        vec![
            Rt::TokioMt(mt, mt_w),
            Rt::TokioCt(ct, ct_w),
            Rt::Smol(
                wrangle_smol::SmolBuilder::new()
                    .worker_threads(std::num::NonZeroUsize::new(WORKERS).expect("non-zero"))
                    .build()
                    .expect("smol starts"),
            ),
            Rt::AsyncStd(wrangle_async_std::AsyncStd::new()),
        ]
    }

    fn name(&self) -> &'static str {
        match self {
            Rt::TokioMt(..) => "tokio multi-thread",
            Rt::TokioCt(..) => "tokio current-thread",
            Rt::Smol(_) => "smol",
            Rt::AsyncStd(_) => "async-std",
        }
    }
}

/// Runs `$body` (an expression using the wrangle handle `$w`) in the runtime's `block_on`.
macro_rules! on {
    ($rt:expr, |$w:ident| $body:expr) => {
        match $rt {
            Rt::TokioMt(native, $w) => native.block_on($body),
            Rt::TokioCt(native, $w) => native.block_on($body),
            Rt::Smol($w) => wrangle_core::Runtime::block_on($w, $body),
            Rt::AsyncStd($w) => wrangle_core::Runtime::block_on($w, $body),
        }
    };
}

fn sleeper<T: Timer>(rt: &T, i: u64) -> impl Future<Output = u64> + use<T> {
    let sleep = rt.sleep(Duration::from_micros(250 * (i % 4)));
    async move {
        sleep.await;
        black_box(i)
    }
}

fn first_ready<T: Timer>(rt: &T, i: u64) -> impl Future<Output = u64> + use<T> {
    let sleep = (i > 0).then(|| rt.sleep(Duration::from_millis(50)));
    async move {
        if let Some(sleep) = sleep {
            sleep.await;
        }
        black_box(i)
    }
}

async fn yielder(i: u64) -> u64 {
    for _ in 0..i % 4 {
        wrangle_core::yield_now().await;
    }
    black_box(i)
}

async fn drain_wrangle<F: Future<Output = u64>>(inputs: impl Iterator<Item = F>) -> u64 {
    let mut s = std::pin::pin!(wrangle::as_completed(inputs));
    let mut sum = 0;
    while let Some((_, v)) = s.next().await {
        sum += v;
    }
    sum
}

async fn drain_fu<F: Future<Output = u64>>(inputs: impl Iterator<Item = F>) -> u64 {
    let mut s: FuturesUnordered<F> = inputs.collect();
    let mut sum = 0;
    while let Some(v) = s.next().await {
        sum += v;
    }
    sum
}

/// Time from building the stream to its first item.
async fn first_wrangle<F: Future<Output = u64>>(inputs: impl Iterator<Item = F>) -> Duration {
    let start = Instant::now();
    let mut s = std::pin::pin!(wrangle::as_completed(inputs));
    black_box(s.next().await);
    start.elapsed()
}

async fn first_fu<F: Future<Output = u64>>(inputs: impl Iterator<Item = F>) -> Duration {
    let start = Instant::now();
    let mut s: FuturesUnordered<F> = inputs.collect();
    black_box(s.next().await);
    start.elapsed()
}

/// Alternates `a` and `b` (each returning its own measured duration) for `rounds` rounds;
/// returns the medians of each and of the ratios `a / b`.
fn alternate(
    rounds: usize,
    a: &mut dyn FnMut() -> Duration,
    b: &mut dyn FnMut() -> Duration,
) -> (Duration, Duration, f64) {
    let (mut xs, mut ys, mut rs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = a();
            (x, b())
        } else {
            let y = b();
            (a(), y)
        };
        xs.push(x.as_nanos() as f64);
        ys.push(y.as_nanos() as f64);
        rs.push(x.as_nanos() as f64 / y.as_nanos().max(1) as f64);
    }
    let d = |v: Vec<f64>| Duration::from_nanos(median(v) as u64);
    (d(xs), d(ys), median(rs))
}

fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn per_item(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn sleep_table(rts: &[Rt]) {
    println!("\n### as_completed, future i sleeps (i % 4) × 250 µs — ns per item (median)");
    println!(
        "(excess: (wall − one 750 µs sleep's wall on that runtime) ÷ N, the cost per item once \
         the wait itself is taken out)"
    );
    println!(
        "| runtime | N | wrangle | FuturesUnordered | wrangle ÷ FU | wrangle excess | FU excess |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for rt in rts {
        let mut waits: Vec<f64> = (0..15)
            .map(|_| timed(|| on!(rt, |w| w.sleep(Duration::from_micros(750)))).as_nanos() as f64)
            .collect();
        waits.sort_by(f64::total_cmp);
        let wait = waits[waits.len() / 2];
        let max = std::env::var("WRANGLE_BENCH_MAX_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(u64::MAX);
        for (n, rounds) in [(1_000u64, 15), (10_000, 9), (200_000, 5)] {
            if n > max {
                continue;
            }
            let (w, f, r) = alternate(
                rounds,
                &mut || timed(|| on!(rt, |w| drain_wrangle((0..n).map(|i| sleeper(w, i))))),
                &mut || timed(|| on!(rt, |w| drain_fu((0..n).map(|i| sleeper(w, i))))),
            );
            let excess = |d: Duration| (d.as_nanos() as f64 - wait).max(0.0) / n as f64;
            println!(
                "| {} | {n} | {:.0} | {:.0} | {r:.2}× | {:.0} | {:.0} |",
                rt.name(),
                per_item(w, n),
                per_item(f, n),
                excess(w),
                excess(f)
            );
        }
    }
}

fn first_table(rts: &[Rt]) {
    println!(
        "\n### as_completed, time to the first result (input 0 ready, the rest sleep 50 ms) — µs (median)"
    );
    println!(
        "(wrangle alone: the same rounds back to back, without the anchor's 10⁵ timers and \
         tasks being freed in between)"
    );
    println!("| runtime | N | wrangle | FuturesUnordered | wrangle ÷ FU | wrangle alone |");
    println!("|---|---:|---:|---:|---:|---:|");
    for rt in rts {
        for (n, rounds) in [(100u64, 51), (1_000, 31), (10_000, 15), (100_000, 7)] {
            let (w, f, r) = alternate(
                rounds,
                &mut || on!(rt, |w| first_wrangle((0..n).map(|i| first_ready(w, i)))),
                &mut || on!(rt, |w| first_fu((0..n).map(|i| first_ready(w, i)))),
            );
            let alone = median(
                (0..rounds)
                    .map(|_| {
                        on!(rt, |w| first_wrangle((0..n).map(|i| first_ready(w, i)))).as_nanos()
                            as f64
                    })
                    .collect(),
            );
            println!(
                "| {} | {n} | {:.1} | {:.1} | {r:.2}× | {:.1} |",
                rt.name(),
                w.as_nanos() as f64 / 1e3,
                f.as_nanos() as f64 / 1e3,
                alone / 1e3
            );
        }
    }
}

fn yield_table(rts: &[Rt]) {
    const N: u64 = 200_000;
    println!("\n### as_completed, {N} futures, future i yields i % 4 times — ns per item (median)");
    println!("| runtime | wrangle | FuturesUnordered | wrangle ÷ FU |");
    println!("|---|---:|---:|---:|");
    for rt in rts {
        let (w, f, r) = alternate(
            9,
            &mut || timed(|| on!(rt, |_w| drain_wrangle((0..N).map(yielder)))),
            &mut || timed(|| on!(rt, |_w| drain_fu((0..N).map(yielder)))),
        );
        println!(
            "| {} | {:.0} | {:.0} | {r:.2}× |",
            rt.name(),
            per_item(w, N),
            per_item(f, N)
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument other than that is ignored here.
    let table = std::env::var("WRANGLE_BENCH_TABLE").unwrap_or_default();
    // WRANGLE_BENCH_RT=smol (a substring of a runtime's name) runs only the matching ones.
    let only = std::env::var("WRANGLE_BENCH_RT").unwrap_or_default();
    let rts: Vec<Rt> = Rt::all()
        .into_iter()
        .filter(|rt| rt.name().contains(only.as_str()))
        .collect();
    if table.is_empty() || table == "sleep" {
        sleep_table(&rts);
    }
    if table.is_empty() || table == "first" {
        first_table(&rts);
    }
    if table.is_empty() || table == "yield" {
        yield_table(&rts);
    }
}
