//! The blocking bridge against the pools people use today (issue 5), side by side in one run.
//!
//! ```text
//! cargo bench --bench blocking
//! ```
//!
//! 1. **No-op throughput**: 100 000 no-op closures, at most 256 in flight (a bounded
//!    `gather`), driven from each runtime (and from no runtime): wrangle's pool at its
//!    default settings against `blocking::unblock`, tokio's `spawn_blocking` and async-std's
//!    `spawn_blocking`. Rounds alternate the sides; the figure is the median of per-round
//!    ratios (target ≥ 3×). The process's thread count is sampled from /proc/self/task
//!    during each wrangle run: its growth never exceeds the pool's cap.
//! 2. **Forty sleepers**: the same default settings serve 40 calls sleeping 50 ms at once,
//!    from a cold pool, in ≈ 50 ms.
//! 3. **Memory under a flood**: 1 000 000 fire-and-forget submissions against a pool capped
//!    at 8 threads, in a child process each so that peak RSS (VmHWM) is its own: flat in
//!    the number of submissions, bounded by the queue; `blocking::unblock` for contrast.
//! 4. **Detector overhead**: a gather of 10 000 futures that each yield once, bare, watched
//!    by a detector that is off, and by one that is on.
//!
//! Criterion times the wrangle side of (1) on each runtime (sample_size 10); the paired
//! figures are printed as tables. `WRANGLE_BLOCKING_SECTIONS=1,4` runs only those sections.

use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;

use common::{Exec, median};
use criterion::{BenchmarkId, Criterion};
use wrangle_blocking::{BlockingPool, Detector};

const CALLS: usize = 100_000;
const IN_FLIGHT: usize = 256;
const ROUNDS: usize = 5;
/// Pause before each timed run, so that the threads the previous side left behind have
/// exited (`blocking` retires idle threads after 500 ms; the baseline tokio runtime is built
/// with the same keep-alive) and their exits are not billed to the next side.
const SETTLE: Duration = Duration::from_millis(700);
use common::WORKERS;

/// Runs `n` calls made by `call`, at most `IN_FLIGHT` at once, on `exec`.
fn drive<C, Fut>(exec: &Exec, n: usize, call: C)
where
    C: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send,
{
    let limit = NonZeroUsize::new(IN_FLIGHT).expect("non-zero");
    exec.run(async move {
        let outs = wrangle::gather((0..n).map(|_| call())).limit(limit).await;
        black_box(outs.len());
    });
}

/// A side of the no-op comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Wrangle,
    WrangleNoBatch,
    Blocking,
    Tokio,
    AsyncStd,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Wrangle => "wrangle pool",
            Side::WrangleNoBatch => "wrangle pool, batch_wakeups(false)",
            Side::Blocking => "blocking::unblock",
            Side::Tokio => "tokio spawn_blocking",
            Side::AsyncStd => "async-std spawn_blocking",
        }
    }
}

struct Sides {
    pool: BlockingPool,
    unbatched: BlockingPool,
    /// tokio's blocking pool, reached through a handle so it can be driven from any
    /// executor (from the tokio executors it is their own pool).
    tokio: tokio::runtime::Handle,
    _tokio_rt: Arc<tokio::runtime::Runtime>,
}

impl Sides {
    fn run(&self, exec: &Exec, side: Side, n: usize) {
        match side {
            Side::Wrangle => {
                let pool = self.pool.clone();
                drive(exec, n, move || pool.unblock(|| black_box(())));
            }
            Side::WrangleNoBatch => {
                let pool = self.unbatched.clone();
                drive(exec, n, move || pool.unblock(|| black_box(())));
            }
            Side::Blocking => drive(exec, n, || blocking::unblock(|| black_box(()))),
            Side::Tokio => {
                // The blocking pool of a dedicated tokio runtime, from every executor (its
                // keep-alive is short, see `SETTLE`).
                let handle = self.tokio.clone();
                drive(exec, n, move || {
                    let join = handle.spawn_blocking(|| black_box(()));
                    async move { join.await.expect("no panic") }
                });
            }
            Side::AsyncStd => drive(exec, n, || {
                async_std::task::spawn_blocking(|| black_box(()))
            }),
        }
    }
}

/// The process's thread count, from /proc/self/task.
fn os_threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// Samples the thread count every 200 µs until dropped; keeps the maximum.
struct ThreadSampler {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ThreadSampler {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(AtomicUsize::new(0));
        let (s, m) = (stop.clone(), max.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                m.fetch_max(os_threads(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        Self {
            stop,
            max,
            thread: Some(thread),
        }
    }

    /// The maximum seen, not counting the sampler itself.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.max.load(Ordering::Relaxed).saturating_sub(1)
    }
}

fn ns_per_call(d: Duration, n: usize) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn no_op_throughput(c: &mut Criterion, execs: &[Exec], sides: &Sides) {
    let cap = sides.pool.max_threads();
    {
        let mut group = c.benchmark_group("unblock_noop_100k_256_in_flight");
        for exec in execs {
            group.bench_function(BenchmarkId::new("wrangle", exec.name()), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        sides.run(exec, Side::Wrangle, CALLS);
                    }
                    start.elapsed()
                })
            });
        }
        group.finish();
    }

    println!();
    println!(
        "## 1. {CALLS} no-op closures, at most {IN_FLIGHT} in flight ({ROUNDS} alternating rounds, each run after a {SETTLE:?} settle; medians)"
    );
    println!();
    println!(
        "| driven from | side | ns/call | side ÷ wrangle (paired) | max OS threads during wrangle runs (growth over start) | pool peak threads | cap |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let others = [
        Side::WrangleNoBatch,
        Side::Blocking,
        Side::Tokio,
        Side::AsyncStd,
    ];
    for exec in execs {
        // Warm every side once.
        for side in [Side::Wrangle].into_iter().chain(others) {
            sides.run(exec, side, CALLS / 10);
        }
        let mut wrangle_ns = Vec::new();
        let mut other_ns: Vec<Vec<f64>> = vec![Vec::new(); others.len()];
        let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); others.len()];
        let mut max_growth = 0;
        let mut max_abs = 0;
        for round in 0..ROUNDS {
            let mut timed_wrangle = || {
                std::thread::sleep(SETTLE);
                let before = os_threads();
                let sampler = ThreadSampler::start();
                let start = Instant::now();
                sides.run(exec, Side::Wrangle, CALLS);
                let d = start.elapsed();
                let max = sampler.finish();
                max_growth = max_growth.max(max.saturating_sub(before));
                max_abs = max_abs.max(max);
                ns_per_call(d, CALLS)
            };
            // Alternate the order round by round.
            let w_first = if round % 2 == 0 {
                Some(timed_wrangle())
            } else {
                None
            };
            let mut these = Vec::new();
            for side in others {
                std::thread::sleep(SETTLE);
                let start = Instant::now();
                sides.run(exec, side, CALLS);
                these.push(ns_per_call(start.elapsed(), CALLS));
            }
            let w = match w_first {
                Some(w) => w,
                None => timed_wrangle(),
            };
            wrangle_ns.push(w);
            for (i, ns) in these.into_iter().enumerate() {
                other_ns[i].push(ns);
                ratios[i].push(ns / w);
            }
        }
        let peak = sides.pool.metrics().peak_threads;
        println!(
            "| {} | {} | {:.0} | 1.00× | {} ({} over start) | {} | {} |",
            exec.name(),
            Side::Wrangle.name(),
            median(wrangle_ns),
            max_abs,
            max_growth,
            peak,
            cap
        );
        for (i, side) in others.iter().enumerate() {
            println!(
                "| {} | {} | {:.0} | {:.2}× | | | |",
                exec.name(),
                side.name(),
                median(other_ns[i].clone()),
                median(ratios[i].clone()),
            );
        }
    }
}

/// 40 calls sleeping 50 ms at once.
fn forty_sleepers(execs: &[Exec], tokio: &tokio::runtime::Handle) {
    println!();
    println!("## 2. 40 calls sleeping 50 ms at once (default settings; medians of 5)");
    println!();
    println!(
        "| driven from | wrangle, cold pool ms | wrangle, warm pool ms | blocking::unblock ms | tokio spawn_blocking ms | peak pool threads |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let sleeper = || std::thread::sleep(Duration::from_millis(50));
    for exec in execs {
        let (mut cold, mut warm, mut blk, mut tok) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut peak = 0;
        for _ in 0..5 {
            let pool = BlockingPool::new();
            let p = pool.clone();
            let start = Instant::now();
            drive(exec, 40, move || p.unblock(sleeper));
            cold.push(start.elapsed().as_secs_f64() * 1e3);
            let p = pool.clone();
            let start = Instant::now();
            drive(exec, 40, move || p.unblock(sleeper));
            warm.push(start.elapsed().as_secs_f64() * 1e3);
            peak = peak.max(pool.metrics().peak_threads);
            let start = Instant::now();
            drive(exec, 40, move || blocking::unblock(sleeper));
            blk.push(start.elapsed().as_secs_f64() * 1e3);
            let h = tokio.clone();
            let start = Instant::now();
            drive(exec, 40, move || {
                let j = h.spawn_blocking(sleeper);
                async move { j.await.expect("no panic") }
            });
            tok.push(start.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            exec.name(),
            median(cold),
            median(warm),
            median(blk),
            median(tok),
            peak
        );
    }
}

/// Peak RSS of this process, in KiB.
fn vm_hwm_kib() -> u64 {
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

/// A job that carries 256 bytes, works about 5 µs (slower than a submission, so calls pile
/// up), and counts itself done.
fn flood_job(payload: [u8; 256], done: Arc<AtomicUsize>) -> impl FnOnce() + Send + 'static {
    move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_micros(5) {
            std::hint::spin_loop();
        }
        black_box(payload);
        done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Child-process mode: floods a pool with `n` fire-and-forget calls and prints
/// `<VmHWM KiB before> <after> <seconds>`.
fn flood_child(mode: &str, n: usize) {
    let before = vm_hwm_kib();
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    match mode {
        "wrangle" => {
            let pool = BlockingPool::builder()
                .max_threads(8)
                .build()
                .expect("valid pool");
            futures_lite::future::block_on(async {
                for i in 0..n {
                    pool.submit(flood_job([i as u8; 256], done.clone()))
                        .await
                        .detach();
                }
            });
        }
        "blocking" => {
            // `blocking` caps its threads at BLOCKING_MAX_THREADS (set to 8 by the parent,
            // like the wrangle pool); its queue has no bound.
            for i in 0..n {
                blocking::unblock(flood_job([i as u8; 256], done.clone())).detach();
            }
        }
        other => panic!("unknown flood mode {other}"),
    }
    while done.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "{} {} {:.3}",
        before,
        vm_hwm_kib(),
        start.elapsed().as_secs_f64()
    );
}

fn flood() {
    println!();
    println!(
        "## 3. Fire-and-forget submissions against a pool capped at 8 threads (child process each; 256-byte, ~5 µs jobs)"
    );
    println!();
    println!(
        "| submitter | submissions | peak RSS (VmHWM) MiB | growth over start MiB | seconds |"
    );
    println!("|---|---:|---:|---:|---:|");
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            println!("(cannot find the bench binary: {err})");
            return;
        }
    };
    for (mode, n) in [
        ("wrangle", 100_000),
        ("wrangle", 1_000_000),
        ("blocking", 100_000),
        ("blocking", 1_000_000),
    ] {
        let mut cmd = std::process::Command::new(&exe);
        cmd.env("WRANGLE_BLOCKING_FLOOD", format!("{mode}:{n}"));
        if mode == "blocking" {
            cmd.env("BLOCKING_MAX_THREADS", "8");
        }
        let out = cmd.output();
        let line = out
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.lines().last().map(str::to_owned))
            .unwrap_or_default();
        let nums: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if let [before, after, secs] = nums[..] {
            let name = if mode == "wrangle" {
                "wrangle `submit().await.detach()` (queue 1024)"
            } else {
                "`blocking::unblock` (unbounded queue)"
            };
            println!(
                "| {name} | {n} | {:.1} | {:.1} | {:.2} |",
                after / 1024.0,
                (after - before) / 1024.0,
                secs
            );
        } else {
            println!("| {mode} | {n} | failed: {line:?} | | |");
        }
    }
}

/// A gather of `n` futures that each yield once, optionally watched.
fn detector_overhead() {
    const N: usize = 10_000;
    let run = |detector: Option<&Detector>| {
        let start = Instant::now();
        futures_lite::future::block_on(async {
            match detector {
                None => {
                    wrangle::gather((0..N).map(|i| async move {
                        futures_lite::future::yield_now().await;
                        i
                    }))
                    .await
                }
                Some(d) => {
                    wrangle::gather((0..N).map(|i| {
                        d.watch(async move {
                            futures_lite::future::yield_now().await;
                            i
                        })
                    }))
                    .await
                }
            }
        });
        ns_per_call(start.elapsed(), N)
    };
    let off = Detector::off();
    let on = Detector::new();
    for _ in 0..20 {
        run(None);
        run(Some(&off));
        run(Some(&on));
    }
    let (mut bare, mut offs, mut ons, mut r_off, mut r_on) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..41 {
        let (b, f, o) = if round % 2 == 0 {
            let b = run(None);
            let f = run(Some(&off));
            (b, f, run(Some(&on)))
        } else {
            let o = run(Some(&on));
            let f = run(Some(&off));
            (run(None), f, o)
        };
        bare.push(b);
        offs.push(f);
        ons.push(o);
        r_off.push(f / b);
        r_on.push(o / b);
    }
    println!();
    println!(
        "## 4. Detector overhead: gather of {N} futures that yield once (block_on; 41 alternating rounds, medians)"
    );
    println!();
    println!("| variant | ns/future | ÷ bare (paired) |");
    println!("|---|---:|---:|");
    println!("| bare | {:.1} | 1.00× |", median(bare));
    println!(
        "| watched, detector off | {:.1} | {:.3}× |",
        median(offs),
        median(r_off)
    );
    println!(
        "| watched, detector on (2 clock reads per poll) | {:.1} | {:.3}× |",
        median(ons),
        median(r_on)
    );
}

fn main() {
    if let Ok(spec) = std::env::var("WRANGLE_BLOCKING_FLOOD") {
        let (mode, n) = spec.split_once(':').expect("mode:n");
        flood_child(mode, n.parse().expect("a count"));
        return;
    }
    let execs = Exec::all();
    let tokio_rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .thread_keep_alive(Duration::from_millis(500))
            .build()
            .expect("tokio starts"),
    );
    let sides = Sides {
        pool: BlockingPool::new(),
        unbatched: BlockingPool::builder()
            .batch_wakeups(false)
            .build()
            .expect("valid pool"),
        tokio: tokio_rt.handle().clone(),
        _tokio_rt: tokio_rt.clone(),
    };
    println!(
        "threads at start: {}; pool defaults: max_threads {}, queue {}",
        os_threads(),
        sides.pool.max_threads(),
        sides.pool.queue_capacity()
    );
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    // `WRANGLE_BLOCKING_SECTIONS=1,4` runs only those sections (default: all).
    let sections = std::env::var("WRANGLE_BLOCKING_SECTIONS").unwrap_or_default();
    let wants = |n: &str| sections.is_empty() || sections.split(',').any(|s| s.trim() == n);
    if wants("1") {
        no_op_throughput(&mut c, &execs, &sides);
    }
    if wants("2") {
        forty_sleepers(&execs, &sides.tokio);
    }
    if wants("3") {
        flood();
    }
    if wants("4") {
        detector_overhead();
    }
    c.final_summary();
}
