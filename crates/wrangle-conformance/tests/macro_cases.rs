//! Contract cases written with `#[wrangle::test]`: each body runs on tokio (multi-thread and
//! current-thread), smol, async-std and sim, through `AnyRuntime`, as an application's tests
//! would. The same rules as `cases.rs`, where a case fits one body on a runtime the attribute
//! builds; the cases that need the harness (its shutdown, its runtime twice) stay there.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wrangle::__private::{SimFailure, TestId, seed_plan, try_sim};
use wrangle::{AnyRuntime, BlockOnError, JoinError, Runtime, Spawn, Task, Timer, TimerExt};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How late a timer may fire: nothing on virtual time, generously on a shared machine.
fn slack(rt: &AnyRuntime) -> Duration {
    if rt.name() == "sim" {
        Duration::ZERO
    } else {
        Duration::from_secs(2)
    }
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `cond` every millisecond of `rt`'s clock until it holds or `limit` has passed.
async fn wait_until(rt: &AnyRuntime, limit: Duration, cond: impl Fn() -> bool) -> bool {
    let deadline = rt.now() + limit;
    loop {
        for _ in 0..8 {
            if cond() {
                return true;
            }
            wrangle::yield_now().await;
        }
        if rt.now() >= deadline {
            return cond();
        }
        wrangle::sleep(rt, ms(1)).await;
    }
}

/// A spawned task's value comes back at the await.
#[wrangle::test]
async fn spawn_and_await_value(rt: AnyRuntime) {
    let a = rt.spawn(async { 40 });
    let b = rt.spawn(async { 2 });
    assert_eq!(a.await + b.await, 42);
}

/// Dropping a task's handle cancels it: its future is dropped within a bounded time.
#[wrangle::test]
async fn drop_cancels_within_bounded_time(rt: AnyRuntime) {
    let dropped = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (guard, flag) = (DropFlag(dropped.clone()), started.clone());
    let task = rt.spawn(async move {
        let _guard = guard;
        flag.store(true, Ordering::SeqCst);
        std::future::pending::<()>().await;
    });
    assert!(wait_until(&rt, slack(&rt), || started.load(Ordering::SeqCst)).await);
    drop(task);
    let fired = wait_until(&rt, slack(&rt) + ms(50), || dropped.load(Ordering::SeqCst)).await;
    assert!(
        fired,
        "the task's future was not dropped after its handle was"
    );
}

/// A panic in a task is re-raised where the task is awaited; `join` gives the payload.
#[wrangle::test]
async fn panic_reraised_at_await(rt: AnyRuntime) {
    let task: Task<()> = rt.spawn(async { panic!("boom at the await") });
    let err = task.join().await.expect_err("it panicked");
    assert!(err.is_panic() && !err.is_cancelled());
    match err {
        JoinError::Panicked(panic) => assert_eq!(panic.message(), "boom at the await"),
        other => unreachable!("{other:?}"),
    }
    // The runtime survives it.
    assert_eq!(rt.spawn(async { 5 }).await, 5);
}

/// A sleep never completes before its deadline, and not much after; concurrent sleeps in
/// tasks overlap.
#[wrangle::test]
async fn sleep_never_returns_early(rt: AnyRuntime) {
    for d in [0, 1, 5, 20] {
        let d = ms(d);
        let start = rt.now();
        rt.sleep(d).await;
        let took = rt.now() - start;
        assert!(
            took >= d && took <= d + slack(&rt),
            "sleep({d:?}) took {took:?}"
        );
    }
    let start = rt.now();
    let tasks: Vec<_> = (1..=3)
        .map(|i| {
            let nap = rt.sleep(ms(10 * i));
            rt.spawn(nap)
        })
        .collect();
    for task in tasks {
        task.await;
    }
    let took = rt.now() - start;
    assert!(
        took >= ms(30) && took <= ms(30) + slack(&rt),
        "took {took:?}"
    );
}

/// An interval's ticks follow `start + k × period`, however late each tick is handled.
#[wrangle::test]
async fn interval_ticks_without_drift(rt: AnyRuntime) {
    let period = ms(20);
    let mut ticks = rt.interval(period).expect("non-zero period");
    let first = ticks.tick().await;
    for k in 1..=3u32 {
        rt.sleep(period / 2).await;
        let scheduled = ticks.tick().await;
        assert_eq!(scheduled, first + period * k, "tick {k} drifted");
        assert!(rt.now() >= scheduled, "tick {k} fired early");
    }
}

/// `block_on` inside the test body (which runs in `block_on`) and inside a task is refused.
#[wrangle::test]
async fn block_on_nested_is_refused(rt: AnyRuntime) {
    assert_eq!(rt.try_block_on(async {}), Err(BlockOnError::Nested));
    let inner = rt.clone();
    let err = rt.spawn(async move { inner.try_block_on(async {}) }).await;
    assert_eq!(err, Err(BlockOnError::Nested));
}

/// A body with no parameter, returning a `Result`: `Ok` passes.
#[wrangle::test(runtimes = [sim, smol])]
async fn no_parameter_result_ok() -> Result<(), std::io::Error> {
    Ok(())
}

/// An `Err` from the body fails the test with the error.
#[wrangle::test(runtimes = [sim, tokio_current_thread])]
#[should_panic(expected = "the test returned an error: Custom")]
async fn result_err_fails(_rt: AnyRuntime) -> Result<(), std::io::Error> {
    Err(std::io::Error::other("no"))
}

/// Tasks finish whatever the interleaving: 50 schedules on sim.
#[wrangle::test(runtimes = [sim], seeds = 50)]
async fn tasks_finish_on_every_schedule(rt: AnyRuntime) {
    let tasks: Vec<_> = (0..20u64)
        .map(|i| {
            rt.spawn(async move {
                if i % 3 == 0 {
                    wrangle::yield_now().await;
                }
                i
            })
        })
        .collect();
    let mut sum = 0;
    for task in tasks {
        sum += task.await;
    }
    assert_eq!(sum, (0..20).sum());
}

/// Every runtime's test exists under the facade's full features, and each can be called as a
/// plain function: the expansion's shape (`name::tokio`, ..., `name::sim`).
#[test]
fn one_test_per_runtime() {
    spawn_and_await_value::tokio();
    spawn_and_await_value::tokio_current_thread();
    spawn_and_await_value::smol();
    spawn_and_await_value::async_std();
    spawn_and_await_value::sim();
}

// The sim helper: seeds, the failure report, the re-raised panic.

#[test]
fn seeds_default_or_from_the_environment() {
    assert_eq!(seed_plan(None, 1), 0x5EED..=0x5EED);
    assert_eq!(seed_plan(None, 100).count(), 100);
    assert_eq!(seed_plan(Some("7"), 100), 7..=7);
    assert_eq!(seed_plan(Some(" 0xff "), 1), 255..=255);
    let bad = std::panic::catch_unwind(|| seed_plan(Some("seven"), 1)).expect_err("refused");
    assert!(message(&*bad).contains("WRANGLE_SEED must be a u64"));
}

/// A failing seed is reported with the command that replays it, and replaying it fails the
/// same way.
#[test]
fn failing_seed_is_reported_with_its_replay_command() {
    // Fails on every seed whose first random draw is a multiple of 5.
    let body = |rt: AnyRuntime| async move {
        let draw = rt.random_u64();
        assert!(!draw.is_multiple_of(5), "draw {draw}");
    };
    let failure: SimFailure = try_sim(seed_plan(None, 100), body).expect_err("some seed fails");
    assert!(failure.run >= 1 && failure.run <= 100 && failure.runs == 100);
    assert_eq!(failure.seed, 0x5EED + failure.run - 1);
    assert_eq!(
        wrangle::sim::Sim::new(failure.seed).random_u64() % 5,
        0,
        "the reported seed is the failing one"
    );
    let id = TestId::new(
        concat!(module_path!(), "::draws"),
        "sim",
        option_env!("CARGO_PKG_NAME"),
        option_env!("CARGO_CRATE_NAME"),
    );
    assert_eq!(
        failure.report(&id),
        format!(
            "wrangle::test: `draws::sim` failed on wrangle-sim with seed {seed} (run {run} of 100)\n\
             replay it with: WRANGLE_SEED={seed} cargo test -p wrangle-conformance --test \
             macro_cases -- --exact draws::sim",
            seed = failure.seed,
            run = failure.run,
        )
    );
    // The replay fails the same way, alone.
    let replay = try_sim(seed_plan(Some(&failure.seed.to_string()), 100), body)
        .expect_err("the replay fails");
    assert_eq!((replay.seed, replay.run, replay.runs), (failure.seed, 1, 1));
    assert_eq!(replay.message(), failure.message());
}

/// The helper the attribute calls re-raises the body's own panic after its report.
#[test]
fn sim_helper_reraises_the_panic() {
    let id = TestId::new("macro_cases::t", "sim", None, None);
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        wrangle::__private::sim(&id, 3, |_rt| async {
            if true {
                panic!("the body's own panic");
            }
        });
    }));
    let payload = outcome.expect_err("the test fails");
    assert_eq!(message(&*payload), "the body's own panic");
}

/// A deadlock on sim fails the run, named by sim, with its seed.
#[test]
fn sim_deadlock_is_a_failure_with_its_seed() {
    let failure = try_sim(seed_plan(None, 1), |rt: AnyRuntime| async move {
        rt.spawn(std::future::pending::<()>()).await;
    })
    .expect_err("a deadlock fails");
    let text = failure.message().expect("a message");
    assert!(
        text.contains("deadlock") && text.contains("seed 24301"),
        "{text}"
    );
}

// The generic form: the body gets each runtime's concrete type, no `AnyRuntime`.

/// Spawns and sleeps on the concrete runtime, whose name is the test's runtime.
#[wrangle::test]
async fn generic_spawn_and_sleep(rt: impl Runtime) {
    assert!(
        ["tokio", "tokio-current-thread", "smol", "async-std", "sim"].contains(&rt.name()),
        "{}",
        rt.name()
    );
    let start = rt.now();
    let nap = rt.sleep(ms(5));
    let tasks: Vec<_> = (0..100u64).map(|i| rt.spawn(async move { i })).collect();
    let mut sum = 0;
    for task in tasks {
        sum += task.await;
    }
    assert_eq!(sum, (0..100).sum());
    nap.await;
    assert!(rt.now() - start >= ms(5));
}

/// A type parameter, a `Result`, and several seeds on sim: the same seeds as the `AnyRuntime`
/// form.
#[wrangle::test(runtimes = [sim, smol], seeds = 20)]
async fn generic_type_parameter_result<R: Runtime + 'static>(rt: R) -> Result<(), std::io::Error> {
    let inner = rt.clone();
    rt.spawn(async move {
        inner.sleep(ms(1)).await;
        Ok(())
    })
    .await
}

/// An `Err` from a generic body fails the test with the error.
#[wrangle::test(runtimes = [sim, tokio_current_thread])]
#[should_panic(expected = "the test returned an error: Custom")]
async fn generic_result_err_fails(_rt: impl Runtime) -> Result<(), std::io::Error> {
    Err(std::io::Error::other("no"))
}

/// The concrete sim helper runs the same seeds as the `AnyRuntime` one and reports the same
/// failing seed.
#[test]
fn sim_with_fails_on_the_same_seed() {
    let any = try_sim(seed_plan(None, 100), |rt: AnyRuntime| async move {
        let draw = rt.random_u64();
        assert!(!draw.is_multiple_of(5), "draw {draw}");
    })
    .expect_err("some seed fails");
    let concrete = wrangle::__private::try_sim_with(seed_plan(None, 100), |rt| async move {
        let draw = rt.random_u64();
        assert!(draw % 5 != 0, "draw {draw}");
    })
    .expect_err("some seed fails");
    assert_eq!(
        (any.seed, any.run, any.runs),
        (concrete.seed, concrete.run, concrete.runs)
    );
    assert_eq!(any.message(), concrete.message());
}
