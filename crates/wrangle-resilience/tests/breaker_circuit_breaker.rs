//! The circuit breaker's periods, its cooldown at the edge of the clock and its failure-rate
//! window, exact on virtual time.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use wrangle_core::Spawn;
use wrangle_resilience::breaker::{BreakerState, CircuitBreaker};

const SECOND: Duration = Duration::from_secs(1);

/// A trial from an earlier half-open period neither frees a slot of the current one when
/// dropped nor decides it when it reports.
#[test]
fn stale_trials_do_not_touch_the_current_half_open_period() {
    wrangle_sim::run(1, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .half_open_trials(2)
            .cooldown(SECOND)
            .build(rt.clone())
            .unwrap();
        let _ = breaker.call(async { Err::<(), _>("trip") }).await;
        assert_eq!(breaker.state(), BreakerState::Open);
        wrangle_core::sleep(&rt, SECOND).await;
        let a = breaker.try_enter().unwrap();
        let b = breaker.try_enter().unwrap();
        assert!(a.is_trial() && b.is_trial());
        a.failure();
        assert_eq!(breaker.state(), BreakerState::Open);
        wrangle_core::sleep(&rt, SECOND).await;
        let c = breaker.try_enter().unwrap();
        let d = breaker.try_enter().unwrap();
        assert!(breaker.try_enter().is_err(), "two trials out of two");
        // B belongs to the first half-open period: dropping it frees nothing now.
        drop(b);
        assert!(
            breaker.try_enter().is_err(),
            "a stale trial's drop freed a slot of the current period"
        );
        drop(d);
        let e = breaker.try_enter().unwrap();
        drop(e);
        // Nor does a stale trial's success close the breaker.
        let b2 = {
            // Open a third period with a fresh failure, keeping C (now stale) around.
            let f = breaker.try_enter().unwrap();
            f.failure();
            wrangle_core::sleep(&rt, SECOND).await;
            breaker.try_enter().unwrap()
        };
        c.success();
        assert_eq!(
            breaker.state(),
            BreakerState::HalfOpen,
            "a stale trial's success closed the breaker"
        );
        b2.success();
        assert_eq!(breaker.state(), BreakerState::Closed);
    });
}

/// A call admitted while closed that ends during a later period is ignored, whichever way it
/// ends, and so is its drop.
#[test]
fn permits_from_a_closed_period_are_ignored_later() {
    wrangle_sim::run(2, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .cooldown(SECOND)
            .build(rt.clone())
            .unwrap();
        let early_ok = breaker.try_enter().unwrap();
        let early_fail = breaker.try_enter().unwrap();
        assert!(!early_ok.is_trial());
        let _ = breaker.call(async { Err::<(), _>("trip") }).await;
        wrangle_core::sleep(&rt, SECOND).await;
        let trial = breaker.try_enter().unwrap();
        early_ok.success();
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        early_fail.failure();
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        trial.success();
        assert_eq!(breaker.state(), BreakerState::Closed);

        // A permit from the closed period before the trip, reporting in the closed period
        // after the recovery, counts for nothing either.
        let stale = breaker.try_enter().unwrap();
        let _ = breaker.call(async { Err::<(), _>("trip") }).await;
        wrangle_core::sleep(&rt, SECOND).await;
        breaker.try_enter().unwrap().success();
        assert_eq!(breaker.state(), BreakerState::Closed);
        stale.failure();
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "a failure from before the last trip opened the breaker"
        );
    });
}

/// A cooldown too long for the clock keeps the breaker open for good, not for no time at all.
#[test]
fn cooldown_duration_max_is_open_for_good() {
    wrangle_sim::run(3, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .cooldown(Duration::MAX)
            .build(rt.clone())
            .unwrap();
        let _ = breaker.call(async { Err::<(), _>("trip") }).await;
        assert_eq!(breaker.state(), BreakerState::Open);
        let open = breaker.try_enter().unwrap_err();
        assert_eq!(open.retry_after(), Duration::MAX);
        wrangle_core::sleep(&rt, Duration::from_secs(100 * 365 * 24 * 3600)).await;
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(breaker.try_enter().is_err());
    });
}

/// The failure-rate trip over many calls in one window decides as the window says, and a
/// window too long for the clock never forgets.
#[test]
fn failure_rate_counts_a_million_calls_and_long_windows() {
    wrangle_sim::run(4, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .failure_rate(0.5, Duration::from_secs(60), 10)
            .build(rt.clone())
            .unwrap();
        // 10^6 calls, a third failing, spread over one window: stays closed.
        for i in 0..1_000_000u32 {
            let permit = breaker.try_enter().unwrap();
            if i % 3 == 0 {
                permit.failure();
            } else {
                permit.success();
            }
            if i % 100_000 == 0 {
                wrangle_core::sleep(&rt, SECOND).await;
            }
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        // After the window has passed, ten failures in a row are 100 %: open.
        wrangle_core::sleep(&rt, Duration::from_secs(61)).await;
        for _ in 0..10 {
            let _ = breaker.call(async { Err::<(), _>("down") }).await;
        }
        assert_eq!(breaker.state(), BreakerState::Open);

        let forever = CircuitBreaker::builder()
            .failure_rate(0.5, Duration::MAX, 4)
            .build(rt.clone())
            .unwrap();
        for _ in 0..2 {
            let _ = forever.call(async { Ok::<_, ()>(()) }).await;
        }
        wrangle_core::sleep(&rt, Duration::from_secs(10 * 365 * 24 * 3600)).await;
        for _ in 0..2 {
            let _ = forever.call(async { Err::<(), _>("down") }).await;
        }
        assert_eq!(
            forever.state(),
            BreakerState::Open,
            "a window of Duration::MAX forgot two successes"
        );
    });
}

fn is_static_send<F: std::future::Future + Send + 'static>(f: F) -> F {
    f
}

/// `call_owned` (D1): a `'static` future that records its outcome like `call`, with
/// `count_if` as well.
#[test]
fn owned_calls_are_static_and_count() {
    wrangle_sim::run(41, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(2)
            .build(rt.clone())
            .unwrap();
        let ignored = is_static_send(
            breaker
                .call_owned(async { Err::<(), u16>(404) })
                .count_if(|s: &u16| *s >= 500),
        );
        assert!(rt.spawn(ignored).await.is_err());
        for _ in 0..2 {
            let failing = is_static_send(breaker.call_owned(async { Err::<(), u16>(503) }));
            assert!(!rt.spawn(failing).await.unwrap_err().is_open());
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        let rejected = breaker.call_owned(async { Ok::<_, u16>(()) }).await;
        assert!(rejected.unwrap_err().is_open());
    });
}

/// Display is the breaker's own layer; the call's error is the source, not repeated (D4).
#[test]
fn breaker_error_display_does_not_repeat_the_source() {
    use std::error::Error as _;
    wrangle_sim::run(42, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(1)
            .cooldown(SECOND * 5)
            .build(&rt)
            .unwrap();
        let err = breaker
            .call(async { Err::<(), _>(std::io::Error::other("connection refused")) })
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the call through the circuit breaker failed"
        );
        assert_eq!(err.source().unwrap().to_string(), "connection refused");
        let open = breaker
            .call(async { Ok::<_, std::io::Error>(()) })
            .await
            .unwrap_err();
        assert_eq!(
            open.to_string(),
            "circuit open: calls fail fast for another 5s"
        );
        assert!(open.source().is_none());
    });
}
