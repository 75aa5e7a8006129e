//! The engine's atomics and wakers, which its loom models check (RELIABILITY.md, "loom"):
//! `std`'s and `atomic-waker`'s in every normal build, loom's (and wrangle-core's stand-in for
//! `AtomicWaker`, with its model runner) in the crate's own tests under
//! `RUSTFLAGS="--cfg loom"`, so the models run the real code.

#[cfg(not(all(loom, test)))]
pub(crate) use atomic_waker::AtomicWaker;
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::AtomicUsize;

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::AtomicUsize;
#[cfg(all(loom, test))]
pub(crate) use wrangle_core::loom_sync::support::{AtomicWaker, model};
