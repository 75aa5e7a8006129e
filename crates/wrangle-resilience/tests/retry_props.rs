//! Properties of `retry()` over random policies, on virtual time.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::time::Duration;

use proptest::prelude::*;
use wrangle_resilience::retry::{FailedAttempt, Jitter, RetryPolicy, StopReason, retry};

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Attempt counts are exact, no delay exceeds its cap, and the time taken is the sum of the
    /// delays (attempts take no time here) and never past the deadline.
    #[test]
    fn counts_caps_and_deadline(
        seed in any::<u64>(),
        initial_ms in 0u64..500,
        factor in 1.0f64..4.0,
        cap_extra_ms in 0u64..3000,
        retries in 0u32..12,
        deadline_ms in proptest::option::of(1u64..20_000),
        jitter in jitter(),
    ) {
        let initial = Duration::from_millis(initial_ms);
        let cap = initial + Duration::from_millis(cap_extra_ms);
        let mut b = RetryPolicy::builder()
            .exponential(initial, factor)
            .max_delay(cap)
            .max_retries(retries)
            .jitter(jitter);
        if let Some(d) = deadline_ms {
            b = b.deadline(Duration::from_millis(d));
        }
        let policy = b.build().unwrap();
        let (err, delays, elapsed) = wrangle_sim::run(seed, |rt| async move {
            let delays = RefCell::new(Vec::new());
            let err = retry(&rt, &policy, |_| async { Err::<(), _>(()) })
                .before_sleep(|_: &FailedAttempt<()>, _: &_, d| delays.borrow_mut().push(d))
                .await
                .unwrap_err();
            (err, delays.into_inner(), rt.elapsed())
        });
        prop_assert!(delays.iter().all(|d| *d <= cap));
        prop_assert_eq!(elapsed, delays.iter().sum::<Duration>());
        prop_assert_eq!(err.total_delay(), elapsed);
        prop_assert_eq!(err.attempts() as usize, delays.len() + 1);
        match deadline_ms {
            None => {
                prop_assert_eq!(err.reason(), StopReason::Exhausted);
                prop_assert_eq!(err.attempts(), retries + 1);
            }
            Some(d) => {
                prop_assert!(elapsed < Duration::from_millis(d));
                prop_assert!(err.attempts() <= retries + 1);
            }
        }
        if jitter == Jitter::None {
            for (k, d) in delays.iter().enumerate() {
                let base = (initial.as_secs_f64() * factor.powi(k as i32)).min(cap.as_secs_f64());
                prop_assert!((d.as_secs_f64() - base).abs() < 1e-6, "delay {} {:?} vs {}", k, d, base);
            }
        }
    }
}
