//! Retry on every runtime, against backon: the cost of `retry()` when the first attempt
//! succeeds (against a bare call, and against backon's `Retryable` on the same call), and a
//! call that fails twice then succeeds with zero delays (against backon).
//!
//! ```text
//! cargo bench --bench retry
//! ```
//!
//! Each loop runs inside one task spawned on the runtime (`block_on`: directly under
//! `futures_lite::future::block_on`) and is timed from inside it. The sides alternate round by
//! round in one run and the tables report medians of the paired figures (BENCHMARKS.md says
//! why). Target: ≤ 30 ns added per call when the first attempt succeeds.
//!
//! Timers and sleepers. wrangle's `retry` takes the runtime's adapter as its timer
//! (`block_on`: the smol adapter's, async-io, which needs no executor). backon needs a sleeper
//! per runtime: `tokio::time::sleep` on tokio (backon's `tokio-sleep`), async-io's
//! `Timer::after` on smol and under `block_on`, and `async_std::task::sleep` on async-std. Each
//! sleeper skips zero delays, as wrangle's retry does (tokio rounds a zero sleep up to its
//! next millisecond tick, which would make the comparison about tokio's timer), so with the
//! zero-delay policies here neither side ever touches a timer.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::time::{Duration, Instant};

use backon::Retryable as _;
use common::{Exec, median};
use criterion::BenchmarkId;
use wrangle::retry::{RetryPolicy, retry};
use wrangle_core::Timer;

const N: u32 = 1_000_000;
const FLAKY_N: u32 = 100_000;
const ROUNDS: usize = 11;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `ok(i).await`, no retry.
    Bare,
    /// wrangle's `retry` around a call that succeeds at once.
    WrangleOk,
    /// backon's `Retryable` around the same call.
    BackonOk,
    /// wrangle's `retry` around a call that fails twice, then succeeds.
    WrangleFlaky,
    /// backon around the same call.
    BackonFlaky,
}

impl Side {
    const ALL: [Side; 5] = [
        Side::Bare,
        Side::WrangleOk,
        Side::BackonOk,
        Side::WrangleFlaky,
        Side::BackonFlaky,
    ];

    fn name(self) -> &'static str {
        match self {
            Side::Bare => "first_attempt_ok/bare",
            Side::WrangleOk => "first_attempt_ok/wrangle",
            Side::BackonOk => "first_attempt_ok/backon",
            Side::WrangleFlaky => "fails_twice/wrangle",
            Side::BackonFlaky => "fails_twice/backon",
        }
    }
}

async fn ok(i: u32) -> Result<u32, ()> {
    Ok(black_box(i))
}

/// Fails on the first two attempts of every call, then succeeds.
async fn flaky(attempt: u32, i: u32) -> Result<u32, &'static str> {
    if attempt < 3 {
        Err("transient")
    } else {
        Ok(black_box(i))
    }
}

/// backon's sleeper on tokio, skipping zero delays.
async fn tokio_sleep(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// backon's sleeper on smol and under `block_on`, skipping zero delays.
async fn async_io_sleep(delay: Duration) {
    if !delay.is_zero() {
        async_io::Timer::after(delay).await;
    }
}

/// backon's sleeper on async-std, skipping zero delays.
async fn async_std_sleep(delay: Duration) {
    if !delay.is_zero() {
        async_std::task::sleep(delay).await;
    }
}

fn wrangle_policy() -> RetryPolicy {
    RetryPolicy::builder()
        .constant(Duration::ZERO)
        .max_retries(3)
        .build()
        .expect("valid")
}

fn backon_policy() -> backon::ConstantBuilder {
    backon::ConstantBuilder::default()
        .with_delay(Duration::ZERO)
        .with_max_times(3)
}

fn per_call(start: Instant, n: u32) -> f64 {
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

async fn bare_loop() -> f64 {
    let start = Instant::now();
    for i in 0..N {
        black_box(ok(i).await.ok());
    }
    per_call(start, N)
}

async fn wrangle_ok_loop<T: Timer>(timer: T) -> f64 {
    let policy = wrangle_policy();
    let start = Instant::now();
    for i in 0..N {
        black_box(retry(&timer, &policy, |_| ok(i)).await.ok());
    }
    per_call(start, N)
}

async fn backon_ok_loop<S, Fut>(sleeper: S) -> f64
where
    S: Fn(Duration) -> Fut + Copy + 'static,
    Fut: Future<Output = ()>,
{
    let policy = backon_policy();
    let start = Instant::now();
    for i in 0..N {
        let call = || ok(i);
        black_box(call.retry(policy).sleep(sleeper).await.ok());
    }
    per_call(start, N)
}

async fn wrangle_flaky_loop<T: Timer>(timer: T) -> f64 {
    let policy = wrangle_policy();
    let start = Instant::now();
    for i in 0..FLAKY_N {
        black_box(retry(&timer, &policy, |a| flaky(a.number(), i)).await.ok());
    }
    per_call(start, FLAKY_N)
}

async fn backon_flaky_loop<S, Fut>(sleeper: S) -> f64
where
    S: Fn(Duration) -> Fut + Copy + 'static,
    Fut: Future<Output = ()>,
{
    let policy = backon_policy();
    let start = Instant::now();
    for i in 0..FLAKY_N {
        let mut attempt = 0;
        let call = || {
            attempt += 1;
            flaky(attempt, i)
        };
        black_box(call.retry(policy).sleep(sleeper).await.ok());
    }
    per_call(start, FLAKY_N)
}

type Job = Pin<Box<dyn Future<Output = f64> + Send>>;

/// One timed loop of `side`: wrangle on `timer`, backon on `sleeper`.
fn job<T, S, Fut>(side: Side, timer: T, sleeper: S) -> Job
where
    T: Timer + 'static,
    S: Fn(Duration) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    match side {
        Side::Bare => Box::pin(bare_loop()),
        Side::WrangleOk => Box::pin(wrangle_ok_loop(timer)),
        Side::BackonOk => Box::pin(backon_ok_loop(sleeper)),
        Side::WrangleFlaky => Box::pin(wrangle_flaky_loop(timer)),
        Side::BackonFlaky => Box::pin(backon_flaky_loop(sleeper)),
    }
}

/// Runs one loop of `side` on `exec` and returns its ns per call. `io` is the timer used
/// under `block_on`.
fn measure(exec: &Exec, io: &wrangle_smol::Smol, side: Side) -> f64 {
    match exec {
        Exec::BlockOn => exec.run(job(side, io.clone(), async_io_sleep)),
        Exec::Tokio(rt) | Exec::TokioCurrentThread(rt) => {
            exec.run(job(side, rt.clone(), tokio_sleep))
        }
        Exec::Smol(rt) => exec.run(job(side, rt.clone(), async_io_sleep)),
        Exec::AsyncStd(rt) => exec.run(job(side, rt.clone(), async_std_sleep)),
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

    let mut c = common::criterion();
    {
        let mut g = c.benchmark_group("retry");
        for exec in &execs {
            for side in Side::ALL {
                g.bench_function(BenchmarkId::new(side.name(), exec.name()), |b| {
                    b.iter(|| black_box(measure(exec, &io, side)))
                });
            }
        }
        g.finish();
    }
    c.final_summary();

    println!(
        "\nretry, {ROUNDS} alternating rounds per runtime (medians; added = median of per-round \
         differences, ratio = median of per-round ratios)"
    );
    println!(
        "| runtime | bare ns/call | wrangle added | backon added | wrangle ÷ backon | ≤ 30 ns | fails twice: wrangle ns | backon ns | wrangle ÷ backon |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|---:|---:|");
    for exec in &execs {
        let (mut bare, mut w_added, mut b_added) = (Vec::new(), Vec::new(), Vec::new());
        let mut ok_ratio = Vec::new();
        let (mut w_flaky, mut b_flaky, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let mut ok_sides = [Side::Bare, Side::WrangleOk, Side::BackonOk];
            let mut flaky_sides = [Side::WrangleFlaky, Side::BackonFlaky];
            if round % 2 == 1 {
                ok_sides.reverse();
                flaky_sides.reverse();
            }
            let mut got = [0.0; 5];
            for side in ok_sides.into_iter().chain(flaky_sides) {
                got[side as usize] = measure(exec, &io, side);
            }
            bare.push(got[Side::Bare as usize]);
            w_added.push(got[Side::WrangleOk as usize] - got[Side::Bare as usize]);
            b_added.push(got[Side::BackonOk as usize] - got[Side::Bare as usize]);
            ok_ratio.push(got[Side::WrangleOk as usize] / got[Side::BackonOk as usize]);
            w_flaky.push(got[Side::WrangleFlaky as usize]);
            b_flaky.push(got[Side::BackonFlaky as usize]);
            ratio.push(got[Side::WrangleFlaky as usize] / got[Side::BackonFlaky as usize]);
        }
        let added = median(w_added);
        println!(
            "| {} | {:.1} | {added:+.1} | {:+.1} | {:.2}× | {} | {:.0} | {:.0} | {:.2}× |",
            exec.name(),
            median(bare),
            median(b_added),
            median(ok_ratio),
            if added <= 30.0 { "met" } else { "**missed**" },
            median(w_flaky),
            median(b_flaky),
            median(ratio),
        );
    }
}
