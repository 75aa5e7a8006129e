//! `race` and `race_ok` on virtual time: docs/scenarios.md S6, redundant servers, exact.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

struct Guard(Rc<Cell<u32>>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Redundant servers A 2 s, B 1 s, C 3 s: B's answer at 1 s; A and C cancelled by then.
#[test]
fn s6_redundant_servers() {
    wrangle_sim::run(6, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        let server = |name: &'static str, seconds: u64| {
            let (rt, dropped) = (&rt, dropped.clone());
            async move {
                let _guard = Guard(dropped);
                wrangle_core::sleep(rt, secs(seconds)).await;
                name
            }
        };
        let winner =
            wrangle_combinators::race([server("A", 2), server("B", 1), server("C", 3)]).await;
        assert_eq!(winner, Some((1, "B")));
        assert_eq!(rt.elapsed(), secs(1));
        assert_eq!(
            dropped.get(),
            3,
            "A and C were dropped before the answer came back"
        );
    });
}

/// The same servers where the fastest fails: the first success wins; if all fail, every
/// error comes back, in input order.
#[test]
fn race_ok_first_success_or_every_error() {
    wrangle_sim::run(7, |rt| async move {
        let server = |seconds: u64, ok: bool| {
            let rt = &rt;
            async move {
                wrangle_core::sleep(rt, secs(seconds)).await;
                if ok { Ok(seconds) } else { Err(seconds) }
            }
        };
        let first =
            wrangle_combinators::race_ok([server(2, true), server(1, false), server(3, true)])
                .await;
        assert_eq!(first, Ok((0, 2)));
        assert_eq!(rt.elapsed(), secs(2));

        let err =
            wrangle_combinators::race_ok([server(2, false), server(1, false), server(3, false)])
                .await
                .unwrap_err();
        assert_eq!(err.into_errors(), [2, 1, 3]);
        assert_eq!(rt.elapsed(), secs(5));
    });
}

/// Ready when first polled, and records that its output was produced: a stand-in for a
/// receiver that takes a message out of its channel when it completes.
struct Take<'a> {
    name: &'static str,
    taken: &'a Cell<u32>,
}

impl Future for Take<'_> {
    type Output = &'static str;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.taken.set(self.taken.get() + 1);
        std::task::Poll::Ready(self.name)
    }
}

/// Two inputs ready at once: the first in input order wins, and the loser is dropped without
/// being polled to completion, so nothing it would have produced is lost.
#[test]
fn race_stops_at_the_first_output() {
    let (a, b) = (Cell::new(0), Cell::new(0));
    let winner = futures_lite::future::block_on(wrangle_combinators::race([
        Take {
            name: "a",
            taken: &a,
        },
        Take {
            name: "b",
            taken: &b,
        },
    ]));
    assert_eq!(winner, Some((0, "a")));
    assert_eq!(
        (a.get(), b.get()),
        (1, 0),
        "the loser's output was produced and dropped"
    );
}

/// Two channel receivers, each holding a message: the race returns one message and the other
/// is still in its channel. The same for `race_ok`, also when an error comes first.
#[test]
fn race_of_receivers_keeps_the_losers_message() {
    futures_lite::future::block_on(async {
        let (tx_a, rx_a) = async_channel::unbounded();
        let (tx_b, rx_b) = async_channel::unbounded();
        tx_a.try_send("a").unwrap();
        tx_b.try_send("b").unwrap();
        let winner = wrangle_combinators::race([rx_a.recv(), rx_b.recv()]).await;
        assert_eq!(winner, Some((0, Ok("a"))));
        assert_eq!(rx_b.try_recv(), Ok("b"), "the loser's message was lost");

        tx_a.try_send("a").unwrap();
        tx_b.try_send("b").unwrap();
        let first = wrangle_combinators::race_ok([rx_a.recv(), rx_b.recv()]).await;
        assert_eq!(first, Ok((0, "a")));
        assert_eq!(rx_b.try_recv(), Ok("b"), "race_ok lost the loser's message");

        // A closed, empty channel fails first; the next success wins, the one after keeps
        // its message.
        let (tx_c, rx_c) = async_channel::unbounded::<&str>();
        drop(tx_c);
        tx_a.try_send("a").unwrap();
        tx_b.try_send("b").unwrap();
        let first = wrangle_combinators::race_ok([rx_c.recv(), rx_a.recv(), rx_b.recv()]).await;
        assert_eq!(first, Ok((1, "a")));
        assert_eq!(
            rx_b.try_recv(),
            Ok("b"),
            "race_ok lost a message after an error"
        );
    });
}
