//! Rate limiting on every runtime: an uncontended admission through wrangle's `RateLimiter`,
//! against governor and leaky-bucket on the same workload (a quota so large that every call
//! is admitted).
//!
//! ```text
//! cargo bench --bench rate
//! ```
//!
//! Each loop of 1 000 000 admissions runs inside one task spawned on the runtime (`block_on`:
//! directly under `futures_lite::future::block_on`) and is timed from inside it; wrangle's
//! limiter reads the runtime adapter's clock (`block_on`: the smol adapter's, `Instant::now`).
//! governor is runtime-neutral (its own clock; `until_ready` would wait on futures-timer's
//! thread, which an uncontended admission never does), so it is measured the same way on every
//! runtime. leaky-bucket waits on tokio's timer and runs only on tokio. The sides alternate
//! round by round in one run; the table reports medians (BENCHMARKS.md says why). Target:
//! ≤ 100 ns per uncontended admission.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Exec, median};
use criterion::BenchmarkId;
use wrangle::rate::{Quota, RateLimiter};
use wrangle_core::Timer;

const N: u32 = 1_000_000;
const ROUNDS: usize = 11;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    WrangleTry,
    WrangleAcquire,
    GovernorCheck,
    GovernorUntilReady,
    Leaky,
}

impl Side {
    const ALL: [Side; 5] = [
        Side::WrangleTry,
        Side::WrangleAcquire,
        Side::GovernorCheck,
        Side::GovernorUntilReady,
        Side::Leaky,
    ];

    fn name(self) -> &'static str {
        match self {
            Side::WrangleTry => "wrangle try_acquire",
            Side::WrangleAcquire => "wrangle acquire().await",
            Side::GovernorCheck => "governor check()",
            Side::GovernorUntilReady => "governor until_ready().await",
            Side::Leaky => "leaky-bucket acquire_one().await",
        }
    }
}

type Governor = governor::DefaultDirectRateLimiter;
type Job = Pin<Box<dyn Future<Output = f64> + Send>>;

fn per_op(start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64 / f64::from(N)
}

fn quota() -> Quota {
    Quota::per_second(1_000_000_000)
        .and_then(|q| q.burst(u32::MAX))
        .expect("valid quota")
}

fn governor() -> Arc<Governor> {
    let nz = NonZeroU32::new(u32::MAX).expect("non-zero");
    Arc::new(governor::RateLimiter::direct(
        governor::Quota::per_second(nz).allow_burst(nz),
    ))
}

fn leaky() -> Arc<leaky_bucket::RateLimiter> {
    let huge = u32::MAX as usize;
    Arc::new(
        leaky_bucket::RateLimiter::builder()
            .initial(huge)
            .max(huge)
            .refill(huge)
            .interval(Duration::from_millis(1))
            .build(),
    )
}

/// The limiters of one runtime, each measured by its own loop.
struct Limiters<T: Timer + 'static> {
    wrangle: Arc<RateLimiter<T>>,
    governor: Arc<Governor>,
    leaky: Option<Arc<leaky_bucket::RateLimiter>>,
}

impl<T: Timer + 'static> Limiters<T> {
    fn new(timer: T, leaky: Option<Arc<leaky_bucket::RateLimiter>>) -> Self {
        Self {
            wrangle: Arc::new(RateLimiter::new(timer, quota())),
            governor: governor(),
            leaky,
        }
    }

    /// One timed loop of `side`, or `None` where that limiter does not run.
    fn job(&self, side: Side) -> Option<Job> {
        Some(match side {
            Side::WrangleTry => {
                let l = self.wrangle.clone();
                Box::pin(async move {
                    let start = Instant::now();
                    for _ in 0..N {
                        black_box(l.try_acquire().is_ok());
                    }
                    per_op(start)
                })
            }
            Side::WrangleAcquire => {
                let l = self.wrangle.clone();
                Box::pin(async move {
                    let start = Instant::now();
                    for _ in 0..N {
                        l.acquire().await;
                    }
                    per_op(start)
                })
            }
            Side::GovernorCheck => {
                let g = self.governor.clone();
                Box::pin(async move {
                    let start = Instant::now();
                    for _ in 0..N {
                        black_box(g.check().is_ok());
                    }
                    per_op(start)
                })
            }
            Side::GovernorUntilReady => {
                let g = self.governor.clone();
                Box::pin(async move {
                    let start = Instant::now();
                    for _ in 0..N {
                        g.until_ready().await;
                    }
                    per_op(start)
                })
            }
            Side::Leaky => {
                let l = self.leaky.clone()?;
                Box::pin(async move {
                    let start = Instant::now();
                    for _ in 0..N {
                        l.acquire_one().await;
                    }
                    per_op(start)
                })
            }
        })
    }
}

/// A runtime with its limiters.
enum Bench {
    Io(Limiters<wrangle_smol::Smol>),
    Tokio(Limiters<wrangle_tokio::Tokio>),
    AsyncStd(Limiters<wrangle_async_std::AsyncStd>),
}

impl Bench {
    fn new(exec: &Exec, io: &wrangle_smol::Smol) -> Self {
        match exec {
            Exec::BlockOn => Bench::Io(Limiters::new(io.clone(), None)),
            Exec::Tokio(rt) | Exec::TokioCurrentThread(rt) => {
                // Built inside the runtime: leaky-bucket belongs to tokio's timer.
                let leaky = exec.run(async { leaky() });
                Bench::Tokio(Limiters::new(rt.clone(), Some(leaky)))
            }
            Exec::Smol(rt) => Bench::Io(Limiters::new(rt.clone(), None)),
            Exec::AsyncStd(rt) => Bench::AsyncStd(Limiters::new(rt.clone(), None)),
        }
    }

    /// Whether `side` runs on this runtime (leaky-bucket only on tokio).
    fn runs(&self, side: Side) -> bool {
        side != Side::Leaky || matches!(self, Bench::Tokio(_))
    }

    /// Runs one loop of `side` on `exec`: ns per admission, or `None` if it does not run there.
    fn measure(&self, exec: &Exec, side: Side) -> Option<f64> {
        let job = match self {
            Bench::Io(l) => l.job(side),
            Bench::Tokio(l) => l.job(side),
            Bench::AsyncStd(l) => l.job(side),
        }?;
        Some(exec.run(job))
    }
}

fn main() {
    let execs = Exec::all();
    let io = execs
        .iter()
        .find_map(|e| match e {
            Exec::Smol(rt) => Some(rt.clone()),
            _ => None,
        })
        .expect("Exec::all has smol");
    let benches: Vec<Bench> = execs.iter().map(|e| Bench::new(e, &io)).collect();

    let mut c = common::criterion();
    {
        let mut g = c.benchmark_group("rate_uncontended_1m");
        for (exec, bench) in execs.iter().zip(&benches) {
            for side in Side::ALL {
                if !bench.runs(side) {
                    continue;
                }
                g.bench_function(BenchmarkId::new(side.name(), exec.name()), |b| {
                    b.iter(|| black_box(bench.measure(exec, side)))
                });
            }
        }
        g.finish();
    }
    c.final_summary();

    println!(
        "\nuncontended admission, ns per admission, {ROUNDS} alternating rounds per runtime \
         (medians; ratios: medians of per-round wrangle ÷ other, below 1 = wrangle faster)"
    );
    println!(
        "| runtime | wrangle try_acquire | wrangle acquire().await | governor check() | governor until_ready().await | leaky-bucket acquire_one().await | try_acquire ÷ check() | acquire ÷ until_ready | acquire ÷ leaky-bucket | ≤ 100 ns |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (exec, bench) in execs.iter().zip(&benches) {
        let mut figures: Vec<Vec<f64>> = vec![Vec::new(); Side::ALL.len()];
        let mut ratios: [Vec<f64>; 3] = Default::default();
        for round in 0..ROUNDS {
            let mut order = Side::ALL;
            if round % 2 == 1 {
                order.reverse();
            }
            let mut got = [f64::NAN; 5];
            for side in order {
                if let Some(ns) = bench.measure(exec, side) {
                    got[side as usize] = ns;
                    figures[side as usize].push(ns);
                }
            }
            let at = |s: Side| got[s as usize];
            ratios[0].push(at(Side::WrangleTry) / at(Side::GovernorCheck));
            ratios[1].push(at(Side::WrangleAcquire) / at(Side::GovernorUntilReady));
            ratios[2].push(at(Side::WrangleAcquire) / at(Side::Leaky));
        }
        let ns = |v: &Vec<f64>| {
            if v.is_empty() {
                "—".to_owned()
            } else {
                format!("{:.1}", median(v.clone()))
            }
        };
        let ratio = |v: &Vec<f64>| {
            if v.iter().any(|r| r.is_nan()) {
                "—".to_owned()
            } else {
                format!("{:.2}×", median(v.clone()))
            }
        };
        let worst = median(figures[Side::WrangleTry as usize].clone())
            .max(median(figures[Side::WrangleAcquire as usize].clone()));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            exec.name(),
            ns(&figures[0]),
            ns(&figures[1]),
            ns(&figures[2]),
            ns(&figures[3]),
            ns(&figures[4]),
            ratio(&ratios[0]),
            ratio(&ratios[1]),
            ratio(&ratios[2]),
            if worst <= 100.0 { "met" } else { "**missed**" },
        );
    }
}
