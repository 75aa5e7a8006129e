//! The flow-control rules of the contract on each runtime's own clock: a rate limiter's
//! spacing and a circuit breaker's cooldown. Re-exported from [`cases`](crate::cases).

use std::time::Duration;

use wrangle_core::{Runtime, Timer};
use wrangle_resilience::breaker::{BreakerState, CircuitBreaker};
use wrangle_resilience::rate::{Quota, RateLimiter};

use crate::Harness;

const MS: Duration = Duration::from_millis(1);

/// Five admissions 10 ms apart take 40 ms, never less; an early `try_acquire` is refused.
pub fn rate_limiter_spacing<H: Harness>() {
    let rt = H::make();
    let limiter = RateLimiter::new(rt.clone(), Quota::with_interval(MS * 10).unwrap());
    rt.block_on(async {
        let start = rt.now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        let took = rt.now() - start;
        assert!(
            took >= MS * 40 && took <= MS * 40 + H::SLACK,
            "took {took:?}"
        );
        let refused = limiter.try_acquire().unwrap_err();
        assert!(refused.retry_after() > Duration::ZERO && refused.retry_after() <= MS * 10);
    });
}

/// A breaker opened by a failure refuses calls until its cooldown has passed on the
/// runtime's clock, then lets a trial through.
pub fn breaker_cooldown<H: Harness>() {
    let rt = H::make();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .cooldown(MS * 20)
        .build(rt.clone())
        .unwrap();
    rt.block_on(async {
        let _ = breaker.call(async { Err::<(), _>("down") }).await;
        assert_eq!(breaker.state(), BreakerState::Open);
        let open = breaker.call(async { Ok::<_, &str>(()) }).await.unwrap_err();
        assert!(open.is_open());
        wrangle_core::sleep(&rt, MS * 20).await;
        assert_eq!(breaker.call(async { Ok::<_, &str>(7) }).await.unwrap(), 7);
        assert_eq!(breaker.state(), BreakerState::Closed);
    });
}

/// A cooldown too long for the runtime's clock keeps a tripped breaker open for good; a trial
/// of an earlier half-open period neither frees a slot of the current one nor decides it.
pub fn breaker_saturates_and_ignores_stale_trials<H: Harness>() {
    let rt = H::make();
    let forever = CircuitBreaker::builder()
        .consecutive_failures(1)
        .cooldown(Duration::MAX)
        .build(rt.clone())
        .unwrap();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(1)
        .half_open_trials(2)
        .cooldown(MS * 10)
        .build(rt.clone())
        .unwrap();
    rt.block_on(async {
        let _ = forever.call(async { Err::<(), _>("down") }).await;
        wrangle_core::sleep(&rt, MS * 10).await;
        assert_eq!(forever.state(), BreakerState::Open);
        assert_eq!(
            forever.try_enter().unwrap_err().retry_after(),
            Duration::MAX
        );

        let _ = breaker.call(async { Err::<(), _>("down") }).await;
        wrangle_core::sleep(&rt, MS * 10).await;
        let (a, b) = (breaker.try_enter().unwrap(), breaker.try_enter().unwrap());
        a.failure();
        wrangle_core::sleep(&rt, MS * 10).await;
        let (_c, _d) = (breaker.try_enter().unwrap(), breaker.try_enter().unwrap());
        drop(b);
        assert!(breaker.try_enter().is_err(), "a stale trial freed a slot");
    });
    H::shutdown(&rt);
}

/// The owned forms are `'static` and `Send` on every runtime, so they can be spawned as they
/// are: a retry owning its timer and policy, its method form, a throttled call and a call
/// through a breaker, each holding a clone of its handle.
pub fn owned_retry_rate_and_breaker_futures_spawn<H: Harness>() {
    use wrangle_core::Spawn;
    use wrangle_resilience::RetryExt as _;
    use wrangle_resilience::retry::{RetryPolicy, retry};

    let rt = H::make();
    let policy = RetryPolicy::builder().constant(MS).build().unwrap();
    let limiter = RateLimiter::new(rt.clone(), Quota::with_interval(MS * 10).unwrap());
    let breaker = CircuitBreaker::builder().build(rt.clone()).unwrap();
    rt.block_on(async {
        let flaky = |a: wrangle_resilience::retry::Attempt| async move {
            if a.number() < 3 {
                Err("busy")
            } else {
                Ok(a.number())
            }
        };
        let free = rt.spawn(retry(rt.clone(), policy.clone(), flaky));
        let method = rt.spawn(rt.retry(policy.clone(), flaky));
        let start = rt.now();
        let throttled: Vec<_> = (0..3)
            .map(|i| rt.spawn(limiter.throttle_owned(async move { i })))
            .collect();
        let called = rt.spawn(breaker.call_owned(async { Ok::<_, ()>(5) }));
        assert_eq!(free.await, Ok(3));
        assert_eq!(method.await, Ok(3));
        let mut admitted = Vec::new();
        for task in throttled {
            admitted.push(task.await);
        }
        admitted.sort_unstable();
        assert_eq!(admitted, [0, 1, 2]);
        assert!(rt.now() - start >= MS * 20, "three admissions 10 ms apart");
        assert_eq!(called.await, Ok(5));
        assert_eq!(breaker.state(), BreakerState::Closed);
    });
}
