//! `as_completed` on virtual time: docs/scenarios.md S5, both parts, exact.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use wrangle_core::Timer;
use wrangle_sim::Sim;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn call(rt: &Sim, millis: u64) -> u64 {
    wrangle_core::sleep(rt, ms(millis)).await;
    millis
}

/// S5: calls of 2.4, 0.7, 1.9, 0.5, 1.2 s are handled in the order 0.5, 0.7, 1.2, 1.9, 2.4,
/// each as it finishes.
#[test]
fn s5_results_as_they_finish() {
    wrangle_sim::run(5, |rt| async move {
        let durations = [2400, 700, 1900, 500, 1200];
        let mut results = std::pin::pin!(wrangle_combinators::as_completed(
            durations.map(|d| call(&rt, d))
        ));
        let mut handled = Vec::new();
        while let Some((index, millis)) = results.next().await {
            assert_eq!(rt.elapsed(), ms(millis), "handled as soon as it finished");
            assert_eq!(durations[index], millis);
            handled.push(millis);
        }
        assert_eq!(handled, [500, 700, 1200, 1900, 2400]);
    });
}

/// S5 with an overall deadline of 2.5 s over calls of 1, 3, 2, 4 s: two results, then a
/// deadline error at 2.5 s, by which time the two unfinished calls have been dropped.
#[test]
fn s5_overall_deadline() {
    wrangle_sim::run(5, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        struct Guard(Rc<Cell<u32>>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let guarded = |secs: u64| {
            let (rt, dropped) = (&rt, dropped.clone());
            async move {
                let _guard = Guard(dropped);
                call(rt, secs * 1000).await
            }
        };
        let deadline = rt.now() + ms(2500);
        let mut results = std::pin::pin!(
            wrangle_combinators::as_completed([1, 3, 2, 4].map(guarded)).deadline(&rt, deadline)
        );
        assert_eq!(results.next().await, Some(Ok((0, 1000))));
        assert_eq!(rt.elapsed(), ms(1000));
        assert_eq!(results.next().await, Some(Ok((2, 2000))));
        assert_eq!(rt.elapsed(), ms(2000));
        let err = results.next().await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "deadline has elapsed");
        assert_eq!(rt.elapsed(), ms(2500));
        assert_eq!(dropped.get(), 4, "the two unfinished calls were dropped");
        assert_eq!(results.next().await, None);
    });
}

/// `timeout` counts from the first poll; with a limit, at most `limit` run at once.
#[test]
fn timeout_and_limit() {
    wrangle_sim::run(9, |rt| async move {
        wrangle_core::sleep(&rt, ms(100)).await; // not counted: the stream is not polled yet
        let items: Vec<_> =
            wrangle_combinators::as_completed([300, 100, 200, 50].map(|d| call(&rt, d)))
                .limit(2)
                .timeout(&rt, ms(350))
                .collect()
                .await;
        // Slots: 300 and 100 start at 0; 100 ends at 100 → 200 starts, ends at 300;
        // 300 ends at 300 → 50 starts, ends at 350: ready when the deadline is checked.
        assert_eq!(
            items,
            [Ok((1, 100)), Ok((0, 300)), Ok((2, 200)), Ok((3, 50))]
        );
        assert_eq!(rt.elapsed(), ms(100 + 350));
    });
}

/// The stream takes an output from a child only when it yields it: dropped after one item,
/// the other receivers still hold their messages. So does `gather_stream(..).unordered()`.
#[test]
fn dropped_after_one_item_loses_no_message() {
    futures_lite::future::block_on(async {
        let channels: Vec<_> = (0..3)
            .map(|i| {
                let (tx, rx) = async_channel::unbounded();
                tx.try_send(i).unwrap();
                (tx, rx)
            })
            .collect();
        // Boxed, so that `drop(s)` drops the stream itself.
        let mut s = Box::pin(wrangle_combinators::as_completed(
            channels.iter().map(|(_, rx)| rx.recv()),
        ));
        assert_eq!(s.next().await, Some((0, Ok(0))));
        drop(s);
        for (i, (_, rx)) in channels.iter().enumerate().skip(1) {
            assert_eq!(rx.try_recv(), Ok(i), "message {i} was taken and dropped");
        }

        for (i, (tx, _)) in channels.iter().enumerate().skip(1) {
            tx.try_send(i).unwrap();
        }
        let inputs = futures_lite::stream::iter(channels.iter().map(|(_, rx)| rx.recv()));
        let mut s = Box::pin(wrangle_combinators::gather_stream(inputs).unordered());
        // Channel 0 is empty now: input 1 is the first to finish.
        assert_eq!(s.next().await, Some((1, Ok(1))));
        drop(s);
        assert_eq!(
            channels[2].1.try_recv(),
            Ok(2),
            "the unordered stream lost a message"
        );
    });
}
