//! `try_gather` and the collect-all form on virtual time: docs/scenarios.md S3, exact.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use wrangle_sim::Sim;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts drops and completions of the calls of a batch.
#[derive(Default)]
struct Counters {
    dropped: Cell<u32>,
    finished: Cell<u32>,
}

struct Guard(Rc<Counters>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.dropped.set(self.0.dropped.get() + 1);
    }
}

/// Three calls of 1 s; the second fails after 0.5 s.
fn call(rt: &Sim, counters: &Rc<Counters>, i: u32) -> impl Future<Output = Result<u32, String>> {
    let (rt, counters) = (rt.clone(), counters.clone());
    async move {
        let _guard = Guard(counters.clone());
        if i == 1 {
            wrangle_core::sleep(&rt, ms(500)).await;
            return Err("call 1 failed".to_owned());
        }
        wrangle_core::sleep(&rt, ms(1000)).await;
        counters.finished.set(counters.finished.get() + 1);
        Ok(i)
    }
}

/// S3, fail-fast: the error at exactly 0.5 s, the other two dropped by then, and nothing
/// left running in the background.
#[test]
fn s3_fail_fast() {
    wrangle_sim::run(3, |rt| async move {
        let counters = Rc::new(Counters::default());
        let err = wrangle_combinators::try_gather((0..3).map(|i| call(&rt, &counters, i)))
            .await
            .unwrap_err();
        assert_eq!(err, "call 1 failed");
        assert_eq!(rt.elapsed(), ms(500));
        assert_eq!(
            counters.dropped.get(),
            3,
            "all three dropped before the caller saw the error"
        );
        assert_eq!(counters.finished.get(), 0);
        // Nothing keeps running: a second later, still nothing has finished.
        wrangle_core::sleep(&rt, ms(1000)).await;
        assert_eq!(counters.finished.get(), 0);
    });
}

/// S3, collect-all: three outcomes in input order, one of them the error, at 1 s.
#[test]
fn s3_collect_all() {
    wrangle_sim::run(3, |rt| async move {
        let counters = Rc::new(Counters::default());
        let outcomes = wrangle_combinators::gather((0..3).map(|i| call(&rt, &counters, i))).await;
        assert_eq!(outcomes, [Ok(0), Err("call 1 failed".to_owned()), Ok(2)]);
        assert_eq!(rt.elapsed(), ms(1000));
        assert_eq!(counters.finished.get(), 2);
        assert_eq!(counters.dropped.get(), 3);
    });
}

/// With a limit, no input is pulled after the first error.
#[test]
fn no_input_pulled_after_the_error() {
    wrangle_sim::run(7, |rt| async move {
        let pulled = Cell::new(0u32);
        let inputs = (0..100u64).map(|i| {
            pulled.set(pulled.get() + 1);
            let rt = &rt;
            async move {
                wrangle_core::sleep(rt, ms(10 + i)).await;
                if i == 4 { Err(i) } else { Ok(i) }
            }
        });
        let out = wrangle_combinators::try_gather(inputs).limit(3).await;
        assert_eq!(out, Err(4));
        // Inputs 0..=2 start at 0 ms; 3 at 10 ms (due at 23), 4 at 11 ms (fails at 25),
        // 5 at 12 ms (due at 27); 6 at 23 ms. Input 4 fails at 25 ms: 7 pulled, no more.
        assert_eq!(rt.elapsed(), ms(25));
        assert_eq!(pulled.get(), 7);
    });
}
