use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Inner, Permit};

/// Future for the [`Limiter::acquire`](super::Limiter::acquire) method.
///
/// # Examples
///
/// ```
/// let limiter = wrangle_blocking::Limiter::new(1).unwrap();
/// let acquire: wrangle_blocking::limiter::Acquire = limiter.acquire();
/// let permit = futures_lite::future::block_on(acquire);
/// assert_eq!(limiter.in_use(), 1);
/// drop(permit);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Acquire {
    limiter: Arc<Inner>,
    /// The waiter's key once it has queued.
    key: Option<usize>,
    done: bool,
}

impl Acquire {
    pub(super) fn new(limiter: Arc<Inner>) -> Self {
        Self {
            limiter,
            key: None,
            done: false,
        }
    }
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let this = self.get_mut();
        assert!(!this.done, "Acquire polled after it completed");
        let mut state = this.limiter.lock();
        match this.key {
            None if state.available > 0 && state.waiters.is_empty() => {
                state.available -= 1;
            }
            None => {
                this.key = Some(state.waiters.push_back(cx.waker().clone()));
                return Poll::Pending;
            }
            Some(key) => {
                if !state.waiters.poll_granted(key, cx.waker()) {
                    return Poll::Pending;
                }
                state.waiters.remove(key);
                this.key = None;
            }
        }
        drop(state);
        this.done = true;
        Poll::Ready(Permit::new(this.limiter.clone()))
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let granted = self.limiter.lock().waiters.remove(key);
            if granted {
                // Handed a permit we will never use: pass it on.
                self.limiter.release();
            }
        }
    }
}

impl fmt::Debug for Acquire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("queued", &self.key.is_some())
            .field("done", &self.done)
            .finish()
    }
}
