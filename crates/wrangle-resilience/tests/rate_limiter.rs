//! Rate limits on virtual time: exact admissions, FIFO waiters, bad input, bounded keys.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::time::Duration;

use wrangle_core::Spawn;
use wrangle_resilience::rate::{InvalidQuota, KeyedRateLimiter, Quota, RateLimiter};

const MS: Duration = Duration::from_millis(1);

#[test]
fn bad_quotas_are_rejected_with_a_reason() {
    assert_eq!(Quota::per_second(0), Err(InvalidQuota::ZeroRate));
    assert_eq!(Quota::per(5, Duration::ZERO), Err(InvalidQuota::ZeroPeriod));
    assert_eq!(
        Quota::with_interval(Duration::ZERO),
        Err(InvalidQuota::ZeroPeriod)
    );
    assert_eq!(
        Quota::per_second(1).unwrap().burst(0),
        Err(InvalidQuota::ZeroBurst)
    );
    for e in [
        InvalidQuota::ZeroRate,
        InvalidQuota::ZeroPeriod,
        InvalidQuota::ZeroBurst,
    ] {
        assert!(e.to_string().starts_with("invalid quota: "));
    }
}

#[test]
fn burst_then_steady_rate() {
    wrangle_sim::run(1, |rt| async move {
        let limiter =
            RateLimiter::new(rt.clone(), Quota::per_second(10).unwrap().burst(3).unwrap());
        let mut at = Vec::new();
        for _ in 0..6 {
            limiter.acquire().await;
            at.push(rt.elapsed());
        }
        assert_eq!(
            at,
            [
                Duration::ZERO,
                Duration::ZERO,
                Duration::ZERO,
                MS * 100,
                MS * 200,
                MS * 300
            ]
        );
    });
}

#[test]
fn try_acquire_never_overtakes_waiters() {
    wrangle_sim::run(2, |rt| async move {
        let limiter = RateLimiter::new(rt.clone(), Quota::with_interval(MS * 100).unwrap());
        limiter.try_acquire().unwrap();
        let waiter = {
            let limiter = limiter.clone();
            let timer = rt.clone();
            rt.spawn(async move {
                limiter.acquire().await;
                timer.elapsed()
            })
        };
        wrangle_core_yield().await;
        // The waiter booked 100 ms; a try at 100 ms must not take its place.
        wrangle_core::sleep(&rt, MS * 100).await;
        let err = limiter.try_acquire().unwrap_err();
        assert_eq!(err.retry_after(), MS * 100);
        assert_eq!(waiter.await, MS * 100);
    });
}

async fn wrangle_core_yield() {
    for _ in 0..16 {
        wrangle_core::yield_now().await;
    }
}

#[test]
fn waiters_are_served_in_arrival_order() {
    for seed in 0..10 {
        wrangle_sim::run(seed, |rt| async move {
            let limiter = RateLimiter::new(
                rt.clone(),
                Quota::with_interval(MS * 10).unwrap().burst(2).unwrap(),
            );
            let arrivals = Rc::new(RefCell::new(Vec::new()));
            let admitted = Rc::new(RefCell::new(Vec::new()));
            let waiters = (0..20).map(|i| {
                let (arrivals, admitted, limiter, timer) =
                    (arrivals.clone(), admitted.clone(), &limiter, rt.clone());
                async move {
                    arrivals.borrow_mut().push(i);
                    limiter.acquire().await;
                    admitted.borrow_mut().push((i, timer.elapsed()));
                }
            });
            wrangle::gather(waiters).await;
            let arrivals = arrivals.borrow().clone();
            let admitted = admitted.borrow().clone();
            let time_of = |i| admitted.iter().find(|(j, _)| *j == i).unwrap().1;
            for pair in arrivals.windows(2) {
                assert!(
                    time_of(pair[0]) <= time_of(pair[1]),
                    "a later arrival went first"
                );
            }
            assert_eq!(
                rt.elapsed(),
                MS * 180,
                "20 admissions, burst 2, 10 ms apart"
            );
        });
    }
}

#[test]
fn a_dropped_waiter_gives_its_place_back() {
    wrangle_sim::run(3, |rt| async move {
        let limiter = RateLimiter::new(rt.clone(), Quota::with_interval(MS * 100).unwrap());
        limiter.acquire().await;
        {
            let waiting = limiter.acquire();
            let mut waiting = std::pin::pin!(waiting);
            assert!(
                futures_lite::future::poll_once(waiting.as_mut())
                    .await
                    .is_none()
            );
        } // dropped while booked
        limiter.acquire().await;
        assert_eq!(rt.elapsed(), MS * 100, "the place at 100 ms was given back");
    });
}

#[test]
fn throttle_with_gather_gives_rate_and_concurrency() {
    wrangle_sim::run(4, |rt| async move {
        let limiter = RateLimiter::new(rt.clone(), Quota::per_second(2).unwrap());
        let in_flight = Rc::new(RefCell::new((0usize, 0usize)));
        let calls = (0..6).map(|i| {
            let (timer, in_flight) = (rt.clone(), in_flight.clone());
            limiter.throttle(async move {
                {
                    let mut f = in_flight.borrow_mut();
                    f.0 += 1;
                    f.1 = f.1.max(f.0);
                }
                wrangle_core::sleep(&timer, Duration::from_secs(1)).await;
                in_flight.borrow_mut().0 -= 1;
                i
            })
        });
        let out = wrangle::gather(calls)
            .limit(NonZeroUsize::new(3).unwrap())
            .await;
        assert_eq!(out, [0, 1, 2, 3, 4, 5]);
        // Starts 0.5 s apart and calls of 1 s: two at once, three at the instant one ends and
        // the next starts; never more than the limit.
        assert!(in_flight.borrow().1 <= 3);
        assert_eq!(rt.elapsed(), MS * 3500);
    });
}

#[test]
fn keyed_limits_are_per_key_and_changeable() {
    wrangle_sim::run(5, |rt| async move {
        let q = Quota::with_interval(MS * 500).unwrap();
        let per_host = KeyedRateLimiter::new(rt.clone(), q);
        per_host.acquire("a").await;
        per_host.acquire("b").await;
        assert_eq!(rt.elapsed(), Duration::ZERO);
        // After a 429 from "a": its next request is a full new interval after its last one.
        per_host.set_quota(&"a", q.slowed(2));
        per_host.acquire("a").await;
        assert_eq!(rt.elapsed(), MS * 1000);
        per_host.acquire("b").await; // "b" keeps its own 0.5 s
        assert_eq!(rt.elapsed(), MS * 1000);
        per_host.acquire("a").await;
        assert_eq!(rt.elapsed(), MS * 2000);
        // A key never admitted is free, whatever its quota.
        per_host.set_quota(&"fresh", q.slowed(4));
        per_host.acquire("fresh").await;
        assert_eq!(rt.elapsed(), MS * 2000);
        assert_eq!(per_host.quota(&"a").interval(), MS * 1000);
        assert_eq!(per_host.quota(&"b"), q);
    });
}

#[test]
fn idle_keys_are_evicted_so_memory_stays_bounded() {
    wrangle_sim::run(6, |rt| async move {
        let q = Quota::with_interval(MS * 10).unwrap();
        let limiter = KeyedRateLimiter::new(rt.clone(), q);
        let mut peak = 0;
        // A million distinct keys, 10 new keys every millisecond: at most ~100 are active.
        for i in 0..1_000_000u64 {
            limiter.try_acquire(&i).unwrap();
            if i % 10 == 9 {
                wrangle_core::sleep(&rt, MS).await;
            }
            peak = peak.max(limiter.len());
        }
        assert!(peak <= 2 * 1024 + 200, "the map grew to {peak} keys");
        assert!(limiter.evict_idle() <= 110);
        // A slowed key outlives its idleness for the retention period.
        limiter.set_quota(&u64::MAX, q.slowed(2));
        wrangle_core::sleep(&rt, Duration::from_secs(1)).await;
        limiter.evict_idle();
        assert_eq!(limiter.quota(&u64::MAX).interval(), MS * 20);
        wrangle_core::sleep(&rt, Duration::from_secs(60)).await;
        assert_eq!(limiter.evict_idle(), 0);
    });
}

/// Ten million distinct keys (issue figure, run by hand:
/// `cargo test --release -p wrangle-core --test limit_rate -- --ignored --nocapture`): the map
/// stays bounded by the eviction rule and so does the process's peak memory.
#[test]
#[ignore = "long: ten million keys; run by hand for the figure in BENCHMARKS.md"]
fn ten_million_keys_stay_bounded() {
    wrangle_sim::run(7, |rt| async move {
        let limiter = KeyedRateLimiter::new(rt.clone(), Quota::with_interval(MS * 10).unwrap());
        let mut peak = 0;
        for i in 0..10_000_000u64 {
            limiter.try_acquire(&i).unwrap();
            if i % 10 == 9 {
                wrangle_core::sleep(&rt, MS).await;
            }
            peak = peak.max(limiter.len());
        }
        let hwm = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM"))
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        println!("10 000 000 keys: peak {peak} keys held, {hwm}");
        assert!(peak <= 2 * 1024 + 200);
    });
}

/// Quotas whose `interval × (burst − 1)` passes 2^64 ns (issue 15, defect 3): exactly `burst`
/// admissions, then waiting, for every quota the builder accepts.
#[test]
fn huge_quotas_admit_exactly_the_burst() {
    let day = Duration::from_secs(86_400);
    let cases = [
        (Quota::per(1, day).unwrap().burst(250_000).unwrap(), 250_000),
        (
            Quota::with_interval(Duration::MAX)
                .unwrap()
                .burst(2)
                .unwrap(),
            2,
        ),
        (Quota::with_interval(Duration::MAX).unwrap(), 1),
        (
            Quota::with_interval(Duration::MAX)
                .unwrap()
                .burst(u32::MAX)
                .unwrap(),
            // Not tried to the end: only that the first 100 pass and none is refused early.
            100,
        ),
    ];
    wrangle_sim::run(15, |rt| async move {
        for (quota, burst) in cases {
            let limiter = RateLimiter::new(rt.clone(), quota);
            let keyed = KeyedRateLimiter::new(rt.clone(), quota);
            for i in 0..burst {
                assert!(limiter.try_acquire().is_ok(), "{quota:?}: admission {i}");
                assert!(keyed.try_acquire(&0).is_ok(), "{quota:?}: keyed {i}");
            }
            if quota.burst_size() == burst {
                let err = limiter.try_acquire().unwrap_err();
                assert!(err.retry_after() >= quota.interval().min(day), "{quota:?}");
                assert!(keyed.try_acquire(&0).is_err(), "{quota:?}: keyed");
                // A later key is not held up by the first.
                assert!(keyed.try_acquire(&1).is_ok(), "{quota:?}: other key");
            }
        }
    });
}

/// A waiter whose turn is too far away for the clock waits for good: it must not take "too
/// far" for "now" (issue 15's sweep of `Instant + Duration`).
#[test]
fn a_turn_beyond_the_clock_never_comes() {
    use std::future::Future;
    use std::task::{Context, Waker};

    let sim = wrangle_sim::Sim::new(15);
    let mut cx = Context::from_waker(Waker::noop());
    let quota = Quota::with_interval(Duration::MAX).unwrap();
    let limiter = RateLimiter::new(sim.clone(), quota);
    let keyed = KeyedRateLimiter::new(sim.clone(), quota);
    assert!(
        Box::pin(limiter.acquire())
            .as_mut()
            .poll(&mut cx)
            .is_ready()
    );
    assert!(Box::pin(keyed.acquire(0)).as_mut().poll(&mut cx).is_ready());
    assert!(
        Box::pin(limiter.acquire())
            .as_mut()
            .poll(&mut cx)
            .is_pending()
    );
    assert!(
        Box::pin(keyed.acquire(0))
            .as_mut()
            .poll(&mut cx)
            .is_pending()
    );
    let throttled = limiter.throttle(async { 7 });
    assert!(Box::pin(throttled).as_mut().poll(&mut cx).is_pending());
    sim.shutdown();
}

fn is_static_send<F: std::future::Future + Send + 'static>(f: F) -> F {
    f
}

/// The owning twins (D1): `'static` futures that can be spawned, sharing the schedule with the
/// borrowing ones and keeping their FIFO places.
#[test]
fn owned_futures_are_static_and_share_the_schedule() {
    wrangle_sim::run(31, |rt| async move {
        let limiter = RateLimiter::new(rt.clone(), Quota::per_second(2).unwrap());
        limiter.acquire().await;
        let owned = is_static_send(limiter.acquire_owned());
        rt.spawn(owned).await;
        assert_eq!(rt.elapsed(), MS * 500);
        let throttled = is_static_send(limiter.throttle_owned(async { 7 }));
        assert_eq!(rt.spawn(throttled).await, 7);
        assert_eq!(rt.elapsed(), MS * 1000);

        let keyed = KeyedRateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
        keyed.acquire("a").await;
        rt.spawn(is_static_send(keyed.acquire_owned("a"))).await;
        assert_eq!(rt.elapsed(), MS * 2000);
        // Another key is not held up.
        keyed.acquire_owned("b").await;
        assert_eq!(rt.elapsed(), MS * 2000);
    });
}

/// A dropped owned acquisition gives its place back, as the borrowing one does.
#[test]
fn a_dropped_owned_acquire_gives_its_place_back() {
    wrangle_sim::run(32, |rt| async move {
        let limiter = RateLimiter::new(&rt, Quota::per_second(1).unwrap());
        limiter.try_acquire().unwrap();
        let mut waiting = Box::pin(limiter.acquire_owned());
        assert!(
            futures_lite::future::poll_once(waiting.as_mut())
                .await
                .is_none()
        );
        drop(waiting);
        assert_eq!(limiter.try_acquire().unwrap_err().retry_after(), SECOND_RL);

        let keyed = KeyedRateLimiter::new(&rt, Quota::per_second(1).unwrap());
        keyed.try_acquire(&1).unwrap();
        let mut waiting = Box::pin(keyed.acquire_owned(1));
        assert!(
            futures_lite::future::poll_once(waiting.as_mut())
                .await
                .is_none()
        );
        drop(waiting);
        assert_eq!(keyed.try_acquire(&1).unwrap_err().retry_after(), SECOND_RL);
    });
}

const SECOND_RL: Duration = Duration::from_secs(1);

/// `RateLimited` has no source: its Display is all there is.
#[test]
fn rate_limited_display() {
    use std::error::Error as _;
    wrangle_sim::run(33, |rt| async move {
        let limiter = RateLimiter::new(&rt, Quota::per_second(4).unwrap());
        limiter.try_acquire().unwrap();
        let err = limiter.try_acquire().unwrap_err();
        assert_eq!(err.to_string(), "rate limited: next admission in 250ms");
        assert!(err.source().is_none());
    });
}
