//! `LocalTaskGroup` on virtual time: `!Send` children with the semantics of `TaskGroup`.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::future::IntoFuture;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::FutureExt as _;
use wrangle_combinators::group::{ChildError, LocalTaskGroup};
use wrangle_core::CancellationToken;
use wrangle_sim::Sim;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts drops of `!Send` children.
struct Guard(Rc<Cell<u32>>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn call(
    rt: &Sim,
    dropped: &Rc<Cell<u32>>,
    i: u32,
    millis: u64,
    fails: bool,
) -> impl Future<Output = Result<u32, String>> + 'static {
    let (rt, guard) = (rt.clone(), Guard(dropped.clone()));
    async move {
        let _guard = guard;
        wrangle_core::sleep(&rt, ms(millis)).await;
        if fails {
            Err(format!("call {i} failed"))
        } else {
            Ok(i)
        }
    }
}

/// S8 with `!Send` children: ends at 2 s, task 3 dropped in place, task 2's error reported.
#[test]
fn s8_local() {
    wrangle_sim::run(8, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        let mut group = LocalTaskGroup::new();
        group.spawn_named("task 1", call(&rt, &dropped, 1, 1000, false));
        group.spawn_named("task 2", call(&rt, &dropped, 2, 2000, true));
        group.spawn_named("task 3", call(&rt, &dropped, 3, 5000, false));
        let err = group.join().await.unwrap_err();
        assert_eq!(rt.elapsed(), ms(2000));
        assert_eq!(err.first().child().name(), Some("task 2"));
        assert_eq!(err.cancelled()[0].name(), Some("task 3"));
        assert_eq!(dropped.get(), 3);
    });
}

/// S8 with two failures at the same instant, `!Send` children: tasks 2 and 3 fail at 2 s;
/// both are woken in the same pass, so both run and both failures are reported, in the
/// order they ran; task 4 is dropped in place.
#[test]
fn s8_local_two_failures_at_the_same_instant() {
    for seed in 0..20 {
        wrangle_sim::run(seed, |rt| async move {
            let dropped = Rc::new(Cell::new(0));
            let order = Rc::new(std::cell::RefCell::new(Vec::new()));
            let mut group = LocalTaskGroup::new();
            group.spawn(call(&rt, &dropped, 1, 1000, false));
            for i in [2, 3] {
                let (call, order) = (call(&rt, &dropped, i, 2000, true), order.clone());
                group.spawn(async move {
                    let out = call.await;
                    order.borrow_mut().push(i as usize - 1);
                    out
                });
            }
            group.spawn(call(&rt, &dropped, 4, 5000, false));
            let err = group.join().await.unwrap_err();
            assert_eq!(rt.elapsed(), ms(2000));
            let failed: Vec<_> = err.failures().iter().map(|f| f.child().index()).collect();
            assert_eq!(failed, *order.borrow());
            assert_eq!(failed, [1, 2], "seed {seed}: {err:?}");
            assert_eq!(err.cancelled()[0].index(), 3);
            assert_eq!(dropped.get(), 4);
        });
    }
}

/// S3 collect-all with `!Send` children.
#[test]
fn s3_collect_all_local() {
    wrangle_sim::run(3, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        let mut group = LocalTaskGroup::collect_all();
        for i in 0..3 {
            group.spawn(call(
                &rt,
                &dropped,
                i,
                if i == 1 { 500 } else { 1000 },
                i == 1,
            ));
        }
        let outcomes = group.join_outcomes().await;
        assert_eq!(rt.elapsed(), ms(1000));
        assert!(matches!(outcomes[0], Ok(0)));
        assert!(matches!(&outcomes[1], Err(ChildError::Failed(e)) if e == "call 1 failed"));
        assert!(matches!(outcomes[2], Ok(2)));
    });
}

/// S16 locally: a token cancels the looping workers; each one's cleanup ran when the join
/// returns.
#[test]
fn s16_local() {
    wrangle_sim::run(16, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        let shutdown = CancellationToken::new();
        let mut group = LocalTaskGroup::new().cancel_on(&shutdown);
        for _ in 0..3 {
            let (rt, guard) = (rt.clone(), Guard(dropped.clone()));
            group.spawn(async move {
                let _guard = guard;
                loop {
                    wrangle_core::sleep(&rt, ms(100)).await;
                }
                #[allow(unreachable_code)]
                Ok::<(), ()>(())
            });
        }
        let signal = shutdown.clone();
        let timer = rt.clone();
        let (joined, ()) = futures_lite::future::zip(group.join(), async move {
            wrangle_core::sleep(&timer, ms(750)).await;
            signal.cancel();
        })
        .await;
        assert!(joined.unwrap_err().is_cancelled());
        assert_eq!(rt.elapsed(), ms(750));
        assert_eq!(dropped.get(), 3);
    });
}

/// Shutdown with a grace: a child that reacts to the token finishes; a stubborn one is
/// dropped at the end of the grace and named.
#[test]
fn shutdown_local() {
    wrangle_sim::run(1, |rt| async move {
        let mut group = LocalTaskGroup::new();
        let (token, timer) = (group.token().clone(), rt.clone());
        group.spawn_named("polite", async move {
            token.cancelled().await;
            wrangle_core::sleep(&timer, ms(100)).await;
            Ok::<_, ()>(1)
        });
        group.spawn_named("stubborn", std::future::pending());
        let report = group.shutdown(&rt, ms(300)).await;
        assert_eq!(rt.elapsed(), ms(300));
        assert_eq!(report.unfinished().len(), 1);
        assert_eq!(report.unfinished()[0].name(), Some("stubborn"));
        assert!(matches!(report.outcomes()[0], Ok(1)));

        let mut group = LocalTaskGroup::<(), ()>::new();
        group.spawn(std::future::pending());
        let report = group.shutdown(&rt, Duration::ZERO).await;
        assert_eq!(rt.elapsed(), ms(300));
        assert_eq!(report.unfinished().len(), 1);
    });
}

/// A panicking child: the siblings are dropped before the panic surfaces at the join.
#[test]
fn panic_local() {
    wrangle_sim::run(1, |rt| async move {
        let dropped = Rc::new(Cell::new(0));
        let mut group = LocalTaskGroup::new();
        group.spawn(call(&rt, &dropped, 0, 1000, false));
        let timer = rt.clone();
        group.spawn(async move {
            wrangle_core::sleep(&timer, ms(5)).await;
            panic!("local bug")
        });
        let payload = AssertUnwindSafe(group.join())
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"local bug"));
        assert_eq!(dropped.get(), 1);
        assert_eq!(rt.elapsed(), ms(5));
    });
}

/// Children that borrow from the caller, on a plain `block_on`.
#[test]
fn borrowing_children_on_block_on() {
    let names = ["a".to_owned(), "b".to_owned()];
    let mut group = LocalTaskGroup::new();
    for name in &names {
        group.spawn(async move { Ok::<_, ()>(name.len()) });
    }
    assert_eq!(
        futures_lite::future::block_on(group.into_future()),
        Ok(vec![1, 1])
    );
}

#[test]
fn debug() {
    let mut group = LocalTaskGroup::<(), ()>::new();
    group.spawn(async { Ok(()) });
    assert_eq!(
        format!("{group:?}"),
        "LocalTaskGroup { fail_fast: true, children: 1, running: 1, cancelled: false, .. }"
    );
}
