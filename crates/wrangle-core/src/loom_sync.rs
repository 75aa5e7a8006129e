//! The synchronisation primitives of the lock-free and atomic state that the loom models check
//! (RELIABILITY.md, "loom"): `std`'s and `atomic-waker`'s in every normal build, loom's in the
//! crate's own tests under `RUSTFLAGS="--cfg loom"`, so the models run the real code.
//!
//! `Arc` is here for the cancellation token's nodes, whose last drop loom must see ordered
//! after every other use. The slot wakers and the task's shared state keep `std`'s: a
//! `Waker::from` needs a `std` `Arc` (`std::task::Wake`), and so does an `Arc<dyn Abortable>`.

#[cfg(not(all(loom, test)))]
pub(crate) use atomic_waker::AtomicWaker;
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8};
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::{Arc, Mutex};

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize};
#[cfg(all(loom, test))]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(all(loom, test))]
pub(crate) use support::{AtomicWaker, model};

/// What every wrangle crate's loom models share, exported (hidden) so that the combinators,
/// the resilience crate and the blocking bridge use one copy: the stand-in for
/// `atomic_waker::AtomicWaker` and the model runner. Exists only under `--cfg loom`.
#[cfg(loom)]
pub mod support {
    pub use loom_waker::AtomicWaker;

    /// `atomic_waker::AtomicWaker` is built on `std`'s atomics, which loom cannot see, so the
    /// models use this stand-in with the same API: a loom `Mutex<Option<Waker>>`. It is the
    /// specification the real one implements lock-free (every `wake` after a `register` returned
    /// wakes that waker, or a later one), not a copy of its algorithm; atomic-waker's own
    /// algorithm is not modelled here.
    mod loom_waker {
        use std::sync::PoisonError;
        use std::task::Waker;

        use loom::sync::Mutex;

        #[derive(Debug, Default)]
        pub struct AtomicWaker {
            waker: Mutex<Option<Waker>>,
        }

        impl AtomicWaker {
            pub fn new() -> Self {
                Self::default()
            }

            pub fn register(&self, waker: &Waker) {
                let mut slot = self.waker.lock().unwrap_or_else(PoisonError::into_inner);
                match &*slot {
                    Some(old) if old.will_wake(waker) => {}
                    _ => *slot = Some(waker.clone()),
                }
            }

            pub fn take(&self) -> Option<Waker> {
                self.waker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
            }

            pub fn wake(&self) {
                if let Some(waker) = self.take() {
                    waker.wake();
                }
            }
        }
    }

    /// Runs a loom model, exploring interleavings with at most `LOOM_MAX_PREEMPTIONS`
    /// preemptions of a running thread (3 unless that variable says otherwise): the bound that
    /// keeps the whole loom step of CI within minutes.
    pub fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(3);
        }
        builder.check(f);
    }
}
