//! `CancellationToken` across spawned tasks on virtual time.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use wrangle_core::{CancellationToken, Spawn, TimerExt};

#[test]
fn cancel_wakes_every_waiter_at_that_instant() {
    wrangle_sim::run(1, |rt| async move {
        let root = CancellationToken::new();
        let child = root.child_token();
        let waiters: Vec<_> = (0..10)
            .map(|i| {
                let (token, timer) = (
                    if i % 2 == 0 {
                        root.clone()
                    } else {
                        child.clone()
                    },
                    rt.clone(),
                );
                rt.spawn(async move {
                    token.cancelled().await;
                    timer.elapsed()
                })
            })
            .collect();
        wrangle_core::sleep(&rt, Duration::from_secs(2)).await;
        root.cancel();
        for w in waiters {
            assert_eq!(w.await, Duration::from_secs(2));
        }
    });
}

#[test]
fn child_cancel_does_not_reach_parent_or_siblings() {
    let root = CancellationToken::new();
    let a = root.child_token();
    let b = root.child_token();
    let grandchild = a.child_token();
    a.cancel();
    assert!(grandchild.is_cancelled());
    assert!(!root.is_cancelled());
    assert!(!b.is_cancelled());
}

#[test]
fn run_until_cancelled_drops_the_work() {
    wrangle_sim::run(2, |rt| async move {
        let token = CancellationToken::new();
        let (t2, nap) = (token.clone(), rt.sleep(Duration::from_millis(300)));
        rt.spawn(async move {
            nap.await;
            t2.cancel();
        })
        .detach();
        let out = token
            .run_until_cancelled(wrangle_core::sleep(&rt, Duration::from_secs(10)))
            .await;
        assert_eq!(out, None);
        assert_eq!(rt.elapsed(), Duration::from_millis(300));
    });
}
