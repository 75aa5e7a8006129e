//! `race` and `race_ok` on virtual time: SCENARIOS.md S6, redundant servers, exact.
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
        let winner = wrangle_core::race([server("A", 2), server("B", 1), server("C", 3)]).await;
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
            wrangle_core::race_ok([server(2, true), server(1, false), server(3, true)]).await;
        assert_eq!(first, Ok((0, 2)));
        assert_eq!(rt.elapsed(), secs(2));

        let err = wrangle_core::race_ok([server(2, false), server(1, false), server(3, false)])
            .await
            .unwrap_err();
        assert_eq!(err.into_errors(), [2, 1, 3]);
        assert_eq!(rt.elapsed(), secs(5));
    });
}
