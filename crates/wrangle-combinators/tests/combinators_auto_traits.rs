//! `Send`, `Sync` and `Unpin` of every public future and stream of the combinators. Those
//! with configuration methods are `!Unpin`, so nothing can be configured after the first
//! poll.
#![allow(clippy::unwrap_used)]

use std::future::Ready;
use std::rc::Rc;

use wrangle_combinators::as_completed::{AsCompleted, NoDeadline, WithDeadline};
use wrangle_combinators::gather::{Gather, GatherStream, GatherStreamUnordered, TryGather};
use wrangle_combinators::race_ok::{AggregateError, RaceOk};
use wrangle_combinators::wait::{Remaining, Wait, Waited};
use wrangle_combinators::{Progress, Race};
use wrangle_core::time::{Interval, Sleep, Tick, YieldNow};
use wrangle_core::timeout::{Elapsed, Timeout};
use wrangle_sim::Sim;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn owned<T: Send + 'static>() {}

/// Ambiguous, so a compile error, exactly when `T: Unpin`: `not_unpin!(T)` compiles only for
/// a `!Unpin` type.
trait AmbiguousIfUnpin<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfUnpin<()> for T {}
impl<T: ?Sized + Unpin> AmbiguousIfUnpin<u8> for T {}
macro_rules! not_unpin {
    ($t:ty) => {
        <$t as AmbiguousIfUnpin<_>>::check()
    };
}

type Fut = Ready<u8>;
type TryFut = Ready<Result<u8, u8>>;
type Iter = std::vec::IntoIter<Fut>;
type TryIter = std::vec::IntoIter<TryFut>;
type Src = futures_lite::stream::Iter<Iter>;

#[test]
fn send_sync_unpin() {
    send::<Gather<Iter>>();
    sync::<Gather<Iter>>();
    not_unpin!(Gather<Iter>);
    send::<TryGather<TryIter>>();
    sync::<TryGather<TryIter>>();
    not_unpin!(TryGather<TryIter>);
    send::<GatherStream<Src>>();
    not_unpin!(GatherStream<Src>);
    send::<GatherStreamUnordered<Src>>();
    not_unpin!(GatherStreamUnordered<Src>);
    send::<AsCompleted<Iter>>();
    sync::<AsCompleted<Iter>>();
    not_unpin!(AsCompleted<Iter>);
    send::<AsCompleted<Iter, fn(Progress), WithDeadline<Sim>>>();
    send::<AsCompleted<Iter, fn(Progress), WithDeadline<&'static Sim>>>();
    not_unpin!(AsCompleted<Iter, fn(Progress), WithDeadline<Sim>>);
    send::<NoDeadline>();
    sync::<NoDeadline>();
    unpin::<NoDeadline>();
    send::<Wait<Fut>>();
    sync::<Wait<Fut>>();
    not_unpin!(Wait<Fut>);
    send::<Wait<Fut, WithDeadline<Sim>>>();
    not_unpin!(Wait<Fut, WithDeadline<Sim>>);
    send::<Waited<Fut>>();
    send::<Remaining<Fut>>();
    unpin::<Remaining<Fut>>();
    send::<Race<Fut>>();
    unpin::<Race<Fut>>();
    send::<RaceOk<TryFut>>();
    unpin::<RaceOk<TryFut>>();
    send::<Timeout<Fut, Sim>>();
    sync::<Timeout<Fut, Sim>>();
    unpin::<Timeout<Fut, Sim>>();
    send::<Timeout<Fut, &Sim>>();
    sync::<Timeout<Fut, &Sim>>();
    // The owned forms are 'static: they can be spawned, returned and stored.
    owned::<Timeout<Fut, Sim>>();
    owned::<Sleep<Sim>>();
    owned::<Interval<Sim>>();
    owned::<Sleep<&'static Sim>>();
    send::<Sleep<Sim>>();
    sync::<Sleep<Sim>>();
    unpin::<Sleep<Sim>>();
    send::<Interval<Sim>>();
    unpin::<Interval<Sim>>();
    send::<Tick<'static, Sim>>();
    unpin::<Tick<'static, Sim>>();
    send::<YieldNow>();
    sync::<YieldNow>();
    unpin::<YieldNow>();
    send::<Elapsed>();
    sync::<Elapsed>();
    send::<AggregateError<u8>>();
    sync::<AggregateError<u8>>();
    send::<Progress>();
    sync::<Progress>();
}

#[test]
fn non_send_children_are_accepted() {
    let local = Rc::new(1u8);
    let out = futures_lite::future::block_on(wrangle_combinators::gather((0..3).map(|i| {
        let local = local.clone();
        async move { *local + i }
    })));
    assert_eq!(out, [1, 2, 3]);
}
