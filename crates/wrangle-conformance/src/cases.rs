//! The contract, one function per rule. Each builds its own runtime from the harness.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::FutureExt as _;
use wrangle_core::{AnyRuntime, BlockOnError, JoinError, Runtime, Spawn, Task, Timer};

use crate::Harness;
pub use crate::blocking_cases::*;
pub use crate::budget_cases::*;
pub use crate::combinator_cases::*;
pub use crate::deadlock_cases::*;
pub use crate::flow_cases::*;
pub use crate::group_cases::*;
pub use crate::retry_cases::*;
pub use crate::set_cases::*;
use crate::support::{Alive, DropFlag, settle, wait_until};
pub use crate::sync_cases::*;
pub use crate::timer_cases::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// A spawned task's value comes back at the await.
pub fn spawn_and_await_value<H: Harness>() {
    let rt = H::make();
    let value = rt.block_on(async {
        let a = rt.spawn(async { 40 });
        let b = rt.spawn(async { 2 });
        a.await + b.await
    });
    assert_eq!(value, 42);
}

/// Dropping a task's handle cancels it: its future is dropped (a drop guard inside fires)
/// within a bounded time, at its next scheduling point.
pub fn drop_cancels_within_bounded_time<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let (guard, dropped) = DropFlag::new();
        let started = Arc::new(AtomicBool::new(false));
        let started2 = started.clone();
        let task = rt.spawn(async move {
            let _guard = guard;
            started2.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        });
        assert!(wait_until(&rt, H::SLACK, || started.load(Ordering::SeqCst)).await);
        drop(task);
        let fired = wait_until(&rt, H::SLACK + ms(50), || dropped.load(Ordering::SeqCst)).await;
        assert!(
            fired,
            "the task's future was not dropped after its handle was"
        );
    });
}

/// A detached task runs to the end with nobody waiting for it.
pub fn detach_keeps_running<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let done = Arc::new(AtomicBool::new(false));
        let done2 = done.clone();
        let timer = rt.clone();
        rt.spawn(async move {
            wrangle_core::sleep(&timer, ms(20)).await;
            done2.store(true, Ordering::SeqCst);
        })
        .detach();
        assert!(wait_until(&rt, H::SLACK + ms(20), || done.load(Ordering::SeqCst)).await);
    });
}

/// `abort` cancels; the task then joins as `Cancelled`, and a finished task keeps its value.
pub fn abort_joins_cancelled<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let task = rt.spawn(std::future::pending::<u32>());
        task.abort();
        let err = task.join().await.expect_err("an aborted task has no value");
        assert!(err.is_cancelled() && !err.is_panic());
        assert_eq!(err.to_string(), "task was cancelled");

        let finished = rt.spawn(async { 7 });
        let handle = finished.abort_handle();
        assert!(wait_until(&rt, H::SLACK, || handle.is_finished()).await);
        finished.abort();
        assert_eq!(finished.join().await.expect("finished before the abort"), 7);
    });
}

/// `cancel().await` returns only once the task's future is gone (its `Drop` has run), even
/// when the task is in the middle of a sleep.
pub fn awaited_cancel_returns_once_gone<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let (guard, dropped) = DropFlag::new();
        let started = Arc::new(AtomicBool::new(false));
        let started2 = started.clone();
        let timer = rt.clone();
        let task = rt.spawn(async move {
            let _guard = guard;
            started2.store(true, Ordering::SeqCst);
            wrangle_core::sleep(&timer, Duration::from_secs(3600)).await;
            1
        });
        assert!(wait_until(&rt, H::SLACK, || started.load(Ordering::SeqCst)).await);
        assert_eq!(task.cancel().await, None);
        assert!(
            dropped.load(Ordering::SeqCst),
            "cancel returned before the future was dropped"
        );

        // Cancelling a task that never got to run drops it as well.
        let (guard, dropped) = DropFlag::new();
        let task = rt.spawn(async move {
            let _guard = guard;
            2
        });
        let outcome = task.cancel().await;
        assert!(outcome.is_none() || outcome == Some(2));
        assert!(dropped.load(Ordering::SeqCst));
    });
}

/// A panic in a task is re-raised where the task is awaited.
pub fn panic_reraised_at_await<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let task: Task<()> = rt.spawn(async { panic!("boom at the await") });
        let payload = AssertUnwindSafe(task)
            .catch_unwind()
            .await
            .expect_err("the panic surfaces");
        assert_eq!(panic_message(&*payload), "boom at the await");
    });
}

/// `join` gives `JoinError::Panicked` with the payload.
pub fn join_gives_panic_payload<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let task = rt.spawn(async {
            if true {
                panic!("payload {}", 7);
            }
            0u8
        });
        let err = task.join().await.expect_err("it panicked");
        assert!(err.is_panic() && !err.is_cancelled());
        assert_eq!(err.to_string(), "task panicked: payload 7");
        match err {
            JoinError::Panicked(panic) => assert_eq!(panic.message(), "payload 7"),
            other => unreachable!("{other:?}"),
        }
        let err = rt
            .spawn(async { std::panic::panic_any(13_u32) })
            .join()
            .await
            .unwrap_err();
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<u32>(), Some(&13));
    });
}

/// A panicking task does not take its runtime down.
pub fn runtime_survives_task_panic<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        for _ in 0..4 {
            assert!(
                rt.spawn(async { panic!("one of many") })
                    .join()
                    .await
                    .is_err()
            );
        }
        assert_eq!(rt.spawn(async { 5 }).await, 5);
    });
}

/// A blocking closure's value comes back at the await.
pub fn spawn_blocking_value<H: Harness>() {
    let rt = H::make();
    let v = rt.block_on(async { rt.spawn_blocking(|| (1..=10u64).product::<u64>()).await });
    assert_eq!(v, 3_628_800);
}

/// A blocking closure's panic surfaces at the await, and as `JoinError::Panicked`.
pub fn spawn_blocking_panic<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let err = rt
            .spawn_blocking(|| -> u8 { panic!("blocking boom") })
            .join()
            .await;
        assert_eq!(err.unwrap_err().to_string(), "task panicked: blocking boom");
        let task = rt.spawn_blocking(|| panic!("again"));
        let payload = AssertUnwindSafe(task)
            .catch_unwind()
            .await
            .expect_err("re-raised");
        assert_eq!(panic_message(&*payload), "again");
    });
}

/// A started blocking call cannot be cancelled: it runs to the end, and its result is
/// dropped when its task was dropped.
pub fn spawn_blocking_dropped_result_discarded<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let result_alive = Arc::new(AtomicUsize::new(0));
        let counter = result_alive.clone();
        let finished = Arc::new(AtomicBool::new(false));
        let finished2 = finished.clone();
        let task = rt.spawn_blocking(move || {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
            finished2.store(true, Ordering::SeqCst);
            Alive::new(&counter)
        });
        // The job blocks on a real channel, which under wrangle-sim holds the clock still:
        // wait by yielding, not by sleeping.
        let started = settle(|| started_rx.try_recv().is_ok()).await;
        assert!(started, "the blocking call did not start");
        drop(task);
        let _ = release_tx.send(());
        let done =
            settle(|| finished.load(Ordering::SeqCst) && result_alive.load(Ordering::SeqCst) == 0)
                .await;
        assert!(
            done,
            "the started call should finish and its result be dropped"
        );
    });
}

/// A sleep never completes before its deadline on the runtime's clock, and not much after.
pub fn sleep_never_returns_early<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        for d in [0, 1, 5, 20, 50] {
            let d = ms(d);
            let start = rt.now();
            wrangle_core::sleep(&rt, d).await;
            let took = rt.now() - start;
            assert!(took >= d, "sleep({d:?}) returned after {took:?}");
            assert!(took <= d + H::SLACK, "sleep({d:?}) took {took:?}");
        }
    });
}

/// Timers work inside spawned tasks, and concurrent sleeps overlap.
pub fn sleep_inside_task<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let start = rt.now();
        let tasks: Vec<_> = (1..=5)
            .map(|i| {
                let timer = rt.clone();
                rt.spawn(async move {
                    wrangle_core::sleep(&timer, ms(10 * i)).await;
                    timer.now()
                })
            })
            .collect();
        let mut ends = Vec::new();
        for task in tasks {
            ends.push(task.await);
        }
        for (i, end) in ends.iter().enumerate() {
            assert!(*end - start >= ms(10 * (i as u64 + 1)));
        }
        let took = rt.now() - start;
        assert!(took >= ms(50) && took <= ms(50) + H::SLACK, "took {took:?}");
    });
}

/// `sleep_until` an instant in the past completes at its first poll.
pub fn sleep_until_past_is_immediate<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let past = rt.now();
        wrangle_core::sleep(&rt, ms(2)).await;
        let first = futures_lite::future::poll_once(wrangle_core::sleep_until(&rt, past)).await;
        assert_eq!(
            first,
            Some(()),
            "a past deadline must be ready at the first poll"
        );
    });
}

/// `Duration::MAX` means "never", not an overflow panic.
pub fn sleep_duration_max_never_panics<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let sleep = wrangle_core::sleep(&rt, Duration::MAX);
        assert_eq!(sleep.deadline(), None);
        let raced = futures_lite::future::or(
            async {
                sleep.await;
                false
            },
            async {
                wrangle_core::sleep(&rt, ms(5)).await;
                true
            },
        )
        .await;
        assert!(raced, "a Duration::MAX sleep completed");
    });
}

/// `now()` never goes backwards, in the caller or in tasks.
pub fn now_is_monotonic<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let mut last = rt.now();
        for i in 0..2000 {
            if i % 100 == 0 {
                wrangle_core::yield_now().await;
            }
            let now = rt.now();
            assert!(now >= last);
            last = now;
        }
        let timer = rt.clone();
        let inner = rt.spawn(async move { timer.now() }).await;
        assert!(rt.now() >= inner && inner >= last);
    });
}

/// An interval's ticks follow `start + k × period`: handling each tick late does not make
/// the schedule drift.
pub fn interval_ticks_without_drift<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let period = ms(20);
        let mut ticks = wrangle_core::interval(&rt, period).expect("non-zero period");
        let first = ticks.tick().await;
        for k in 1..=5u32 {
            // Work that takes half a period between ticks.
            wrangle_core::sleep(&rt, period / 2).await;
            let scheduled = ticks.tick().await;
            assert_eq!(scheduled, first + period * k, "tick {k} drifted");
            assert!(rt.now() >= scheduled, "tick {k} fired early");
        }
        let took = rt.now() - first;
        // With drift it would be 5 × 30 ms.
        assert!(
            took >= period * 5 && took <= period * 5 + H::SLACK,
            "took {took:?}"
        );
    });
}

/// A zero period is an error with a reason, not a panic or a busy loop.
pub fn interval_rejects_zero_period<H: Harness>() {
    let rt = H::make();
    let err = wrangle_core::interval(&rt, Duration::ZERO).expect_err("zero is rejected");
    assert!(err.to_string().contains("greater than zero"));
}

/// The timer's random source produces varied numbers.
pub fn random_u64_varies<H: Harness>() {
    let rt = H::make();
    let draws: std::collections::HashSet<u64> = (0..64).map(|_| rt.random_u64()).collect();
    assert!(
        draws.len() > 60,
        "random_u64 repeats itself: {} distinct of 64",
        draws.len()
    );
}

/// `block_on` returns the future's value, and can be called again.
pub fn block_on_returns_value<H: Harness>() {
    let rt = H::make();
    assert_eq!(rt.block_on(async { 1 + 2 }), 3);
    assert_eq!(rt.try_block_on(async { "again" }), Ok("again"));
}

/// `block_on` inside `block_on` is refused with a clear error, tracked by wrangle itself.
pub fn block_on_nested_in_block_on_errors<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let err = rt
            .try_block_on(async {})
            .expect_err("nested block_on is refused");
        assert_eq!(err, BlockOnError::Nested);
        assert!(err.to_string().contains("already driving wrangle work"));
        let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(async {})));
        let payload = panicked.expect_err("block_on panics where try_block_on errs");
        assert!(panic_message(&*payload).contains("already driving wrangle work"));
    });
}

/// `block_on` inside a spawned task is refused; inside a blocking closure it is allowed.
pub fn block_on_nested_in_task_errors<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let inner = rt.clone();
        let err = rt.spawn(async move { inner.try_block_on(async {}) }).await;
        assert_eq!(err, Err(BlockOnError::Nested));
    });
    // A blocking thread is not driven by wrangle: crossing back into async code works there.
    let inner = rt.clone();
    let outcome = std::thread::spawn(move || inner.try_block_on(async { 9 })).join();
    assert_eq!(outcome.ok(), Some(Ok(9)));
}

/// 10 000 spawned tasks all run and all finish.
pub fn ten_thousand_tasks_finish<H: Harness>() {
    let rt = H::make();
    let sum = rt.block_on(async {
        let tasks: Vec<_> = (0..10_000u64)
            .map(|i| {
                rt.spawn(async move {
                    if i % 7 == 0 {
                        wrangle_core::yield_now().await;
                    }
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await;
        }
        sum
    });
    assert_eq!(sum, (0..10_000u64).sum());
}

/// A shut-down runtime refuses new work with a clear error, and a task still pending at
/// shutdown joins as `Cancelled` (never a hang), its future dropped.
pub fn shutdown_refuses_and_cancels<H: Harness>() {
    let rt = H::make();
    let (guard, dropped) = DropFlag::new();
    let started = Arc::new(AtomicBool::new(false));
    let started2 = started.clone();
    let task = rt.spawn(async move {
        let _guard = guard;
        started2.store(true, Ordering::SeqCst);
        std::future::pending::<u8>().await
    });
    rt.block_on(async {
        assert!(wait_until(&rt, H::SLACK, || started.load(Ordering::SeqCst)).await)
    });
    H::shutdown(&rt);

    let err = rt
        .try_spawn(async {})
        .expect_err("spawn after shutdown is refused");
    assert!(err.to_string().contains("shut down"), "{err}");
    assert!(rt.try_spawn_blocking(|| ()).is_err());
    assert!(matches!(
        rt.try_block_on(async {}),
        Err(BlockOnError::Shutdown(_))
    ));
    // The infallible form returns a task that joins as cancelled.
    let late = futures_lite::future::block_on(rt.spawn(async { 1 }).join());
    assert!(late.unwrap_err().is_cancelled());

    let outcome = futures_lite::future::block_on(task.join());
    assert!(outcome.unwrap_err().is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
}

/// The object-safe form works like the static one.
pub fn dyn_runtime_round_trip<H: Harness>() {
    let rt = AnyRuntime::new(H::make());
    assert_eq!(rt.name(), H::make().name());
    let v = rt.block_on(async {
        wrangle_core::sleep(&rt, ms(1)).await;
        let a = rt.spawn(async { 20 }).await;
        let b = rt.spawn_blocking(|| 22).await;
        a + b
    });
    assert_eq!(v, 42);
    let err = rt.block_on(async { rt.try_block_on(async {}) });
    assert_eq!(err, Err(BlockOnError::Nested));
}

/// The public types are `Send`, `Sync` and `Unpin` where a user needs them to be.
pub fn auto_traits<H: Harness>() {
    fn send_sync<T: Send + Sync>() {}
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    fn send<T: Send>() {}
    send_sync::<H::Rt>();
    send::<<H::Rt as Timer>::Sleep>();
    send::<wrangle_core::time::Sleep<H::Rt>>();
    fn send_unpin<T: Send + Unpin>() {}
    send_unpin::<wrangle_core::time::Interval<H::Rt>>();
    send_sync_unpin::<Task<u8>>();
    send_sync_unpin::<wrangle_core::task::Join<u8>>();
    send_sync_unpin::<wrangle_core::task::Cancel<u8>>();
    send_sync_unpin::<wrangle_core::AbortHandle>();
    send_sync::<JoinError>();
    send_sync::<BlockOnError>();
    send_sync::<wrangle_core::SpawnError>();
    send_sync_unpin::<AnyRuntime>();
}

/// The latest instant after `from` that the clock can represent, or one very close to it:
/// found by doubling a step until adding it overflows, then halving it back down.
fn far_instant(from: std::time::Instant) -> std::time::Instant {
    let mut far = from;
    let mut step = Duration::from_secs(1);
    while let Some(next) = far.checked_add(step) {
        far = next;
        step = step.saturating_mul(2);
    }
    while !step.is_zero() {
        if let Some(next) = far.checked_add(step) {
            far = next;
        }
        step /= 2;
    }
    far
}

/// `sleep_until` a deadline too far for the runtime's timer (up to the largest instant the
/// clock can represent) means "never", as `Duration::MAX` does: no panic, no completion.
pub fn sleep_until_far_future_never_completes<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let now = rt.now();
        let fars = [
            now.checked_add(Duration::from_secs(u64::MAX / 4)),
            Some(far_instant(now)),
        ];
        for far in fars.into_iter().flatten() {
            let raced = futures_lite::future::or(
                async {
                    wrangle_core::sleep_until(&rt, far).await;
                    false
                },
                async {
                    wrangle_core::sleep(&rt, ms(5)).await;
                    true
                },
            )
            .await;
            assert!(raced, "a sleep until {far:?} completed");
        }
    });
}

/// `timeout_at` a deadline too far for the runtime's timer returns the inner future's value,
/// and never elapses while it is pending.
pub fn timeout_at_far_future_returns_value<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let far = far_instant(rt.now());
        let ready = wrangle_core::timeout_at(&rt, far, async { 7 }).await;
        assert_eq!(ready, Ok(7));
        let later = wrangle_core::timeout_at(&rt, far, async {
            wrangle_core::sleep(&rt, ms(5)).await;
            8
        })
        .await;
        assert_eq!(later, Ok(8));
        let raced = futures_lite::future::or(
            async {
                let _ = wrangle_core::timeout_at(&rt, far, std::future::pending::<()>()).await;
                false
            },
            async {
                wrangle_core::sleep(&rt, ms(5)).await;
                true
            },
        )
        .await;
        assert!(raced, "a timeout at {far:?} elapsed");
    });
}

/// Shutting a runtime down from inside one of its own tasks returns promptly: the worker
/// that calls it cannot finish its poll while it waits, so it is not waited for. The bound
/// is half the adapters' default grace (1 s), which a shutdown waiting for itself would take.
pub fn shutdown_inside_own_task_returns_promptly<H: Harness>() {
    let rt = H::make();
    let took = Arc::new(std::sync::Mutex::new(None));
    let (inner, took2) = (rt.clone(), took.clone());
    // A `block_on` under way may go on or end with `Shutdown` (wrangle-sim's does); the task
    // may join as done or as cancelled. Either way the call returns.
    let _ = rt.try_block_on(async {
        let task = rt.spawn(async move {
            let start = std::time::Instant::now();
            H::shutdown(&inner);
            *took2.lock().unwrap() = Some(start.elapsed());
        });
        let _ = task.join().await;
    });
    assert!(rt.try_spawn(async {}).is_err(), "the runtime is shut down");
    let took = took.lock().unwrap().expect("the task ran");
    assert!(
        took < ms(500),
        "a shutdown from inside a task took {took:?}"
    );
}
