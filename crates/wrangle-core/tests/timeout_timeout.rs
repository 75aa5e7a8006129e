//! `timeout` on virtual time: S7 of docs/scenarios.md, first part, exact; and the rules of the
//! contract one by one.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use wrangle_core::{FutureExt as _, Timer};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A 5 s operation under a 3 s timeout: the error at exactly 3 s, and the operation has been
/// dropped (its `Drop` has run) by the time the caller sees it.
#[test]
fn s7_timeout_drops_the_operation() {
    wrangle_sim::run(7, |rt| async move {
        let dropped = Rc::new(Cell::new(false));
        struct Cleanup(Rc<Cell<bool>>);
        impl Drop for Cleanup {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let operation = {
            let (rt, dropped) = (&rt, dropped.clone());
            async move {
                let _cleanup = Cleanup(dropped);
                wrangle_core::sleep(rt, secs(5)).await;
                "written"
            }
        };
        let err = wrangle_core::timeout(&rt, secs(3), operation)
            .await
            .unwrap_err();
        assert!(
            dropped.get(),
            "the operation is dropped before the caller sees the error"
        );
        assert_eq!(err.to_string(), "deadline has elapsed");
        assert_eq!(rt.elapsed(), secs(3));
    });
}

/// A future that is ready wins even with a zero timeout, and even at a past deadline.
#[test]
fn ready_future_wins_a_zero_timeout() {
    wrangle_sim::run(1, |rt| async move {
        assert_eq!(async { 5 }.timeout(&rt, Duration::ZERO).await, Ok(5));
        wrangle_core::sleep(&rt, secs(1)).await;
        let past = rt.now() - secs(1);
        assert_eq!(async { 6 }.timeout_at(&rt, past).await, Ok(6));
        // A future that is not ready at once, with no time at all, elapses without waiting.
        let start = rt.elapsed();
        assert!(
            wrangle_core::yield_now()
                .timeout(&rt, Duration::ZERO)
                .await
                .is_err()
        );
        assert_eq!(rt.elapsed(), start);
    });
}

/// `Duration::MAX` means never: the inner future runs to its end, whatever it takes.
#[test]
fn duration_max_is_never() {
    wrangle_sim::run(1, |rt| async move {
        let slow = wrangle_core::sleep(&rt, Duration::from_secs(86_400 * 365));
        assert_eq!(slow.timeout(&rt, Duration::MAX).await, Ok(()));
        assert_eq!(rt.elapsed(), Duration::from_secs(86_400 * 365));
    });
}

/// The limit counts from the inner future's first `Pending`, not from creation.
#[test]
fn counts_from_the_first_pending() {
    wrangle_sim::run(1, |rt| async move {
        let t = wrangle_core::timeout(&rt, secs(2), wrangle_core::sleep(&rt, secs(10)));
        wrangle_core::sleep(&rt, secs(5)).await; // created, not polled: not counted
        assert!(t.await.is_err());
        assert_eq!(rt.elapsed(), secs(7));
    });
}

/// The owned forms: `rt.timeout(..)` owns a clone of the handle, so the timeout can be spawned,
/// returned from a function and stored; the borrowed form behaves the same.
#[test]
fn owned_timeout_is_spawned_returned_and_stored() {
    use wrangle_core::timeout::Timeout;
    use wrangle_core::{Spawn, TimerExt};

    fn make<T: Timer>(timer: &T, d: Duration) -> Timeout<wrangle_core::Sleep<T>, T> {
        timer.timeout(secs(2), timer.sleep(d))
    }
    struct Holder<T: Timer> {
        pending: Timeout<std::future::Pending<()>, T>,
    }

    wrangle_sim::run(1, |rt| async move {
        let fast = rt.spawn(make(&rt, secs(1)));
        let slow = rt.spawn(make(&rt, secs(3)));
        assert_eq!(fast.await, Ok(()));
        assert!(slow.await.is_err());
        assert_eq!(rt.elapsed(), secs(2));

        let held = Holder {
            pending: rt.timeout_at(rt.now() + secs(1), std::future::pending()),
        };
        assert!(rt.spawn(held.pending).await.is_err());
        assert_eq!(rt.elapsed(), secs(3));

        // An owned handle passed to the free function, and the borrowed method form.
        let owned = wrangle_core::timeout(rt.clone(), secs(1), async { 1 });
        assert_eq!(rt.spawn(owned).await, Ok(1));
        let borrowed = async { 2 }.timeout(&rt, secs(1)).await;
        assert_eq!(borrowed, Ok(2));
    });
}

/// The methods of `TimerExt`: a sleep that holds no handle, and an owned interval.
#[test]
fn timer_ext_sleep_and_interval() {
    use wrangle_core::{Spawn, TimerExt};

    wrangle_sim::run(1, |rt| async move {
        let nap = rt.sleep(secs(4));
        assert_eq!(nap.deadline(), Some(rt.now() + secs(4)));
        rt.spawn(nap).await;
        assert_eq!(rt.elapsed(), secs(4));

        let mut ticks = rt.interval(secs(1)).unwrap();
        let ticker = rt.spawn(async move {
            let first = ticks.tick().await;
            ticks.tick().await - first
        });
        assert_eq!(ticker.await, secs(1));
        assert!(rt.interval(Duration::ZERO).is_err());
    });
}
