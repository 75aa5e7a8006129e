//! What `#[wrangle::test]` adds to a test's run time beyond building its runtime.
//!
//! ```text
//! cargo bench --bench test_attr
//! ```
//!
//! A generated test calls a hidden helper of the facade, which builds the runtime, hands it to
//! the body and shuts it down: `wrangle::__private::smol_with` and its siblings hand the
//! concrete runtime (the generic form, `rt: impl Runtime`), `wrangle::__private::smol` and its
//! siblings an `AnyRuntime` (the `rt: AnyRuntime` form). Measured here, per runtime: (1) the
//! whole test with an empty body, through the helper, against building, entering and shutting
//! down the same runtime by hand; (2) a body that spawns and joins 1 000 tasks and sleeps 100
//! times for zero time, by hand on the concrete handle, through the generic helper, and through
//! the `AnyRuntime` helper (each spawn and sleep through a box). Medians of 15 alternating
//! rounds; ratios helper ÷ by hand.

mod common;

use std::time::{Duration, Instant};

use common::median;
use wrangle::{AnyRuntime, Runtime, TimerExt};

const ROUNDS: usize = 15;

async fn body<R: Runtime + 'static>(rt: R) {
    let tasks: Vec<_> = (0..1_000u64).map(|i| rt.spawn(async move { i })).collect();
    for t in tasks {
        std::hint::black_box(t.await);
    }
    for _ in 0..100 {
        rt.sleep(Duration::ZERO).await;
    }
}

fn timed(f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1e6
}

struct Case {
    name: &'static str,
    helper_empty: Box<dyn FnMut()>,
    hand_empty: Box<dyn FnMut()>,
    generic_body: Box<dyn FnMut()>,
    any_body: Box<dyn FnMut()>,
    hand_body: Box<dyn FnMut()>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "tokio",
            helper_empty: Box::new(|| wrangle::__private::tokio(|_rt: AnyRuntime| async {})),
            hand_empty: Box::new(|| {
                let rt = wrangle::tokio::Tokio::multi_thread().expect("tokio");
                rt.block_on(async {});
                rt.shutdown();
            }),
            generic_body: Box::new(|| wrangle::__private::tokio_with(body)),
            any_body: Box::new(|| wrangle::__private::tokio(body::<AnyRuntime>)),
            hand_body: Box::new(|| {
                let rt = wrangle::tokio::Tokio::multi_thread().expect("tokio");
                rt.block_on(body(rt.clone()));
                rt.shutdown();
            }),
        },
        Case {
            name: "smol",
            helper_empty: Box::new(|| wrangle::__private::smol(|_rt: AnyRuntime| async {})),
            hand_empty: Box::new(|| {
                let rt = wrangle::smol::Smol::new().expect("smol");
                rt.block_on(async {});
                rt.shutdown();
            }),
            generic_body: Box::new(|| wrangle::__private::smol_with(body)),
            any_body: Box::new(|| wrangle::__private::smol(body::<AnyRuntime>)),
            hand_body: Box::new(|| {
                let rt = wrangle::smol::Smol::new().expect("smol");
                rt.block_on(body(rt.clone()));
                rt.shutdown();
            }),
        },
        Case {
            name: "async-std",
            helper_empty: Box::new(|| wrangle::__private::async_std(|_rt: AnyRuntime| async {})),
            hand_empty: Box::new(|| {
                let rt = wrangle::async_std::AsyncStd::new();
                rt.block_on(async {});
                rt.shutdown();
            }),
            generic_body: Box::new(|| wrangle::__private::async_std_with(body)),
            any_body: Box::new(|| wrangle::__private::async_std(body::<AnyRuntime>)),
            hand_body: Box::new(|| {
                let rt = wrangle::async_std::AsyncStd::new();
                rt.block_on(body(rt.clone()));
                rt.shutdown();
            }),
        },
    ]
}

fn main() {
    println!(
        "| runtime | empty test: helper µs | by hand µs | ÷ | 1 000 spawns + 100 sleeps: by hand µs | helper, generic µs | ÷ | helper, AnyRuntime µs | ÷ |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for mut c in cases() {
        let (mut he, mut ne) = (Vec::new(), Vec::new());
        let (mut gb, mut ab, mut nb) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                he.push(timed(&mut c.helper_empty));
                ne.push(timed(&mut c.hand_empty));
                gb.push(timed(&mut c.generic_body));
                ab.push(timed(&mut c.any_body));
                nb.push(timed(&mut c.hand_body));
            } else {
                ne.push(timed(&mut c.hand_empty));
                he.push(timed(&mut c.helper_empty));
                nb.push(timed(&mut c.hand_body));
                ab.push(timed(&mut c.any_body));
                gb.push(timed(&mut c.generic_body));
            }
        }
        let ratio = |a: &[f64], b: &[f64]| median(a.iter().zip(b).map(|(x, y)| x / y).collect());
        println!(
            "| {} | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} |",
            c.name,
            median(he.clone()),
            median(ne.clone()),
            ratio(&he, &ne),
            median(nb.clone()),
            median(gb.clone()),
            ratio(&gb, &nb),
            median(ab.clone()),
            ratio(&ab, &nb),
        );
    }
}
