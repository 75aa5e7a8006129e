//! The concurrency limit's counting semaphore: an atomic count of free permits, and an
//! event-listener [`Event`] for the callers waiting for one.
//!
//! Not async-lock's `Semaphore` (what `wrangle::sync::Semaphore` is): its guard notifies on
//! every release, and event-listener's notification starts with a full fence even when nobody
//! listens; measured on the bench machine, an acquire and release cost 105 ns against 71 ns
//! for tokio's (benches/tower.rs, BENCHMARKS.md). Here a release notifies only when a caller
//! has said it waits: the count and the number of waiters are both updated with `SeqCst`
//! read-modify-writes, so either the releaser sees the waiter, or the waiter's next attempt
//! (made after it listens) sees the permit.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};

use event_listener::{Event, EventListener, IntoNotification};

pub(crate) struct Semaphore {
    permits: AtomicUsize,
    waiters: AtomicUsize,
    event: Event,
}

impl Semaphore {
    pub(crate) fn new(permits: usize) -> Self {
        Self {
            permits: AtomicUsize::new(permits),
            waiters: AtomicUsize::new(0),
            event: Event::new(),
        }
    }

    /// Takes a free permit, if there is one.
    #[inline]
    pub(crate) fn try_acquire(self: &Arc<Self>) -> Option<Permit> {
        let mut free = self.permits.load(Ordering::Relaxed);
        loop {
            if free == 0 {
                return None;
            }
            match self.permits.compare_exchange_weak(
                free,
                free - 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(Permit(self.clone())),
                Err(now) => free = now,
            }
        }
    }

    #[inline]
    fn release(&self) {
        self.permits.fetch_add(1, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) != 0 {
            // One more waiter each time: two releases wake two waiters.
            self.event.notify(1.additional());
        }
    }
}

/// One permit; released when dropped.
pub(crate) struct Permit(Arc<Semaphore>);

impl Drop for Permit {
    #[inline]
    fn drop(&mut self) {
        self.0.release();
    }
}

/// A caller waiting for a permit: registered as a waiter until it gets one or is dropped.
pub(crate) struct Acquire {
    semaphore: Arc<Semaphore>,
    listener: Option<EventListener>,
    registered: bool,
}

impl Acquire {
    pub(crate) fn new(semaphore: Arc<Semaphore>) -> Self {
        Self {
            semaphore,
            listener: None,
            registered: false,
        }
    }
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let this = &mut *self;
        loop {
            if let Some(permit) = this.semaphore.try_acquire() {
                if std::mem::take(&mut this.registered) {
                    this.semaphore.waiters.fetch_sub(1, Ordering::SeqCst);
                }
                // A notification this listener got and did not use is passed on as it drops.
                this.listener = None;
                return Poll::Ready(permit);
            }
            match this.listener.as_mut() {
                None => {
                    if !this.registered {
                        this.semaphore.waiters.fetch_add(1, Ordering::SeqCst);
                        this.registered = true;
                    }
                    // Listen, then try again: a release after this point notifies.
                    this.listener = Some(this.semaphore.event.listen());
                }
                Some(listener) => {
                    ready!(Pin::new(listener).poll(cx));
                    this.listener = None;
                }
            }
        }
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        if self.registered {
            self.semaphore.waiters.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::{Acquire, Semaphore};

    #[test]
    fn two_releases_wake_two_waiters() {
        let sem = Arc::new(Semaphore::new(2));
        let (a, b) = (sem.try_acquire(), sem.try_acquire());
        assert!(a.is_some() && b.is_some() && sem.try_acquire().is_none());
        let mut cx = Context::from_waker(Waker::noop());
        let mut w1 = pin!(Acquire::new(sem.clone()));
        let mut w2 = pin!(Acquire::new(sem.clone()));
        assert!(w1.as_mut().poll(&mut cx).is_pending());
        assert!(w2.as_mut().poll(&mut cx).is_pending());
        drop((a, b));
        assert!(matches!(w1.as_mut().poll(&mut cx), Poll::Ready(_)));
        assert!(matches!(w2.as_mut().poll(&mut cx), Poll::Ready(_)));
        assert_eq!(sem.waiters.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn a_dropped_waiter_unregisters() {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.try_acquire();
        {
            let mut w = pin!(Acquire::new(sem.clone()));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(w.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(sem.waiters.load(std::sync::atomic::Ordering::SeqCst), 0);
        drop(held);
        assert!(sem.try_acquire().is_some());
    }
}
