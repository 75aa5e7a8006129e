//! docs/scenarios.md S10, S11 and S12, exact on virtual time.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wrangle_core::Spawn;
use wrangle_resilience::breaker::{BreakerState, CircuitBreaker, InvalidBreaker};
use wrangle_resilience::rate::{KeyedRateLimiter, Quota};
use wrangle_resilience::retry::{Classification, FailedAttempt, Jitter, RetryPolicy, retry};

const MS: Duration = Duration::from_millis(1);

/// S10: 3 consecutive failures open the breaker for 5 s; while open, calls fail at once
/// without reaching the service; after 5 s one trial call goes through; success closes it.
#[test]
fn s10_circuit_breaker() {
    wrangle_sim::run(10, |rt| async move {
        let transitions = Arc::new(Mutex::new(Vec::new()));
        let seen = transitions.clone();
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(3)
            .cooldown(Duration::from_secs(5))
            .on_state_change(move |from, to| seen.lock().unwrap().push((from, to)))
            .build(rt.clone())
            .unwrap();
        let reached = RefCell::new(0);
        let service = |ok: bool| {
            *reached.borrow_mut() += 1;
            async move { if ok { Ok("200") } else { Err("503") } }
        };
        // A success between failures resets the count.
        for ok in [false, false, true, false, false] {
            let _ = breaker.call(service(ok)).await;
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        let _ = breaker.call(service(false)).await;
        assert_eq!(breaker.state(), BreakerState::Open);
        let opened_at = rt.elapsed();
        // While open: fail at once, never reaching the service.
        let before = *reached.borrow();
        for _ in 0..10 {
            let err = breaker
                .call(async { Ok::<_, &str>("never") })
                .await
                .unwrap_err();
            assert!(err.is_open());
        }
        assert_eq!(*reached.borrow(), before);
        wrangle_core::sleep(&rt, MS * 4999).await;
        assert!(
            breaker.try_enter().is_err(),
            "still open 1 ms before the cooldown ends"
        );
        wrangle_core::sleep(&rt, MS).await;
        assert_eq!(rt.elapsed() - opened_at, Duration::from_secs(5));
        // One trial: a second caller is refused while it runs.
        let trial = breaker.try_enter().unwrap();
        assert!(trial.is_trial());
        assert!(breaker.try_enter().is_err());
        trial.success();
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert_eq!(
            *transitions.lock().unwrap(),
            [
                (BreakerState::Closed, BreakerState::Open),
                (BreakerState::Open, BreakerState::HalfOpen),
                (BreakerState::HalfOpen, BreakerState::Closed)
            ]
        );
    });
}

#[test]
fn breaker_trial_failure_reopens_and_uncounted_errors_are_successes() {
    wrangle_sim::run(11, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(2)
            .build(rt.clone())
            .unwrap();
        // 404s are a sign of life: they do not count.
        for _ in 0..5 {
            let _ = breaker
                .call(async { Err::<(), _>(404) })
                .count_if(|s: &u16| *s >= 500)
                .await;
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        for _ in 0..2 {
            let _ = breaker
                .call(async { Err::<(), _>(500) })
                .count_if(|s: &u16| *s >= 500)
                .await;
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        wrangle_core::sleep(&rt, Duration::from_secs(5)).await;
        let _ = breaker.call(async { Err::<(), _>(500u16) }).await;
        assert_eq!(
            breaker.state(),
            BreakerState::Open,
            "a failed trial reopens it"
        );
        assert_eq!(
            breaker.try_enter().unwrap_err().retry_after(),
            Duration::from_secs(5)
        );
        // A trial that is cancelled frees its slot without a verdict.
        wrangle_core::sleep(&rt, Duration::from_secs(5)).await;
        drop(breaker.try_enter().unwrap());
        assert!(breaker.try_enter().is_ok());
    });
}

#[test]
fn breaker_failure_rate_over_a_window() {
    wrangle_sim::run(12, |rt| async move {
        let breaker = CircuitBreaker::builder()
            .failure_rate(0.5, Duration::from_secs(10), 4)
            .build(rt.clone())
            .unwrap();
        for ok in [true, false, true] {
            let _ = breaker
                .call(async move { if ok { Ok(()) } else { Err(()) } })
                .await;
        }
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "too few calls to judge"
        );
        let _ = breaker.call(async { Err::<(), ()>(()) }).await;
        assert_eq!(breaker.state(), BreakerState::Open, "2 of 4 failed");
        // Old outcomes leave the window.
        wrangle_core::sleep(&rt, Duration::from_secs(5)).await;
        let trial = breaker.try_enter().unwrap();
        trial.success();
        for _ in 0..3 {
            let _ = breaker.call(async { Ok::<_, ()>(()) }).await;
        }
        wrangle_core::sleep(&rt, Duration::from_secs(11)).await;
        for ok in [false, true, true, true] {
            let _ = breaker
                .call(async move { if ok { Ok(()) } else { Err(()) } })
                .await;
        }
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "1 of 4 in the window failed"
        );
    });
}

#[test]
fn bad_breakers_are_rejected_with_a_reason() {
    let t = wrangle_core::doctest::ThreadPerTask;
    let b = CircuitBreaker::builder;
    assert_eq!(
        b().consecutive_failures(0).build(t).unwrap_err(),
        InvalidBreaker::ZeroThreshold
    );
    assert_eq!(
        b().failure_rate(0.0, MS, 1).build(t).unwrap_err(),
        InvalidBreaker::RateOutOfRange(0.0)
    );
    assert!(matches!(
        b().failure_rate(f64::NAN, MS, 1).build(t).unwrap_err(),
        InvalidBreaker::RateOutOfRange(_)
    ));
    assert_eq!(
        b().failure_rate(0.5, Duration::ZERO, 1)
            .build(t)
            .unwrap_err(),
        InvalidBreaker::ZeroWindow
    );
    assert_eq!(
        b().cooldown(Duration::ZERO).build(t).unwrap_err(),
        InvalidBreaker::ZeroCooldown
    );
    assert_eq!(
        b().half_open_trials(0).build(t).unwrap_err(),
        InvalidBreaker::ZeroTrials
    );
    assert!(
        InvalidBreaker::ZeroWindow
            .to_string()
            .starts_with("invalid circuit breaker")
    );
}

/// The in-process server of S11: 200 ms per request; a host listed in `throttle` answers its
/// first request with 429 and Retry-After.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Response {
    Ok,
    TooMany(Duration),
}

#[derive(Default, Debug)]
struct Stats {
    requests: u32,
    successful: u32,
    failed: u32,
    retries: u32,
    rate_limited: u32,
    in_flight: u32,
    peak: u32,
    starts: HashMap<&'static str, Vec<Duration>>,
}

/// S11: eight URLs, at most 3 in flight, at least 0.5 s between two requests to one host; a
/// 429 doubles that host's spacing and the request is retried with backoff and jitter.
#[test]
fn s11_polite_crawler() {
    let urls: [(&str, u32); 8] = [
        ("a", 1),
        ("a", 2),
        ("a", 3),
        ("b", 1),
        ("b", 2),
        ("b", 3),
        ("c", 1),
        ("c", 2),
    ];
    wrangle_sim::run(11, |rt| async move {
        let spacing = Quota::with_interval(MS * 500).unwrap();
        let per_host = KeyedRateLimiter::new(rt.clone(), spacing);
        let policy = RetryPolicy::builder()
            .exponential(MS * 100, 2.0)
            .jitter(Jitter::Full)
            .max_retries(3)
            .build()
            .unwrap();
        let stats = RefCell::new(Stats::default());
        let throttled = RefCell::new(vec!["b"]);
        let fetch = |host: &'static str, page: u32| {
            let (rt, per_host, policy, stats, throttled) =
                (&rt, &per_host, &policy, &stats, &throttled);
            async move {
                retry(rt, policy, |_| async move {
                    per_host.acquire(host).await;
                    {
                        let mut s = stats.borrow_mut();
                        s.requests += 1;
                        s.in_flight += 1;
                        s.peak = s.peak.max(s.in_flight);
                        s.starts.entry(host).or_default().push(rt.elapsed());
                    }
                    wrangle_core::sleep(rt, MS * 200).await;
                    stats.borrow_mut().in_flight -= 1;
                    let response = {
                        let mut t = throttled.borrow_mut();
                        match t.iter().position(|h| *h == host) {
                            Some(i) => {
                                t.remove(i);
                                Response::TooMany(Duration::from_secs(1))
                            }
                            None => Response::Ok,
                        }
                    };
                    match response {
                        Response::Ok => Ok(format!("{host}/{page}")),
                        Response::TooMany(after) => {
                            stats.borrow_mut().rate_limited += 1;
                            per_host.set_quota(&host, spacing.slowed(2));
                            Err(after)
                        }
                    }
                })
                .classify(|after: &Duration| Classification::RetryAfter(*after))
                .before_sleep(|_: &FailedAttempt<Duration>, _: &_, _| {
                    stats.borrow_mut().retries += 1
                })
                .await
            }
        };
        let pages = wrangle::gather(urls.iter().map(|&(h, p)| fetch(h, p)))
            .limit(NonZeroUsize::new(3).unwrap())
            .await;
        let mut s = stats.into_inner();
        for page in &pages {
            if page.is_ok() {
                s.successful += 1
            } else {
                s.failed += 1
            }
        }
        assert_eq!(
            pages[3].as_deref().unwrap(),
            "b/1",
            "results in input order"
        );
        assert_eq!(
            (
                s.requests,
                s.successful,
                s.failed,
                s.retries,
                s.rate_limited
            ),
            (9, 8, 0, 1, 1)
        );
        assert!(s.peak <= 3, "peak in flight {}", s.peak);
        for (host, starts) in &s.starts {
            for pair in starts.windows(2) {
                let gap = pair[1] - pair[0];
                assert!(gap >= MS * 500, "{host}: two requests {gap:?} apart");
            }
        }
        // After b's 429, b's next requests are at least 1 s apart (its spacing doubled).
        let b = &s.starts["b"];
        for pair in b.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_secs(1), "b: {b:?}");
        }
        println!("S11 stats: {s:?}, finished at {:?}", rt.elapsed());
    });
}

/// S12: a queue of 5; one producer of 20 items (one every 0.1 s); three consumers of 0.5 s an
/// item. The queue fills and the producer waits; the last item is done at exactly 3.6 s; the
/// consumers handle 7, 7 and 6 items; then they are stopped.
#[test]
fn s12_producer_and_consumers() {
    for seed in [1, 2, 3] {
        wrangle_sim::run(seed, |rt| async move {
            let (tx, rx) = async_channel::bounded::<u32>(5);
            let max_queued = Arc::new(Mutex::new(0usize));
            let last_send_done = Arc::new(Mutex::new(Duration::ZERO));
            let producer = {
                let (timer, max_queued, last_send_done) =
                    (rt.clone(), max_queued.clone(), last_send_done.clone());
                rt.spawn(async move {
                    for item in 0..20 {
                        if item > 0 {
                            wrangle_core::sleep(&timer, MS * 100).await;
                        }
                        tx.send(item).await.unwrap();
                        let mut m = max_queued.lock().unwrap();
                        *m = (*m).max(tx.len());
                        *last_send_done.lock().unwrap() = timer.elapsed();
                    }
                    // Dropping the sender closes the queue: that stops the consumers.
                })
            };
            let consumers: Vec<_> = (0..3)
                .map(|_| {
                    let (rx, timer) = (rx.clone(), rt.clone());
                    rt.spawn(async move {
                        let (mut handled, mut last_done) = (0, Duration::ZERO);
                        while let Ok(_item) = rx.recv().await {
                            wrangle_core::sleep(&timer, MS * 500).await;
                            handled += 1;
                            last_done = timer.elapsed();
                        }
                        (handled, last_done)
                    })
                })
                .collect();
            producer.await;
            let mut handled = Vec::new();
            let mut last = Duration::ZERO;
            for c in consumers {
                let (n, done) = c.await;
                handled.push(n);
                last = last.max(done);
            }
            handled.sort_unstable();
            assert_eq!(handled, [6, 7, 7]);
            assert_eq!(last, MS * 3600);
            assert_eq!(
                *max_queued.lock().unwrap(),
                5,
                "the queue filled, and never beyond 5"
            );
            assert!(
                *last_send_done.lock().unwrap() > MS * 1900,
                "the producer had to wait"
            );
        });
    }
}
