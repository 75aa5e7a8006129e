//! The spawning form of gather (`spawn_gather`, `try_spawn_gather`) on virtual time: input order, the limit counted inside the
//! tasks, lazy pulling, cancellation on drop, fail-fast `try_` form and panics, with drop
//! guards; S3 through the spawned form.
#![allow(clippy::unwrap_used)]

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::FutureExt as _;
use proptest::prelude::*;
use wrangle_sim::Sim;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts tasks alive, the peak of that, and drops.
#[derive(Default)]
struct Counters {
    alive: AtomicUsize,
    peak: AtomicUsize,
    dropped: AtomicUsize,
    finished: AtomicUsize,
}

struct Guard(Arc<Counters>);

impl Guard {
    fn new(c: &Arc<Counters>) -> Self {
        let now = c.alive.fetch_add(1, Ordering::SeqCst) + 1;
        c.peak.fetch_max(now, Ordering::SeqCst);
        Self(c.clone())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::SeqCst);
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

fn job(
    rt: &Sim,
    c: &Arc<Counters>,
    i: u64,
    millis: u64,
) -> impl Future<Output = u64> + Send + 'static {
    let (rt, c) = (rt.clone(), c.clone());
    async move {
        let _guard = Guard::new(&c);
        wrangle_core::sleep(&rt, ms(millis)).await;
        c.finished.fetch_add(1, Ordering::SeqCst);
        i
    }
}

/// Input order, at most `limit` tasks alive (counted inside them), exact time.
#[test]
fn order_and_limit() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let out = wrangle_combinators::spawn_gather(
            &rt,
            (0..12).map(|i| job(&rt, &c, i, 10 + (i % 3) * 5)),
        )
        .limit(3)
        .await;
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        assert_eq!(c.peak.load(Ordering::SeqCst), 3);
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        // Greedy: each input starts when a slot frees up; the last (20 ms) starts at 50 ms.
        assert_eq!(rt.elapsed(), ms(70));
    });
}

/// Inputs are pulled only as room frees up: never more than `limit` ahead of the completed.
#[test]
fn inputs_pulled_lazily() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let pulled = Arc::new(AtomicUsize::new(0));
        let max_ahead = Arc::new(AtomicUsize::new(0));
        let inputs = (0..100).map(|i| {
            let n = pulled.fetch_add(1, Ordering::SeqCst) + 1;
            let done = c.finished.load(Ordering::SeqCst);
            max_ahead.fetch_max(n - done, Ordering::SeqCst);
            job(&rt, &c, i, 1 + i % 7)
        });
        let out = wrangle_combinators::spawn_gather(&rt, inputs)
            .limit(8)
            .await;
        assert_eq!(out.len(), 100);
        assert!(max_ahead.load(Ordering::SeqCst) <= 8, "{max_ahead:?}");
    });
}

/// No limit: everything is spawned at the first poll, and the gather takes as long as the
/// slowest input.
#[test]
fn unlimited() {
    wrangle_sim::run(2, |rt| async move {
        let c = Arc::new(Counters::default());
        let out =
            wrangle_combinators::spawn_gather(&rt, (0..50).map(|i| job(&rt, &c, i, 50 - i))).await;
        assert_eq!(out, (0..50).collect::<Vec<_>>());
        assert_eq!(c.peak.load(Ordering::SeqCst), 50);
        assert_eq!(rt.elapsed(), ms(50));
    });
}

#[test]
fn empty() {
    wrangle_sim::run(1, |rt| async move {
        let out =
            wrangle_combinators::spawn_gather(&rt, Vec::<std::future::Ready<u8>>::new()).await;
        assert!(out.is_empty());
        let out = wrangle_combinators::try_spawn_gather(
            &rt,
            Vec::<std::future::Ready<Result<u8, ()>>>::new(),
        )
        .limit(2)
        .await;
        assert_eq!(out, Ok(vec![]));
    });
}

/// Dropping the gather requests cancellation of every task in flight: they are gone at their
/// next scheduling point, and nothing more is pulled.
#[test]
fn drop_cancels_everything() {
    wrangle_sim::run(1, |rt| async move {
        let c = Arc::new(Counters::default());
        let gather =
            wrangle_combinators::spawn_gather(&rt, (0..100).map(|i| job(&rt, &c, i, 1000)))
                .limit(10);
        let out = wrangle_core::timeout(&rt, ms(100), gather).await;
        assert!(out.is_err());
        for _ in 0..10 {
            wrangle_core::yield_now().await;
        }
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        assert_eq!(c.dropped.load(Ordering::SeqCst), 10);
        wrangle_core::sleep(&rt, ms(2000)).await;
        assert_eq!(c.finished.load(Ordering::SeqCst), 0);
    });
}

/// S3 through the spawned fail-fast form: the error at exactly 0.5 s, the other two gone
/// (their cleanup ran) when it returns.
#[test]
fn s3_try_fail_fast() {
    wrangle_sim::run(3, |rt| async move {
        let c = Arc::new(Counters::default());
        let calls = (0..3u64).map(|i| {
            let (rt, c) = (rt.clone(), c.clone());
            async move {
                let _guard = Guard::new(&c);
                if i == 1 {
                    wrangle_core::sleep(&rt, ms(500)).await;
                    return Err(format!("call {i} failed"));
                }
                wrangle_core::sleep(&rt, ms(1000)).await;
                c.finished.fetch_add(1, Ordering::SeqCst);
                Ok(i)
            }
        });
        let err = wrangle_combinators::try_spawn_gather(&rt, calls)
            .await
            .unwrap_err();
        assert_eq!(err, "call 1 failed");
        assert_eq!(rt.elapsed(), ms(500));
        assert_eq!(c.dropped.load(Ordering::SeqCst), 3);
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
        wrangle_core::sleep(&rt, ms(1000)).await;
        assert_eq!(c.finished.load(Ordering::SeqCst), 0);
    });
}

/// With a limit, no input is pulled after the first error.
#[test]
fn try_pulls_nothing_after_the_error() {
    wrangle_sim::run(4, |rt| async move {
        let c = Arc::new(Counters::default());
        let pulled = Arc::new(AtomicUsize::new(0));
        let inputs = (0..100u64).map(|i| {
            pulled.fetch_add(1, Ordering::SeqCst);
            let (rt, c) = (rt.clone(), c.clone());
            async move {
                let _guard = Guard::new(&c);
                wrangle_core::sleep(&rt, ms(10 + i)).await;
                if i == 5 { Err(i) } else { Ok(i) }
            }
        });
        let err = wrangle_combinators::try_spawn_gather(&rt, inputs)
            .limit(4)
            .await
            .unwrap_err();
        assert_eq!(err, 5);
        // Input i takes 10 + i ms from when a slot frees: input 5 starts at 11 ms, fails at 26.
        assert_eq!(rt.elapsed(), ms(26));
        assert_eq!(
            pulled.load(Ordering::SeqCst),
            9,
            "0..=8: 5 finished or failed, 4 in flight"
        );
        assert_eq!(c.alive.load(Ordering::SeqCst), 0);
    });
}

/// A panicking task: the others are cancelled and gone, then the panic surfaces at the await.
#[test]
fn panic_cancels_the_rest_then_surfaces() {
    wrangle_sim::run(5, |rt| async move {
        let c = Arc::new(Counters::default());
        let inputs = (0..20u64).map(|i| {
            let (rt, c) = (rt.clone(), c.clone());
            async move {
                let _guard = Guard::new(&c);
                wrangle_core::sleep(&rt, ms(10 * (i + 1))).await;
                assert!(i != 2, "task {i} panicked");
                i
            }
        });
        let payload = AssertUnwindSafe(wrangle_combinators::spawn_gather(&rt, inputs).limit(5))
            .catch_unwind()
            .await
            .unwrap_err();
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert_eq!(message, "task 2 panicked");
        assert_eq!(rt.elapsed(), ms(30));
        assert_eq!(
            c.alive.load(Ordering::SeqCst),
            0,
            "all gone before the panic"
        );
    });
}

/// The progress hook sees every completion.
#[test]
fn progress_hook() {
    wrangle_sim::run(6, |rt| async move {
        let seen = Arc::new(AtomicUsize::new(0));
        let seen2 = seen.clone();
        let out = wrangle_combinators::spawn_gather(&rt, (0..10u64).map(|i| async move { i }))
            .progress(move |p| {
                seen2.fetch_max(p.done(), Ordering::SeqCst);
            })
            .await;
        assert_eq!(out.len(), 10);
        assert_eq!(seen.load(Ordering::SeqCst), 10);
    });
}

/// Debug output names the form and its counters.
#[test]
fn debug() {
    let rt = Sim::new(1);
    let g = wrangle_combinators::spawn_gather(&rt, [std::future::ready(1)]).limit(4);
    assert_eq!(
        format!("{g:?}"),
        "SpawnGather { limit: 4, started: false, .. }"
    );
    let g = wrangle_combinators::try_spawn_gather(&rt, [std::future::ready(Ok::<u8, ()>(1))]);
    assert_eq!(format!("{g:?}"), "TrySpawnGather { started: false, .. }");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any durations, any limit, any seed: outputs in input order, the limit never exceeded,
    /// nothing left alive, and the total time no more than a serial run.
    #[test]
    fn property_order_and_bound(
        durations in proptest::collection::vec(0u64..50, 0..60),
        limit in 1usize..10,
        seed in any::<u64>(),
    ) {
        let n = durations.len();
        let (out, peak, alive) = wrangle_sim::run(seed, |rt| async move {
            let c = Arc::new(Counters::default());
            let out = wrangle_combinators::spawn_gather(&rt, durations.iter().enumerate().map(|(i, d)| job(&rt, &c, i as u64, *d)),)
            .limit(limit)

            .await;
            (out, c.peak.load(Ordering::SeqCst), c.alive.load(Ordering::SeqCst))
        });
        prop_assert_eq!(out, (0..n as u64).collect::<Vec<_>>());
        prop_assert!(peak <= limit);
        prop_assert_eq!(alive, 0);
    }
}
