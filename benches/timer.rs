//! wrangle-timer (issue 19): the smol and async-std adapters' sleeps against `futures-timer`
//! and `async_io::Timer`, in the three shapes that stress a timer differently.
//!
//! ```text
//! cargo bench --bench timer                          # criterion groups, then every table
//! WRANGLE_BENCH_TABLE=armed cargo bench --bench timer # one table: armed | both | alive | sleep
//! ```
//!
//! - `armed`: one task awaits, in sequence, an inner future that yields once (so the timer is
//!   really armed), each in a 1 s timeout; ns per call at 2 × 10^5 and 10^6 calls, on smol
//!   (one task, 2 worker threads), a single-thread smol `LocalExecutor` and async-std. wrangle's
//!   timeout against `futures-timer` + select and `async_io::Timer` + select (select: futures-lite's
//!   `or`). Target: wrangle ≤ 0.25× futures-timer; per-call cost flat (±20 %) from 2 × 10^5 to
//!   10^6.
//! - `both`: the same, both smol / async-std workers running a loop at once.
//! - `alive`: 10^3 to 10^6 sleeps armed (polled once) and alive at once, then dropped: ns per
//!   sleep for wrangle-timer, futures-timer and async-io.
//! - `sleep`: 20 000 futures each sleeping 1 ms at limit 1 000, in-task (`gather`) and spawned
//!   (`spawn_gather`), wall ÷ ideal (20 ms), beside the same gathers over `async_io::Timer`.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use common::median;
use futures_lite::FutureExt as _;
use wrangle_core::{Runtime, Timer};

const LIMIT: Duration = Duration::from_secs(1);
const ROUNDS: usize = 7;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Side {
    Bare,
    Wrangle,
    FuturesTimer,
    AsyncIo,
}

const SIDES: [Side; 4] = [Side::Bare, Side::Wrangle, Side::FuturesTimer, Side::AsyncIo];

async fn yield_once(i: u64) -> u64 {
    wrangle_core::yield_now().await;
    black_box(i)
}

/// `n` sequential armed timeouts of `side`, timed inside the task; ns per call.
async fn armed_loop<T: Timer>(timer: T, side: Side, n: u64) -> f64 {
    let start = Instant::now();
    match side {
        Side::Bare => {
            for i in 0..n {
                black_box(yield_once(i).await);
            }
        }
        Side::Wrangle => {
            for i in 0..n {
                black_box(
                    wrangle_core::timeout(&timer, LIMIT, yield_once(i))
                        .await
                        .ok(),
                );
            }
        }
        Side::FuturesTimer => {
            for i in 0..n {
                let r = async { Some(yield_once(i).await) }
                    .or(async {
                        futures_timer::Delay::new(LIMIT).await;
                        None
                    })
                    .await;
                black_box(r);
            }
        }
        Side::AsyncIo => {
            for i in 0..n {
                let r = async { Some(yield_once(i).await) }
                    .or(async {
                        async_io::Timer::after(LIMIT).await;
                        None
                    })
                    .await;
                black_box(r);
            }
        }
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// Where the armed loops run.
enum Where {
    /// `tasks` tasks at once on a 2-worker smol runtime.
    Smol(wrangle_smol::Smol),
    /// One thread: a `LocalExecutor` run by `async_io::block_on` (smol's `block_on`).
    SmolLocal(wrangle_smol::Smol),
    AsyncStd(wrangle_async_std::AsyncStd),
}

impl Where {
    fn name(&self) -> &'static str {
        match self {
            Where::Smol(_) => "smol (2 threads)",
            Where::SmolLocal(_) => "smol LocalExecutor (1 thread)",
            Where::AsyncStd(_) => "async-std",
        }
    }

    /// `tasks` loops of `n / tasks` calls at once; mean ns per call.
    fn armed(&self, side: Side, n: u64, tasks: u64) -> f64 {
        fn spawned<R: Runtime + 'static>(rt: &R, side: Side, n: u64, tasks: u64) -> f64 {
            let per: Vec<f64> = rt.block_on(async {
                let handles: Vec<_> = (0..tasks)
                    .map(|_| rt.spawn(armed_loop(rt.clone(), side, n / tasks)))
                    .collect();
                let mut out = Vec::new();
                for h in handles {
                    out.push(h.await);
                }
                out
            });
            per.iter().sum::<f64>() / per.len() as f64
        }
        match self {
            Where::Smol(rt) => spawned(rt, side, n, tasks),
            Where::AsyncStd(rt) => spawned(rt, side, n, tasks),
            Where::SmolLocal(rt) => {
                let ex = async_executor::LocalExecutor::new();
                async_io::block_on(ex.run(armed_loop(rt.clone(), side, n)))
            }
        }
    }
}

fn places() -> Vec<Where> {
    let two = std::num::NonZeroUsize::new(2).expect("non-zero");
    let smol = || {
        wrangle_smol::SmolBuilder::new()
            .worker_threads(two)
            .build()
            .expect("smol starts")
    };
    vec![
        Where::Smol(smol()),
        Where::SmolLocal(smol()),
        Where::AsyncStd(wrangle_async_std::AsyncStd::new()),
    ]
}

/// Medians over `ROUNDS` rounds (sides alternated in order each round) of ns per call.
fn armed_medians(place: &Where, n: u64, tasks: u64) -> [f64; 4] {
    let mut got: [Vec<f64>; 4] = Default::default();
    for round in 0..ROUNDS {
        let mut order = SIDES;
        if round % 2 == 1 {
            order.reverse();
        }
        for side in order {
            got[side as usize].push(place.armed(side, n, tasks));
        }
    }
    got.map(median)
}

fn armed_table() {
    println!(
        "\narmed timeout (inner yields once, 1 s timeout), one task in sequence: ns per call, \
         median of {ROUNDS} rounds"
    );
    println!(
        "| runtime | calls | bare | wrangle | futures-timer + select | async-io + select | \
         wrangle ÷ futures-timer |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for place in places() {
        let mut at = Vec::new();
        for n in [200_000, 1_000_000] {
            let m = armed_medians(&place, n, 1);
            println!(
                "| {} | {n} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2}× |",
                place.name(),
                m[0],
                m[1],
                m[2],
                m[3],
                m[1] / m[2]
            );
            at.push(m[1]);
        }
        println!(
            "| {} | flatness | | 10^6 ÷ 2×10^5: {:.2} | | | |",
            place.name(),
            at[1] / at[0]
        );
    }
}

fn both_table() {
    println!(
        "\narmed timeout, both workers arming at once (2 tasks, 500 000 calls each): ns per \
         call, median of {ROUNDS} rounds"
    );
    println!(
        "| runtime | bare | wrangle | futures-timer + select | async-io + select | \
         wrangle ÷ futures-timer |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for place in places() {
        if matches!(place, Where::SmolLocal(_)) {
            continue;
        }
        let m = armed_medians(&place, 1_000_000, 2);
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2}× |",
            place.name(),
            m[0],
            m[1],
            m[2],
            m[3],
            m[1] / m[2]
        );
    }
}

/// `n` sleeps 1 s away armed (polled once) and alive at once, then dropped; ns per sleep.
fn alive_run(side: Side, n: usize) -> f64 {
    let mut cx = Context::from_waker(Waker::noop());
    let deadline = Instant::now() + LIMIT;
    let start = Instant::now();
    match side {
        Side::Wrangle => {
            let mut v: Vec<wrangle_timer::Sleep> = Vec::with_capacity(n);
            for i in 0..n {
                v.push(wrangle_timer::Sleep::at(
                    deadline + Duration::from_nanos(i as u64 % 1000),
                ));
                let _ = Pin::new(v.last_mut().expect("pushed")).poll(&mut cx);
            }
            drop(v);
        }
        Side::FuturesTimer => {
            let mut v: Vec<futures_timer::Delay> = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(futures_timer::Delay::new(LIMIT));
                let _ = Pin::new(v.last_mut().expect("pushed")).poll(&mut cx);
            }
            drop(v);
        }
        Side::AsyncIo => {
            let mut v: Vec<async_io::Timer> = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(async_io::Timer::at(deadline));
                let _ = Pin::new(v.last_mut().expect("pushed")).poll(&mut cx);
            }
            drop(v);
        }
        Side::Bare => unreachable!(),
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn alive_table() {
    println!(
        "\nsleeps alive at once: arm n (one poll each), then drop them all; ns per sleep, \
         median of {ROUNDS} rounds"
    );
    println!("| alive | wrangle-timer | futures-timer | async-io | wrangle ÷ futures-timer |");
    println!("|---:|---:|---:|---:|---:|");
    for n in [1_000, 10_000, 100_000, 1_000_000] {
        let sides = [Side::Wrangle, Side::FuturesTimer, Side::AsyncIo];
        let mut got: [Vec<f64>; 3] = Default::default();
        for round in 0..ROUNDS {
            let mut order = [0, 1, 2];
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                got[i].push(alive_run(sides[i], n));
            }
        }
        let m = got.map(median);
        println!(
            "| {n} | {:.0} | {:.0} | {:.0} | {:.2}× |",
            m[0],
            m[1],
            m[2],
            m[0] / m[1]
        );
    }
}

const K: u64 = 20_000;
const LIMIT_1000: usize = 1000;

/// One gather of `K` 1 ms sleeps at limit 1000 on `rt`: in-task or spawned, over the
/// runtime's `Timer` or over `async_io::Timer`. Wall ÷ ideal (20 ms).
fn gather_run<R: Runtime + 'static>(rt: &R, spawned: bool, async_io_timer: bool) -> f64 {
    let ms = Duration::from_millis(1);
    let rt2 = rt.clone();
    let took = rt.block_on(rt.spawn(async move {
        let start = Instant::now();
        match (spawned, async_io_timer) {
            (false, false) => {
                wrangle::gather((0..K).map(|_| wrangle_core::sleep(&rt2, ms)))
                    .limit(LIMIT_1000)
                    .await;
            }
            (false, true) => {
                wrangle::gather((0..K).map(|_| async_io::Timer::after(ms)))
                    .limit(LIMIT_1000)
                    .await;
            }
            (true, false) => {
                let timer = rt2.clone();
                wrangle::spawn_gather(
                    &rt2,
                    (0..K).map(move |_| wrangle_core::sleep_until(&timer, timer.now() + ms)),
                )
                .limit(LIMIT_1000)
                .await;
            }
            (true, true) => {
                wrangle::spawn_gather(
                    &rt2,
                    (0..K).map(move |_| async move {
                        async_io::Timer::after(ms).await;
                    }),
                )
                .limit(LIMIT_1000)
                .await;
            }
        }
        start.elapsed()
    }));
    took.as_secs_f64() / 0.020
}

fn sleep_table() {
    println!(
        "\n{K} futures each sleeping 1 ms at limit {LIMIT_1000}: wall ÷ ideal (20 ms), median of \
         9, the four forms alternated"
    );
    println!(
        "| runtime | in-task: wrangle | in-task: async-io | spawned: wrangle | spawned: async-io |"
    );
    println!("|---|---:|---:|---:|---:|");
    let two = std::num::NonZeroUsize::new(2).expect("non-zero");
    let smol = wrangle_smol::SmolBuilder::new()
        .worker_threads(two)
        .build()
        .expect("smol starts");
    let async_std = wrangle_async_std::AsyncStd::new();
    fn row<R: Runtime + 'static>(name: &str, rt: &R) {
        let forms = [(false, false), (false, true), (true, false), (true, true)];
        let mut got: [Vec<f64>; 4] = Default::default();
        for round in 0..9 {
            let mut order = [0, 1, 2, 3];
            if round % 2 == 1 {
                order.reverse();
            }
            for i in order {
                got[i].push(gather_run(rt, forms[i].0, forms[i].1));
            }
        }
        let m = got.map(median);
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} |",
            m[0], m[1], m[2], m[3]
        );
    }
    row("smol", &smol);
    row("async-std", &async_std);
}

fn main() {
    let table = std::env::var("WRANGLE_BENCH_TABLE").ok();
    if let Some(t) = table.as_deref() {
        match t {
            "armed" => armed_table(),
            "both" => both_table(),
            "alive" => alive_table(),
            "sleep" => sleep_table(),
            _ => eprintln!("WRANGLE_BENCH_TABLE: one of armed, both, alive, sleep"),
        }
        return;
    }
    let mut c = common::criterion();
    {
        let places = Arc::new(places());
        let mut group = c.benchmark_group("armed_timeout_200k");
        for place in places.iter() {
            for side in SIDES {
                let id = criterion::BenchmarkId::new(format!("{side:?}"), place.name());
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        (0..iters)
                            .map(|_| {
                                Duration::from_nanos((place.armed(side, 200_000, 1) * 2e5) as u64)
                            })
                            .sum()
                    })
                });
            }
        }
        group.finish();
    }
    c.final_summary();
    armed_table();
    both_table();
    alive_table();
    sleep_table();
}
