//! `retry_blocking()`: the same policy for synchronous code, on the system clock.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use wrangle_resilience::retry::{Classification, RetryPolicy, StopReason, retry_blocking};

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

/// `retry_blocking_on` on wrangle-sim: a blocking job retrying on virtual time, with a
/// deadline, `Retry-After` hints and full jitter from the simulation's seeded source.
mod on_sim {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use wrangle_core::Spawn;
    use wrangle_resilience::retry::{
        Classification, Jitter, RetryPolicy, StopReason, retry, retry_blocking_on,
    };
    use wrangle_sim::Sim;

    const MS: Duration = Duration::from_millis(1);

    fn policy() -> RetryPolicy {
        RetryPolicy::builder()
            .exponential(MS * 100, 2.0)
            .jitter(Jitter::Full)
            .max_delay(MS * 400)
            .max_retries(50)
            .deadline(MS * 3000)
            .build()
            .unwrap()
    }

    /// Attempt 2 is told to come back after 250 ms, attempt 3 after 5 s (capped to the
    /// policy's 400 ms); every other failure is transient.
    fn classify(failed: &u32) -> Classification {
        match failed {
            2 => Classification::RetryAfter(MS * 250),
            3 => Classification::RetryAfter(MS * 5000),
            _ => Classification::Transient,
        }
    }

    /// What one attempt saw: the virtual clock, `Attempt::elapsed`, `Attempt::previous_delay`.
    type Seen = (Duration, Duration, Option<Duration>);

    /// The blocking form, in a `spawn_blocking` job: what each attempt saw, and how it ended.
    fn blocking(seed: u64) -> (Vec<Seen>, StopReason, u32, Duration, Duration) {
        wrangle_sim::run(seed, |rt| async move {
            let sim = rt.clone();
            rt.spawn_blocking(move || {
                let mut seen = Vec::new();
                let err = retry_blocking_on(&sim, &policy(), classify, |attempt| {
                    seen.push((sim.elapsed(), attempt.elapsed(), attempt.previous_delay()));
                    Err::<(), _>(attempt.number())
                })
                .unwrap_err();
                let took = sim.elapsed();
                (seen, err.reason(), err.attempts(), err.total_delay(), took)
            })
            .await
        })
    }

    /// The async form on the same seed: the virtual instant of each attempt.
    fn future(seed: u64) -> Vec<Duration> {
        wrangle_sim::run(seed, |rt: Sim| async move {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let _ = retry(&rt, policy(), |attempt| {
                seen.lock().unwrap().push(rt.elapsed());
                async move { Err::<(), _>(attempt.number()) }
            })
            .classify(|e: &u32| classify(e))
            .await;
            seen.lock().unwrap().clone()
        })
    }

    #[test]
    fn attempts_run_on_virtual_time_with_hints_jitter_and_deadline() {
        let (seen, reason, attempts, total_delay, took) = blocking(7);
        assert_eq!(reason, StopReason::Deadline);
        assert_eq!(attempts as usize, seen.len());
        assert_eq!(seen[0], (Duration::ZERO, Duration::ZERO, None));
        let mut jittered = Vec::new();
        for (i, pair) in seen.windows(2).enumerate() {
            let [(before, _, _), (at, elapsed, previous)] = pair else {
                unreachable!()
            };
            let delay = previous.expect("a retry has a previous delay");
            // Each attempt starts exactly one delay after the one before, on virtual time,
            // and sees that time as its `elapsed`.
            assert_eq!(*at, *before + delay, "attempt {}", i + 2);
            assert_eq!(*elapsed, *at, "attempt {}", i + 2);
            let failed = i as u32 + 1;
            match failed {
                2 => assert_eq!(delay, MS * 250, "the hint, exactly"),
                3 => assert_eq!(delay, MS * 400, "the hint, capped by max_delay"),
                // Full jitter: up to the backoff's delay for this retry, capped.
                n => {
                    let cap = (MS * 100 * 2u32.pow((n - 1).min(10))).min(MS * 400);
                    assert!(delay <= cap, "retry {n}: {delay:?} over {cap:?}");
                    jittered.push((delay, cap));
                }
            }
        }
        assert!(
            jittered.iter().any(|(delay, cap)| delay < cap),
            "no delay was jittered: {jittered:?}"
        );
        // The deadline: the call stops at the last attempt, before 3 s, with every delay
        // slept and counted.
        let last = seen.last().unwrap().0;
        assert!(last < MS * 3000, "{last:?}");
        assert_eq!(took, last);
        assert_eq!(total_delay, last);
        // Reproducible, and the same decisions as the async form on the same seed.
        assert_eq!(blocking(7).0, seen);
        let instants: Vec<_> = seen.iter().map(|s| s.0).collect();
        assert_eq!(future(7), instants);
        assert_ne!(blocking(8).0, seen, "the jitter comes from the seed");
    }
}
