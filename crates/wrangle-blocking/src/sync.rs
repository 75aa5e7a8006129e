//! The synchronisation primitives of a call's shared state (`call.rs`) and of the pool's
//! state, workers and push protocol (`pool/state.rs`, `pool/threads.rs`, `pool/push.rs`),
//! which the loom models check
//! (RELIABILITY.md, "loom"): `std`'s and `atomic-waker`'s in every normal build, loom's in
//! the crate's own tests under `RUSTFLAGS="--cfg loom"`, so the models run the real code
//! (with wrangle-core's stand-in for `AtomicWaker` and its model runner, shared by every
//! wrangle crate's models).
//! The supervisor (in `pool/threads.rs`, its flags in `pool/state.rs`) stays on `std`: the
//! models configure a pool that never starts one.

#[cfg(not(all(loom, test)))]
pub(crate) use atomic_waker::AtomicWaker;
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, fence};
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(all(loom, test)))]
pub(crate) use std::thread;

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, fence};
#[cfg(all(loom, test))]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(all(loom, test))]
pub(crate) use loom::thread;
#[cfg(all(loom, test))]
pub(crate) use wrangle_core::loom_sync::support::{AtomicWaker, model};
