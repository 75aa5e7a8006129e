//! `gather` on virtual time: docs/scenarios.md S2 (fan-out), S4 (bounded bulk fetch) and S14
//! (batching), exact to the nanosecond.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use wrangle_sim::Sim;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn service(rt: &Sim, name: &'static str, millis: u64) -> &'static str {
    wrangle_core::sleep(rt, ms(millis)).await;
    name
}

/// S2: sequential 3.3 s; gathered exactly 1.5 s, results in argument order.
#[test]
fn s2_fan_out_to_three_services() {
    wrangle_sim::run(2, |rt| async move {
        let start = rt.elapsed();
        let user = service(&rt, "user", 1000).await;
        let orders = service(&rt, "orders", 1500).await;
        let recs = service(&rt, "recommendations", 800).await;
        assert_eq!([user, orders, recs], ["user", "orders", "recommendations"]);
        assert_eq!(rt.elapsed() - start, ms(3300));

        let start = rt.elapsed();
        let all = wrangle_combinators::gather([
            service(&rt, "user", 1000),
            service(&rt, "orders", 1500),
            service(&rt, "recommendations", 800),
        ])
        .await;
        assert_eq!(all, ["user", "orders", "recommendations"]);
        assert_eq!(rt.elapsed() - start, ms(1500));
    });
}

/// What S4's user wants to know at the end.
#[derive(Debug, Default)]
struct Stats {
    started: Cell<usize>,
    completed: Cell<usize>,
    failed: Cell<usize>,
    in_flight: Cell<usize>,
    peak: Cell<usize>,
}

/// S4: 1 000 requests of 1 s, at most 50 in flight: exactly 20 s, and the peak measured
/// inside the requests is exactly 50.
#[test]
fn s4_bounded_bulk_fetch() {
    wrangle_sim::run(4, |rt| async move {
        let stats = Rc::new(Stats::default());
        let request = |i: u32| {
            let (rt, stats) = (&rt, stats.clone());
            async move {
                stats.started.set(stats.started.get() + 1);
                stats.in_flight.set(stats.in_flight.get() + 1);
                stats.peak.set(stats.peak.get().max(stats.in_flight.get()));
                wrangle_core::sleep(rt, Duration::from_secs(1)).await;
                stats.in_flight.set(stats.in_flight.get() - 1);
                if i % 100 == 99 {
                    stats.failed.set(stats.failed.get() + 1);
                    Err(format!("request {i} failed"))
                } else {
                    stats.completed.set(stats.completed.get() + 1);
                    Ok(i)
                }
            }
        };
        let start = rt.elapsed();
        let outcomes = wrangle_combinators::gather((0..1000).map(request))
            .limit(50)
            .await;
        let total = rt.elapsed() - start;

        assert_eq!(total, Duration::from_secs(20));
        assert_eq!(stats.peak.get(), 50);
        assert_eq!(stats.started.get(), 1000);
        assert_eq!(stats.completed.get(), 990);
        assert_eq!(stats.failed.get(), 10);
        assert_eq!(outcomes.len(), 1000);
        for (i, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Ok(v) => assert_eq!(*v as usize, i),
                Err(e) => assert_eq!(e, &format!("request {i} failed")),
            }
        }
    });
}

/// S14: twenty items of 0.1 s gathered at once take 0.1 s; four batches of five, gathered at
/// once, each batch handling its items one after the other at 0.05 s each, take 0.25 s.
#[test]
fn s14_batching() {
    wrangle_sim::run(14, |rt| async move {
        let item = |i: u64, millis: u64| {
            let rt = &rt;
            async move {
                wrangle_core::sleep(rt, ms(millis)).await;
                i
            }
        };
        let start = rt.elapsed();
        let out = wrangle_combinators::gather((0..20).map(|i| item(i, 100))).await;
        assert_eq!(out, (0..20).collect::<Vec<_>>());
        assert_eq!(rt.elapsed() - start, ms(100));

        let start = rt.elapsed();
        let batch = |b: u64| async move {
            let mut out = Vec::new();
            for i in b * 5..b * 5 + 5 {
                out.push(item(i, 50).await);
            }
            out
        };
        let batches = wrangle_combinators::gather((0..4).map(batch)).await;
        assert_eq!(batches.concat(), (0..20).collect::<Vec<_>>());
        assert_eq!(rt.elapsed() - start, ms(250));
    });
}

/// The progress hook sees every completion, with the total known from the exact size hint.
#[test]
fn progress_reports_done_and_total() {
    wrangle_sim::run(5, |rt| async move {
        let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
        let seen2 = seen.clone();
        let out = wrangle_combinators::gather((1..=4u64).rev().map(|i| {
            let rt = &rt;
            async move {
                wrangle_core::sleep(rt, ms(10 * i)).await;
                i
            }
        }))
        .progress(move |p| seen2.borrow_mut().push((p.done(), p.total())))
        .await;
        assert_eq!(out, [4, 3, 2, 1]);
        let seen = seen.borrow();
        assert_eq!(
            *seen,
            [(1, Some(4)), (2, Some(4)), (3, Some(4)), (4, Some(4))]
        );
    });
}

/// A panicking child: the panic surfaces at the await, after its siblings were dropped.
#[test]
fn panic_propagates_after_siblings_dropped() {
    let dropped = Rc::new(Cell::new(0));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wrangle_sim::run(6, |rt| {
            let dropped = dropped.clone();
            async move {
                struct Guard(Rc<Cell<u32>>);
                impl Drop for Guard {
                    fn drop(&mut self) {
                        self.0.set(self.0.get() + 1);
                    }
                }
                let child = |i: u64| {
                    let (rt, dropped) = (&rt, dropped.clone());
                    async move {
                        let _guard = Guard(dropped);
                        wrangle_core::sleep(rt, ms(10 * i)).await;
                        assert!(i != 1, "child {i} fails");
                        i
                    }
                };
                let seen_dropped = dropped.clone();
                let result = futures_lite::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
                    wrangle_combinators::gather((0..4).map(child)),
                ))
                .await;
                // Child 0 completed and child 1 panicked; 2 and 3 were dropped before the
                // panic reached this await.
                assert_eq!(seen_dropped.get(), 4);
                assert_eq!(rt.elapsed(), ms(10));
                result
            }
        })
    }));
    let payload = outcome.unwrap().unwrap_err();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "child 1 fails");
}
