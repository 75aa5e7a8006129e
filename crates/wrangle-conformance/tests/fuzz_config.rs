//! Fuzzed configuration (RELIABILITY.md): every configuration builder, fed any values —
//! durations up to `Duration::MAX`, factors and rates that are NaN, infinite or negative,
//! counts up to `u32::MAX`/`usize::MAX` — never panics, every rejection has a `Display` that
//! says why, and what is built works: a retry policy with random settings, run on wrangle-sim
//! against a call that always fails, stops within its bounds; a built breaker and rate
//! limiter take calls without panicking.
//!
//! More cases: `PROPTEST_CASES=100000 cargo test --release -p wrangle-conformance --test
//! fuzz_config`.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use proptest::prelude::*;
use wrangle_resilience::breaker::CircuitBreaker;
use wrangle_resilience::rate::{Quota, RateLimiter};
use wrangle_resilience::retry::{Jitter, RetryBudget, RetryPolicy, retry};

/// Any duration, weighted towards the edges: zero, tiny, ordinary, huge and `Duration::MAX`.
fn any_duration() -> impl Strategy<Value = Duration> + Clone {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        Just(Duration::from_nanos(1)),
        (0u64..=10_000_000_000).prop_map(Duration::from_nanos),
        (0u64..=u64::MAX, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

/// A duration small enough to sleep through on virtual time.
fn small_duration() -> impl Strategy<Value = Duration> + Clone {
    (0u64..=3_600_000).prop_map(Duration::from_millis)
}

/// Any float, weighted towards the awkward ones.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(1.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        -10.0f64..10.0,
        any::<f64>(),
    ]
}

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0), Just(1), Just(u32::MAX), 0u32..100, any::<u32>()]
}

fn any_usize() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(usize::MAX),
        0usize..100,
        any::<usize>()
    ]
}

fn any_jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated),
    ]
}

#[derive(Debug, Clone)]
enum Shape {
    Constant(Duration),
    Linear(Duration, Duration),
    Exponential(Duration, f64),
    Fibonacci(Duration),
}

fn any_shape(d: impl Strategy<Value = Duration> + Clone) -> impl Strategy<Value = Shape> {
    prop_oneof![
        d.clone().prop_map(Shape::Constant),
        (d.clone(), d.clone()).prop_map(|(a, b)| Shape::Linear(a, b)),
        (d.clone(), any_f64()).prop_map(|(a, f)| Shape::Exponential(a, f)),
        d.prop_map(Shape::Fibonacci),
    ]
}

#[derive(Debug, Clone)]
struct PolicyInput {
    shape: Shape,
    jitter: Jitter,
    max_delay: Option<Duration>,
    max_retries: Option<u32>,
    deadline: Option<Duration>,
    attempt_timeout: Option<Duration>,
    budget: Option<(u32, f64)>,
}

fn policy_input(
    d: impl Strategy<Value = Duration> + Clone,
    retries: impl Strategy<Value = u32>,
) -> impl Strategy<Value = PolicyInput> {
    (
        any_shape(d.clone()),
        any_jitter(),
        proptest::option::of(d.clone()),
        proptest::option::of(retries),
        proptest::option::of(d.clone()),
        proptest::option::of(d),
        proptest::option::of((any_u32(), any_f64())),
    )
        .prop_map(
            |(shape, jitter, max_delay, max_retries, deadline, attempt_timeout, budget)| {
                PolicyInput {
                    shape,
                    jitter,
                    max_delay,
                    max_retries,
                    deadline,
                    attempt_timeout,
                    budget,
                }
            },
        )
}

fn build_policy(p: &PolicyInput) -> Result<RetryPolicy, wrangle_resilience::retry::InvalidPolicy> {
    let mut b = RetryPolicy::builder();
    b = match p.shape {
        Shape::Constant(d) => b.constant(d),
        Shape::Linear(a, s) => b.linear(a, s),
        Shape::Exponential(a, f) => b.exponential(a, f),
        Shape::Fibonacci(a) => b.fibonacci(a),
    };
    b = b.jitter(p.jitter);
    if let Some(d) = p.max_delay {
        b = b.max_delay(d);
    }
    if let Some(n) = p.max_retries {
        b = b.max_retries(n);
    }
    if let Some(d) = p.deadline {
        b = b.deadline(d);
    }
    if let Some(d) = p.attempt_timeout {
        b = b.attempt_timeout(d);
    }
    if let Some((max, ratio)) = p.budget {
        b = b.budget(RetryBudget::new(max, ratio));
    }
    b.build()
}

fn says_why(e: &impl std::fmt::Display) {
    let text = e.to_string();
    assert!(
        text.trim().len() > 10,
        "a rejection that says nothing: {text:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any settings: `build` returns, and a policy that is built answers its questions.
    #[test]
    fn retry_policy_builder_never_panics(p in policy_input(any_duration(), any_u32())) {
        match build_policy(&p) {
            Ok(policy) => {
                for k in [0, 1, 2, 31, 64, 1000, u32::MAX] {
                    let d = policy.base_delay(k);
                    prop_assert!(d <= policy.max_delay(), "base delay {d:?} above the cap");
                }
            }
            Err(e) => says_why(&e),
        }
    }

    /// A built policy, on virtual time, against a call that always fails: it stops, after
    /// at most `max_retries + 1` attempts, within its deadline, with no delay above its cap.
    #[test]
    fn retry_policy_terminates_within_its_bounds(
        p in policy_input(small_duration(), 0u32..=64),
        seed in any::<u64>(),
    ) {
        let Ok(policy) = build_policy(&p) else { return Ok(()) };
        let (err, elapsed) = wrangle_sim::run(seed, |rt| async move {
            let err = retry(&rt, &policy, |_| async { Err::<(), _>("down") })
                .await
                .unwrap_err();
            (err, (rt.elapsed(), policy))
        });
        let (elapsed, policy) = elapsed;
        let max_attempts = policy.max_retries().saturating_add(1);
        prop_assert!(err.attempts() >= 1);
        prop_assert!(err.attempts() <= max_attempts, "{} attempts, at most {max_attempts}", err.attempts());
        let retries = err.attempts() - 1;
        prop_assert!(err.total_delay() <= policy.max_delay().saturating_mul(retries));
        if let Some(deadline) = policy.deadline() {
            prop_assert!(elapsed <= deadline, "ran {elapsed:?} past its deadline {deadline:?}");
        }
        prop_assert_eq!(err.last_error(), Some(&"down"));
        says_why(&err);
    }

    /// Huge delays (up to `Duration::MAX`) with a deadline: stops at the deadline, never
    /// sleeps forever or overflows the clock.
    ///
    /// Each attempt takes 1 s of virtual time (so at most 3 600 attempts before the longest
    /// deadline, whatever the delays). With attempts that take none, a policy whose
    /// delays can be zero (a zero `constant`, full jitter drawing 0) and `max_retries` near
    /// `u32::MAX` made billions of attempts at one virtual instant, so its deadline never
    /// came: this property "hung" that way (spinning, not blocked). On a real clock attempts
    /// take time and the deadline ends it; since then a zero-delay retry also yields to its
    /// executor every 32 retries (`zero_delay_retries_yield_to_the_executor`).
    #[test]
    fn retry_policy_with_huge_delays_stops_at_its_deadline(
        p in policy_input(any_duration(), any_u32()),
        deadline in 1u64..=3_600_000,
        seed in any::<u64>(),
    ) {
        let mut p = p;
        let deadline = Duration::from_millis(deadline);
        p.deadline = Some(deadline);
        // An attempt timeout of a nanosecond with zero delays is a valid policy that makes
        // `deadline / timeout` attempts (10^12 here): right, but not quick. Attempts of at
        // least 1 s keep a case under 3 600 attempts; tiny timeouts are fuzzed with bounded
        // retries by `retry_policy_terminates_within_its_bounds`.
        p.attempt_timeout = p.attempt_timeout.map(|t| t.max(Duration::from_secs(1)));
        // A budget could stop it first; attempts take no virtual time, so it always does.
        let Ok(policy) = build_policy(&p) else { return Ok(()) };
        let (elapsed, attempts, max_retries) = wrangle_sim::run(seed, |rt| async move {
            let attempts = retry(&rt, &policy, |_| {
                let rt = rt.clone();
                async move {
                    wrangle_core::sleep(&rt, Duration::from_secs(1)).await;
                    Err::<(), _>("down")
                }
            })
            .await
            .unwrap_err()
            .attempts();
            (rt.elapsed(), attempts, policy.max_retries())
        });
        prop_assert!(elapsed <= deadline, "ran {elapsed:?} past its deadline {deadline:?}");
        prop_assert!(attempts <= max_retries.saturating_add(1));
    }

    /// `Quota::per`, `with_interval` and `burst`: any values; a built quota drives a limiter.
    #[test]
    fn quota_never_panics(
        n in any_u32(),
        period in any_duration(),
        interval in any_duration(),
        burst in any_u32(),
    ) {
        let sim = wrangle_sim::Sim::new(1);
        for quota in [Quota::per(n, period), Quota::with_interval(interval)] {
            match quota.and_then(|q| q.burst(burst)) {
                Ok(q) => {
                    prop_assert!(!q.interval().is_zero());
                    prop_assert!(q.burst_size() >= 1);
                    let limiter = RateLimiter::new(sim.clone(), q.slowed(burst));
                    for _ in 0..3 {
                        let _ = limiter.try_acquire();
                    }
                }
                Err(e) => says_why(&e),
            }
        }
        sim.shutdown();
    }

    /// `CircuitBreaker::builder()`: any thresholds, rates (NaN included), windows, cooldowns
    /// and trials; a built breaker takes failures and successes.
    #[test]
    fn breaker_builder_never_panics(
        consecutive in proptest::option::of(any_u32()),
        rate in proptest::option::of((any_f64(), any_duration(), any_u32())),
        cooldown in proptest::option::of(any_duration()),
        trials in proptest::option::of(any_u32()),
    ) {
        let sim = wrangle_sim::Sim::new(1);
        let mut b = CircuitBreaker::builder();
        if let Some(n) = consecutive {
            b = b.consecutive_failures(n);
        }
        if let Some((threshold, window, min_calls)) = rate {
            b = b.failure_rate(threshold, window, min_calls);
        }
        if let Some(d) = cooldown {
            b = b.cooldown(d);
        }
        if let Some(n) = trials {
            b = b.half_open_trials(n);
        }
        match b.build(sim.clone()) {
            Ok(breaker) => {
                for i in 0..8 {
                    if let Ok(permit) = breaker.try_enter() {
                        if i % 3 == 0 { permit.success() } else { permit.failure() }
                    }
                    let _ = breaker.state();
                }
            }
            Err(e) => says_why(&e),
        }
        sim.shutdown();
    }

    /// `BlockingPool::builder()` and `CallLimit::new`: any sizes and durations. Building starts
    /// no thread, so huge values are safe to build; a `CallLimit` of 0 panics, as documented.
    #[test]
    fn blocking_builders_never_panic(
        max_threads in proptest::option::of(any_usize()),
        queue in proptest::option::of(any_usize()),
        eager in proptest::option::of(any_usize()),
        grow_after in proptest::option::of(any_duration()),
        keep_alive in proptest::option::of(any_duration()),
        batch in any::<bool>(),
        limit in any_usize(),
    ) {
        let mut b = wrangle_blocking::BlockingPool::builder().batch_wakeups(batch);
        if let Some(n) = max_threads { b = b.max_threads(n); }
        // Any capacity: one above MAX_QUEUE_CAPACITY must be an error that says why. Capacities
        // near the maximum allocate their whole queue, so the fuzz stays at 2^21 and below.
        if let Some(n) = queue { b = b.queue_capacity(n.min(1 << 21)); }
        if let Some(n) = eager { b = b.eager_threads(n); }
        if let Some(d) = grow_after { b = b.grow_after(d); }
        if let Some(d) = keep_alive { b = b.keep_alive(d); }
        match b.build() {
            Ok(pool) => {
                prop_assert!(pool.max_threads() >= 1);
                prop_assert!(pool.queue_capacity() >= 1);
                prop_assert_eq!(pool.metrics().threads, 0);
            }
            Err(e) => says_why(&e),
        }
        // A plain 0 is a programmer error that panics at once (D2); anything else works.
        match std::num::NonZeroUsize::new(limit) {
            Some(configured) => {
                let l = wrangle_blocking::CallLimit::new(configured);
                prop_assert_eq!(l.limit(), limit);
                prop_assert_eq!(wrangle_blocking::CallLimit::new(limit).limit(), limit);
                let permit = l.try_acquire();
                prop_assert!(permit.is_some());
            }
            None => {
                let zero = std::panic::catch_unwind(|| wrangle_blocking::CallLimit::new(limit));
                prop_assert!(zero.is_err());
            }
        }
    }
}

/// Found by `blocking_builders_never_panic`: the queue is allocated up front at its full
/// capacity, so `queue_capacity(usize::MAX)` panics with "capacity overflow" in `build()`
/// (and a capacity like 2^40 aborts on allocation) instead of returning a `ConfigError`.
/// Was a panic ("capacity overflow"), found by this fuzzing; now an error above the maximum.
#[test]
fn huge_queue_capacity_is_rejected_not_a_panic() {
    let built = std::panic::catch_unwind(|| {
        wrangle_blocking::BlockingPool::builder()
            .queue_capacity(usize::MAX)
            .build()
            .map(drop)
            .map_err(|e| e.to_string())
    });
    assert!(
        built.is_ok(),
        "BlockingPool::build panicked on queue_capacity(usize::MAX)"
    );
}
