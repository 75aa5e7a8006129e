//! `Send`, `Sync` and `Unpin` of every public future and stream of the combinators.
#![allow(clippy::unwrap_used)]

use std::future::Ready;
use std::rc::Rc;

use wrangle_core::as_completed::{AsCompleted, AsCompletedDeadline};
use wrangle_core::gather::{Gather, GatherStream, GatherStreamUnordered, TryGather};
use wrangle_core::race_ok::{AggregateError, RaceOk};
use wrangle_core::time::{Interval, Sleep, Tick, YieldNow};
use wrangle_core::timeout::{Elapsed, Timeout};
use wrangle_core::wait::{Pending, Wait, WaitTimeout, Waited};
use wrangle_core::{Progress, Race};
use wrangle_sim::Sim;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn owned<T: Send + 'static>() {}

type Fut = Ready<u8>;
type TryFut = Ready<Result<u8, u8>>;
type Iter = std::vec::IntoIter<Fut>;
type TryIter = std::vec::IntoIter<TryFut>;
type Src = futures_lite::stream::Iter<Iter>;

#[test]
fn send_sync_unpin() {
    send::<Gather<Iter>>();
    sync::<Gather<Iter>>();
    unpin::<Gather<Iter>>();
    send::<TryGather<TryIter>>();
    sync::<TryGather<TryIter>>();
    unpin::<TryGather<TryIter>>();
    send::<GatherStream<Src>>();
    unpin::<GatherStream<Src>>();
    send::<GatherStreamUnordered<Src>>();
    unpin::<GatherStreamUnordered<Src>>();
    send::<AsCompleted<Iter>>();
    sync::<AsCompleted<Iter>>();
    unpin::<AsCompleted<Iter>>();
    send::<AsCompletedDeadline<Iter, Sim>>();
    send::<Wait<Fut>>();
    sync::<Wait<Fut>>();
    unpin::<Wait<Fut>>();
    send::<WaitTimeout<Fut, Sim>>();
    send::<Waited<Fut>>();
    send::<Pending<Fut>>();
    unpin::<Pending<Fut>>();
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
    let out = futures_lite::future::block_on(wrangle_core::gather((0..3).map(|i| {
        let local = local.clone();
        async move { *local + i }
    })));
    assert_eq!(out, [1, 2, 3]);
}
