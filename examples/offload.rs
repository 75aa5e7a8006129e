//! Blocking and CPU-heavy work, and crossings between sync and async code: docs/scenarios.md
//! S13 and S17, on every runtime, with `wrangle::blocking` (the `wrangle-blocking` crate).
//!
//! ```text
//! cargo run --example offload --features full                         # every runtime
//! cargo run --example offload --features full -- --runtime smol --scale 0.5
//! ```
//!
//! - S13, blocking I/O: 100 blocking calls of 50 ms go to a pool capped at 10 calls at once
//!   while a ticker task ticks every 10 ms. All done in 100 × 50 ms / 10 = 0.5 s; at most 10
//!   calls in flight (counted inside the calls); the ticker keeps ticking (its largest gap
//!   and its number of ticks are checked). On tokio, smol and async-std the calls run on a
//!   `BlockingPool` capped at 10 threads (`max_threads`; it grows past the cores only while
//!   calls block). Under `sim` the pool's threads would be invisible to the virtual clock,
//!   so the calls run as the sim's own blocking jobs, at most 10 at once
//!   (`Offload::runtime(&sim).limit(10)`), and park in virtual time.
//! - S13, CPU-heavy work: 8 jobs counting primes go to `blocking::compute` (rayon's pool, one
//!   thread per core) while the ticker ticks; never more jobs at once than cores. Under `sim`
//!   rayon's threads are invisible to the clock too: the jobs run as sim blocking jobs, at
//!   most one per core at once, and take no virtual time.
//! - S13, the detector: a future that blocks its thread for 150 ms (over the 100 ms default
//!   threshold) is reported, naming the line it was spawned at; a future that sleeps as long
//!   on the timer is not. The detector times polls with the real clock on every runtime,
//!   `sim` included (a blocked poll holds a real thread while the virtual clock stands
//!   still), and whatever `--scale` says.
//! - S17: plain sync code gets an async function's result with `blocking::block_on` (and the
//!   same call inside a runtime is refused with `BlockOnError::Nested`); a closure offloaded
//!   with `blocking::unblock_on` hands a future back to the runtime that started it with
//!   `blocking::from_thread` and waits for the answer. Under `sim` that future must not wait
//!   on virtual time (the waiting thread holds the clock still), so there it spawns a task
//!   and awaits it instead of sleeping. A closure started with the runtime's own
//!   `spawn_blocking` has no awaiting future: `from_thread` refuses with `NotOffloaded`.
//!
//! Durations are in scenario seconds, scaled by `--scale` (default 1: the scenario's own
//! 50 ms calls and 10 ms ticks are short already). Far below 0.5 the figures stop meaning
//! anything on a real clock: 1 ms calls end before the pool's supervisor (it looks every
//! 1 ms) sees them block and grows the pool, and a 0.2 ms ticker is finer than tokio's 1 ms
//! timer; `examples/smoke.sh` runs this example at 0.5 at least. Under `sim` the figures are
//! exact. The program exits non-zero when a figure is off.

mod common;

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::{Env, Report};
use wrangle::blocking::{BlockingPool, Detector, FromThreadError, Offload, SlowPoll, from_thread};
use wrangle::time::MissedTickBehavior;
use wrangle::{BlockOnError, Runtime, Spawn, Timer, TimerExt};

/// Blocking calls, and how long each takes (scenario seconds).
const CALLS: usize = 100;
const CALL: f64 = 0.050;
/// At most this many blocking calls at once.
const CAP: usize = 10;
/// The ticker's period (scenario seconds).
const TICK: f64 = 0.010;
/// CPU-heavy jobs, each counting the primes in one slice of `0..PRIMES_BELOW`.
const CPU_JOBS: u32 = 8;
const PRIMES_BELOW: u32 = 240_000;
/// How long the detector's offending future blocks its thread: real time, over the
/// detector's default threshold of 100 ms.
const BLOCKS_FOR: Duration = Duration::from_millis(150);

/// On a real clock the ticker's largest gap may exceed its period by scheduling noise on a
/// loaded 2-core machine: this much real time (20 ms seen with both cores busy). What the
/// bound catches is the executor running blocking calls itself: on a current-thread runtime
/// the ticker then stalls for all 100 of them (5 s at scale 1).
const GAP_SLACK: Duration = Duration::from_millis(40);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A task that ticks every `TICK` until dropped, recording when each tick was handled; ticks
/// missed while it could not run are skipped, so a stall shows as fewer ticks too.
fn start_ticker(env: &Env) -> (wrangle::Task<()>, Arc<Mutex<Vec<Instant>>>) {
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let mut interval = env
        .rt
        .interval(env.secs(TICK))
        .expect("the period is not zero");
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // The ticker records when it handled each tick: it reads the clock, with a handle of its own.
    let (clock, seen) = (env.rt.clone(), ticks.clone());
    let task = env.rt.spawn(async move {
        loop {
            interval.tick().await;
            lock(&seen).push(clock.now());
        }
    });
    (task, ticks)
}

/// The ticks handled in `start..end`, and the largest gap between two of them (counting
/// `start` and `end` as ticks, so a ticker that never ran has a gap of the whole span).
fn tick_stats(ticks: &[Instant], start: Instant, end: Instant) -> (usize, Duration) {
    let inside: Vec<Instant> = ticks
        .iter()
        .copied()
        .filter(|t| *t >= start && *t < end)
        .collect();
    let gap = [start]
        .iter()
        .chain(&inside)
        .chain([&end])
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| *w[1] - *w[0])
        .max()
        .unwrap_or_default();
    (inside.len(), gap)
}

/// Checks the ticker's figures over `start..end`: exact under sim, within documented bounds on a
/// real clock.
///
/// On a real clock, at least `min_share` of the expected ticks: a tick handled more than a
/// period late is skipped, so a stall loses ticks, and so does a ticker starved of CPU.
fn check_ticker(
    env: &Env,
    report: &mut Report,
    what: &str,
    ticks: &[Instant],
    span: (Instant, Instant),
    min_share: f64,
) -> String {
    let (start, end) = span;
    let (count, gap) = tick_stats(ticks, start, end);
    let period = env.secs(TICK);
    let expected = (end - start).as_secs_f64() / period.as_secs_f64();
    let gap_ms = env.scenario(gap) * 1e3;
    if env.exact() {
        report.equal(
            env,
            &format!("S13 {what}: ticks"),
            expected.round() as usize,
            count,
        );
        report.took(env, &format!("S13 {what}: ticker's largest gap"), TICK, gap);
    } else {
        let low = (expected * min_share).floor() as usize;
        report.check(
            env,
            &format!("S13 {what}: ticks"),
            format!(">= {low} (~{:.0})", expected),
            count,
            count >= low && count as f64 <= expected + 2.0,
        );
        let bound = period + GAP_SLACK;
        report.check(
            env,
            &format!("S13 {what}: ticker's largest gap"),
            format!("<= {:.1} ms", env.scenario(bound) * 1e3),
            format!("{gap_ms:.1} ms"),
            gap <= bound,
        );
    }
    format!("the ticker ticked {count} times, largest gap {gap_ms:.1} ms")
}

/// In flight now, and the most at once, counted inside the calls.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let out = f();
        self.now.fetch_sub(1, Ordering::SeqCst);
        out
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// S13's blocking I/O: 100 calls of 50 ms, at most 10 at once, while the ticker ticks.
fn s13_blocking_calls(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    // Real runtimes: a pool of our own, its threads capped (its supervisor, which starts
    // threads for blocked calls, counts too, and becomes a worker once the cap is reached).
    // Sim: the sim's own blocking jobs (a pool's threads would be invisible to the virtual
    // clock), at most CAP at once (the `Offload`'s own cap).
    let (calls, pool) = match &env.sim {
        Some(sim) => (Offload::runtime(sim).limit(CAP), None),
        None => {
            let pool = BlockingPool::builder()
                .max_threads(CAP)
                .thread_name("s13-io")
                .build()
                .expect("the pool's settings are valid");
            (pool.offload(), Some(pool))
        }
    };
    let route = match pool {
        Some(_) => format!("a BlockingPool of at most {CAP} threads"),
        None => format!("the sim's blocking jobs, at most {CAP} at once"),
    };
    let bar = common::progress(env, CALLS as u64, "S13 blocking calls");
    let in_flight = Arc::new(InFlight::default());
    let (ticker, ticks) = start_ticker(env);
    let (start, end) = rt.block_on(async {
        let start = rt.now();
        let each = (0..CALLS).map(|i| {
            let (env, in_flight, bar) = (env.clone(), in_flight.clone(), bar.clone());
            let call = calls.unblock(move || in_flight.run(|| env.blocking_call(env.secs(CALL))));
            async move {
                call.await;
                bar.inc(1);
                i
            }
        });
        let done = wrangle::gather(each).await;
        assert!(
            done.iter().copied().eq(0..CALLS),
            "gather keeps the input order"
        );
        (start, rt.now())
    });
    drop(ticker);
    bar.finish_and_clear();
    let took = env.scenario(end - start);
    report.took(
        env,
        "S13 100 blocking calls of 50 ms, <= 10 at once",
        CALLS as f64 * CALL / CAP as f64,
        end - start,
    );
    let peak = in_flight.peak();
    if env.exact() {
        report.equal(env, "S13 peak blocking calls in flight", CAP, peak);
    } else {
        // The pool grows while calls block; none running at all would mean they never got there.
        report.check(
            env,
            "S13 peak blocking calls in flight",
            format!("1..={CAP}"),
            peak,
            (1..=CAP).contains(&peak),
        );
    }
    // The pool's threads sleep: the cores are free, and the ticker loses hardly a tick.
    let span = (start, end);
    let ticker = check_ticker(env, report, "blocking calls", &lock(&ticks), span, 0.7);
    println!(
        "  S13: {CALLS} blocking calls of 50 ms on {route}: all done in {took:.3} s, at most \
         {peak} in flight; meanwhile {ticker}"
    );
    if let Some(pool) = pool {
        let m = pool.metrics();
        println!(
            "  S13: the pool had at most {} threads (its supervisor included)",
            m.peak_threads
        );
        report.at_most(env, "S13 pool threads at peak", CAP, m.peak_threads);
    }
}

/// Counts the primes in `range` by trial division: CPU-heavy on purpose.
fn count_primes(range: std::ops::Range<u32>) -> u32 {
    let is_prime = |n: u32| {
        n >= 2
            && (2..)
                .take_while(|d| d * d <= n)
                .all(|d| !n.is_multiple_of(d))
    };
    range.filter(|&n| is_prime(std::hint::black_box(n))).count() as u32
}

/// The same count with a sieve, to check the jobs' answer.
fn primes_below(n: u32) -> u32 {
    let mut composite = vec![false; n as usize];
    let mut count = 0;
    for i in 2..n as usize {
        if !composite[i] {
            count += 1;
            (i * i..n as usize)
                .step_by(i)
                .for_each(|j| composite[j] = true);
        }
    }
    count
}

/// S13's CPU-heavy work: on a pool sized to the cores, while the ticker ticks.
fn s13_cpu_work(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Under sim, rayon's threads are invisible to the virtual clock (a task awaiting them would
    // count as stuck): the sim's own blocking jobs instead, at most one per core at once.
    let sim_jobs = env
        .sim
        .as_ref()
        .map(|sim| Offload::runtime(sim).limit(cores));
    let running = Arc::new(InFlight::default());
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let (ticker, ticks) = start_ticker(env);
    let (counted, start, end) = rt.block_on(async {
        let start = rt.now();
        let jobs = (0..CPU_JOBS).map(|k| {
            let (running, threads) = (running.clone(), threads.clone());
            let slice = PRIMES_BELOW / CPU_JOBS;
            let job = move || {
                lock(&threads).insert(std::thread::current().id());
                running.run(|| count_primes(k * slice..(k + 1) * slice))
            };
            let sim_jobs = sim_jobs.as_ref();
            async move {
                match sim_jobs {
                    // rayon's pool: one thread per core.
                    None => wrangle::blocking::compute(job).await,
                    Some(sim_jobs) => sim_jobs.unblock(job).await,
                }
            }
        });
        let counted: u32 = wrangle::gather(jobs).await.into_iter().sum();
        (counted, start, rt.now())
    });
    drop(ticker);
    let route = if env.exact() {
        format!("sim blocking jobs, at most {cores} at once")
    } else {
        format!("rayon's pool ({cores} threads: one per core)")
    };
    report.equal(
        env,
        "S13 CPU jobs: primes counted",
        primes_below(PRIMES_BELOW),
        counted,
    );
    report.at_most(
        env,
        "S13 CPU jobs at once (<= cores)",
        cores,
        running.peak(),
    );
    let used = lock(&threads).len();
    if env.exact() {
        // The clock stands still while a job computes, and no tick is due.
        report.took(env, "S13 CPU jobs: virtual time taken", 0.0, end - start);
        println!(
            "  S13: {CPU_JOBS} CPU-heavy jobs on {route}: {counted} primes below \
             {PRIMES_BELOW}, in no virtual time (compute()'s rayon threads are invisible to \
             the virtual clock, so not used under sim)"
        );
    } else {
        report.at_most(env, "S13 CPU jobs: threads used (<= cores)", cores, used);
        // rayon's threads take every core: the ticker shares them with the jobs, so its ticks
        // come late and some are skipped (a third of them at least; but no long gap).
        let span = (start, end);
        let ticker = check_ticker(env, report, "CPU jobs", &lock(&ticks), span, 1.0 / 3.0);
        println!(
            "  S13: {CPU_JOBS} CPU-heavy jobs on {route}: {counted} primes below \
             {PRIMES_BELOW} in {:.3} s on {used} thread(s), at most {} at once; meanwhile \
             {ticker}",
            env.scenario(end - start),
            running.peak()
        );
    }
}

/// S13's detector: a future that blocks its thread is reported, with where it was spawned.
fn s13_detector(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    let reports: Arc<Mutex<Vec<SlowPoll>>> = Arc::default();
    let seen = reports.clone();
    // The default threshold (100 ms); reports also go to `tracing` (RUST_LOG=wrangle_blocking=warn).
    let detector = Detector::new().on_slow_poll(move |slow| lock(&seen).push(slow.clone()));
    // The blocker is a task that reads the clock on both sides of its blocking call: it keeps
    // a handle of its own.
    let clock = rt.clone();
    let blocks_its_thread = async move {
        let before = clock.now();
        std::thread::sleep(BLOCKS_FOR);
        clock.now() - before
    };
    let sleeps_politely = rt.sleep(env.secs(BLOCKS_FOR.as_secs_f64()));
    rt.block_on(async {
        let (blocker, line) = (detector.spawn(rt, blocks_its_thread), line!());
        let polite = detector.spawn_named(rt, "polite", sleeps_politely);
        let blocked = blocker.await;
        polite.await;
        let reports = lock(&reports);
        for slow in reports.iter() {
            println!("  S13: detector: {slow}");
        }
        report.equal(
            env,
            "S13 detector: reports (blocker only)",
            1,
            reports.len(),
        );
        let spawned_at = reports.first().map_or("no report".to_owned(), |slow| {
            let at = slow.location();
            format!("{}:{}", at.file(), at.line())
        });
        report.equal(
            env,
            "S13 detector: names where it was spawned",
            format!("{}:{line}", file!()),
            spawned_at,
        );
        let held = reports.first().map_or(Duration::ZERO, SlowPoll::elapsed);
        report.check(
            env,
            "S13 detector: poll held its thread (real time)",
            format!(">= {BLOCKS_FOR:?}"),
            format!("{held:.0?}"),
            held >= BLOCKS_FOR,
        );
        if env.exact() {
            // The detector works under sim: it times polls with the real clock.
            report.took(
                env,
                "S13 detector: virtual time of the blocked poll",
                0.0,
                blocked,
            );
            println!(
                "  S13: under sim the detector times polls with the real clock: the poll held \
                 the driving thread {BLOCKS_FOR:?} of real time while the virtual clock stood \
                 still"
            );
        }
    });
}

/// An async function that sync code wants the result of.
async fn price_with_tax(cents: u32) -> u32 {
    wrangle::yield_now().await;
    cents * 105 / 100
}

/// S17: sync code calls async code, and a blocking worker calls back into its runtime.
fn s17_crossings(env: &Env, report: &mut Report) {
    let rt = &env.rt;

    // Plain sync code, outside any runtime.
    let price = wrangle::blocking::block_on(price_with_tax(2000));
    report.equal(env, "S17 sync code: block_on(async fn)", 2100, price);
    // The same on a thread a runtime drives would stall its tasks: refused.
    let nested = rt.block_on(async { wrangle::blocking::try_block_on(price_with_tax(2000)) });
    report.equal(
        env,
        "S17 block_on inside the runtime",
        Err(BlockOnError::Nested),
        nested,
    );
    println!(
        "  S17: sync code got {price} from an async fn with blocking::block_on; inside the \
         runtime the same call is refused: {}",
        BlockOnError::Nested
    );

    // A blocking worker hands a future back to the runtime that started it, and waits. That
    // future reads the clock, sleeps and spawns on the runtime: it keeps a handle of its own.
    let (handle, nap) = (rt.clone(), env.secs(0.020));
    let exact = env.exact();
    let begin = rt.now();
    let (answer, waited) = rt.block_on(wrangle::blocking::unblock_on(rt, move || {
        // On a blocking thread of the runtime: this is sync code.
        from_thread(async move {
            let start = handle.now();
            if !exact {
                // The runtime's own timer, which only its side can use.
                handle.sleep(nap).await;
            }
            let answer = handle.spawn(price_with_tax(4000)).await;
            (answer, handle.now() - start)
        })
        .expect("called inside unblock_on, awaited")
    }));
    let took = rt.now() - begin;
    report.equal(env, "S17 from_thread: the runtime's answer", 4200, answer);
    if exact {
        // The worker waits in real time and so holds the virtual clock still: the future
        // handed back must not wait on virtual time (it would never complete), so it only
        // spawns a task and awaits it, taking no virtual time.
        report.took(env, "S17 from_thread round trip (virtual)", 0.0, took);
        println!(
            "  S17: a sim blocking job handed a future back to the sim (spawning a task there) \
             and got {answer}; it waits in real time, holding the virtual clock still, so the \
             future may not sleep there"
        );
    } else {
        report.check(
            env,
            "S17 from_thread: slept on the runtime's timer",
            ">= 0.020 s",
            format!("{:.3} s", env.scenario(waited)),
            waited >= nap,
        );
        println!(
            "  S17: a blocking worker handed a future back to {}: it slept {:.3} s on the \
             runtime's timer, spawned a task there, and the worker got {answer}",
            env.name(),
            env.scenario(waited)
        );
    }

    // A closure started with the runtime's own spawn_blocking has no awaiting future to run
    // the request: the documented refusal.
    let bare = rt.block_on(rt.spawn_blocking(|| from_thread(async { 1 })));
    report.equal(
        env,
        "S17 from_thread in a bare spawn_blocking",
        Err(FromThreadError::NotOffloaded),
        bare,
    );
    let outside = from_thread(async { 1 });
    report.equal(
        env,
        "S17 from_thread outside any offloaded call",
        Err(FromThreadError::NotOffloaded),
        outside,
    );
    println!(
        "  S17: from_thread in the runtime's own spawn_blocking, or on the main thread, is \
         refused: NotOffloaded"
    );
}

fn main() -> ExitCode {
    common::run_each("offload", 1.0, true, |env, report| {
        s13_blocking_calls(env, report);
        s13_cpu_work(env, report);
        s13_detector(env, report);
        s17_crossings(env, report);
    })
}
