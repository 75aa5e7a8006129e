//! The auto traits of every public type.

use std::fmt::Debug;

use wrangle_sim::{Sim, SimSleep};

fn send_sync_static<T: Send + Sync + Debug + 'static>() {}
fn unpin<T: Unpin>() {}
fn clone<T: Clone>() {}

#[test]
fn auto_traits() {
    send_sync_static::<Sim>();
    clone::<Sim>();
    unpin::<Sim>();
    send_sync_static::<SimSleep>();
    unpin::<SimSleep>();
}
