//! S1 of docs/scenarios.md, the order pipeline, on wrangle-sim: every figure is exact virtual time.
//!
//! Each order needs `fetch_product(id)` and `check_inventory(id)`, both *blocking* calls of
//! 1 s (simulated with `Sim::sleep_blocking`, which parks the job in virtual time); the
//! price is × 1.05 when in stock. Calls are offloaded through the runtime's own blocking
//! pool (`Offload::runtime`), the route whose jobs the virtual clock can see.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::future::zip;
use wrangle_blocking::{CallLimit, Offload, unblock_on};
use wrangle_combinators::gather;
use wrangle_core::{Elapsed, timeout};
use wrangle_sim::Sim;

const CALL: Duration = Duration::from_secs(1);
const SEED: u64 = 0x51;

/// The two blocking calls, counting how many are in flight (measured inside the calls).
#[derive(Clone)]
struct Shop {
    rt: Sim,
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    /// The order whose `fetch_product` hangs forever, if any.
    hangs: Option<u32>,
}

impl Shop {
    fn new(rt: &Sim) -> Self {
        Self {
            rt: rt.clone(),
            in_flight: Arc::default(),
            peak: Arc::default(),
            hangs: None,
        }
    }

    fn call<T>(&self, work: impl FnOnce() -> T) -> T {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.rt.sleep_blocking(CALL);
        let out = work();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        out
    }

    /// Blocking: 1 s.
    fn fetch_product(&self, id: u32) -> f64 {
        if self.hangs == Some(id) {
            self.rt.sleep_blocking(Duration::MAX); // parked for good
        }
        self.call(|| 10.0 * f64::from(id))
    }

    /// Blocking: 1 s. Odd ids are in stock.
    fn check_inventory(&self, id: u32) -> bool {
        self.call(|| id % 2 == 1)
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

fn price(base: f64, in_stock: bool) -> Option<f64> {
    in_stock.then(|| (base * 1.05 * 100.0).round() / 100.0)
}

#[test]
fn sequential_takes_exactly_six_seconds() {
    wrangle_sim::run(SEED, |rt| async move {
        let shop = Shop::new(&rt);
        let mut prices = Vec::new();
        for id in 1..=3 {
            let s = shop.clone();
            let base = unblock_on(&rt, move || s.fetch_product(id)).await;
            let s = shop.clone();
            let stock = unblock_on(&rt, move || s.check_inventory(id)).await;
            prices.push(price(base, stock));
        }
        assert_eq!(prices, [Some(10.5), None, Some(31.5)]);
        assert_eq!(rt.elapsed(), Duration::from_secs(6));
        assert_eq!(shop.peak(), 1);
    });
}

/// One order, both calls at once.
async fn order_at_once(calls: &Offload, shop: &Shop, id: u32) -> Option<f64> {
    let (a, b) = (shop.clone(), shop.clone());
    let (base, stock) = zip(
        calls.unblock(move || a.fetch_product(id)),
        calls.unblock(move || b.check_inventory(id)),
    )
    .await;
    price(base, stock)
}

#[test]
fn everything_at_once_takes_exactly_one_second() {
    wrangle_sim::run(SEED, |rt| async move {
        let shop = Shop::new(&rt);
        let calls = Offload::runtime(&rt);
        let prices = gather((1..=3).map(|id| order_at_once(&calls, &shop, id))).await;
        assert_eq!(prices, [Some(10.5), None, Some(31.5)]);
        assert_eq!(rt.elapsed(), Duration::from_secs(1));
        assert_eq!(shop.peak(), 6);
    });
}

#[test]
fn six_orders_bounded_at_three_take_exactly_four_seconds() {
    wrangle_sim::run(SEED, |rt| async move {
        let shop = Shop::new(&rt);
        let limiter = CallLimit::new(3);
        let calls = Offload::runtime(&rt).limit_by(&limiter);
        let prices = gather((1..=6).map(|id| order_at_once(&calls, &shop, id))).await;
        assert_eq!(prices.len(), 6);
        assert_eq!(prices[4], Some(52.5));
        // 12 calls, 3 at a time, 1 s each.
        assert_eq!(rt.elapsed(), Duration::from_secs(4));
        assert_eq!(shop.peak(), 3);
        assert_eq!(limiter.in_use(), 0);
    });
}

/// One order, its two calls one after the other, each under a 3 s timeout that covers the
/// wait for a permit as well as the call (the limit is taken inside the timed call). The
/// order reports when it finished.
async fn order_timed(
    calls: &Offload,
    shop: &Shop,
    id: u32,
) -> (Result<Option<f64>, Elapsed>, Duration) {
    let per_call = Duration::from_secs(3);
    let outcome = async {
        let s = shop.clone();
        let base = timeout(
            &shop.rt,
            per_call,
            calls.unblock(move || s.fetch_product(id)),
        )
        .await?;
        let s = shop.clone();
        let stock = timeout(
            &shop.rt,
            per_call,
            calls.unblock(move || s.check_inventory(id)),
        )
        .await?;
        Ok(price(base, stock))
    }
    .await;
    (outcome, shop.rt.elapsed())
}

#[test]
fn per_call_timeouts_three_orders_take_exactly_two_seconds() {
    wrangle_sim::run(SEED, |rt| async move {
        let shop = Shop::new(&rt);
        let calls = Offload::runtime(&rt).limit(3);
        let orders = gather((1..=3).map(|id| order_timed(&calls, &shop, id))).await;
        for (id, (outcome, finished)) in (1..).zip(&orders) {
            assert!(outcome.is_ok(), "order {id}: {outcome:?}");
            assert_eq!(*finished, Duration::from_secs(2), "order {id}");
        }
        assert_eq!(orders[0].0, Ok(Some(10.5)));
        assert_eq!(rt.elapsed(), Duration::from_secs(2));
        assert_eq!(shop.peak(), 3);
    });
}

#[test]
fn one_hung_call_times_out_its_order_alone_and_the_run_ends() {
    let ended = wrangle_sim::run(SEED, |rt| async move {
        let shop = Shop {
            hangs: Some(2),
            ..Shop::new(&rt)
        };
        let limiter = CallLimit::new(3);
        let calls = Offload::runtime(&rt).limit_by(&limiter);
        let orders = gather((1..=3).map(|id| order_timed(&calls, &shop, id))).await;
        // Order 2 alone reports a timeout, at exactly 3 s.
        assert!(orders[1].0.is_err(), "{:?}", orders[1]);
        assert_eq!(orders[1].1, Duration::from_secs(3));
        // The others complete, at 2 s.
        assert_eq!(orders[0], (Ok(Some(10.5)), Duration::from_secs(2)));
        assert_eq!(orders[2], (Ok(Some(31.5)), Duration::from_secs(2)));
        // The hung call keeps its thread and its permit for good.
        assert_eq!(limiter.in_use(), 1);
        rt.elapsed()
    });
    // The program ends: nothing waits for the hung call.
    assert_eq!(ended, Duration::from_secs(3));
}

#[test]
fn every_seed_gives_the_same_figures() {
    for seed in 0..8 {
        let elapsed = wrangle_sim::run(seed, |rt| async move {
            let shop = Shop::new(&rt);
            let calls = Offload::runtime(&rt).limit(3);
            gather((1..=6).map(|id| order_at_once(&calls, &shop, id))).await;
            assert_eq!(shop.peak(), 3, "seed {seed}");
            rt.elapsed()
        });
        assert_eq!(elapsed, Duration::from_secs(4), "seed {seed}");
    }
}
