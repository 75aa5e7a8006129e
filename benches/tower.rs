//! What each `wrangle::tower` layer adds per request, against no layer and against tower's
//! own layer where tower has one (timeout, concurrency limit, rate limit; tower's need tokio,
//! so they run on the tokio runtimes only).
//!
//! ```text
//! cargo bench --bench tower --features full
//! ```
//!
//! Each measurement is one task calling a service `N` times in a loop, `svc.ready().await`
//! then `svc.call(i).await`, over an inner service whose future is ready at once; the figure
//! is the loop's ns per call minus the bare loop's (no layer), the median of 7 rounds in
//! alternating order. Limits are set so they never bind (a 60 s timeout, 1 024 in flight, a
//! rate of one per nanosecond with a burst of 2^32 − 1, or 10^9 per second for tower's):
//! what is measured is each layer's bookkeeping, which every request pays. Target: wrangle's
//! added cost ≤ 1.0× tower's for the timeout, the concurrency limit and the rate limit on tokio.
//! The layers tower has no equivalent of (retry, breaker, keyed rate limit, load shedding) are
//! reported against no layer.

mod common;

use std::fmt::Debug;
use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Exec, median};
use tower::{Layer as _, Service, ServiceExt};
use wrangle::breaker::CircuitBreaker;
use wrangle::rate::{KeyedRateLimiter, Quota, RateLimiter};
use wrangle::retry::RetryPolicy;
use wrangle::tower::{
    BoxError, CircuitBreakerLayer, ConcurrencyLimitLayer, KeyedRateLimitLayer, LoadShedLayer,
    RateLimitLayer, RetryLayer, TimeoutLayer,
};
use wrangle_core::Runtime;

const N: u64 = 200_000;
const LIMIT: Duration = Duration::from_secs(60);
const IN_FLIGHT: usize = 1024;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Layer {
    Timeout,
    Concurrency,
    Rate,
    Breaker,
    Retry,
    KeyedRate,
    LoadShed,
}

const LAYERS: [(Layer, &str); 7] = [
    (Layer::Timeout, "timeout"),
    (Layer::Concurrency, "concurrency limit"),
    (Layer::Rate, "rate limit"),
    (Layer::Breaker, "circuit breaker"),
    (Layer::Retry, "retry"),
    (Layer::KeyedRate, "keyed rate limit"),
    (Layer::LoadShed, "load shed + concurrency limit"),
];

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Bare,
    Wrangle,
    Tower,
}

/// `n` calls through `svc`, each waiting for readiness first; the loop's time.
async fn drive<S>(mut svc: S, n: u64) -> Duration
where
    S: Service<u64, Response = u64>,
    S::Error: Debug,
{
    let start = Instant::now();
    for i in 0..n {
        let ready = svc.ready().await.expect("never fails");
        black_box(ready.call(i).await.expect("never fails"));
    }
    start.elapsed()
}

fn inner() -> impl Service<
    u64,
    Response = u64,
    Error = BoxError,
    Future = std::future::Ready<Result<u64, BoxError>>,
> + Clone
+ Send
+ 'static {
    tower::service_fn(|i: u64| std::future::ready(Ok::<_, BoxError>(black_box(i))))
}

/// Quotas that never bind: one per nanosecond, a burst of 2^32 − 1.
fn open_quota() -> Quota {
    Quota::with_interval(Duration::from_nanos(1))
        .and_then(|q| q.burst(u32::MAX))
        .expect("a valid quota")
}

/// One loop of `n` calls through `layer` on `side`, in a task on `rt`; `None` where tower has
/// no such layer (or cannot run: not on tokio).
fn run<R: Runtime + 'static>(
    rt: &R,
    on_tokio: bool,
    layer: Layer,
    side: Side,
    n: u64,
) -> Option<Duration> {
    let go = |f: std::pin::Pin<Box<dyn std::future::Future<Output = Duration> + Send>>| {
        Some(rt.block_on(rt.spawn(f)))
    };
    match (side, layer) {
        (Side::Bare, _) => go(Box::pin(drive(inner(), n))),
        (Side::Wrangle, Layer::Timeout) => go(Box::pin(drive(
            TimeoutLayer::new(rt.clone(), LIMIT).layer(inner()),
            n,
        ))),
        (Side::Wrangle, Layer::Concurrency) => go(Box::pin(drive(
            ConcurrencyLimitLayer::new(IN_FLIGHT)
                .expect("valid")
                .layer(inner()),
            n,
        ))),
        (Side::Wrangle, Layer::Rate) => go(Box::pin(drive(
            RateLimitLayer::new(RateLimiter::new(rt.clone(), open_quota())).layer(inner()),
            n,
        ))),
        (Side::Wrangle, Layer::Breaker) => {
            let breaker = CircuitBreaker::builder()
                .build(rt.clone())
                .expect("a valid breaker");
            go(Box::pin(drive(
                CircuitBreakerLayer::new(breaker).layer(inner()),
                n,
            )))
        }
        (Side::Wrangle, Layer::Retry) => go(Box::pin(drive(
            RetryLayer::new(rt.clone(), RetryPolicy::default()).layer(inner()),
            n,
        ))),
        (Side::Wrangle, Layer::KeyedRate) => {
            let limiter = KeyedRateLimiter::new(rt.clone(), open_quota());
            go(Box::pin(drive(
                KeyedRateLimitLayer::new(limiter, |i: &u64| *i % 8).layer(inner()),
                n,
            )))
        }
        (Side::Wrangle, Layer::LoadShed) => go(Box::pin(drive(
            LoadShedLayer::new().layer(
                ConcurrencyLimitLayer::new(IN_FLIGHT)
                    .expect("valid")
                    .layer(inner()),
            ),
            n,
        ))),
        (Side::Tower, _) if !on_tokio => None,
        (Side::Tower, Layer::Timeout) => go(Box::pin(drive(
            tower::timeout::TimeoutLayer::new(LIMIT).layer(inner()),
            n,
        ))),
        (Side::Tower, Layer::Concurrency) => go(Box::pin(drive(
            tower::limit::ConcurrencyLimitLayer::new(IN_FLIGHT).layer(inner()),
            n,
        ))),
        // Made inside the task: tower's rate limit needs tokio's context to be made.
        (Side::Tower, Layer::Rate) => go(Box::pin(async move {
            let layer = tower::limit::RateLimitLayer::new(1_000_000_000, Duration::from_secs(1));
            drive(layer.layer(inner()), n).await
        })),
        (Side::Tower, _) => None,
    }
}

fn run_on(exec: &Exec, layer: Layer, side: Side, n: u64) -> Option<Duration> {
    match exec {
        Exec::Tokio(rt) | Exec::TokioCurrentThread(rt) => run(rt, true, layer, side, n),
        Exec::Smol(rt) => run(rt, false, layer, side, n),
        Exec::AsyncStd(rt) => run(rt, false, layer, side, n),
        Exec::BlockOn => None,
    }
}

fn per_call(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn main() {
    let execs = Exec::runtimes();
    let mut c = common::criterion();
    {
        let mut group = c.benchmark_group("tower_layers");
        for exec in &execs {
            for (layer, lname) in LAYERS {
                for (side, sname) in [
                    (Side::Bare, "no layer"),
                    (Side::Wrangle, "wrangle"),
                    (Side::Tower, "tower"),
                ] {
                    if run_on(exec, layer, side, 1).is_none() {
                        continue;
                    }
                    let id = criterion::BenchmarkId::new(sname, format!("{}/{lname}", exec.name()));
                    group.bench_function(id, |b| {
                        b.iter_custom(|iters| run_on(exec, layer, side, iters).unwrap_or_default())
                    });
                }
            }
        }
        group.finish();
    }
    c.final_summary();

    let rounds = 7;
    println!(
        "\nns added per request over no layer (median of {rounds} rounds of {N} calls, \
         alternating order; target: wrangle <= 1.0x tower's added cost)"
    );
    println!(
        "| runtime | layer | bare ns/call | wrangle added | tower added | wrangle ÷ tower (added) |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for exec in &execs {
        for (layer, lname) in LAYERS {
            let (mut bare, mut w, mut t) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                let mut order = [Side::Bare, Side::Wrangle, Side::Tower];
                if round % 2 == 1 {
                    order.reverse();
                }
                let mut got = [None; 3];
                for side in order {
                    got[side as usize] = run_on(exec, layer, side, N).map(|d| per_call(d, N));
                }
                let b = got[0].unwrap_or_default();
                bare.push(b);
                w.push(got[1].unwrap_or_default() - b);
                if let Some(tower) = got[2] {
                    t.push(tower - b);
                }
            }
            let (bare, w) = (median(bare), median(w));
            let (tower, ratio) = if t.is_empty() {
                ("—".to_owned(), "—".to_owned())
            } else {
                let t = median(t);
                (format!("{t:.1}"), format!("{:.2}×", w / t.max(0.1)))
            };
            println!(
                "| {} | {lname} | {bare:.1} | {w:.1} | {tower} | {ratio} |",
                exec.name()
            );
        }
    }
}
