//! Properties of the rate limiter over random quotas and arrivals, on virtual time.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use wrangle_core::Spawn;
use wrangle_resilience::rate::{Quota, RateLimiter};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Never more admissions in any window than window / interval + burst, whether callers
    /// wait (`acquire`) or not (`try_acquire`); and a waiter is never admitted after one that
    /// arrived later.
    #[test]
    fn window_bound_and_fifo(
        seed in any::<u64>(),
        interval_ms in 1u64..100,
        burst in 1u32..6,
        gaps in proptest::collection::vec(0u64..60, 1..40),
        try_mask in proptest::collection::vec(any::<bool>(), 40),
    ) {
        let quota = Quota::with_interval(Duration::from_millis(interval_ms)).unwrap().burst(burst).unwrap();
        let (admitted, waiters) = wrangle_sim::run(seed, |rt| async move {
            let limiter = RateLimiter::new(rt.clone(), quota);
            let admitted = Arc::new(Mutex::new(Vec::new()));
            let waiters = Arc::new(Mutex::new(Vec::new()));
            let mut tasks = Vec::new();
            for (i, gap) in gaps.iter().enumerate() {
                wrangle_core::sleep(&rt, Duration::from_millis(*gap)).await;
                if try_mask[i] {
                    if limiter.try_acquire().is_ok() {
                        admitted.lock().unwrap().push(rt.elapsed());
                    }
                } else {
                    let (limiter, admitted, waiters, timer) =
                        (limiter.clone(), admitted.clone(), waiters.clone(), rt.clone());
                    let arrived = rt.elapsed();
                    tasks.push(rt.spawn(async move {
                        limiter.acquire().await;
                        admitted.lock().unwrap().push(timer.elapsed());
                        waiters.lock().unwrap().push((arrived, i, timer.elapsed()));
                    }));
                    // Let it arrive (book its place) before the next caller.
                    for _ in 0..8 {
                        wrangle_core::yield_now().await;
                    }
                }
            }
            for t in tasks {
                t.await;
            }
            let mut a = admitted.lock().unwrap().clone();
            a.sort();
            let w = waiters.lock().unwrap().clone();
            (a, w)
        });
        let t = Duration::from_millis(interval_ms).as_nanos();
        for i in 0..admitted.len() {
            for j in i..admitted.len() {
                let span = (admitted[j] - admitted[i]).as_nanos();
                let n = (j - i + 1) as u128;
                prop_assert!(n <= span / t + u128::from(burst), "{} admissions in {:?}", n, admitted[j] - admitted[i]);
            }
        }
        for a in &waiters {
            for b in &waiters {
                if a.1 < b.1 {
                    prop_assert!(a.2 <= b.2, "waiter {} admitted after waiter {}", a.1, b.1);
                }
            }
        }
    }
}
