//! `retry_blocking()`: the same policy for synchronous code, on the system clock.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use wrangle_core::retry::{Classification, RetryPolicy, StopReason, retry_blocking};

#[test]
fn retries_then_succeeds() {
    let policy = RetryPolicy::builder()
        .constant(Duration::from_millis(2))
        .build()
        .unwrap();
    let mut calls = Vec::new();
    let start = Instant::now();
    let v = retry_blocking(
        &policy,
        |_: &&str| Classification::Transient,
        |a| {
            calls.push(a.number());
            if a.number() < 3 {
                Err("no")
            } else {
                Ok(a.number())
            }
        },
    );
    assert_eq!(v.unwrap(), 3);
    assert_eq!(calls, [1, 2, 3]);
    // Two sleeps of 2 ms: never shorter (real clock, so only the lower bound is exact).
    assert!(start.elapsed() >= Duration::from_millis(4));
}

#[test]
fn exhausted_and_permanent() {
    let policy = RetryPolicy::builder()
        .constant(Duration::ZERO)
        .max_retries(2)
        .build()
        .unwrap();
    let err = retry_blocking(
        &policy,
        |_: &u8| Classification::Transient,
        |_| Err::<(), _>(7u8),
    )
    .unwrap_err();
    assert_eq!(
        (err.attempts(), err.reason(), err.last_error()),
        (3, StopReason::Exhausted, Some(&7))
    );
    let err = retry_blocking(
        &policy,
        |_: &u8| Classification::Permanent,
        |_| Err::<(), _>(7u8),
    )
    .unwrap_err();
    assert_eq!((err.attempts(), err.reason()), (1, StopReason::Permanent));
}

#[test]
fn deadline_between_attempts() {
    let policy = RetryPolicy::builder()
        .constant(Duration::from_millis(30))
        .max_retries(100)
        .deadline(Duration::from_millis(50))
        .build()
        .unwrap();
    let err = retry_blocking(
        &policy,
        |_: &()| Classification::Transient,
        |_| Err::<(), _>(()),
    )
    .unwrap_err();
    assert_eq!(err.reason(), StopReason::Deadline);
    assert!(err.attempts() <= 2);
}
