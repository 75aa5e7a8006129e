//! Shutdown of the smol adapter: no deadline arithmetic that can panic, and a worker that
//! shuts its own runtime down is not waited for.
#![allow(clippy::unwrap_used)]

use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_lite::future;
use wrangle_core::{Runtime, Spawn};
use wrangle_smol::{Smol, SmolBuilder};

/// Far longer than any shutdown that does not wait for itself takes, even on a loaded machine.
const LONG_GRACE: Duration = Duration::from_secs(10);
/// Well under [`LONG_GRACE`].
const PROMPT: Duration = Duration::from_secs(4);

fn build(workers: usize, grace: Duration) -> Smol {
    SmolBuilder::new()
        .worker_threads(workers)
        .shutdown_grace(grace)
        .build()
        .unwrap()
}

#[test]
fn shutdown_grace_duration_max_waits_without_deadline() {
    let rt = build(2, Duration::MAX);
    assert_eq!(rt.block_on(rt.spawn(async { 7 })), 7);
    // Used to panic: "overflow when adding duration to instant".
    rt.shutdown();
    assert!(rt.is_shut_down());
}

#[test]
fn drop_with_duration_max_grace_does_not_panic() {
    let rt = build(1, Duration::MAX);
    assert_eq!(rt.block_on(rt.spawn(async { 7 })), 7);
    drop(rt);
}

#[test]
fn shutdown_inside_own_task_does_not_wait_for_itself() {
    for workers in [1, 2] {
        let rt = build(workers, LONG_GRACE);
        let inner = rt.clone();
        // Joined off the runtime: the task may shut it down before a `Runtime::block_on`
        // called after the spawn has started, which would then be refused.
        let took = future::block_on(rt.spawn(async move {
            let start = Instant::now();
            inner.shutdown();
            start.elapsed()
        }));
        assert!(took < PROMPT, "{workers} workers: shutdown took {took:?}");
        assert!(rt.is_shut_down());
    }
}

#[test]
fn shutdown_grace_duration_max_inside_own_task_returns() {
    let rt = build(2, Duration::MAX);
    let inner = rt.clone();
    let took = future::block_on(rt.spawn(async move {
        let start = Instant::now();
        inner.shutdown();
        start.elapsed()
    }));
    assert!(took < PROMPT, "shutdown took {took:?}");
}

#[test]
fn dropping_last_handle_inside_own_task_does_not_wait_for_itself() {
    for workers in [1, 2] {
        let rt = build(workers, LONG_GRACE);
        let (go_tx, go_rx) = async_channel::bounded::<()>(1);
        let (took_tx, took_rx) = mpsc::channel();
        let last = rt.clone();
        rt.spawn(async move {
            go_rx.recv().await.unwrap();
            let start = Instant::now();
            // The last handle: its drop shuts the runtime down, on this worker.
            drop(last);
            took_tx.send(start.elapsed()).unwrap();
        })
        .detach();
        drop(rt);
        go_tx.send_blocking(()).unwrap();
        let took = took_rx.recv_timeout(LONG_GRACE * 2).unwrap();
        assert!(took < PROMPT, "{workers} workers: the drop took {took:?}");
    }
}
