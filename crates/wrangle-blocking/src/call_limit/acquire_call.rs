use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{CallPermit, Inner};

/// Future for the [`CallLimit::acquire`](super::CallLimit::acquire) method.
///
/// # Examples
///
/// ```
/// let cap = wrangle::blocking::CallLimit::new(1);
/// let acquire: wrangle::blocking::call_limit::AcquireCall = cap.acquire();
/// let permit = wrangle::blocking::block_on(acquire);
/// assert_eq!(cap.in_use(), 1);
/// drop(permit);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AcquireCall {
    limiter: Arc<Inner>,
    /// The waiter's key once it has queued.
    key: Option<usize>,
    done: bool,
}

impl AcquireCall {
    pub(super) fn new(limiter: Arc<Inner>) -> Self {
        Self {
            limiter,
            key: None,
            done: false,
        }
    }
}

impl Future for AcquireCall {
    type Output = CallPermit;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CallPermit> {
        let this = self.get_mut();
        assert!(!this.done, "AcquireCall polled after it completed");
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
        Poll::Ready(CallPermit::new(this.limiter.clone()))
    }
}

impl Drop for AcquireCall {
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

impl fmt::Debug for AcquireCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireCall")
            .field("queued", &self.key.is_some())
            .field("done", &self.done)
            .finish()
    }
}
