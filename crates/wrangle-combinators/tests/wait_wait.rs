//! `wait` on virtual time: docs/scenarios.md S6, first three parts, exact.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use wrangle_sim::Sim;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

struct Guard(Rc<Cell<u32>>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn call(rt: &Sim, dropped: &Rc<Cell<u32>>, seconds: u64) -> impl Future<Output = u64> {
    let (rt, dropped) = (rt.clone(), dropped.clone());
    async move {
        let _guard = Guard(dropped);
        wrangle_core::sleep(&rt, secs(seconds)).await;
        seconds
    }
}

/// First to finish over 1, 2, 3 s: returns after 1 s with one done and two pending; the
/// caller may keep waiting on them, or cancel them.
#[test]
fn s6_first_completed() {
    wrangle_sim::run(6, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        let waited = wrangle_combinators::wait([1, 2, 3].map(|s| call(&rt, &dropped, s)))
            .first_completed()
            .await;
        assert_eq!(rt.elapsed(), secs(1));
        assert_eq!(waited.done, [(0, 1)]);
        assert_eq!(waited.pending.indices(), [1, 2]);

        // Keep waiting: the rest, as they finish.
        let rest: Vec<_> = waited.pending.collect().await;
        assert_eq!(rest, [(1, 2), (2, 3)]);
        assert_eq!(rt.elapsed(), secs(3));

        // Or cancel: dropping the pending set drops its futures at once.
        let dropped = Rc::new(Cell::new(0));
        let waited = wrangle_combinators::wait([1, 2, 3].map(|s| call(&rt, &dropped, s)))
            .first_completed()
            .await;
        assert_eq!(dropped.get(), 1);
        drop(waited.pending);
        assert_eq!(dropped.get(), 3);
        assert_eq!(rt.elapsed(), secs(4));
    });
}

/// First error over "ok at 2 s", "fails at 1 s", "ok at 3 s": returns at 1 s.
#[test]
fn s6_first_error() {
    wrangle_sim::run(6, |rt| async move {
        let call = |seconds: u64, ok: bool| {
            let rt = &rt;
            async move {
                wrangle_core::sleep(rt, secs(seconds)).await;
                if ok {
                    Ok(seconds)
                } else {
                    Err(format!("failed at {seconds} s"))
                }
            }
        };
        let waited = wrangle_combinators::wait([call(2, true), call(1, false), call(3, true)])
            .first_error()
            .await;
        assert_eq!(rt.elapsed(), secs(1));
        assert_eq!(waited.done, [(1, Err("failed at 1 s".to_owned()))]);
        assert_eq!(waited.pending.len(), 2);
    });
}

/// All, with a 2 s limit, over 1, 3, 5 s: one done, two pending at 2 s.
#[test]
fn s6_all_with_a_limit() {
    wrangle_sim::run(6, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        let waited = wrangle_combinators::wait([1, 3, 5].map(|s| call(&rt, &dropped, s)))
            .timeout(&rt, secs(2))
            .await;
        assert_eq!(rt.elapsed(), secs(2));
        assert_eq!(waited.done, [(0, 1)]);
        assert_eq!(waited.pending.indices(), [1, 2]);
        // Waiting again, for all of them, takes until 5 s.
        let all = waited.pending.wait().await;
        assert_eq!(all.done, [(1, 3), (2, 5)]);
        assert_eq!(rt.elapsed(), secs(5));
    });
}

/// Nothing a wait takes is lost: `first_completed` over receivers that hold a message
/// returns every message it took in `done`, and the `Pending` stream dropped after one item
/// leaves the other messages in their channels.
#[test]
fn no_message_taken_is_dropped() {
    futures_lite::future::block_on(async {
        let channels: Vec<_> = (0..3).map(|_| async_channel::unbounded()).collect();
        let recv = || channels.iter().map(|(_, rx)| rx.recv());
        channels[0].0.try_send(0).unwrap();
        channels[2].0.try_send(2).unwrap();
        let waited = wrangle_combinators::wait(recv()).first_completed().await;
        assert_eq!(
            waited.done,
            [(0, Ok(0)), (2, Ok(2))],
            "every message taken is returned"
        );
        assert_eq!(waited.pending.indices(), [1]);
        drop(waited);

        channels[0].0.try_send(0).unwrap();
        let waited = wrangle_combinators::wait(recv()).first_completed().await;
        assert_eq!(waited.done, [(0, Ok(0))]);
        let mut pending = waited.pending;
        channels[1].0.try_send(1).unwrap();
        channels[2].0.try_send(2).unwrap();
        assert_eq!(pending.next().await, Some((1, Ok(1))));
        drop(pending);
        assert_eq!(
            channels[2].1.try_recv(),
            Ok(2),
            "the Pending stream lost a message"
        );
    });
}
