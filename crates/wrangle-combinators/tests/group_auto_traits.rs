//! `Send`, `Sync` and `Unpin` of the public types of groups, shield, spawned gather and the
//! cancellation token.
#![allow(clippy::unwrap_used)]

use std::future::Ready;

use wrangle_combinators::Shield;
use wrangle_combinators::gather::{SpawnGather, TrySpawnGather};
use wrangle_combinators::group::{
    ChildError, ChildFailure, ChildInfo, GroupError, GroupJoin, GroupJoinOutcomes, GroupShutdown,
    LocalGroupJoin, LocalGroupJoinOutcomes, LocalGroupShutdown, LocalTaskGroup, ShutdownReport,
    TaskGroup,
};
use wrangle_core::CancellationToken;
use wrangle_core::cancel::{Cancelled, OwnedCancelled, RunUntilCancelled};
use wrangle_sim::Sim;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

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

type Iter = std::vec::IntoIter<Ready<u8>>;
type TryIter = std::vec::IntoIter<Ready<Result<u8, u8>>>;

#[test]
fn send_sync_unpin() {
    send::<TaskGroup<Sim, u8, u8>>();
    sync::<TaskGroup<Sim, u8, u8>>();
    unpin::<TaskGroup<Sim, u8, u8>>();
    send::<TaskGroup<&'static Sim, u8, u8>>();
    send::<GroupJoin<Sim, u8, u8>>();
    sync::<GroupJoin<Sim, u8, u8>>();
    unpin::<GroupJoin<Sim, u8, u8>>();
    send::<GroupJoinOutcomes<Sim, u8, u8>>();
    unpin::<GroupJoinOutcomes<Sim, u8, u8>>();
    send::<GroupShutdown<Sim, u8, u8, Sim>>();
    send::<GroupShutdown<&'static Sim, u8, u8, &'static Sim>>();
    unpin::<LocalGroupJoin<'static, u8, u8>>();
    unpin::<LocalGroupJoinOutcomes<'static, u8, u8>>();
    let _ = std::mem::size_of::<LocalGroupShutdown<'static, u8, u8, Sim>>();
    send::<ShutdownReport<u8, u8>>();
    send::<GroupError<u8>>();
    sync::<GroupError<u8>>();
    send::<ChildFailure<u8>>();
    sync::<ChildFailure<u8>>();
    send::<ChildError<u8>>();
    sync::<ChildError<u8>>();
    send::<ChildInfo>();
    sync::<ChildInfo>();
    unpin::<LocalTaskGroup<'static, u8, u8>>();
    send::<Shield<u8>>();
    sync::<Shield<u8>>();
    unpin::<Shield<u8>>();
    send::<SpawnGather<Iter, Sim>>();
    send::<SpawnGather<Iter, &'static Sim>>();
    not_unpin!(SpawnGather<Iter, Sim>);
    send::<TrySpawnGather<TryIter, Sim>>();
    not_unpin!(TrySpawnGather<TryIter, Sim>);
    send::<CancellationToken>();
    sync::<CancellationToken>();
    unpin::<CancellationToken>();
    send::<Cancelled<'static>>();
    sync::<Cancelled<'static>>();
    unpin::<Cancelled<'static>>();
    send::<OwnedCancelled>();
    unpin::<OwnedCancelled>();
    send::<RunUntilCancelled<'static, Ready<u8>>>();
}
