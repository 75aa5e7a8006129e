//! The client stack (retry + breaker per host + rate per host + timeout) and the server stack
//! (per-client rate limit refusing, concurrency limit with load shedding) over an in-process
//! service with faults, on virtual time: every figure exact.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Request, Response, StatusCode};
use tower::{Service, ServiceBuilder, ServiceExt};
use wrangle::Timer;
use wrangle::breaker::{BreakerState, CircuitBreaker, CircuitOpen};
use wrangle::rate::{KeyedRateLimiter, Quota, RateLimited};
use wrangle::retry::{RetryBudget, RetryPolicy, StopReason};
use wrangle::sim::Sim;
use wrangle::tower::http::{HttpStatus, ServerErrors, clone_request};
use wrangle::tower::{
    BoxError, ConcurrencyLimitLayer, KeyedCircuitBreakerLayer, KeyedRateLimitLayer, LoadShedLayer,
    Overloaded, RetryError, RetryLayer, TimeoutLayer,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The wall clock the HTTP-dates are measured against: fixed, as the virtual clock is.
fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_445_412_470) // Wed, 21 Oct 2015 07:27:50 GMT
}

type Log = Arc<Mutex<Vec<(String, Duration)>>>;

/// The faulty server: 200 ms of latency, then by path and by how often it was asked:
/// `/b/*` 429 with `Retry-After: 1` first; `/c/*` 500 twice; `/d/*` hangs three times;
/// `/e/*` 503 with an HTTP-date 2 s ahead, then 429 with `Retry-After: 3600`, then 503 with
/// a malformed `Retry-After`; then 200.
fn faulty(
    rt: Sim,
    log: Log,
) -> impl Service<
    Request<String>,
    Response = Response<String>,
    Error = std::io::Error,
    Future = impl Send + 'static,
> + Clone
+ Send
+ 'static {
    let counts = Arc::new(Mutex::new(HashMap::<String, u32>::new()));
    tower::service_fn(move |req: Request<String>| {
        let (rt, log, counts) = (rt.clone(), log.clone(), counts.clone());
        async move {
            let path = req.uri().path().to_owned();
            log.lock().unwrap().push((path.clone(), rt.elapsed()));
            let n = {
                let mut counts = counts.lock().unwrap();
                let n = counts.entry(path.clone()).or_insert(0);
                *n += 1;
                *n
            };
            let host = &path[1..2];
            if host == "d" && n <= 3 {
                std::future::pending::<()>().await;
            }
            wrangle::sleep(&rt, ms(200)).await;
            let (status, after) = match (host, n) {
                ("b", 1) => (429, Some("1")),
                ("c", 1 | 2) => (500, None),
                ("e", 1) => (503, Some("Wed, 21 Oct 2015 07:27:52 GMT")),
                ("e", 2) => (429, Some("3600")),
                ("e", 3) => (503, Some("soon")),
                _ => (200, None),
            };
            let mut response = Response::builder().status(status);
            if let Some(after) = after {
                response = response.header("retry-after", after);
            }
            Ok(response.body(path).unwrap())
        }
    })
}

fn host(req: &Request<String>) -> String {
    req.uri().path()[1..2].to_owned()
}

#[test]
fn client_stack_exact_on_virtual_time() {
    wrangle::sim::run(7, |rt| async move {
        let log: Log = Arc::default();
        let transitions = Arc::new(Mutex::new(Vec::new()));
        let policy = RetryPolicy::builder()
            .exponential(ms(100), 2.0)
            .max_retries(3)
            .max_delay(Duration::from_secs(5))
            .build()
            .unwrap();
        let (clock, seen) = (rt.clone(), transitions.clone());
        let breakers = KeyedCircuitBreakerLayer::new(
            move |host: &String| {
                let (clock, seen, host) = (clock.clone(), seen.clone(), host.clone());
                let at = clock.clone();
                CircuitBreaker::builder()
                    .consecutive_failures(3)
                    .cooldown(Duration::from_secs(10))
                    .on_state_change(move |from, to| {
                        seen.lock()
                            .unwrap()
                            .push((host.clone(), from, to, at.elapsed()));
                    })
                    .build(clock)
                    .unwrap()
            },
            host,
        )
        .failure_if(ServerErrors);
        let per_host = KeyedRateLimiter::new(rt.clone(), Quota::with_interval(ms(500)).unwrap());
        let mut client = ServiceBuilder::new()
            .layer(
                RetryLayer::new(rt.clone(), policy)
                    .classify(HttpStatus::new().wall_clock(wall))
                    .clone_request(clone_request::<String>),
            )
            .layer(breakers.clone())
            .layer(KeyedRateLimitLayer::new(per_host, host))
            .layer(TimeoutLayer::new(rt.clone(), Duration::from_secs(1)))
            .service(faulty(rt.clone(), log.clone()));
        let get = |path: &str| Request::get(path).body(String::new()).unwrap();
        let mut finished = Vec::new();

        // a: 200 at once.
        let ok = client
            .ready()
            .await
            .unwrap()
            .call(get("/a/1"))
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        finished.push(rt.elapsed());
        // b: 429 with Retry-After: 1 at 0.4 s, retried at 1.4 s.
        let ok = client
            .ready()
            .await
            .unwrap()
            .call(get("/b/1"))
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        finished.push(rt.elapsed());
        // c: 500 at 1.8 s, backoff 0.1 s but the host's rate holds it to 2.1 s; 500 at 2.3 s,
        // backoff 0.2 s, rate to 2.6 s; 200.
        let ok = client
            .ready()
            .await
            .unwrap()
            .call(get("/c/1"))
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        finished.push(rt.elapsed());
        // d: hangs; timed out at 3.8, 4.9, 6.1 s (backoff 0.1, 0.2 s): d's breaker opens at
        // 6.1 s; the 4th attempt, 0.4 s later, is refused by it, and retries are exhausted.
        let err = client
            .ready()
            .await
            .unwrap()
            .call(get("/d/1"))
            .await
            .unwrap_err();
        let err = err.downcast_ref::<RetryError>().unwrap();
        assert_eq!((err.attempts(), err.reason()), (4, StopReason::Exhausted));
        let open = err
            .last_error()
            .unwrap()
            .downcast_ref::<CircuitOpen>()
            .unwrap();
        assert_eq!(open.retry_after(), ms(9_600));
        assert_eq!(err.total_delay(), ms(700));
        finished.push(rt.elapsed());
        // The cooldown ends at 16.1 s: a trial call goes through and closes the breaker.
        wrangle::sleep_until(&rt, rt.now() + ms(9_600)).await;
        let ok = client
            .ready()
            .await
            .unwrap()
            .call(get("/d/1"))
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        finished.push(rt.elapsed());
        // e: 503 with an HTTP-date 2 s ahead; 429 with Retry-After 3600, capped at 5 s; 503
        // with a malformed Retry-After, ignored: the backoff (0.4 s); 200.
        let ok = client
            .ready()
            .await
            .unwrap()
            .call(get("/e/1"))
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        finished.push(rt.elapsed());

        let s = |x: f64| Duration::from_secs_f64(x);
        assert_eq!(
            finished,
            [s(0.2), s(1.6), s(2.8), s(6.5), s(16.3), s(24.5)],
            "when each call finished"
        );
        let log = log.lock().unwrap().clone();
        let expected: Vec<(String, Duration)> = [
            ("/a/1", 0.0),
            ("/b/1", 0.2),
            ("/b/1", 1.4),
            ("/c/1", 1.6),
            ("/c/1", 2.1),
            ("/c/1", 2.6),
            ("/d/1", 2.8),
            ("/d/1", 3.9),
            ("/d/1", 5.1),
            ("/d/1", 16.1),
            ("/e/1", 16.3),
            ("/e/1", 18.5),
            ("/e/1", 23.7),
            ("/e/1", 24.3),
        ]
        .into_iter()
        .map(|(p, t)| (p.to_owned(), s(t)))
        .collect();
        assert_eq!(log, expected, "the requests the server saw, and when");
        assert_eq!(log.len(), 14, "requests");
        let transitions = transitions.lock().unwrap().clone();
        assert_eq!(
            transitions,
            [
                (
                    "d".to_owned(),
                    BreakerState::Closed,
                    BreakerState::Open,
                    s(6.1)
                ),
                (
                    "d".to_owned(),
                    BreakerState::Open,
                    BreakerState::HalfOpen,
                    s(16.1)
                ),
                (
                    "d".to_owned(),
                    BreakerState::HalfOpen,
                    BreakerState::Closed,
                    s(16.3)
                ),
            ],
            "the breakers' state changes, and when"
        );
        assert_eq!(breakers.len(), 5);
    });
}

#[test]
fn server_stack_refuses_exactly() {
    wrangle::sim::run(3, |rt| async move {
        let log: Log = Arc::default();
        // Per client (the `x-client` header): 1 request a second, refused beyond that;
        // 2 in flight at most, beyond that shed.
        let per_client = KeyedRateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
        let server = ServiceBuilder::new()
            .layer(
                KeyedRateLimitLayer::new(per_client, |req: &Request<String>| {
                    req.headers()["x-client"].as_bytes().to_vec()
                })
                .reject(),
            )
            .layer(LoadShedLayer::new())
            .layer(ConcurrencyLimitLayer::new(2).unwrap())
            .service(faulty(rt.clone(), log.clone()));
        let request = |client: &str| {
            Request::get("/a/1")
                .header("x-client", client)
                .body(String::new())
                .unwrap()
        };
        // Clients 1..=4 at once, and client 1 again: client 1's second is refused by its
        // rate; of the other four, two are served and two shed.
        // Polled in this order (gather polls its inputs in order), so exact.
        let calls = ["1", "2", "3", "4", "1"].map(|c| {
            let call = server.clone().oneshot(request(c));
            let rt = rt.clone();
            async move {
                match call.await {
                    Ok(r) => format!("{} at {:?}", r.status().as_u16(), rt.elapsed()),
                    Err(e) if e.is::<Overloaded>() => "shed".to_owned(),
                    Err(e) => match e.downcast_ref::<RateLimited>() {
                        Some(l) => format!("429 after {:?}", l.retry_after()),
                        None => panic!("{e}"),
                    },
                }
            }
        });
        let outcomes = wrangle::gather(calls).await;
        assert_eq!(
            outcomes,
            [
                "200 at 200ms",
                "200 at 200ms",
                "shed",
                "shed",
                "429 after 1s"
            ]
        );
        assert_eq!(
            log.lock().unwrap().len(),
            2,
            "requests that reached the service"
        );
        // The permits are back: two more go through (new clients: a shed request has used
        // its client's slot, as a refused one has).
        let again = [
            server.clone().oneshot(request("5")),
            server.clone().oneshot(request("6")),
        ];
        for r in wrangle::gather(again).await {
            assert_eq!(r.unwrap().status(), StatusCode::OK);
        }
        assert_eq!(rt.elapsed(), ms(400));
    });
}

#[test]
fn budget_is_shared_across_requests() {
    wrangle::sim::run(1, |rt| async move {
        // Two retries in all, none earned back: the first call uses both, the second none.
        let policy = RetryPolicy::builder()
            .constant(ms(10))
            .max_retries(5)
            .budget(RetryBudget::new(2, 0.0))
            .build()
            .unwrap();
        let calls = Arc::new(Mutex::new(0));
        let seen = calls.clone();
        let svc = ServiceBuilder::new()
            .layer(RetryLayer::new(rt.clone(), policy))
            .service_fn(move |_: ()| {
                *seen.lock().unwrap() += 1;
                async { Err::<(), BoxError>("down".into()) }
            });
        for expected in [3, 1] {
            let err = svc.clone().oneshot(()).await.unwrap_err();
            let err = err.downcast_ref::<RetryError>().unwrap();
            assert_eq!(
                (err.attempts(), err.reason()),
                (expected, StopReason::Budget)
            );
        }
        assert_eq!(*calls.lock().unwrap(), 4);
        assert_eq!(rt.elapsed(), ms(20));
    });
}

#[test]
fn a_request_that_cannot_be_copied_is_sent_once() {
    wrangle::sim::run(1, |rt| async move {
        let policy = RetryPolicy::builder().constant(ms(10)).build().unwrap();
        let calls = Arc::new(Mutex::new(0));
        let seen = calls.clone();
        let svc = ServiceBuilder::new()
            .layer(
                RetryLayer::new(rt.clone(), policy)
                    .clone_request(|body: &Vec<u8>| (body.len() < 4).then(|| body.clone())),
            )
            .service_fn(move |_: Vec<u8>| {
                *seen.lock().unwrap() += 1;
                async { Err::<(), BoxError>("down".into()) }
            });
        let err = svc.clone().oneshot(vec![0; 64]).await.unwrap_err();
        let err = err.downcast_ref::<RetryError>().unwrap();
        assert_eq!((err.attempts(), err.reason()), (1, StopReason::Permanent));
        assert_eq!(*calls.lock().unwrap(), 1);
        // A small one is copied, and retried (3 retries by default).
        let err = svc.oneshot(vec![0; 2]).await.unwrap_err();
        assert_eq!(err.downcast_ref::<RetryError>().unwrap().attempts(), 4);
        assert_eq!(*calls.lock().unwrap(), 5);
    });
}

#[test]
fn exhausted_on_a_response_returns_it() {
    wrangle::sim::run(1, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(ms(10))
            .max_retries(2)
            .build()
            .unwrap();
        let svc = ServiceBuilder::new()
            .layer(RetryLayer::new(rt.clone(), policy).classify(HttpStatus::new()))
            .service_fn(|_: ()| async {
                Ok::<_, BoxError>(Response::builder().status(503).body(()).unwrap())
            });
        let last = svc.oneshot(()).await.unwrap();
        assert_eq!(last.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(rt.elapsed(), ms(20));
    });
}

/// Every public response future is `Send + 'static`, every layer `Clone + Send + Sync`.
#[test]
fn auto_traits() {
    fn send_static<T: Send + 'static>(_: &T) {}
    fn layer<T: Clone + Send + Sync>(_: &T) {}
    let rt = Sim::new(1);
    let policy = RetryPolicy::default();
    let inner = tower::service_fn(|x: u8| async move { Ok::<_, BoxError>(x) });
    let breaker = CircuitBreaker::builder().build(rt.clone()).unwrap();
    let limiter = wrangle::rate::RateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
    let keyed = KeyedRateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
    let l1 = RetryLayer::new(rt.clone(), policy);
    let l2 = wrangle::tower::CircuitBreakerLayer::new(breaker);
    let l3 = TimeoutLayer::new(rt.clone(), ms(1));
    let l4 = wrangle::tower::RateLimitLayer::new(limiter);
    let l5 = KeyedRateLimitLayer::new(keyed, |x: &u8| *x);
    let l6 = ConcurrencyLimitLayer::new(1).unwrap();
    let l7 = LoadShedLayer::new();
    let l8 = KeyedCircuitBreakerLayer::new(
        move |_: &u8| CircuitBreaker::builder().build(rt.clone()).unwrap(),
        |x: &u8| *x,
    );
    layer(&l1);
    layer(&l2);
    layer(&l3);
    layer(&l4);
    layer(&l5);
    layer(&l6);
    layer(&l7);
    layer(&l8);
    let mut svc = ServiceBuilder::new()
        .layer(l1)
        .layer(l7)
        .layer(l2)
        .layer(l3)
        .layer(l8)
        .layer(l4)
        .layer(l5)
        .layer(l6)
        .service(inner);
    send_static(&svc);
    send_static(&svc.call(1));
}

/// A keyed breaker's map is swept of closed breakers when it reaches 1 024 keys; an open one
/// is kept, and still refuses.
#[test]
fn idle_keyed_breakers_are_evicted() {
    wrangle::sim::run(1, |rt| async move {
        let clock = rt.clone();
        let layer = KeyedCircuitBreakerLayer::new(
            move |_: &u32| {
                CircuitBreaker::builder()
                    .consecutive_failures(1)
                    .build(clock.clone())
                    .unwrap()
            },
            |n: &u32| *n,
        );
        let mut svc = ServiceBuilder::new()
            .layer(layer.clone())
            .service_fn(|n: u32| async move {
                if n == 0 {
                    Err::<u32, BoxError>("down".into())
                } else {
                    Ok(n)
                }
            });
        assert!(svc.ready().await.unwrap().call(0).await.is_err());
        assert_eq!(layer.breaker(&0).state(), BreakerState::Open);
        for n in 1..1024 {
            svc.ready().await.unwrap().call(n).await.unwrap();
        }
        assert_eq!(layer.len(), 1024);
        // The 1 025th key sweeps: the 1 023 closed breakers go, the open one stays.
        svc.ready().await.unwrap().call(5000).await.unwrap();
        assert_eq!(layer.len(), 2);
        let refused = svc.ready().await.unwrap().call(0).await.unwrap_err();
        assert!(refused.is::<CircuitOpen>());
    });
}

/// Retry over a concurrency limit of one: the permit `poll_ready` reserved is the one the
/// first attempt uses (a retry that called a clone instead would wait for ever for it), and
/// retries take it again.
#[test]
fn retry_over_a_concurrency_limit_uses_the_reserved_permit() {
    wrangle::sim::run(1, |rt| async move {
        let policy = RetryPolicy::builder().constant(ms(10)).build().unwrap();
        let calls = Arc::new(Mutex::new(0));
        let seen = calls.clone();
        let svc = ServiceBuilder::new()
            .layer(RetryLayer::new(rt.clone(), policy))
            .layer(ConcurrencyLimitLayer::new(1).unwrap())
            .service_fn(move |x: u32| {
                let n = {
                    let mut calls = seen.lock().unwrap();
                    *calls += 1;
                    *calls
                };
                async move {
                    if n < 3 {
                        Err::<u32, BoxError>("busy".into())
                    } else {
                        Ok(x)
                    }
                }
            });
        // `ready` then `call` on one service that lives on (`oneshot` would drop it, and its
        // reserved permit with it, before awaiting the call).
        let mut svc = svc;
        assert_eq!(svc.ready().await.unwrap().call(7).await.unwrap(), 7);
        assert_eq!(*calls.lock().unwrap(), 3);
        assert_eq!(svc.ready().await.unwrap().call(8).await.unwrap(), 8);
        assert_eq!(rt.elapsed(), ms(20));
    });
}
