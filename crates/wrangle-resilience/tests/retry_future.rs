//! `retry()` on virtual time: every delay, deadline and count is exact.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use wrangle_core::{Spawn, Timer};
use wrangle_resilience::retry::{
    Classification, FailedAttempt, Jitter, RetryBudget, RetryPolicy, StopReason, retry, retry_with,
};

const MS: Duration = Duration::from_millis(1);

fn s9() -> RetryPolicy {
    RetryPolicy::builder()
        .exponential(MS * 100, 2.0)
        .max_retries(3)
        .build()
        .unwrap()
}

/// S9: a call that always fails: delays 0.1, 0.2, 0.4 s, then the last error, 4 attempts.
#[test]
fn s9_always_failing() {
    wrangle_sim::run(1, |rt| async move {
        let delays = RefCell::new(Vec::new());
        let starts = RefCell::new(Vec::new());
        let policy = s9();
        let err = retry(&rt, &policy, |attempt| {
            starts.borrow_mut().push(rt.elapsed());
            async move { Err::<(), _>(format!("failure {}", attempt.number())) }
        })
        .before_sleep(|_: &FailedAttempt<String>, _: &_, d| delays.borrow_mut().push(d))
        .await
        .unwrap_err();
        assert_eq!(delays.into_inner(), [MS * 100, MS * 200, MS * 400]);
        assert_eq!(
            starts.into_inner(),
            [Duration::ZERO, MS * 100, MS * 300, MS * 700]
        );
        assert_eq!(err.attempts(), 4);
        assert_eq!(err.reason(), StopReason::Exhausted);
        assert_eq!(err.last_error().map(String::as_str), Some("failure 4"));
        assert_eq!(err.total_delay(), MS * 700);
        assert_eq!(rt.elapsed(), MS * 700);
        // Display is this layer only: the last error is the source, never repeated here.
        assert_eq!(
            err.to_string(),
            "retry gave up after 4 attempts in 700ms (retries exhausted)"
        );
    });
}

/// S9: fails twice, then succeeds: the value after 0.3 s, with 3 attempts.
#[test]
fn s9_fails_twice_then_succeeds() {
    wrangle_sim::run(2, |rt| async move {
        let policy = s9();
        let (value, stats) = retry(&rt, &policy, |attempt| async move {
            if attempt.number() <= 2 {
                Err("flaky")
            } else {
                Ok(42)
            }
        })
        .with_stats()
        .await
        .unwrap();
        assert_eq!(value, 42);
        assert_eq!(stats.attempts(), 3);
        assert_eq!(stats.total_delay(), MS * 300);
        assert_eq!(stats.elapsed(), MS * 300);
        assert_eq!(rt.elapsed(), MS * 300);
    });
}

/// Attempts that take time count toward elapsed; `Attempt` reports it and the previous delay.
#[test]
fn attempt_carries_elapsed_and_previous_delay() {
    wrangle_sim::run(3, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(MS * 50)
            .max_retries(2)
            .build()
            .unwrap();
        let seen = RefCell::new(Vec::new());
        let err = retry(&rt, &policy, |attempt| {
            seen.borrow_mut().push((
                attempt.number(),
                attempt.elapsed(),
                attempt.previous_delay(),
            ));
            let timer = rt.clone();
            async move {
                wrangle_core::sleep(&timer, MS * 10).await;
                Err::<(), _>(())
            }
        })
        .with_stats()
        .await
        .unwrap_err();
        assert_eq!(
            seen.into_inner(),
            [
                (1, Duration::ZERO, None),
                (2, MS * 60, Some(MS * 50)),
                (3, MS * 120, Some(MS * 50))
            ]
        );
        assert_eq!(err.elapsed(), MS * 130);
    });
}

/// Full, equal and decorrelated jitter stay within their documented bounds, and the same seed
/// gives the same delays.
#[test]
fn jitter_bounds_and_reproducibility() {
    let run = |seed: u64, jitter: Jitter| {
        wrangle_sim::run(seed, move |rt| async move {
            let policy = RetryPolicy::builder()
                .exponential(MS * 100, 2.0)
                .max_delay(MS * 1000)
                .max_retries(8)
                .jitter(jitter)
                .build()
                .unwrap();
            let delays = RefCell::new(Vec::new());
            let _ = retry(&rt, &policy, |_| async { Err::<(), _>(()) })
                .before_sleep(|_: &FailedAttempt<()>, _: &_, d| delays.borrow_mut().push(d))
                .await;
            delays.into_inner()
        })
    };
    for seed in 0..20 {
        let full = run(seed, Jitter::Full);
        let equal = run(seed, Jitter::Equal);
        let decorrelated = run(seed, Jitter::Decorrelated);
        for (k, d) in full.iter().enumerate() {
            let base = (MS * 100 * 2u32.pow(k as u32)).min(MS * 1000);
            assert!(*d <= base, "full jitter {d:?} above {base:?}");
            assert!(
                equal[k] >= base / 2 && equal[k] <= base,
                "equal jitter {:?}",
                equal[k]
            );
        }
        let mut prev = MS * 100;
        for d in &decorrelated {
            assert!(
                *d >= MS * 100 && *d <= (prev * 3).min(MS * 1000),
                "decorrelated {d:?}"
            );
            prev = *d;
        }
        assert_eq!(full, run(seed, Jitter::Full), "same seed, same delays");
    }
    assert_ne!(
        run(1, Jitter::Full),
        run(2, Jitter::Full),
        "seeds should differ"
    );
}

/// A server's Retry-After sets the next delay, capped by the maximum delay.
#[test]
fn retry_after_is_honoured_and_capped() {
    wrangle_sim::run(4, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(MS * 10)
            .max_delay(MS * 2000)
            .build()
            .unwrap();
        let delays = RefCell::new(Vec::new());
        let hints = [MS * 500, MS * 5000];
        let value = retry(&rt, &policy, |attempt| async move {
            match attempt.number() {
                1 | 2 => Err(hints[attempt.number() as usize - 1]),
                _ => Ok("ok"),
            }
        })
        .classify(|hint: &Duration| Classification::RetryAfter(*hint))
        .before_sleep(|_: &FailedAttempt<Duration>, _: &_, d| delays.borrow_mut().push(d))
        .await
        .unwrap();
        assert_eq!(value, "ok");
        assert_eq!(delays.into_inner(), [MS * 500, MS * 2000]);
        assert_eq!(rt.elapsed(), MS * 2500);
    });
}

/// A Retry-After beyond the deadline stops the call instead of sleeping into it.
#[test]
fn retry_after_beyond_deadline_stops() {
    wrangle_sim::run(5, |rt| async move {
        let policy = RetryPolicy::builder().deadline(MS * 1000).build().unwrap();
        let err = retry(&rt, &policy, |_| async { Err::<(), _>(()) })
            .classify(|_: &()| Classification::RetryAfter(MS * 5000))
            .await
            .unwrap_err();
        assert_eq!(err.reason(), StopReason::Deadline);
        assert_eq!(err.attempts(), 1);
        assert_eq!(rt.elapsed(), Duration::ZERO);
    });
}

/// The total deadline counts attempt time too: an attempt running at the deadline is dropped.
#[test]
fn deadline_cuts_the_running_attempt() {
    wrangle_sim::run(6, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(MS * 500)
            .max_retries(10)
            .deadline(MS * 2500)
            .build()
            .unwrap();
        let dropped = Arc::new(AtomicUsize::new(0));
        let err = retry(&rt, &policy, |_| {
            let timer = rt.clone();
            let guard = DropCount(dropped.clone());
            async move {
                let _guard = guard;
                wrangle_core::sleep(&timer, MS * 1200).await;
                Err::<(), _>("slow failure")
            }
        })
        .await
        .unwrap_err();
        // attempt [0, 1.2], sleep [1.2, 1.7], attempt [1.7, 2.5) cut at the deadline.
        assert_eq!(rt.elapsed(), MS * 2500);
        assert_eq!(err.reason(), StopReason::Deadline);
        assert!(err.timed_out());
        assert_eq!(err.attempts(), 2);
        assert_eq!(err.elapsed(), MS * 2500);
        assert_eq!(dropped.load(Ordering::SeqCst), 2, "both attempts dropped");
    });
}

/// A per-attempt timeout drops a hung attempt and counts as a transient failure.
#[test]
fn attempt_timeout_drops_hung_attempts() {
    wrangle_sim::run(7, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(MS * 100)
            .max_retries(2)
            .attempt_timeout(MS * 1000)
            .build()
            .unwrap();
        let alive = Arc::new(AtomicUsize::new(0));
        let err = retry(&rt, &policy, |_| {
            let guard = DropCount(alive.clone());
            async move {
                let _guard = guard;
                std::future::pending::<Result<(), ()>>().await
            }
        })
        .await
        .unwrap_err();
        assert!(err.timed_out());
        assert_eq!(err.reason(), StopReason::Exhausted);
        assert_eq!(err.attempts(), 3);
        assert_eq!(rt.elapsed(), MS * 3200);
        assert_eq!(
            alive.load(Ordering::SeqCst),
            3,
            "every hung attempt was dropped"
        );
    });
}

/// A ready attempt wins even when its timeout is already due.
#[test]
fn ready_attempt_beats_its_timeout() {
    wrangle_sim::run(8, |rt| async move {
        let policy = RetryPolicy::builder()
            .attempt_timeout(Duration::from_nanos(1))
            .build()
            .unwrap();
        assert_eq!(
            retry(&rt, &policy, |_| async { Ok::<_, ()>(1) })
                .await
                .unwrap(),
            1
        );
    });
}

/// A predicate decides what is retryable; a permanent error stops at once.
#[test]
fn permanent_errors_stop_at_once() {
    wrangle_sim::run(9, |rt| async move {
        let policy = s9();
        let err = retry(&rt, &policy, |a| async move {
            Err::<(), _>(if a.number() == 1 { 503 } else { 404 })
        })
        .when(|status: &u16| *status >= 500)
        .await
        .unwrap_err();
        assert_eq!(err.reason(), StopReason::Permanent);
        assert_eq!(err.attempts(), 2);
        assert_eq!(err.last_error(), Some(&404));
        assert_eq!(rt.elapsed(), MS * 100);
    });
}

/// The shared budget stops retries once spent, and successes refill it.
#[test]
fn budget_exhaustion() {
    wrangle_sim::run(10, |rt| async move {
        let budget = RetryBudget::new(2, 0.5);
        let policy = RetryPolicy::builder()
            .constant(MS)
            .max_retries(10)
            .budget(budget.clone())
            .build()
            .unwrap();
        let err = retry(&rt, &policy, |_| async { Err::<(), _>(()) })
            .await
            .unwrap_err();
        assert_eq!(err.reason(), StopReason::Budget);
        assert_eq!(err.attempts(), 3, "two retries from the budget");
        assert_eq!(budget.available(), 0);
        for _ in 0..4 {
            retry(&rt, &policy, |_| async { Ok::<_, ()>(()) })
                .await
                .unwrap();
        }
        assert_eq!(budget.available(), 2, "four successes earn two retries");
    });
}

/// One policy serves many concurrent calls; each keeps its own counters.
#[test]
fn one_policy_many_concurrent_calls() {
    wrangle_sim::run(11, |rt| async move {
        let policy = Arc::new(s9());
        let tasks: Vec<_> = (0..10u32)
            .map(|i| {
                // Owned parts (a handle clone, an `Arc` of the policy): a `'static` future.
                rt.spawn(retry(rt.clone(), policy.clone(), move |a| async move {
                    if a.number() <= i % 4 {
                        Err(())
                    } else {
                        Ok(a.number())
                    }
                }))
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let expected = (i as u32 % 4) + 1;
            assert_eq!(task.await.unwrap(), expected);
        }
        assert_eq!(rt.elapsed(), MS * 700);
    });
}

/// Huge retry counts saturate rather than overflow.
#[test]
fn huge_retry_counts_saturate() {
    wrangle_sim::run(12, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(Duration::ZERO)
            .max_retries(u32::MAX)
            .build()
            .unwrap();
        let n = retry(&rt, &policy, |a| async move {
            if a.number() < 5000 {
                Err(())
            } else {
                Ok(a.number())
            }
        })
        .await
        .unwrap();
        assert_eq!(n, 5000);
        let policy = RetryPolicy::builder()
            .exponential(MS, 10.0)
            .max_delay(Duration::from_secs(60))
            .max_retries(50)
            .build()
            .unwrap();
        let err = retry(&rt, &policy, |_| async { Err::<(), _>(()) })
            .await
            .unwrap_err();
        assert_eq!(err.attempts(), 51);
        assert!(err.total_delay() <= Duration::from_secs(60) * 50);
    });
}

/// `retry_with` threads an owned context through the attempts, and gives it back.
#[test]
fn retry_with_threads_context() {
    wrangle_sim::run(13, |rt| async move {
        let policy = s9();
        let (ctx, outcome) = retry_with(&rt, &policy, Vec::<u32>::new(), |mut log, a| async move {
            log.push(a.number());
            (
                log,
                if a.number() < 3 {
                    Err("again")
                } else {
                    Ok("done")
                },
            )
        })
        .await;
        assert_eq!(outcome.unwrap(), "done");
        assert_eq!(ctx.unwrap(), [1, 2, 3]);

        // A timed-out attempt takes the context with it: the call stops there.
        let policy = RetryPolicy::builder()
            .attempt_timeout(MS * 10)
            .build()
            .unwrap();
        let (ctx, outcome) = retry_with(&rt, &policy, String::from("conn"), |c, _| async move {
            std::future::pending::<()>().await;
            (c, Ok::<(), ()>(()))
        })
        .await;
        assert!(ctx.is_none());
        let err = outcome.unwrap_err();
        assert!(err.timed_out());
        assert_eq!(err.attempts(), 2);
    });
}

/// Bad configuration is rejected where the policy is built, with the reason.
#[test]
fn invalid_policies_are_rejected() {
    let b = RetryPolicy::builder;
    let cases = [
        (b().exponential(MS, 0.5).build(), "factor"),
        (b().exponential(MS, f64::NAN).build(), "factor"),
        (
            b().constant(MS * 10).max_delay(MS).build(),
            "above the maximum delay",
        ),
        (b().deadline(Duration::ZERO).build(), "zero deadline"),
        (
            b().attempt_timeout(Duration::ZERO).build(),
            "zero per-attempt timeout",
        ),
    ];
    for (built, reason) in cases {
        let err = built.unwrap_err();
        assert!(
            err.to_string().contains(reason),
            "{err} should mention {reason}"
        );
    }
    let p = b()
        .deadline(Duration::MAX)
        .attempt_timeout(Duration::MAX)
        .build()
        .unwrap();
    assert_eq!(p.deadline(), None);
    assert_eq!(p.attempt_timeout(), None);
}

/// A first-attempt success reads no clock unless asked to.
#[test]
fn first_success_reads_no_clock() {
    #[derive(Clone)]
    struct Counting(wrangle_sim::Sim, Arc<AtomicUsize>);
    impl Timer for Counting {
        type Sleep = <wrangle_sim::Sim as Timer>::Sleep;
        fn sleep_until(&self, d: std::time::Instant) -> Self::Sleep {
            self.0.sleep_until(d)
        }
        fn now(&self) -> std::time::Instant {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.now()
        }
        fn random_u64(&self) -> u64 {
            self.0.random_u64()
        }
    }
    wrangle_sim::run(14, |rt| async move {
        let reads = Arc::new(AtomicUsize::new(0));
        let timer = Counting(rt, reads.clone());
        let policy = s9();
        retry(&timer, &policy, |_| async { Ok::<_, ()>(()) })
            .await
            .unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 0);
        retry(&timer, &policy, |_| async { Ok::<_, ()>(()) })
            .with_stats()
            .await
            .unwrap();
        assert_eq!(
            reads.load(Ordering::SeqCst),
            2,
            "start and end, for the statistics"
        );
    });
}

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Zero delays retry at once, but not forever in one poll: after 32 retries the retry yields
/// (wakes itself, returns `Pending`), so other tasks on the thread get to run.
#[test]
fn zero_delay_retries_yield_to_the_executor() {
    use std::future::Future;
    use std::task::{Context, Poll, Wake, Waker};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let sim = wrangle_sim::Sim::new(1);
    let policy = RetryPolicy::builder()
        .constant(Duration::ZERO)
        .max_retries(u32::MAX)
        .build()
        .unwrap();
    let attempts = AtomicUsize::new(0);
    let mut fut = Box::pin(retry(&sim, &policy, |_| {
        attempts.fetch_add(1, Ordering::SeqCst);
        async { Err::<(), _>("down") }
    }));
    let wakes = Arc::new(Count(AtomicUsize::new(0)));
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    for poll in 1..=3 {
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // The first attempt, then 32 retries made per poll (the last one polled next time).
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            1 + 32 * poll,
            "poll {poll}"
        );
        assert_eq!(wakes.0.load(Ordering::SeqCst), poll, "poll {poll}");
    }
    // A policy with a handful of zero-delay retries still finishes in one poll.
    let few = RetryPolicy::builder()
        .constant(Duration::ZERO)
        .max_retries(5)
        .build()
        .unwrap();
    let mut fut = Box::pin(retry(&sim, &few, |_| async { Err::<(), _>("down") }));
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(Err(e)) => assert_eq!(e.attempts(), 6),
        other => panic!("expected the error in one poll, got {other:?}"),
    }
    sim.shutdown();
}

/// A timer whose sleeps are over when first polled, as a 1 ns sleep is on smol and
/// async-std: tiny non-zero delays must not keep the thread either (issue 15, defect 6).
#[derive(Clone)]
struct AlwaysPast(wrangle_sim::Sim);
impl Timer for AlwaysPast {
    type Sleep = std::future::Ready<()>;
    fn sleep_until(&self, _: std::time::Instant) -> Self::Sleep {
        std::future::ready(())
    }
    fn now(&self) -> std::time::Instant {
        self.0.now()
    }
    fn random_u64(&self) -> u64 {
        self.0.random_u64()
    }
}

/// Attempts per poll stay bounded (the first of the poll plus 32 retries) whatever the delay:
/// a constant 1 ns, and full jitter, which draws nanosecond (and zero) delays.
#[test]
fn tiny_delay_retries_yield_to_the_executor() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let sim = wrangle_sim::Sim::new(15);
    let timer = AlwaysPast(sim.clone());
    let constant = RetryPolicy::builder()
        .constant(Duration::from_nanos(1))
        .max_retries(1000)
        .build()
        .unwrap();
    let jittered = RetryPolicy::builder()
        .exponential(Duration::from_nanos(1), 1.0)
        .jitter(Jitter::Full)
        .max_retries(1000)
        .build()
        .unwrap();
    for policy in [constant, jittered] {
        let attempts = AtomicUsize::new(0);
        let mut fut = Box::pin(retry(&timer, &policy, |_| {
            attempts.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>("down") }
        }));
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        let err = loop {
            let before = attempts.load(Ordering::SeqCst);
            let out = fut.as_mut().poll(&mut cx);
            polls += 1;
            let made = attempts.load(Ordering::SeqCst) - before;
            assert!(made <= 33, "{made} attempts in poll {polls} ({policy:?})");
            if let Poll::Ready(r) = out {
                break r.unwrap_err();
            }
        };
        assert_eq!(err.attempts(), 1001);
        assert!(polls >= 1001 / 33, "{polls} polls");
    }
    sim.shutdown();
}

/// The timeout-inside-retry trap (issue 16): with the policy's attempt timeout, a failed
/// attempt and a slow one are both retried. (The nested form, an attempt wrapped in a timeout
/// of its own, does not compile: the `compile_fail` example in the `retry` module docs.)
#[test]
fn attempt_timeout_retries_failed_and_slow_attempts_alike() {
    wrangle_sim::run(16, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(MS * 10)
            .attempt_timeout(Duration::from_secs(1))
            .max_retries(10)
            .build()
            .unwrap();
        let rt = &rt;
        let (value, stats) = retry(rt, &policy, |a| async move {
            match a.number() % 2 {
                // Fails fast.
                1 if a.number() < 7 => Err("refused"),
                // Hangs past the attempt timeout.
                0 => {
                    wrangle_core::sleep(rt, Duration::from_secs(60)).await;
                    Ok(0)
                }
                _ => Ok(a.number()),
            }
        })
        .with_stats()
        .await
        .unwrap();
        assert_eq!(value, 7, "every failure and every timeout was retried");
        assert_eq!(stats.attempts(), 7);
        // Three attempts of 1 s cut, six delays of 10 ms.
        assert_eq!(rt.elapsed(), Duration::from_secs(3) + MS * 60);
    });
}

/// The flattened form the docs show, for a timeout of each attempt's own: `?` turns both
/// the inner error and `Elapsed` into one error, and both are retried.
#[test]
fn a_flattened_attempt_timeout_retries_both_errors() {
    #[derive(Debug, PartialEq)]
    enum CallError {
        Refused,
        TimedOut,
    }
    impl From<wrangle_core::Elapsed> for CallError {
        fn from(_: wrangle_core::Elapsed) -> Self {
            CallError::TimedOut
        }
    }
    wrangle_sim::run(17, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(Duration::ZERO)
            .build()
            .unwrap();
        let seen = RefCell::new(Vec::new());
        let rt = &rt;
        let value = retry(rt, &policy, |a| async move {
            let call = async move {
                match a.number() {
                    1 => Err(CallError::Refused),
                    2 => {
                        wrangle_core::sleep(rt, Duration::from_secs(60)).await;
                        Ok(0)
                    }
                    n => Ok(n),
                }
            };
            wrangle_core::timeout(rt, Duration::from_secs(1), call).await?
        })
        .before_sleep(|f: &FailedAttempt<CallError>, _: &_, _| {
            seen.borrow_mut().push(f.error().map(|e| format!("{e:?}")))
        })
        .await
        .unwrap();
        assert_eq!(value, 3);
        assert_eq!(
            seen.into_inner(),
            [Some("Refused".to_string()), Some("TimedOut".to_string())]
        );
    });
}

/// Owned parts make a `'static`, `Send` future (D1): it can be spawned; borrowed parts work
/// too, and a policy can be passed by value or behind an `Arc`.
#[test]
fn owned_and_borrowed_parts() {
    fn is_static_send<F: std::future::Future + Send + 'static>(f: F) -> F {
        f
    }
    wrangle_sim::run(18, |rt| async move {
        let owned = is_static_send(retry(rt.clone(), s9(), |a| async move {
            if a.is_first() { Err(()) } else { Ok(1) }
        }));
        assert_eq!(rt.spawn(owned).await, Ok(1));
        let arc = Arc::new(s9());
        let shared = is_static_send(retry(rt.clone(), arc.clone(), |_| async { Ok::<_, ()>(2) }));
        assert_eq!(shared.await, Ok(2));
        let policy = s9();
        assert_eq!(
            retry(&rt, &policy, |_| async { Ok::<_, ()>(3) }).await,
            Ok(3)
        );
        // The method form owns a clone of the handle.
        use wrangle_resilience::RetryExt as _;
        let method = is_static_send(rt.retry(s9(), |_| async { Ok::<_, ()>(4) }));
        assert_eq!(rt.spawn(method).await, Ok(4));
        let with = is_static_send(wrangle_resilience::retry::retry_with(
            rt.clone(),
            s9(),
            0u32,
            |n, _| async move { (n + 1, Ok::<_, ()>(n)) },
        ));
        assert_eq!(with.await, (Some(1), Ok(0)));
    });
}

/// Configure, then run (D3): the futures with configuration methods are `!Unpin`, so once
/// polled (pinned) they cannot be moved into a configuration method.
#[test]
fn configurable_futures_are_not_unpin() {
    trait NotUnpin<A> {}
    impl<T: ?Sized> NotUnpin<()> for T {}
    impl<T: ?Sized + Unpin> NotUnpin<u8> for T {}
    fn assert_not_unpin<T, A>(_: &T)
    where
        T: NotUnpin<A>,
    {
    }
    wrangle_sim::run(19, |rt| async move {
        let policy = s9();
        let r = retry(&rt, &policy, |_| async { Ok::<_, ()>(()) });
        // Ambiguous (and so a compile error) if `Retry` were `Unpin`.
        assert_not_unpin(&r);
        let r = r.with_stats();
        assert_not_unpin(&r);
        let w = wrangle_resilience::retry::retry_with(&rt, &policy, (), |c, _| async move {
            (c, Ok::<_, ()>(()))
        });
        assert_not_unpin(&w);
        let _ = (r.await, w.await);
    });
}

/// Display is each error's own layer; the source chain carries the rest (D4).
#[test]
fn retry_error_display_does_not_repeat_the_source() {
    use std::error::Error as _;
    wrangle_sim::run(20, |rt| async move {
        let policy = RetryPolicy::builder()
            .constant(MS)
            .max_retries(1)
            .build()
            .unwrap();
        let err = retry(&rt, &policy, |_| async {
            Err::<(), _>(std::io::Error::other("connection refused"))
        })
        .await
        .unwrap_err();
        let shown = err.to_string();
        assert_eq!(
            shown,
            "retry gave up after 2 attempts in 1ms (retries exhausted)"
        );
        assert!(!shown.contains("connection refused"));
        assert_eq!(err.source().unwrap().to_string(), "connection refused");

        let hung = RetryPolicy::builder()
            .constant(MS)
            .max_retries(0)
            .attempt_timeout(MS * 5)
            .build()
            .unwrap();
        let err = retry(&rt, &hung, |_| {
            std::future::pending::<Result<(), std::io::Error>>()
        })
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "retry gave up after 1 attempt in 5ms (retries exhausted): the last attempt timed out"
        );
        assert!(err.source().is_none());
    });
}
