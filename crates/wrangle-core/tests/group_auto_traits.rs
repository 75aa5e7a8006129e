//! `Send`, `Sync` and `Unpin` of the public types of groups, shield, spawned gather and the
//! cancellation token.
#![allow(clippy::unwrap_used)]

use std::future::Ready;

use wrangle_core::cancel::{Cancelled, CancelledOwned, RunUntilCancelled};
use wrangle_core::gather::{SpawnGather, TrySpawnGather};
use wrangle_core::group::{
    ChildError, ChildInfo, Failure, GroupError, Join, JoinOutcomes, LocalTaskGroup, Shutdown,
    ShutdownReport, TaskGroup,
};
use wrangle_core::{CancellationToken, Shield};
use wrangle_sim::Sim;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

type Iter = std::vec::IntoIter<Ready<u8>>;
type TryIter = std::vec::IntoIter<Ready<Result<u8, u8>>>;

#[test]
fn send_sync_unpin() {
    send::<TaskGroup<Sim, u8, u8>>();
    sync::<TaskGroup<Sim, u8, u8>>();
    unpin::<TaskGroup<Sim, u8, u8>>();
    send::<Join<Sim, u8, u8>>();
    sync::<Join<Sim, u8, u8>>();
    unpin::<Join<Sim, u8, u8>>();
    send::<JoinOutcomes<Sim, u8, u8>>();
    unpin::<JoinOutcomes<Sim, u8, u8>>();
    send::<Shutdown<Sim, u8, u8, Sim>>();
    send::<ShutdownReport<u8, u8>>();
    send::<GroupError<u8>>();
    sync::<GroupError<u8>>();
    send::<Failure<u8>>();
    send::<ChildError<u8>>();
    sync::<ChildError<u8>>();
    send::<ChildInfo>();
    sync::<ChildInfo>();
    unpin::<LocalTaskGroup<'static, u8, u8>>();
    send::<Shield<u8>>();
    sync::<Shield<u8>>();
    unpin::<Shield<u8>>();
    send::<SpawnGather<Iter, Sim>>();
    unpin::<SpawnGather<Iter, Sim>>();
    send::<TrySpawnGather<TryIter, Sim>>();
    unpin::<TrySpawnGather<TryIter, Sim>>();
    send::<CancellationToken>();
    sync::<CancellationToken>();
    unpin::<CancellationToken>();
    send::<Cancelled<'static>>();
    sync::<Cancelled<'static>>();
    unpin::<Cancelled<'static>>();
    send::<CancelledOwned>();
    unpin::<CancelledOwned>();
    send::<RunUntilCancelled<'static, Ready<u8>>>();
}
