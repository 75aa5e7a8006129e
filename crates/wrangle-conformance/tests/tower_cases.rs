//! The tower layers' contract (wrangle-tower, `wrangle::tower`), one body on every runtime:
//! tokio multi-thread and current-thread, smol, async-std and sim. Durations are exact on sim
//! and checked with wide bounds on the real runtimes (a shared CI machine).
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use wrangle::breaker::{BreakerState, CircuitBreaker, CircuitOpen};
use wrangle::rate::{KeyedRateLimiter, Quota, RateLimiter};
use wrangle::retry::RetryPolicy;
use wrangle::tower::http::HttpStatus;
use wrangle::tower::{
    BoxError, CircuitBreakerLayer, ConcurrencyLimitLayer, KeyedRateLimitLayer, LoadShedLayer,
    Overloaded, RateLimitLayer, RetryLayer, TimeoutLayer,
};
use wrangle::{AnyRuntime, Elapsed, Runtime, Spawn, Timer};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// How late a timer may fire: nothing on virtual time, generously on a shared machine.
fn slack(rt: &AnyRuntime) -> Duration {
    if rt.name() == "sim" {
        Duration::ZERO
    } else {
        Duration::from_secs(2)
    }
}

/// `took` is `at_least`, and at most `slack` more.
fn within(rt: &AnyRuntime, what: &str, took: Duration, at_least: Duration) {
    assert!(
        took >= at_least && took <= at_least + slack(rt),
        "{what}: took {took:?}, expected {at_least:?} (+ {:?} of slack)",
        slack(rt)
    );
}

fn poll_ready_now<S: Service<R>, R>(svc: &mut S) -> Poll<Result<(), S::Error>> {
    svc.poll_ready(&mut Context::from_waker(Waker::noop()))
}

/// A service that answers `x` after `x` milliseconds of `rt`'s clock.
fn napper(
    rt: &AnyRuntime,
) -> impl Service<
    u64,
    Response = u64,
    Error = BoxError,
    Future = impl Future<Output = Result<u64, BoxError>> + Send + 'static,
> + Clone
+ Send
+ 'static {
    let rt = rt.clone();
    tower::service_fn(move |x: u64| {
        let rt = rt.clone();
        async move {
            wrangle::sleep(&rt, ms(x)).await;
            Ok(x)
        }
    })
}

/// A call that outlives its time limit fails with `Elapsed` at the limit; a quick one passes.
#[wrangle::test]
async fn timeout_fails_slow_calls_at_the_limit(rt: AnyRuntime) {
    let svc = TimeoutLayer::new(rt.clone(), ms(30)).layer(napper(&rt));
    assert_eq!(svc.clone().oneshot(0).await.unwrap(), 0);
    let start = rt.now();
    let err = svc.oneshot(10_000).await.unwrap_err();
    assert!(err.is::<Elapsed>(), "{err}");
    within(&rt, "the time limit", rt.now() - start, ms(30));
}

/// A global rate limit applies backpressure in `poll_ready`, in arrival order: the second
/// call's readiness waits for its slot.
#[wrangle::test]
async fn global_rate_limit_waits_in_poll_ready(rt: AnyRuntime) {
    let limiter = RateLimiter::new(rt.clone(), Quota::with_interval(ms(40)).unwrap());
    let layer = RateLimitLayer::new(limiter);
    let mut a = layer.layer(napper(&rt));
    let mut b = a.clone();
    let start = rt.now();
    assert!(poll_ready_now(&mut a).is_ready(), "the first slot is free");
    assert!(
        poll_ready_now(&mut b).is_pending(),
        "the second waits for its slot"
    );
    a.call(0).await.unwrap();
    b.ready().await.unwrap().call(0).await.unwrap();
    within(&rt, "the second slot", rt.now() - start, ms(40));
}

/// A keyed rate limit cannot use `poll_ready` (no request yet): it is always ready, and the
/// response future waits for the key's turn; other keys do not wait.
#[wrangle::test]
async fn keyed_rate_limit_waits_in_the_response_future(rt: AnyRuntime) {
    let per_key = KeyedRateLimiter::new(rt.clone(), Quota::with_interval(ms(40)).unwrap());
    let mut svc = KeyedRateLimitLayer::new(per_key, |x: &u64| *x % 2).layer(napper(&rt));
    let start = rt.now();
    assert!(poll_ready_now(&mut svc).is_ready());
    let first = svc.call(0);
    assert!(poll_ready_now(&mut svc).is_ready(), "always ready");
    let second = svc.call(2); // key 0 again
    let other = svc.call(1); // key 1
    let other = rt.spawn(other);
    assert_eq!(first.await.unwrap(), 0);
    assert_eq!(other.await.unwrap(), 1);
    within(&rt, "another key", rt.now() - start, ms(1));
    assert_eq!(second.await.unwrap(), 2);
    within(&rt, "the key's second turn", rt.now() - start, ms(42));
}

/// A concurrency limit waits in `poll_ready`; behind a load shedder, a call with no permit
/// is refused at once with `Overloaded`, and a permit is back when its call ends.
#[wrangle::test]
async fn concurrency_limit_and_load_shedding(rt: AnyRuntime) {
    let limit = ConcurrencyLimitLayer::new(1).unwrap();
    let mut queued = limit.layer(napper(&rt));
    let mut shed = LoadShedLayer::new().layer(queued.clone());
    queued.ready().await.unwrap();
    let held = rt.spawn(queued.call(30));
    assert!(
        poll_ready_now(&mut queued.clone()).is_pending(),
        "no permit while the call runs"
    );
    let start = rt.now();
    let refused = shed.ready().await.unwrap().call(0).await.unwrap_err();
    assert!(refused.is::<Overloaded>(), "{refused}");
    assert!(rt.now() - start < slack(&rt) + ms(1), "refused at once");
    assert_eq!(held.await.unwrap(), 30);
    assert_eq!(shed.ready().await.unwrap().call(0).await.unwrap(), 0);
}

/// A breaker opens after its failures, refuses with `CircuitOpen` (without calling the
/// service) until the cooldown ends, then lets a trial through and closes.
#[wrangle::test]
async fn breaker_opens_refuses_and_half_opens(rt: AnyRuntime) {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(2)
        .cooldown(ms(50))
        .build(rt.clone())
        .unwrap();
    let mut svc = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new(breaker.clone()))
        .service_fn(move |ok: bool| {
            seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if ok {
                    Ok(())
                } else {
                    Err::<(), BoxError>("down".into())
                }
            }
        });
    for _ in 0..2 {
        assert!(svc.ready().await.unwrap().call(false).await.is_err());
    }
    let opened = rt.now();
    assert_eq!(breaker.state(), BreakerState::Open);
    let refused = svc.ready().await.unwrap().call(true).await.unwrap_err();
    assert!(refused.is::<CircuitOpen>(), "{refused}");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "not called while open");
    wrangle::sleep_until(&rt, opened + ms(50)).await;
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    svc.ready().await.unwrap().call(true).await.unwrap();
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// Retry classifies responses: a 429's `Retry-After` (1 s) is capped by the policy's maximum
/// delay (40 ms); the stack's response future is `'static + Send` (spawned).
#[wrangle::test]
async fn retry_honours_retry_after_capped(rt: AnyRuntime) {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let policy = RetryPolicy::builder()
        .constant(ms(5))
        .max_delay(ms(40))
        .build()
        .unwrap();
    let svc = ServiceBuilder::new()
        .layer(RetryLayer::new(rt.clone(), policy).classify(HttpStatus::new()))
        .layer(TimeoutLayer::new(rt.clone(), Duration::from_secs(30)))
        .service_fn(move |_: ()| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                let status = if n == 0 { 429 } else { 200 };
                Ok::<_, BoxError>(
                    http::Response::builder()
                        .status(status)
                        .header("retry-after", "1")
                        .body(())
                        .unwrap(),
                )
            }
        });
    let start = rt.now();
    let response = rt.spawn(svc.oneshot(())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    within(&rt, "the capped Retry-After", rt.now() - start, ms(40));
}
