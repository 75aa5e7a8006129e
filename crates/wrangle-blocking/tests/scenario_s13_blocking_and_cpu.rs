//! S13 of docs/scenarios.md on a real runtime (smol, two workers): blocking I/O goes to a capped
//! pool, CPU-heavy work to a pool sized to the cores, the async side never stalls, and a
//! future that blocks its thread is reported with where it was spawned.
//!
//! Real time on a shared machine: the bounds are wide and documented; counts are exact.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wrangle_blocking::{BlockingPool, Detector};
use wrangle_core::{Runtime, Spawn};

fn smol() -> wrangle_smol::Smol {
    wrangle_smol::SmolBuilder::new()
        .worker_threads(2)
        .build()
        .expect("smol starts")
}

/// A task ticking every 10 ms until `stop`; returns when each tick was handled.
///
/// The clock is read after each tick, not taken from `tick()`: that returns the tick's
/// scheduled instant, always 10 ms after the last, so a stalled executor would not show.
fn ticker(rt: &wrangle_smol::Smol, stop: Arc<AtomicBool>) -> wrangle_core::Task<Vec<Instant>> {
    let timer = rt.clone();
    rt.spawn(async move {
        let mut ticks = Vec::new();
        let mut interval =
            wrangle_core::interval(&timer, Duration::from_millis(10)).expect("non-zero period");
        while !stop.load(Ordering::SeqCst) {
            interval.tick().await;
            ticks.push(Instant::now());
        }
        ticks
    })
}

fn longest_gap(ticks: &[Instant]) -> Duration {
    ticks
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default()
}

#[test]
fn ticker_keeps_ticking_while_a_hundred_blocking_calls_run() {
    let rt = smol();
    let pool = BlockingPool::new();
    let stop = Arc::new(AtomicBool::new(false));
    let ticks = ticker(&rt, stop.clone());
    let start = Instant::now();
    let done = rt.block_on(async {
        let calls = (0..100u32).map(|i| {
            pool.unblock(move || {
                std::thread::sleep(Duration::from_millis(50)); // blocking I/O
                i
            })
        });
        wrangle_combinators::gather(calls).await
    });
    let elapsed = start.elapsed();
    stop.store(true, Ordering::SeqCst);
    let ticks = rt.block_on(ticks);
    assert_eq!(done.len(), 100);
    assert_eq!(done[99], 99);
    // 100 calls of 50 ms on at most 64 threads: two waves, ≈ 100 ms. Sequentially 5 s.
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(pool.metrics().peak_threads <= pool.max_threads());
    // About one tick per 10 ms; allow a third of that, and no stall of a quarter second.
    let expected = elapsed.as_millis() / 10;
    assert!(
        ticks.len() as u128 >= expected / 3,
        "{} ticks in {elapsed:?}",
        ticks.len()
    );
    assert!(
        longest_gap(&ticks) < Duration::from_millis(250),
        "the ticker stalled for {:?}",
        longest_gap(&ticks)
    );
}

#[cfg(feature = "rayon")]
#[test]
fn cpu_heavy_work_goes_to_rayon_and_the_ticker_keeps_ticking() {
    fn burn(ms: u64) -> u64 {
        let end = Instant::now() + Duration::from_millis(ms);
        let mut n = 0u64;
        while Instant::now() < end {
            n = n.wrapping_add(1);
        }
        n
    }
    let rt = smol();
    let stop = Arc::new(AtomicBool::new(false));
    let ticks = ticker(&rt, stop.clone());
    let start = Instant::now();
    rt.block_on(async {
        let jobs = (0..8).map(|_| {
            wrangle_blocking::compute(|| (rayon::current_thread_index().is_some(), burn(20)))
        });
        let outcomes = wrangle_combinators::gather(jobs).await;
        // On rayon's threads, not blocking threads or the executor's.
        assert!(outcomes.iter().all(|&(on_rayon, n)| on_rayon && n > 0));
    });
    let elapsed = start.elapsed();
    stop.store(true, Ordering::SeqCst);
    let ticks = rt.block_on(ticks);
    assert!(!ticks.is_empty(), "no tick in {elapsed:?}");
    assert!(
        longest_gap(&ticks) < Duration::from_millis(250),
        "the ticker stalled for {:?}",
        longest_gap(&ticks)
    );
}

#[test]
fn a_future_that_blocks_its_thread_is_reported_with_where_it_was_spawned() {
    let rt = smol();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = reports.clone();
    let detector = Detector::new()
        .tracing(false)
        .on_slow_poll(move |slow| seen.lock().unwrap().push(slow.clone()));
    let line = line!() + 1;
    let bad = detector.spawn(&rt, async {
        std::thread::sleep(Duration::from_millis(150)); // blocks the executor thread
    });
    let good = detector.spawn_named(&rt, "polite", async {});
    rt.block_on(async {
        bad.await;
        good.await;
    });
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = &reports[0];
    assert_eq!(report.location().file(), file!());
    assert_eq!(report.location().line(), line);
    assert!(report.elapsed() >= Duration::from_millis(150));
    assert_eq!(report.threshold(), Duration::from_millis(100));
    assert!(
        report
            .to_string()
            .contains("scenario_s13_blocking_and_cpu.rs"),
        "{report}"
    );
}

#[test]
fn the_blocking_pool_cap_holds_while_the_ticker_runs() {
    let rt = smol();
    let pool = BlockingPool::builder().max_threads(8).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let calls = (0..40).map(|_| {
            let (running, peak) = (running.clone(), peak.clone());
            pool.unblock(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(10));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        wrangle_combinators::gather(calls).await;
    });
    assert!(peak.load(Ordering::SeqCst) <= 8);
    assert!(pool.metrics().peak_threads <= 8);
}
