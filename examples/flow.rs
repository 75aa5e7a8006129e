//! Flow control: docs/scenarios.md S10 (circuit breaker), S11 (polite crawler, against an
//! in-process fake server) and S12 (producer and consumers), on every runtime.
//!
//! ```text
//! cargo run --example flow --features full                         # every runtime
//! cargo run --example flow --features full -- --runtime async-std --scale 0.2
//! ```
//!
//! - S10: 3 consecutive failures open the breaker for 5 s; a success resets the count; while
//!   open, calls fail at once without reaching the service; after 5 s one trial call goes
//!   through, and its success closes the breaker.
//! - S11: eight URLs on three hosts, at most 3 in flight, at least 0.5 s between two requests
//!   to one host; host `b` answers its first request with 429 and Retry-After 1 s: its spacing
//!   doubles and the request is retried with backoff and jitter. (`crawler.rs` does the same
//!   over real HTTP.)
//! - S12: a queue of 5, one producer of 20 items (one every 0.1 s), three consumers of 0.5 s
//!   an item: the queue fills, the producer waits, the last item is done at 3.6 s.
//!
//! The breaker, the per-host rate limiter and retry are `wrangle::{breaker, rate, retry}`; each
//! borrows the runtime (`build(rt)`, `KeyedRateLimiter::new(rt, ..)`, `retry(rt, ..)`), as
//! nothing of them outlives the scenario. Durations are scaled by `--scale` (default 0.1);
//! under `sim` the figures are exact. The program exits non-zero when a figure is off.

mod common;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Env, Report};
use wrangle::breaker::{BreakerState, CircuitBreaker};
use wrangle::rate::{KeyedRateLimiter, Quota};
use wrangle::retry::{Classification, FailedAttempt, Jitter, RetryPolicy, retry};
use wrangle::{Runtime, Spawn, Timer, TimerExt};

fn s10_circuit_breaker(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(3)
            .cooldown(env.secs(5.0))
            .on_state_change(|from, to| println!("  S10: breaker {from:?} -> {to:?}"))
            .build(rt)
            .expect("S10's breaker is valid");
        let reached = Cell::new(0);
        let service = |ok: bool| {
            reached.set(reached.get() + 1);
            async move { if ok { Ok("200") } else { Err("503") } }
        };
        for ok in [false, false, true, false, false] {
            let _ = breaker.call(service(ok)).await;
        }
        report.equal(
            env,
            "S10 fail, fail, ok, fail, fail: state",
            BreakerState::Closed,
            breaker.state(),
        );
        let _ = breaker.call(service(false)).await;
        report.equal(
            env,
            "S10 third failure in a row: state",
            BreakerState::Open,
            breaker.state(),
        );
        let opened = rt.now();

        let before = reached.get();
        let mut refused = 0;
        for _ in 0..10 {
            if let Err(e) = breaker.call(async { Ok::<_, &str>("never") }).await {
                refused += usize::from(e.is_open());
            }
        }
        let took = rt.now() - opened;
        println!("  S10: while open, 10 calls refused at once; the service was not reached");
        report.equal(
            env,
            "S10 while open: refused, reached the service",
            (10, 0),
            (refused, reached.get() - before),
        );
        report.took(env, "S10 while open: 10 refusals took", 0.0, took);

        wrangle::sleep_until(rt, opened + env.secs(5.0)).await;
        match breaker.try_enter() {
            Ok(trial) => {
                let second = breaker.try_enter().is_err();
                println!("  S10: after 5 s, one trial call goes through; it succeeds");
                report.equal(
                    env,
                    "S10 after 5 s: a trial, a second caller refused",
                    (true, true),
                    (trial.is_trial(), second),
                );
                trial.success();
            }
            Err(e) => {
                report.check(env, "S10 after 5 s: a trial", "a trial", e, false);
            }
        }
        report.equal(
            env,
            "S10 after the trial: state",
            BreakerState::Closed,
            breaker.state(),
        );
    });
}

/// What the crawler counts.
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

fn s11_polite_crawler(env: &Env, report: &mut Report) {
    let rt = &env.rt;
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
    rt.block_on(async {
        let begin = rt.now();
        let spacing = Quota::with_interval(env.secs(0.5)).expect("0.5 s is a valid spacing");
        let per_host = KeyedRateLimiter::new(rt, spacing);
        let policy = RetryPolicy::builder()
            .exponential(env.secs(0.1), 2.0)
            .jitter(Jitter::Full)
            .max_retries(3)
            .build()
            .expect("S11's policy is valid");
        let stats = RefCell::new(Stats::default());
        let throttled = RefCell::new(vec!["b"]);
        let fetch = |host: &'static str, page: u32| {
            let (per_host, policy, stats, throttled) = (&per_host, &policy, &stats, &throttled);
            async move {
                retry(rt, policy, |_| async move {
                    per_host.acquire(host).await;
                    {
                        let mut s = stats.borrow_mut();
                        s.requests += 1;
                        s.in_flight += 1;
                        s.peak = s.peak.max(s.in_flight);
                        s.starts.entry(host).or_default().push(rt.now() - begin);
                    }
                    // The fake server: 0.2 s a request; host b's first answer is a 429.
                    wrangle::sleep(rt, env.secs(0.2)).await;
                    stats.borrow_mut().in_flight -= 1;
                    let first_of_throttled = {
                        let mut t = throttled.borrow_mut();
                        t.iter().position(|h| *h == host).map(|i| t.remove(i))
                    };
                    match first_of_throttled {
                        None => {
                            println!("  S11: GET {host}/{page}: 200");
                            Ok(format!("{host}/{page}"))
                        }
                        Some(_) => {
                            println!("  S11: GET {host}/{page}: 429, Retry-After 1 s; {host}'s spacing doubles");
                            stats.borrow_mut().rate_limited += 1;
                            per_host.set_quota(&host, spacing.slowed(2));
                            Err(env.secs(1.0))
                        }
                    }
                })
                .classify(|after: &Duration| Classification::RetryAfter(*after))
                .before_sleep(|_: &FailedAttempt<Duration>, _: &_, _| stats.borrow_mut().retries += 1)
                .await
            }
        };
        let pages = wrangle::gather(urls.iter().map(|&(h, p)| fetch(h, p)))
            .limit(3)
            .await;
        let took = rt.now() - begin;
        let mut s = stats.into_inner();
        for page in &pages {
            if page.is_ok() {
                s.successful += 1;
            } else {
                s.failed += 1;
            }
        }
        println!(
            "  S11: requests {}, successful {}, failed {}, retries {}, rate-limited {}, peak in \
             flight {}, {:.3} s",
            s.requests, s.successful, s.failed, s.retries, s.rate_limited, s.peak,
            env.scenario(took)
        );
        report.equal(
            env,
            "S11 requests, successful, failed, retries, rate-limited",
            (9, 8, 0, 1, 1),
            (s.requests, s.successful, s.failed, s.retries, s.rate_limited),
        );
        report.at_most(env, "S11 peak in flight", 3, s.peak);
        // Spacing, in scenario seconds. On a real clock a start is recorded a little after the
        // limiter let it through, and on a loaded 2-core machine that wake-up can be several
        // milliseconds late, so two recorded starts may be closer than the limiter's spacing:
        // 10 ms of real slack (a CI run once saw 2.5 ms). Under sim the check is exact.
        let slack = if env.exact() { 0.0 } else { 0.010 / env.scale };
        let min_gap = |host: &str| {
            s.starts[host]
                .windows(2)
                .map(|p| env.scenario(p[1] - p[0]))
                .fold(f64::INFINITY, f64::min)
        };
        for host in ["a", "c"] {
            let gap = min_gap(host);
            report.check(
                env,
                &format!("S11 host {host}: smallest gap between requests"),
                ">= 0.500 s",
                format!("{gap:.3} s"),
                gap >= 0.5 - slack,
            );
        }
        let gap = min_gap("b");
        report.check(
            env,
            "S11 host b (after its 429): smallest gap",
            ">= 1.000 s",
            format!("{gap:.3} s"),
            gap >= 1.0 - slack,
        );
        report.equal(
            env,
            "S11 results in input order",
            Some("b/1"),
            pages[3].as_deref().ok(),
        );
    });
}

fn s12_producer_and_consumers(env: &Env, report: &mut Report) {
    let rt = &env.rt;
    rt.block_on(async {
        let start = rt.now();
        let (tx, rx) = async_channel::bounded::<u32>(5);
        let max_queued = Arc::new(Mutex::new(0usize));
        // The producer and each consumer are tasks that sleep again and again (and a consumer
        // reads the clock): each keeps a handle of its own.
        let producer = {
            let (handle, max_queued, step) = (rt.clone(), max_queued.clone(), env.secs(0.1));
            rt.spawn(async move {
                for item in 0..20 {
                    if item > 0 {
                        handle.sleep(step).await;
                    }
                    if tx.send(item).await.is_err() {
                        break;
                    }
                    let mut m = max_queued.lock().expect("no panics while held");
                    *m = (*m).max(tx.len());
                }
                // Dropping the sender closes the queue: that stops the consumers.
            })
        };
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let (rx, handle, work) = (rx.clone(), rt.clone(), env.secs(0.5));
                rt.spawn(async move {
                    let (mut handled, mut last_done) = (0, None);
                    while let Ok(_item) = rx.recv().await {
                        handle.sleep(work).await;
                        handled += 1;
                        last_done = Some(handle.now());
                    }
                    (handled, last_done)
                })
            })
            .collect();
        producer.await;
        let mut handled = Vec::new();
        let mut last = start;
        for c in consumers {
            let (n, done) = c.await;
            handled.push(n);
            last = last.max(done.unwrap_or(start));
        }
        let max_queued = *max_queued.lock().expect("no panics while held");
        println!(
            "  S12: consumers handled {handled:?} items; at most {max_queued} queued; last done \
             at {:.3} s; queue closed, consumers stopped",
            env.scenario(last - start)
        );
        handled.sort_unstable();
        if env.exact() {
            report.equal(env, "S12 items per consumer", vec![6, 7, 7], handled);
        } else {
            // On a real clock, ties between the producer and a consumer break either way.
            let total: u32 = handled.iter().sum();
            report.check(
                env,
                "S12 items per consumer (sum 20)",
                "[6, 7, 7]",
                format!("{handled:?}"),
                total == 20,
            );
        }
        if env.exact() {
            report.equal(
                env,
                "S12 most items queued (the queue filled)",
                5,
                max_queued,
            );
        } else {
            // Whether a real, scaled-down producer gets ahead enough to fill it is timing.
            report.at_most(env, "S12 most items queued", 5, max_queued);
        }
        report.took(env, "S12 last item done", 3.6, last - start);
    });
}

fn main() -> ExitCode {
    common::run_each("flow", 0.1, true, |env, report| {
        s10_circuit_breaker(env, report);
        s11_polite_crawler(env, report);
        s12_producer_and_consumers(env, report);
    })
}
