//! `Send`, `Sync` and `Unpin` of the task set, the nursery and `start`'s types.

use wrangle_combinators::TaskSet;
use wrangle_combinators::group::{Nursery, SpawnRefused, Start, StartError, TaskStatus};
use wrangle_combinators::task_set::JoinNext;
use wrangle_sim::Sim;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

#[test]
fn send_sync_unpin() {
    send::<TaskSet<Sim, u8>>();
    sync::<TaskSet<Sim, u8>>();
    unpin::<TaskSet<Sim, u8>>();
    send::<JoinNext<'static, Sim, u8>>();
    sync::<JoinNext<'static, Sim, u8>>();
    unpin::<JoinNext<'static, Sim, u8>>();
    send::<Nursery<Sim, u8, u8>>();
    sync::<Nursery<Sim, u8, u8>>();
    unpin::<Nursery<Sim, u8, u8>>();
    send::<Start<u8>>();
    sync::<Start<u8>>();
    unpin::<Start<u8>>();
    send::<TaskStatus<u8>>();
    sync::<TaskStatus<u8>>();
    send::<StartError>();
    sync::<SpawnRefused>();
}
