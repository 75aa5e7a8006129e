//! S21 · Testing async code (docs/scenarios.md): a test is an async function run on a loop
//! the harness provides. The same body runs on every runtime, and on virtual time with a seed
//! that is printed when the test fails, so the failing schedule can be replayed exactly.
//!
//! The code under test is a small cache-filling routine with a check-then-act race; the tests
//! show the body on every runtime, schedule exploration with `seeds = N` finding the race, the
//! failure's report with its replay command, the replay failing the same way, and the fix
//! passing every schedule.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wrangle::__private::{TestId, seed_plan, try_sim};
use wrangle::{AnyRuntime, Runtime, Spawn, Timer, TimerExt};

/// Two workers each add one to a shared count; the second starts a little later (three
/// scheduling points). `racy`: read, yield (an await between the read and the write, as a
/// real lookup would have), write; a lost update whenever the other worker reads in between,
/// which only some schedules do. Otherwise one atomic add.
async fn two_workers(rt: &AnyRuntime, racy: bool) -> u64 {
    let count = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let count = count.clone();
            rt.spawn(async move {
                for _ in 0..i * 3 {
                    wrangle::yield_now().await;
                }
                if racy {
                    let seen = count.load(Ordering::SeqCst);
                    wrangle::yield_now().await;
                    count.store(seen + 1, Ordering::SeqCst);
                } else {
                    wrangle::yield_now().await;
                    count.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await;
    }
    count.load(Ordering::SeqCst)
}

/// The racy body, as a test would write it.
async fn racy_body(rt: AnyRuntime) {
    assert_eq!(two_workers(&rt, true).await, 2, "lost update");
}

/// One body on every runtime: timers, tasks and a time limit behave the same on each.
#[wrangle::test]
async fn one_body_on_every_runtime(rt: AnyRuntime) {
    let start = rt.now();
    let nap = rt.sleep(Duration::from_millis(20));
    let worker = rt.spawn(async move {
        nap.await;
        "done"
    });
    assert_eq!(worker.await, "done");
    assert!(rt.now() - start >= Duration::from_millis(20));
    let late = rt
        .timeout(Duration::from_millis(5), std::future::pending::<()>())
        .await;
    assert!(late.is_err(), "on {}", rt.name());
    assert_eq!(two_workers(&rt, false).await, 2);
}

/// The fix holds on 100 schedules.
#[wrangle::test(runtimes = [sim], seeds = 100)]
async fn fixed_counter_on_every_schedule(rt: AnyRuntime) {
    assert_eq!(two_workers(&rt, false).await, 2);
}

/// The race, found by exploring schedules: the test fails, printing the seed and the replay
/// command before the panic.
#[wrangle::test(runtimes = [sim], seeds = 100)]
#[should_panic(expected = "lost update")]
async fn race_found_by_seeds(rt: AnyRuntime) {
    racy_body(rt).await;
}

/// Every runtime's test of `one_body_on_every_runtime` exists and passes.
#[test]
fn the_body_ran_on_five_runtimes() {
    one_body_on_every_runtime::tokio();
    one_body_on_every_runtime::tokio_current_thread();
    one_body_on_every_runtime::smol();
    one_body_on_every_runtime::async_std();
    one_body_on_every_runtime::sim();
}

/// The figures of S21: the default seed alone passes (one schedule does not show the race);
/// exploring 100 seeds finds it, and the first failing seed is reported with the exact command
/// that replays it; replaying it fails again, alone.
#[test]
fn failing_seed_is_printed_and_replays_exactly() {
    assert!(
        try_sim(seed_plan(None, 1), racy_body).is_ok(),
        "the default seed's schedule does not lose the update (with wrangle-sim's scheduler as \
         of 0.2: 16 of the first 100 seeds do, the first at run 8)"
    );
    let lost = seed_plan(None, 100)
        .filter(|&seed| try_sim(seed..=seed, racy_body).is_err())
        .count();
    println!("S21: {lost} of 100 schedules lose the update");
    assert!(lost > 0 && lost < 100, "{lost} of 100");

    let failure = try_sim(seed_plan(None, 100), racy_body).expect_err("the race is found");
    assert!(failure.message().is_some_and(|m| m.contains("lost update")));
    assert!(
        failure.run > 1,
        "found by exploring, not on the default seed"
    );

    let id = TestId::new(
        concat!(module_path!(), "::race_found_by_seeds"),
        "sim",
        option_env!("CARGO_PKG_NAME"),
        option_env!("CARGO_CRATE_NAME"),
    );
    let report = failure.report(&id);
    println!("{report}");
    assert!(report.ends_with(&format!(
        "replay it with: WRANGLE_SEED={} cargo test -p wrangle-conformance --test s21_testing \
         -- --exact race_found_by_seeds::sim",
        failure.seed
    )));

    // The replay: the same seed alone (what `WRANGLE_SEED` selects) fails the same way, every
    // time.
    for _ in 0..3 {
        let replay = try_sim(seed_plan(Some(&failure.seed.to_string()), 100), racy_body)
            .expect_err("the replay fails");
        assert_eq!((replay.seed, replay.runs), (failure.seed, 1));
        assert_eq!(replay.message(), failure.message());
    }
}
