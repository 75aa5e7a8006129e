//! `timeout` around 1 000 000 futures: one ready at once, and one that yields once before it
//! is ready (so the deadline really gets armed), against each runtime's own timeout.
//!
//! ```text
//! cargo bench --bench timeout
//! ```
//!
//! Each figure is "added ns per call": the time of the loop with the timeout minus the time
//! of the same loop without it, per call. On the multi-thread runtimes (tokio, smol,
//! async-std) both workers run a loop at once, so the timer is used from two threads.
//! Targets: ≤ 25 ns added around a ready future; ≤ 100 ns added once armed.
//!
//! Group `timeout_ready_forms`: the ready timeout in its two forms, construction and drop
//! included, against the bare future, in a loop inside `block_on` on each runtime: the
//! borrowed form `wrangle::timeout(&rt, d, fut)` (target: ≤ 5 ns added) and the owned method
//! form `rt.timeout(d, fut)` (reported; its price is one handle clone per call).
//!
//! Natives: `tokio::time::timeout` on tokio; `async_std::future::timeout` on async-std; on smol
//! (which has no timeout of its own) the usual idiom, `future.or(async_io::Timer::after(d))`.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Exec, median};
use futures_lite::FutureExt as _;
use wrangle_core::{Runtime, TimerExt};

const N: u64 = 1_000_000;
const LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq)]
enum Inner {
    Ready,
    YieldOnce,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Bare,
    Wrangle,
    Native,
}

async fn inner(i: u64, kind: Inner) -> u64 {
    if kind == Inner::YieldOnce {
        wrangle_core::yield_now().await;
    }
    black_box(i)
}

type Job = Pin<Box<dyn Future<Output = Duration> + Send>>;

/// One loop of `n` calls on `exec`'s timer, timed from inside the task.
fn job(exec: &Exec, side: Side, kind: Inner, n: u64) -> Job {
    macro_rules! timed_loop {
        ($body:expr) => {
            Box::pin(async move {
                let start = Instant::now();
                for i in 0..n {
                    black_box($body(i).await);
                }
                start.elapsed()
            })
        };
    }
    match (exec, side) {
        (_, Side::Bare) => timed_loop!(|i| inner(i, kind)),
        (Exec::Tokio(rt) | Exec::TokioCurrentThread(rt), Side::Wrangle) => {
            let rt = rt.clone();
            Box::pin(async move {
                let start = Instant::now();
                for i in 0..n {
                    black_box(wrangle_core::timeout(&rt, LIMIT, inner(i, kind)).await.ok());
                }
                start.elapsed()
            })
        }
        (Exec::Smol(rt), Side::Wrangle) => {
            let rt = rt.clone();
            Box::pin(async move {
                let start = Instant::now();
                for i in 0..n {
                    black_box(wrangle_core::timeout(&rt, LIMIT, inner(i, kind)).await.ok());
                }
                start.elapsed()
            })
        }
        (Exec::AsyncStd(rt), Side::Wrangle) => {
            let rt = rt.clone();
            Box::pin(async move {
                let start = Instant::now();
                for i in 0..n {
                    black_box(wrangle_core::timeout(&rt, LIMIT, inner(i, kind)).await.ok());
                }
                start.elapsed()
            })
        }
        (Exec::Tokio(_) | Exec::TokioCurrentThread(_), Side::Native) => {
            timed_loop!(|i| async move { tokio::time::timeout(LIMIT, inner(i, kind)).await.ok() })
        }
        (Exec::Smol(_), Side::Native) => timed_loop!(|i| async move {
            async { Some(inner(i, kind).await) }
                .or(async {
                    async_io::Timer::after(LIMIT).await;
                    None
                })
                .await
        }),
        (Exec::AsyncStd(_), Side::Native) => {
            timed_loop!(
                |i| async move { async_std::future::timeout(LIMIT, inner(i, kind)).await.ok() }
            )
        }
        (Exec::BlockOn, _) => unreachable!("timeouts need a runtime's timer"),
    }
}

/// Runs `workers` loops of `N / workers` calls at once and returns the mean ns per call seen
/// inside the loops.
fn per_call(exec: &Exec, side: Side, kind: Inner) -> f64 {
    let workers = match exec {
        Exec::TokioCurrentThread(_) | Exec::BlockOn => 1,
        _ => common::WORKERS as u64,
    };
    let n = N / workers;
    let jobs: Vec<Job> = (0..workers).map(|_| job(exec, side, kind, n)).collect();
    fn spawn_all<R: Runtime + 'static>(rt: &R, jobs: Vec<Job>) -> Vec<Duration> {
        rt.block_on(async {
            let tasks: Vec<_> = jobs.into_iter().map(|j| rt.spawn(j)).collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await);
            }
            out
        })
    }
    let times = match exec {
        Exec::Tokio(rt) | Exec::TokioCurrentThread(rt) => spawn_all(rt, jobs),
        Exec::Smol(rt) => spawn_all(rt, jobs),
        Exec::AsyncStd(rt) => spawn_all(rt, jobs),
        Exec::BlockOn => unreachable!(),
    };
    let total: Duration = times.iter().sum();
    total.as_nanos() as f64 / (n * workers) as f64
}

/// The forms of `timeout_ready_forms`.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Bare,
    Borrowed,
    Owned,
}

const FORMS: [(Form, &str); 3] = [
    (Form::Bare, "bare future"),
    (Form::Borrowed, "wrangle::timeout(&rt, ..)"),
    (Form::Owned, "rt.timeout(..)"),
];

/// `n` ready futures, each wrapped in `form` (made, awaited and dropped), in one loop inside
/// `block_on`; the time of the loop.
fn ready_loop<R: Runtime>(rt: &R, form: Form, n: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        match form {
            Form::Bare => {
                for i in 0..n {
                    black_box(inner(i, Inner::Ready).await);
                }
            }
            Form::Borrowed => {
                for i in 0..n {
                    black_box(
                        wrangle::timeout(rt, LIMIT, inner(i, Inner::Ready))
                            .await
                            .ok(),
                    );
                }
            }
            Form::Owned => {
                for i in 0..n {
                    black_box(rt.timeout(LIMIT, inner(i, Inner::Ready)).await.ok());
                }
            }
        }
        start.elapsed()
    })
}

fn ready_loop_on(exec: &Exec, form: Form, n: u64) -> Duration {
    match exec {
        Exec::Tokio(rt) | Exec::TokioCurrentThread(rt) => ready_loop(rt, form, n),
        Exec::Smol(rt) => ready_loop(rt, form, n),
        Exec::AsyncStd(rt) => ready_loop(rt, form, n),
        Exec::BlockOn => unreachable!("timeouts need a runtime's timer"),
    }
}

fn main() {
    let execs = Arc::new(Exec::runtimes());
    let mut c = common::criterion();
    {
        let mut group = c.benchmark_group("timeout_ready_forms");
        for exec in execs.iter() {
            for (form, fname) in FORMS {
                let id = criterion::BenchmarkId::new(fname, exec.name());
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| ready_loop_on(exec, form, iters))
                });
            }
        }
        group.finish();
    }
    {
        let mut group = c.benchmark_group("timeout_1m");
        for exec in execs.iter() {
            for (kind, kname) in [(Inner::Ready, "ready"), (Inner::YieldOnce, "yield-once")] {
                for (side, sname) in [
                    (Side::Bare, "no timeout"),
                    (Side::Wrangle, "wrangle"),
                    (Side::Native, "native"),
                ] {
                    let id = criterion::BenchmarkId::new(sname, format!("{}/{kname}", exec.name()));
                    group.bench_function(id, |b| {
                        b.iter_custom(|iters| {
                            (0..iters)
                                .map(|_| {
                                    Duration::from_nanos(per_call(exec, side, kind) as u64 * N)
                                })
                                .sum()
                        })
                    });
                }
            }
        }
        group.finish();
    }
    c.final_summary();

    let rounds = 7;
    println!(
        "\nready timeout, construction and drop included, ns added per call over the bare future \
         (median of {rounds} rounds of {N}; target: borrowed <= 5 ns)"
    );
    println!("| runtime | bare ns/call | borrowed added | owned added |");
    println!("|---|---:|---:|---:|");
    for exec in execs.iter() {
        let (mut bare, mut borrowed, mut owned) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let mut got = [0.0; 3];
            let mut order = [Form::Bare, Form::Borrowed, Form::Owned];
            if round % 2 == 1 {
                order.reverse();
            }
            for form in order {
                got[form as usize] = ready_loop_on(exec, form, N).as_nanos() as f64 / N as f64;
            }
            bare.push(got[0]);
            borrowed.push(got[1] - got[0]);
            owned.push(got[2] - got[0]);
        }
        println!(
            "| {} | {:.1} | {:.1} | {:.1} |",
            exec.name(),
            median(bare),
            median(borrowed),
            median(owned)
        );
    }

    let rounds = 7;
    println!(
        "\ntimeout around {N} futures, ns added per call (median of {rounds} rounds; bare loop subtracted)"
    );
    println!(
        "| runtime | inner | bare ns/call | wrangle added | native added | native ÷ wrangle (added) |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for exec in execs.iter() {
        for (kind, kname) in [(Inner::Ready, "ready"), (Inner::YieldOnce, "yield-once")] {
            let (mut bare, mut w, mut n) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                let order = if round % 2 == 0 {
                    [Side::Bare, Side::Wrangle, Side::Native]
                } else {
                    [Side::Native, Side::Wrangle, Side::Bare]
                };
                let mut got = [0.0; 3];
                for side in order {
                    got[side as usize] = per_call(exec, side, kind);
                }
                bare.push(got[0]);
                w.push(got[1] - got[0]);
                n.push(got[2] - got[0]);
            }
            let (bare, w, n) = (median(bare), median(w), median(n));
            println!(
                "| {} | {kname} | {bare:.1} | {w:.1} | {n:.1} | {:.2}× |",
                exec.name(),
                n / w.max(0.1)
            );
        }
    }
}
