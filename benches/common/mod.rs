//! What the combinator benches share: the executors they run on, and paired timing.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use wrangle_core::Runtime;

/// Where a bench future runs: on `futures_lite::future::block_on`, or inside a task spawned
/// on one of the runtimes (two workers where the runtime has workers).
pub enum Exec {
    BlockOn,
    Tokio(wrangle_tokio::Tokio),
    TokioCurrentThread(wrangle_tokio::Tokio),
    Smol(wrangle_smol::Smol),
    AsyncStd(wrangle_async_std::AsyncStd),
}

pub const WORKERS: usize = 2;

impl Exec {
    pub fn all() -> Vec<Exec> {
        let two = NonZeroUsize::new(WORKERS).expect("non-zero");
        vec![
            Exec::BlockOn,
            Exec::Tokio(
                wrangle_tokio::TokioBuilder::multi_thread()
                    .worker_threads(two)
                    .build()
                    .expect("tokio starts"),
            ),
            Exec::TokioCurrentThread(wrangle_tokio::Tokio::current_thread().expect("tokio starts")),
            Exec::Smol(
                wrangle_smol::SmolBuilder::new()
                    .worker_threads(two)
                    .build()
                    .expect("smol starts"),
            ),
            Exec::AsyncStd(wrangle_async_std::AsyncStd::new()),
        ]
    }

    pub fn runtimes() -> Vec<Exec> {
        Self::all()
            .into_iter()
            .filter(|e| !matches!(e, Exec::BlockOn))
            .collect()
    }

    pub fn name(&self) -> &'static str {
        match self {
            Exec::BlockOn => "block_on",
            Exec::Tokio(_) => "tokio",
            Exec::TokioCurrentThread(_) => "tokio-current-thread",
            Exec::Smol(_) => "smol",
            Exec::AsyncStd(_) => "async-std",
        }
    }

    /// Runs `future` to completion: directly under `block_on`, or as a spawned task.
    pub fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        fn on<R: Runtime + 'static, F>(rt: &R, future: F) -> F::Output
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            rt.block_on(rt.spawn(future))
        }
        match self {
            Exec::BlockOn => futures_lite::future::block_on(future),
            Exec::Tokio(rt) | Exec::TokioCurrentThread(rt) => on(rt, future),
            Exec::Smol(rt) => on(rt, future),
            Exec::AsyncStd(rt) => on(rt, future),
        }
    }
}

/// Times one call.
pub fn timed(f: &mut dyn FnMut()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Alternates `a` and `b` for `rounds` rounds (a b, b a, …) and returns the median ns per
/// item of each and the median of the per-round ratios `b / a`: the figure that survives a
/// noisy, shared machine.
pub fn paired(
    rounds: usize,
    items: u64,
    a: &mut dyn FnMut(),
    b: &mut dyn FnMut(),
) -> (f64, f64, f64) {
    let (mut xs, mut ys, mut rs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = timed(a);
            (x, timed(b))
        } else {
            let y = timed(b);
            (timed(a), y)
        };
        let per = |d: Duration| d.as_nanos() as f64 / items as f64;
        xs.push(per(x));
        ys.push(per(y));
        rs.push(per(y) / per(x));
    }
    (median(xs), median(ys), median(rs))
}

/// A criterion configured for short runs.
pub fn criterion() -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args()
}
