//! The spawning mode of gather: against spawning every task up front behind a semaphore, and
//! against a bare spawn-and-join; and a CPU-bound batch against the in-task gather.
//!
//! ```text
//! cargo bench --bench group
//! WRANGLE_BENCH_PARTS=paired,rss cargo bench --bench group   # skip criterion and the CPU batch
//! WRANGLE_BENCH_ROUNDS=15 cargo bench --bench group           # paired rounds (default 9)
//! WRANGLE_BENCH_RUNTIMES=tokio,smol cargo bench --bench group  # some runtimes only
//! ```
//!
//! - **200 000 trivial tasks** (`async move { i }`), on every runtime (two workers where there
//!   are workers), driven from `block_on`, outputs collected in input order:
//!   - `spawn_on`: `spawn_gather(&rt, inputs).limit(n)`, n = 64 and 1024;
//!   - up-front: every task spawned at once, each taking a permit of a `Semaphore` of n
//!     (tokio's on tokio, async-lock's elsewhere) before it runs, joined in order;
//!   - bare: every task spawned at once, no limit, joined in order (the floor: what spawning
//!     and joining 200 000 tasks costs at all).
//!
//!   Targets: `spawn_on` no slower than up-front; within 1.15× of bare; peak memory above an
//!   idle process ≤ 1/10 of the up-front way's.
//! - **Peak memory**: each (runtime, limit, side) runs once in a fresh child process of this
//!   binary, which prints its peak resident set size (`VmHWM` in `/proc/self/status`); an
//!   idle child (runtime built, one task spawned and joined) gives the baseline subtracted.
//! - **CPU-bound batch**: 64 jobs of ~5 ms of hashing (calibrated at start) on a 2-worker
//!   runtime, through `spawn_on` against the in-task gather (which runs them all on the
//!   thread awaiting it). Target: ≥ 1.8× faster.
//!
//! Criterion measures each side; then paired runs alternate the sides round by round (the
//! order rotating) and print the medians of the per-round ratios.

mod common;

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{criterion, median, timed};
use criterion::BenchmarkId;
use wrangle_core::{Runtime, Spawn};

const N: u64 = 200_000;
const LIMITS: [usize; 2] = [64, 1024];
const WORKERS: usize = 2;

/// One runtime configuration under test.
#[derive(Clone)]
enum Rt {
    Tokio(wrangle_tokio::Tokio),
    TokioCurrentThread(wrangle_tokio::Tokio),
    Smol(wrangle_smol::Smol),
    AsyncStd(wrangle_async_std::AsyncStd),
}

impl Rt {
    fn build(name: &str) -> Rt {
        let two = NonZeroUsize::new(WORKERS).expect("non-zero");
        match name {
            "tokio" => Rt::Tokio(
                wrangle_tokio::TokioBuilder::multi_thread()
                    .worker_threads(two)
                    .build()
                    .expect("tokio starts"),
            ),
            "tokio-current-thread" => Rt::TokioCurrentThread(
                wrangle_tokio::Tokio::current_thread().expect("tokio starts"),
            ),
            "smol" => Rt::Smol(
                wrangle_smol::SmolBuilder::new()
                    .worker_threads(two)
                    .build()
                    .expect("smol starts"),
            ),
            "async-std" => Rt::AsyncStd(wrangle_async_std::AsyncStd::new()),
            other => panic!("unknown runtime {other}"),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Rt::Tokio(_) => "tokio",
            Rt::TokioCurrentThread(_) => "tokio-current-thread",
            Rt::Smol(_) => "smol",
            Rt::AsyncStd(_) => "async-std",
        }
    }

    const ALL: [&'static str; 4] = ["tokio", "tokio-current-thread", "smol", "async-std"];
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    SpawnOn,
    UpFront,
    Bare,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::SpawnOn => "spawn_on",
            Side::UpFront => "up-front+semaphore",
            Side::Bare => "bare spawn+join",
        }
    }

    fn parse(s: &str) -> Side {
        match s {
            "spawn_on" => Side::SpawnOn,
            "upfront" => Side::UpFront,
            "bare" => Side::Bare,
            other => panic!("unknown side {other}"),
        }
    }

    fn arg(self) -> &'static str {
        match self {
            Side::SpawnOn => "spawn_on",
            Side::UpFront => "upfront",
            Side::Bare => "bare",
        }
    }
}

async fn trivial(i: u64) -> u64 {
    black_box(i)
}

fn spawn_on<R: Runtime + 'static>(rt: &R, n: u64, limit: usize) -> Vec<u64> {
    rt.block_on(wrangle::spawn_gather(rt, (0..n).map(trivial)).limit(limit))
}

fn bare<R: Runtime + 'static>(rt: &R, n: u64) -> Vec<u64> {
    rt.block_on(async {
        let tasks: Vec<_> = (0..n).map(|i| rt.spawn(trivial(i))).collect();
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await);
        }
        out
    })
}

fn upfront_tokio(rt: &wrangle_tokio::Tokio, n: u64, limit: usize) -> Vec<u64> {
    rt.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(limit));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let sem = sem.clone();
                rt.spawn(async move {
                    let _permit = sem.acquire().await.expect("semaphore open");
                    trivial(i).await
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await);
        }
        out
    })
}

fn upfront_async_lock<R: Runtime + 'static>(rt: &R, n: u64, limit: usize) -> Vec<u64> {
    rt.block_on(async {
        let sem = Arc::new(async_lock::Semaphore::new(limit));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let sem = sem.clone();
                rt.spawn(async move {
                    let _permit = sem.acquire().await;
                    trivial(i).await
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await);
        }
        out
    })
}

/// Runs one side once and returns the outputs (checked by the caller).
fn run(rt: &Rt, side: Side, n: u64, limit: usize) -> Vec<u64> {
    match (rt, side) {
        (Rt::Tokio(r) | Rt::TokioCurrentThread(r), Side::SpawnOn) => spawn_on(r, n, limit),
        (Rt::Tokio(r) | Rt::TokioCurrentThread(r), Side::UpFront) => upfront_tokio(r, n, limit),
        (Rt::Tokio(r) | Rt::TokioCurrentThread(r), Side::Bare) => bare(r, n),
        (Rt::Smol(r), Side::SpawnOn) => spawn_on(r, n, limit),
        (Rt::Smol(r), Side::UpFront) => upfront_async_lock(r, n, limit),
        (Rt::Smol(r), Side::Bare) => bare(r, n),
        (Rt::AsyncStd(r), Side::SpawnOn) => spawn_on(r, n, limit),
        (Rt::AsyncStd(r), Side::UpFront) => upfront_async_lock(r, n, limit),
        (Rt::AsyncStd(r), Side::Bare) => bare(r, n),
    }
}

fn run_checked(rt: &Rt, side: Side, limit: usize) {
    let out = run(rt, side, N, limit);
    assert_eq!(out.len() as u64, N);
    assert_eq!(out[N as usize - 1], N - 1);
    black_box(out);
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

/// In a child process: `runtime:side:limit` (side `idle` for the baseline); prints VmHWM.
fn rss_child(spec: &str) {
    let parts: Vec<_> = spec.split(':').collect();
    let rt = Rt::build(parts[0]);
    if parts[1] == "idle" {
        let v = run(&rt, Side::Bare, 1, 1);
        black_box(v);
    } else {
        let limit: usize = parts[2].parse().expect("limit");
        run_checked(&rt, Side::parse(parts[1]), limit);
    }
    println!("{}", peak_rss_kib());
}

fn child_rss(spec: &str) -> f64 {
    let exe = std::env::current_exe().expect("own path");
    let out = std::process::Command::new(exe)
        .env("WRANGLE_GROUP_RSS", spec)
        .output()
        .expect("child runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<f64>()
        .unwrap_or(f64::NAN)
}

/// Median of three fresh processes, in MiB.
fn child_rss_mib(spec: &str) -> f64 {
    median((0..3).map(|_| child_rss(spec) / 1024.0).collect())
}

fn rss_table() {
    println!("\npeak RSS above an idle process (MiB; a fresh process per figure, median of 3)");
    println!(
        "| runtime | idle | limit | spawn_on | up-front+semaphore | bare | spawn_on ÷ up-front | target ≤ 0.10 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for name in Rt::ALL {
        let idle = child_rss_mib(&format!("{name}:idle:1"));
        for limit in LIMITS {
            let above =
                |side: Side| child_rss_mib(&format!("{name}:{}:{limit}", side.arg())) - idle;
            let (g, u, b) = (
                above(Side::SpawnOn),
                above(Side::UpFront),
                above(Side::Bare),
            );
            let ratio = g / u;
            println!(
                "| {name} | {idle:.1} | {limit} | {g:.1} | {u:.1} | {b:.1} | {ratio:.3} | {} |",
                if ratio <= 0.10 { "met" } else { "**missed**" }
            );
        }
    }
}

fn paired_table(rts: &[Rt], rounds: usize) {
    println!(
        "\npaired: {N} trivial tasks, {rounds} rounds, sides rotated each round (medians, ns/task)"
    );
    println!(
        "| runtime | limit | spawn_on | up-front | bare | spawn_on ÷ up-front (≤ 1.0) | spawn_on ÷ bare (≤ 1.15) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let sides = [Side::SpawnOn, Side::UpFront, Side::Bare];
    for rt in rts {
        for limit in LIMITS {
            let mut times: [Vec<f64>; 3] = Default::default();
            let (mut vs_up, mut vs_bare) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                let mut t = [0.0; 3];
                for k in 0..3 {
                    let s = (round + k) % 3;
                    let d = timed(&mut || run_checked(rt, sides[s], limit));
                    t[s] = d.as_nanos() as f64 / N as f64;
                }
                for s in 0..3 {
                    times[s].push(t[s]);
                }
                vs_up.push(t[0] / t[1]);
                vs_bare.push(t[0] / t[2]);
            }
            let [g, u, b] = times.map(median);
            let (ru, rb) = (median(vs_up), median(vs_bare));
            println!(
                "| {} | {limit} | {g:.0} | {u:.0} | {b:.0} | {ru:.3} {} | {rb:.3} {} |",
                rt.name(),
                if ru <= 1.0 { "met" } else { "**missed**" },
                if rb <= 1.15 { "met" } else { "**missed**" },
            );
        }
    }
}

/// About `iters` rounds of a multiply-xor hash: CPU work the optimiser cannot skip.
fn hash(iters: u64, seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for i in 0..iters {
        h = (h ^ black_box(i)).wrapping_mul(0x0000_0100_0000_01b3);
        h ^= h >> 29;
    }
    h
}

/// Iterations of [`hash`] that take about `target` on this thread.
fn calibrate(target: Duration) -> u64 {
    let probe = 2_000_000;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        black_box(hash(probe, 1));
        best = best.min(start.elapsed());
    }
    (probe as f64 * target.as_secs_f64() / best.as_secs_f64()) as u64
}

const JOBS: u64 = 64;

fn cpu_in_task<R: Runtime + 'static>(rt: &R, iters: u64) -> Vec<u64> {
    rt.block_on(wrangle::gather(
        (0..JOBS).map(|i| async move { hash(iters, i) }),
    ))
}

fn cpu_spawned<R: Runtime + 'static>(rt: &R, iters: u64) -> Vec<u64> {
    rt.block_on(wrangle::spawn_gather(
        rt,
        (0..JOBS).map(|i| async move { hash(iters, i) }),
    ))
}

fn cpu(rt: &Rt, spawned: bool, iters: u64) -> Vec<u64> {
    match rt {
        Rt::Tokio(r) | Rt::TokioCurrentThread(r) if spawned => cpu_spawned(r, iters),
        Rt::Tokio(r) | Rt::TokioCurrentThread(r) => cpu_in_task(r, iters),
        Rt::Smol(r) if spawned => cpu_spawned(r, iters),
        Rt::Smol(r) => cpu_in_task(r, iters),
        Rt::AsyncStd(r) if spawned => cpu_spawned(r, iters),
        Rt::AsyncStd(r) => cpu_in_task(r, iters),
    }
}

fn cpu_table(rts: &[Rt], iters: u64, rounds: usize) {
    println!(
        "\nCPU-bound batch: {JOBS} jobs of ~5 ms ({iters} hash rounds each), {rounds} alternating rounds (medians)"
    );
    println!("| runtime | in-task gather ms | spawn_on ms | speed-up (target ≥ 1.8×) |");
    println!("|---|---:|---:|---:|");
    for rt in rts {
        let expected = cpu(rt, false, iters);
        let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let one = |spawned: bool| {
                timed(&mut || assert_eq!(cpu(rt, spawned, iters), expected)).as_secs_f64() * 1e3
            };
            let (x, y) = if round % 2 == 0 {
                let x = one(false);
                (x, one(true))
            } else {
                let y = one(true);
                (one(false), y)
            };
            a.push(x);
            b.push(y);
            r.push(x / y);
        }
        let speedup = median(r);
        println!(
            "| {} | {:.0} | {:.0} | {speedup:.2}× {} |",
            rt.name(),
            median(a),
            median(b),
            if speedup >= 1.8 { "met" } else { "**missed**" }
        );
    }
}

fn main() {
    if let Ok(spec) = std::env::var("WRANGLE_GROUP_RSS") {
        rss_child(&spec);
        return;
    }
    let parts = std::env::var("WRANGLE_BENCH_PARTS")
        .unwrap_or_else(|_| "criterion,paired,rss,cpu".to_owned());
    let want = |part: &str| parts.split(',').any(|p| p == part);
    let only = std::env::var("WRANGLE_BENCH_RUNTIMES").unwrap_or_default();
    let rts: Vec<Rt> = Rt::ALL
        .iter()
        .filter(|n| only.is_empty() || only.split(',').any(|o| o == **n))
        .map(|n| Rt::build(n))
        .collect();
    let iters = calibrate(Duration::from_millis(5));
    // The CPU batch needs two workers: tokio current-thread has one thread, so it is left out.
    let parallel: Vec<Rt> = rts
        .iter()
        .filter(|rt| !matches!(rt, Rt::TokioCurrentThread(_)))
        .cloned()
        .collect();

    if want("criterion") {
        let mut c = criterion();
        let mut group = c.benchmark_group("spawn_gather_200k_trivial");
        for rt in &rts {
            for limit in LIMITS {
                for side in [Side::SpawnOn, Side::UpFront] {
                    let id = BenchmarkId::new(side.name(), format!("{}/limit {limit}", rt.name()));
                    group.bench_function(id, |b| b.iter(|| run_checked(rt, side, limit)));
                }
            }
            let id = BenchmarkId::new(Side::Bare.name(), rt.name());
            group.bench_function(id, |b| b.iter(|| run_checked(rt, Side::Bare, 1)));
        }
        group.finish();
        let mut group = c.benchmark_group("cpu_batch_64x5ms");
        for rt in &parallel {
            group.bench_function(BenchmarkId::new("in-task gather", rt.name()), |b| {
                b.iter(|| cpu(rt, false, iters))
            });
            group.bench_function(BenchmarkId::new("spawn_on", rt.name()), |b| {
                b.iter(|| cpu(rt, true, iters))
            });
        }
        group.finish();
        c.final_summary();
    }
    let rounds = std::env::var("WRANGLE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    if want("paired") {
        paired_table(&rts, rounds);
    }
    if want("rss") {
        rss_table();
    }
    if want("cpu") {
        cpu_table(&parallel, iters, rounds);
    }
}
