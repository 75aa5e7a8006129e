//! The retry rules of the contract: delays, deadlines and timeouts as the policy says, on the
//! runtime's own clock. Re-exported from [`cases`](crate::cases).

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use wrangle_core::{Runtime, Spawn, Timer};
use wrangle_resilience::retry::{
    Classification, FailedAttempt, RetryPolicy, StopReason, retry, retry_blocking_on,
};

use crate::Harness;
use crate::support::Alive;

const MS: Duration = Duration::from_millis(1);

/// A call that always fails: the delays are exactly the policy's (10, 20, 40 ms), the attempt
/// count is `max_retries + 1`, and the time taken is their sum, never less.
pub fn retry_delays_follow_policy<H: Harness>() {
    let rt = H::make();
    let policy = RetryPolicy::builder()
        .exponential(MS * 10, 2.0)
        .max_retries(3)
        .build()
        .unwrap();
    rt.block_on(async {
        let delays = RefCell::new(Vec::new());
        let start = rt.now();
        let err = retry(&rt, &policy, |_| async { Err::<(), _>("down") })
            .before_sleep(|_: &FailedAttempt<&str>, _: &_, d| delays.borrow_mut().push(d))
            .await
            .unwrap_err();
        let took = rt.now() - start;
        assert_eq!(delays.into_inner(), [MS * 10, MS * 20, MS * 40]);
        assert_eq!((err.attempts(), err.reason()), (4, StopReason::Exhausted));
        assert_eq!(err.total_delay(), MS * 70);
        assert!(
            took >= MS * 70 && took <= MS * 70 + H::SLACK,
            "took {took:?}"
        );
    });
}

/// The total deadline counts attempt time: an attempt running at the deadline is dropped and
/// the call stops there.
pub fn retry_deadline_counts_attempt_time<H: Harness>() {
    let rt = H::make();
    let policy = RetryPolicy::builder()
        .constant(MS * 5)
        .max_retries(100)
        .deadline(MS * 50)
        .build()
        .unwrap();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let start = rt.now();
        let err = retry(&rt, &policy, |_| {
            let (timer, guard) = (rt.clone(), Alive::new(&alive));
            async move {
                let _guard = guard;
                wrangle_core::sleep(&timer, MS * 30).await;
                Err::<(), _>("slow")
            }
        })
        .await
        .unwrap_err();
        let took = rt.now() - start;
        assert_eq!(err.reason(), StopReason::Deadline);
        assert!(
            took >= MS * 50 && took <= MS * 50 + H::SLACK,
            "took {took:?}"
        );
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "no attempt outlives the call"
        );
    });
}

/// A per-attempt timeout drops a hung attempt; each counts as a transient failure.
pub fn retry_attempt_timeout_drops_attempt<H: Harness>() {
    let rt = H::make();
    let policy = RetryPolicy::builder()
        .constant(Duration::ZERO)
        .max_retries(2)
        .attempt_timeout(MS * 10)
        .build()
        .unwrap();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let made = AtomicUsize::new(0);
        let start = rt.now();
        let err = retry(&rt, &policy, |_| {
            made.fetch_add(1, Ordering::SeqCst);
            let guard = Alive::new(&alive);
            async move {
                let _guard = guard;
                std::future::pending::<Result<(), ()>>().await
            }
        })
        .await
        .unwrap_err();
        let took = rt.now() - start;
        assert!(err.timed_out());
        assert_eq!((err.attempts(), made.load(Ordering::SeqCst)), (3, 3));
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "every hung attempt was dropped"
        );
        assert!(
            took >= MS * 30 && took <= MS * 30 + H::SLACK,
            "took {took:?}"
        );
    });
}

/// Retries with tiny non-zero delays do not keep the thread: on some runtimes a 1 ns sleep is
/// over when first polled, so every retry starts within one poll of the retry future. At most
/// the attempt in hand and 32 retries are made per poll, whatever the delay (a zero delay is
/// bounded the same way), and the call still ends with every attempt made.
pub fn retry_tiny_delays_yield_between_polls<H: Harness>() {
    let rt = H::make();
    let policy = RetryPolicy::builder()
        .constant(Duration::from_nanos(1))
        .max_retries(200)
        .build()
        .unwrap();
    rt.block_on(async {
        let made = AtomicUsize::new(0);
        let mut most = 0;
        let mut call = pin!(retry(&rt, &policy, |_| {
            made.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>("down") }
        }));
        // Counts the attempts made within each poll of the retry future.
        let err = poll_fn(|cx| {
            let before = made.load(Ordering::SeqCst);
            let out = call.as_mut().poll(cx);
            most = most.max(made.load(Ordering::SeqCst) - before);
            out
        })
        .await
        .unwrap_err();
        assert_eq!(err.attempts(), 201);
        assert!(most <= 33, "{most} attempts within one poll");
    });
}

/// The blocking form on the runtime's clock: a call that always fails, retried in a job of the
/// runtime's `spawn_blocking` by `retry_blocking_on`, sleeps the policy's delays (10, 20,
/// 40 ms) on the runtime's own clock between attempts — never less, and exactly on virtual
/// time — and each attempt sees the time since the first.
pub fn retry_blocking_on_sleeps_on_runtime_clock<H: Harness>() {
    let rt = H::make();
    let policy = RetryPolicy::builder()
        .exponential(MS * 10, 2.0)
        .max_retries(3)
        .build()
        .unwrap();
    let job_rt = rt.clone();
    let (err, elapsed, took) = rt.block_on(async {
        rt.spawn_blocking(move || {
            let rt = job_rt;
            let start = rt.now();
            let mut elapsed = Vec::new();
            let err = retry_blocking_on(
                &rt,
                &policy,
                |_| Classification::Transient,
                |attempt| {
                    elapsed.push((attempt.elapsed(), rt.now() - start));
                    Err::<(), _>("down")
                },
            )
            .unwrap_err();
            (err, elapsed, rt.now() - start)
        })
        .await
    });
    assert_eq!((err.attempts(), err.reason()), (4, StopReason::Exhausted));
    assert_eq!(err.total_delay(), MS * 70);
    let planned = [Duration::ZERO, MS * 10, MS * 30, MS * 70];
    for ((seen, clock), at) in elapsed.iter().zip(planned) {
        assert!(
            *seen >= at && *seen <= *clock,
            "{seen:?} vs {at:?}, {clock:?}"
        );
        assert!(*clock <= at + H::SLACK, "{clock:?} vs {at:?}");
    }
    assert!(
        took >= MS * 70 && took <= MS * 70 + H::SLACK,
        "took {took:?}"
    );
}
