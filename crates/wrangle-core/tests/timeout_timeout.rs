//! `timeout` on virtual time: SCENARIOS.md S7, first part, exact; and the rules of the
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
