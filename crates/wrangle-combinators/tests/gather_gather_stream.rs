//! `gather_stream` on virtual time: docs/scenarios.md S15, streaming without holding everything.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;

/// 10 000 items from an async source (one every millisecond), each processed in 10 ms with
/// at most 32 in flight: outputs in order, and the number of items held at once — pulled
/// from the source but not yet handed to the consumer — never exceeds the limit, however
/// many items flow through. Ten times the items hold no more at once.
#[test]
#[allow(clippy::async_yields_async)] // the source's items are futures, on purpose
fn s15_streaming_holds_at_most_the_limit() {
    for items in [1_000u64, 10_000] {
        let peak_held = wrangle_sim::run(15, |rt| async move {
            let held = Rc::new(Cell::new(0usize));
            let peak = Rc::new(Cell::new(0usize));
            let source = {
                let (rt, held, peak) = (rt.clone(), held.clone(), peak.clone());
                futures_lite::stream::iter(0..items).then(move |i| {
                    let (rt, held, peak) = (rt.clone(), held.clone(), peak.clone());
                    async move {
                        wrangle_core::sleep(&rt, Duration::from_millis(1)).await;
                        held.set(held.get() + 1);
                        peak.set(peak.get().max(held.get()));
                        let rt = rt.clone();
                        async move {
                            wrangle_core::sleep(&rt, Duration::from_millis(10)).await;
                            i * 2
                        }
                    }
                })
            };
            let mut outputs = std::pin::pin!(wrangle_combinators::gather_stream(source).limit(32));
            let mut expected = 0;
            while let Some(v) = outputs.next().await {
                held.set(held.get() - 1);
                assert_eq!(v, expected * 2);
                expected += 1;
            }
            assert_eq!(expected, items);
            peak.get()
        });
        assert!(peak_held <= 32, "{peak_held} items held at once");
    }
}

/// The unordered form hands out each output as it completes, with its index.
#[test]
fn unordered_in_completion_order() {
    wrangle_sim::run(16, |rt| async move {
        let source = futures_lite::stream::iter([30u64, 10, 20]).map(|d| {
            let rt = rt.clone();
            async move {
                wrangle_core::sleep(&rt, Duration::from_millis(d)).await;
                d
            }
        });
        let out: Vec<_> = wrangle_combinators::gather_stream(source)
            .unordered()
            .collect()
            .await;
        assert_eq!(out, [(1, 10), (2, 20), (0, 30)]);
        assert_eq!(rt.elapsed(), Duration::from_millis(30));
    });
}
