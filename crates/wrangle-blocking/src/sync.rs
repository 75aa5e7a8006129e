//! The synchronisation primitives of a call's shared state (`call.rs`) and of the pool's
//! state, workers and push protocol (`pool/state.rs`, `pool/threads.rs`, `pool/push.rs`),
//! which the loom models check
//! (RELIABILITY.md, "loom"): `std`'s and `atomic-waker`'s in every normal build, loom's in
//! the crate's own tests under `RUSTFLAGS="--cfg loom"`, so the models run the real code.
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
pub(crate) use loom_waker::AtomicWaker;

/// `atomic_waker::AtomicWaker` is built on `std`'s atomics, which loom cannot see, so the
/// models use this stand-in with the same API: a loom `Mutex<Option<Waker>>`, the
/// specification the real one implements lock-free. The same stand-in as wrangle-core's
/// (`wrangle-core/src/loom_sync.rs`), which is private to that crate's tests.
#[cfg(all(loom, test))]
mod loom_waker {
    use std::sync::PoisonError;
    use std::task::Waker;

    use loom::sync::Mutex;

    #[derive(Debug, Default)]
    pub(crate) struct AtomicWaker {
        waker: Mutex<Option<Waker>>,
    }

    impl AtomicWaker {
        pub(crate) fn new() -> Self {
            Self::default()
        }

        pub(crate) fn register(&self, waker: &Waker) {
            let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
            match &*slot {
                Some(old) if old.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
        }

        pub(crate) fn take(&self) -> Option<Waker> {
            self.waker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        }

        pub(crate) fn wake(&self) {
            if let Some(waker) = self.take() {
                waker.wake();
            }
        }
    }
}

/// Runs a loom model, exploring interleavings with at most `LOOM_MAX_PREEMPTIONS`
/// preemptions of a running thread (3 unless that variable says otherwise), the bound that
/// keeps CI's loom step within minutes.
#[cfg(all(loom, test))]
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}
