//! `shield` and timeouts on virtual time: S7 of docs/scenarios.md, both parts, exact.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use wrangle_combinators::group::TaskGroup;
use wrangle_core::{Timer, TimerExt};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// S7, part 1: a 5 s operation under a 3 s timeout: the error at 3 s, and the operation has
/// been dropped by the time the caller sees it.
#[test]
fn s7_timeout_drops_the_operation() {
    wrangle_sim::run(7, |rt| async move {
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(dropped.clone());
        let op = {
            let rt = rt.clone();
            async move {
                let _guard = guard;
                wrangle_core::sleep(&rt, secs(5)).await;
            }
        };
        let err = wrangle_core::timeout(&rt, secs(3), op).await;
        assert!(err.is_err());
        assert_eq!(rt.elapsed(), secs(3));
        assert!(dropped.load(Ordering::SeqCst));
    });
}

/// S7, part 2: a critical 3 s write shielded from a 1 s timeout: the caller sees the timeout
/// at 1 s, the write still completes at 3 s.
#[test]
fn s7_shielded_write_completes() {
    wrangle_sim::run(7, |rt| async move {
        let written_at = Arc::new(AtomicU64::new(0));
        let write = {
            let (rt, written_at) = (rt.clone(), written_at.clone());
            async move {
                wrangle_core::sleep(&rt, secs(3)).await;
                written_at.store(rt.elapsed().as_millis() as u64, Ordering::SeqCst);
            }
        };
        let out =
            wrangle_core::timeout(&rt, secs(1), wrangle_combinators::shield(&rt, write)).await;
        assert!(out.is_err());
        assert_eq!(rt.elapsed(), secs(1));
        assert_eq!(written_at.load(Ordering::SeqCst), 0);
        wrangle_core::sleep(&rt, secs(5)).await;
        assert_eq!(written_at.load(Ordering::SeqCst), 3000);
    });
}

/// A shield awaited to the end gives the output; its panic surfaces at the await.
#[test]
fn awaited_shield_gives_the_output() {
    wrangle_sim::run(1, |rt| async move {
        let nap = rt.sleep(secs(1));
        let v = wrangle_combinators::shield(&rt, async move {
            nap.await;
            42
        })
        .await;
        assert_eq!(v, 42);
        let start = rt.now();
        let shielded = wrangle_combinators::shield(&rt, async { panic!("shielded bug") });
        let outcome = shielded.into_task().join().await;
        assert_eq!(
            outcome.unwrap_err().into_panic().downcast_ref::<&str>(),
            Some(&"shielded bug")
        );
        assert_eq!(rt.now(), start);
    });
}

/// Shielded work inside a group child outlives the child's cancellation.
#[test]
fn shield_inside_a_cancelled_group_child() {
    wrangle_sim::run(1, |rt| async move {
        let committed = Arc::new(AtomicBool::new(false));
        let child_dropped = Arc::new(AtomicBool::new(false));
        let mut group = TaskGroup::new(&rt);
        {
            let (rt, committed, guard) = (
                rt.clone(),
                committed.clone(),
                SetOnDrop(child_dropped.clone()),
            );
            group.spawn(async move {
                let _guard = guard;
                let commit = {
                    let (rt, committed) = (rt.clone(), committed.clone());
                    async move {
                        wrangle_core::sleep(&rt, secs(2)).await;
                        committed.store(true, Ordering::SeqCst);
                    }
                };
                wrangle_combinators::shield(&rt, commit).await;
                Ok::<_, &str>(())
            });
        }
        let nap = rt.sleep(secs(1));
        group.spawn(async move {
            nap.await;
            Err("sibling failed")
        });
        let err = group.join().await.unwrap_err();
        assert_eq!(rt.elapsed(), secs(1));
        assert_eq!(err.into_first(), "sibling failed");
        assert!(child_dropped.load(Ordering::SeqCst));
        assert!(!committed.load(Ordering::SeqCst));
        // Just past 2 s (at 2 s exactly the two timers may fire in either order).
        wrangle_core::sleep(&rt, Duration::from_millis(1001)).await;
        assert!(
            committed.load(Ordering::SeqCst),
            "the shielded commit completed at 2 s"
        );
    });
}
