//! `FusedFuture` / `FusedStream` for `select!` users: a future reports itself terminated once
//! it has produced its output, and not before.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;

use futures_core::{FusedFuture, FusedStream};
use wrangle::group::TaskGroup;
use wrangle::{Spawn, TaskSet};

/// Polls `fut` until ready, checking `is_terminated` before and after.
async fn drive<F: Future + FusedFuture + Unpin>(mut fut: F) -> F::Output {
    assert!(!fut.is_terminated());
    let out = std::future::poll_fn(|cx: &mut Context<'_>| Pin::new(&mut fut).poll(cx)).await;
    assert!(fut.is_terminated());
    out
}

#[test]
fn task_join_and_cancel_are_fused() {
    wrangle::sim::run(1, |rt| async move {
        assert_eq!(drive(rt.spawn(async { 1 })).await, 1);
        assert_eq!(drive(rt.spawn(async { 2 }).join()).await.unwrap(), 2);
        assert_eq!(
            drive(rt.spawn(std::future::pending::<()>()).cancel()).await,
            None
        );
    });
}

#[test]
fn join_next_and_start_are_fused() {
    wrangle::sim::run(1, |rt| async move {
        let mut set = TaskSet::new(&rt);
        set.spawn(async { 3 });
        assert_eq!(drive(set.join_next()).await.unwrap().unwrap(), 3);

        let mut group = TaskGroup::<_, (), ()>::new(&rt);
        let start = group.start(|status| async move {
            status.started(4);
            Ok(())
        });
        assert_eq!(drive(start).await, Ok(4));
        group.join().await.unwrap();
    });
}

#[test]
fn interval_never_terminates() {
    wrangle::sim::run(1, |rt| async move {
        let interval = wrangle::interval(&rt, std::time::Duration::from_secs(1)).unwrap();
        assert!(!interval.is_terminated());
    });
}
