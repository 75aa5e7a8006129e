//! Bad input and misuse: each has a clear, documented outcome, and nothing hangs.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::time::Duration;

use futures_lite::FutureExt as _;
use futures_lite::future::block_on;
use wrangle_blocking::{BlockingPool, CallLimit, ConfigError, Offload};
use wrangle_core::{BlockOnError, Runtime, Spawn};

#[test]
fn a_cap_of_zero_is_rejected_where_built() {
    let err = BlockingPool::builder().max_threads(0).build().unwrap_err();
    assert_eq!(err, ConfigError::ZeroMaxThreads);
    assert!(err.to_string().contains("max_threads is 0"), "{err}");
}

#[test]
fn a_queue_bound_of_zero_is_rejected_where_built() {
    let err = BlockingPool::builder()
        .queue_capacity(0)
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::ZeroQueueCapacity);
    assert!(err.to_string().contains("queue_capacity is 0"), "{err}");
}

#[test]
fn other_zeros_are_rejected_too() {
    assert_eq!(
        BlockingPool::builder()
            .eager_threads(0)
            .build()
            .unwrap_err(),
        ConfigError::ZeroEagerThreads
    );
    assert_eq!(
        BlockingPool::builder()
            .grow_after(Duration::ZERO)
            .build()
            .unwrap_err(),
        ConfigError::ZeroGrowAfter
    );
}

#[test]
fn a_call_limit_of_zero_panics_at_once_saying_why() {
    // A plain 0 is a programmer error (D2): it panics where the cap is set, not a hang later.
    let panic = std::panic::catch_unwind(|| CallLimit::new(0)).unwrap_err();
    let text = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(text.contains("must be at least 1"), "{text}");
    let panic = std::panic::catch_unwind(|| Offload::global().limit(0));
    assert!(panic.is_err());
    // From configuration: a NonZeroUsize, which never panics.
    let configured = std::num::NonZeroUsize::new(2).unwrap();
    assert_eq!(CallLimit::new(configured).limit(), 2);
}

#[test]
fn a_thread_name_with_a_nul_byte_is_rejected_where_built() {
    // std cannot name a thread with a NUL byte: it used to panic at the first call, after
    // the pool had counted the thread it was starting.
    let err = BlockingPool::builder()
        .thread_name("db\0io")
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::NulInThreadName { at: 2 });
    let text = err.to_string();
    assert!(text.contains("thread_name"), "{text}");
    assert!(text.contains("NUL byte at index 2"), "{text}");
    assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::InvalidInput
    );
    // Any other name works, however long or odd.
    let pool = BlockingPool::builder()
        .thread_name("db-io-with-a-very-long-name-ünïcode")
        .build()
        .unwrap();
    assert_eq!(block_on(pool.unblock(|| 7)), 7);
    assert_eq!(pool.metrics().queued, 0);
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn a_panicking_closure_surfaces_at_the_await_on_every_route() {
    let pool = BlockingPool::new();
    for offload in [Offload::global(), Offload::pool(&pool)] {
        let limited = offload.clone().limit(1);
        for calls in [offload, limited] {
            let caught = block_on(
                AssertUnwindSafe(calls.unblock(|| -> u8 { panic!("bad row") })).catch_unwind(),
            );
            assert_eq!(message(&*caught.unwrap_err()), "bad row");
            let joined = block_on(async { calls.submit(|| panic!("bad row")).await.join().await });
            assert!(joined.unwrap_err().is_panic());
            // The permit of the panicking call came back.
            if let Some(limiter) = calls.call_limit() {
                assert_eq!(limiter.in_use(), 0);
            }
        }
    }
    wrangle_sim::run(1, |rt| async move {
        let calls = Offload::runtime(&rt).limit(1);
        let caught = AssertUnwindSafe(calls.unblock(|| -> u8 { panic!("bad row") }))
            .catch_unwind()
            .await;
        assert_eq!(message(&*caught.unwrap_err()), "bad row");
        assert_eq!(calls.call_limit().unwrap().in_use(), 0);
    });
}

#[test]
fn a_pool_dropped_with_work_queued_runs_every_call() {
    let pool = BlockingPool::builder()
        .max_threads(1)
        .queue_capacity(4)
        .build()
        .unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let busy = block_on(pool.submit(move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
    }));
    started_rx.recv().unwrap();
    let queued: Vec<_> = (0..4).map(|i| block_on(pool.submit(move || i))).collect();
    drop(pool);
    release_tx.send(()).unwrap();
    block_on(busy.join()).unwrap();
    let outcomes: Vec<_> = queued
        .into_iter()
        .map(|t| block_on(t.join()).unwrap())
        .collect();
    assert_eq!(outcomes, [0, 1, 2, 3]);
}

#[test]
fn a_call_on_a_shut_down_runtime_is_an_error_not_a_hang() {
    let rt = wrangle_smol::Smol::new().unwrap();
    let calls = Offload::runtime(&rt);
    rt.shutdown();
    let outcome = block_on(async { calls.submit(|| 1).await.join().await });
    assert!(outcome.unwrap_err().is_cancelled());
    let caught = block_on(AssertUnwindSafe(calls.unblock(|| 1)).catch_unwind());
    assert!(message(&*caught.unwrap_err()).contains("cancelled"));
}

#[test]
fn block_on_nested_inside_async_code_is_refused() {
    // Inside our own block_on.
    let nested = wrangle_blocking::block_on(async { wrangle_blocking::try_block_on(async { 1 }) });
    assert_eq!(nested, Err(BlockOnError::Nested));
    // Inside a runtime's block_on, and inside a task spawned through wrangle.
    let rt = wrangle_smol::Smol::new().unwrap();
    let in_block_on = rt.block_on(async { wrangle_blocking::try_block_on(async { 1 }) });
    assert_eq!(in_block_on, Err(BlockOnError::Nested));
    let in_task = rt.block_on(rt.spawn(async { wrangle_blocking::try_block_on(async { 1 }) }));
    assert_eq!(in_task, Err(BlockOnError::Nested));
    // Under sim.
    let in_sim = wrangle_sim::run(1, |_| async { wrangle_blocking::try_block_on(async { 1 }) });
    assert_eq!(in_sim, Err(BlockOnError::Nested));
    // The panicking form says why.
    let caught = rt.block_on(rt.spawn(async {
        std::panic::catch_unwind(|| wrangle_blocking::block_on(async {})).map_err(|p| message(&*p))
    }));
    let text = caught.unwrap_err();
    assert!(text.contains("already driving wrangle work"), "{text}");
    // On a blocking thread it is fine.
    let ok = rt.block_on(wrangle_blocking::unblock_on(&rt, || {
        wrangle_blocking::try_block_on(async { 2 })
    }));
    assert_eq!(ok, Ok(2));
}
