//! The retry budget's atomic, which its loom model checks (RELIABILITY.md, "loom"): `std`'s in
//! every normal build, loom's in the crate's own tests under `RUSTFLAGS="--cfg loom"`, with
//! the model runner wrangle-core exports for every wrangle crate's models.

#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::AtomicU64;

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(all(loom, test))]
pub(crate) use wrangle_core::loom_sync::support::model;
