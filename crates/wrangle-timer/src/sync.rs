//! The synchronisation primitives of the driver's shared state: `std`'s in every normal build,
//! loom's in the crate's own tests under `RUSTFLAGS="--cfg loom"`, so the model of the
//! arm / scan / cancel race (in `driver.rs`) runs the real code.

#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize};
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize};
#[cfg(all(loom, test))]
pub(crate) use loom::sync::{Mutex, MutexGuard};
