//! [`CallLimit`]: a shareable, FIFO-fair cap on how many calls of one kind run at once.

mod acquire_call;
mod queue;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use acquire_call::AcquireCall;

use wrangle_core::IntoLimit;

use queue::Waiters;

/// A shareable cap on how many blocking calls of one kind run at once, fair to its waiters:
/// anyio's `CapacityLimiter`.
///
/// A call takes a [`CallPermit`] before it starts and gives it back when it ends; while all
/// `limit` permits are out, callers wait ([`acquire`](CallLimit::acquire)) in first-come,
/// first-served order. A released permit is handed straight to the oldest waiter, so a
/// newcomer can never take it first, and a waiter that gives up (its [`AcquireCall`] dropped)
/// leaves the queue at once, passing on a permit it had already been handed.
///
/// Clones share the same permits. The cap is independent of where the calls run: hand it to
/// an [`Offload`](crate::Offload) ([`limit_by`](crate::Offload::limit_by)) to cap calls on a
/// [`BlockingPool`](crate::BlockingPool) or on a runtime's own blocking pool, share it
/// between several `Offload`s, or move a permit into any closure yourself.
///
/// (Not a rate limit, which caps calls per unit of time: `wrangle::rate`. A `CallLimit` caps
/// the calls *in flight*, however long each takes.)
///
/// # Why not `async-lock`'s `Semaphore`
///
/// Its `acquire` tries to take a permit before queueing, and a waiter woken by a release must
/// then race newcomers for the permit; under steady load a waiter can lose that race again and
/// again. Handing the permit over under the lock, as here, is what makes the order FIFO.
///
/// # Examples
///
/// At most 3 database calls in flight, shared by two routes (the scenario S1 of
/// `docs/scenarios.md`):
///
/// ```
/// use wrangle::blocking::{CallLimit, Offload};
///
/// let db = CallLimit::new(3);
/// let reads = Offload::global().limit_by(&db);
/// let writes = Offload::global().limit_by(&db);
/// let total: u32 = wrangle::blocking::block_on(async {
///     let each = (1..=12).map(|n| if n % 2 == 0 { reads.unblock(move || n) } else { writes.unblock(move || n) });
///     wrangle::gather(each).await.into_iter().sum()
/// });
/// assert_eq!(total, 78);
/// assert_eq!(db.in_use(), 0);
/// ```
///
/// With a runtime's `spawn_blocking` directly: the permit moves into the closure, so it is
/// held exactly as long as the call runs, even if the caller stops waiting.
///
/// ```
/// use wrangle::blocking::CallLimit;
/// use wrangle::smol::Smol;
/// use wrangle::{Runtime, Spawn};
///
/// let rt = Smol::new()?;
/// let disk = CallLimit::new(2);
/// rt.block_on(async {
///     let permit = disk.acquire().await;
///     let entries = rt.spawn_blocking(move || {
///         let _permit = permit;
///         std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0)
///     });
///     let _ = entries.await;
/// });
/// assert_eq!(disk.in_use(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct CallLimit {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    limit: usize,
    state: Mutex<State>,
}

struct State {
    /// Permits nobody holds and nobody has been handed.
    available: usize,
    waiters: Waiters,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing that can panic runs under the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives one permit back: to the oldest waiter if there is one, else to the pool.
    fn release(&self) {
        let waker = {
            let mut state = self.lock();
            match state.waiters.grant_oldest() {
                Some(waker) => waker,
                None => {
                    state.available += 1;
                    return;
                }
            }
        };
        // Woken outside the lock: a waker may run arbitrary code.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl CallLimit {
    /// A cap of at most `limit` calls in flight at once: `CallLimit::new(8)`, or a
    /// [`NonZeroUsize`](std::num::NonZeroUsize) for a cap read from configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::blocking::CallLimit;
    ///
    /// assert_eq!(CallLimit::new(40).limit(), 40);
    ///
    /// let configured = std::num::NonZeroUsize::new(4).expect("checked where it is read");
    /// assert_eq!(CallLimit::new(configured).limit(), 4);
    /// ```
    ///
    /// # Panics
    ///
    /// On a plain `0`, at once, with "a concurrency limit must be at least 1": no call could
    /// ever start, so every caller would wait forever. A `NonZeroUsize` never panics.
    #[track_caller]
    pub fn new(limit: impl IntoLimit) -> Self {
        let limit = limit.into_limit().get();
        Self {
            inner: Arc::new(Inner {
                limit,
                state: Mutex::new(State {
                    available: limit,
                    waiters: Waiters::new(),
                }),
            }),
        }
    }

    /// Waits for a permit, in FIFO order with the other waiters.
    ///
    /// # Cancellation
    ///
    /// Dropping the future leaves the queue at once; a permit it had already been handed goes
    /// to the next waiter. So it is cancel safe: no permit is lost, and none is taken that the
    /// caller does not get.
    ///
    /// # Examples
    ///
    /// ```
    /// let cap = wrangle::blocking::CallLimit::new(1);
    /// wrangle::blocking::block_on(async {
    ///     let permit = cap.acquire().await;
    ///     assert!(cap.try_acquire().is_none());
    ///     drop(permit);
    ///     assert!(cap.try_acquire().is_some());
    /// });
    /// ```
    pub fn acquire(&self) -> AcquireCall {
        AcquireCall::new(self.inner.clone())
    }

    /// A permit if one is free and nobody is waiting for one (waiters come first).
    ///
    /// # Examples
    ///
    /// ```
    /// let cap = wrangle::blocking::CallLimit::new(1);
    /// let first = cap.try_acquire();
    /// assert!(first.is_some());
    /// assert!(cap.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<CallPermit> {
        let mut state = self.inner.lock();
        if state.available > 0 && state.waiters.is_empty() {
            state.available -= 1;
            Some(CallPermit::new(self.inner.clone()))
        } else {
            None
        }
    }

    /// How many calls may hold a permit at once.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wrangle::blocking::CallLimit::new(3).limit(), 3);
    /// ```
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// How many permits are out right now (held, or handed to a waiter about to wake).
    ///
    /// # Examples
    ///
    /// ```
    /// let cap = wrangle::blocking::CallLimit::new(3);
    /// let _permit = cap.try_acquire();
    /// assert_eq!(cap.in_use(), 1);
    /// ```
    pub fn in_use(&self) -> usize {
        self.inner.limit - self.inner.lock().available
    }

    /// How many callers are waiting for a permit.
    ///
    /// # Examples
    ///
    /// ```
    /// let cap = wrangle::blocking::CallLimit::new(3);
    /// assert_eq!(cap.waiting(), 0);
    /// ```
    pub fn waiting(&self) -> usize {
        self.inner.lock().waiters.len()
    }
}

impl fmt::Debug for CallLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("CallLimit")
            .field("limit", &self.inner.limit)
            .field("in_use", &(self.inner.limit - state.available))
            .field("waiting", &state.waiters.len())
            .finish()
    }
}

/// The right to run one call under a [`CallLimit`]; gives itself back when dropped.
///
/// It is `'static` and `Send`: move it into the closure that does the work, so it is held as
/// long as the call runs, and a call that never returns keeps it for good.
///
/// # Examples
///
/// ```
/// let cap = wrangle::blocking::CallLimit::new(1);
/// let permit = cap.try_acquire().unwrap();
/// std::thread::spawn(move || {
///     let _permit = permit; // held while the thread works
/// })
/// .join()
/// .unwrap();
/// assert_eq!(cap.in_use(), 0);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct CallPermit {
    limiter: Arc<Inner>,
}

impl CallPermit {
    pub(crate) fn new(limiter: Arc<Inner>) -> Self {
        Self { limiter }
    }
}

impl Drop for CallPermit {
    fn drop(&mut self) {
        self.limiter.release();
    }
}

impl fmt::Debug for CallPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallPermit")
            .field("limit", &self.limiter.limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;
    use std::task::{Context, Poll, Waker};

    use futures_lite::future;

    use super::*;

    fn poll<F: std::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        std::pin::Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn smoke() {
        let limiter = CallLimit::new(2);
        let a = future::block_on(limiter.acquire());
        let b = future::block_on(limiter.acquire());
        assert_eq!(limiter.in_use(), 2);
        drop((a, b));
        assert_eq!(limiter.in_use(), 0);
    }

    #[test]
    fn zero_is_rejected() {
        let zero = std::panic::catch_unwind(|| CallLimit::new(0));
        assert!(zero.is_err());
        assert_eq!(CallLimit::new(NonZeroUsize::MIN).limit(), 1);
    }

    #[test]
    fn fifo_hand_off_beats_newcomers() {
        let limiter = CallLimit::new(1);
        let held = limiter.try_acquire().unwrap();
        let mut first = limiter.acquire();
        let mut second = limiter.acquire();
        assert!(poll(&mut first).is_pending());
        assert!(poll(&mut second).is_pending());
        assert_eq!(limiter.waiting(), 2);
        drop(held);
        // Handed to `first` already: a newcomer cannot take it.
        assert!(limiter.try_acquire().is_none());
        let mut third = limiter.acquire();
        assert!(poll(&mut third).is_pending());
        assert!(poll(&mut second).is_pending());
        let Poll::Ready(p1) = poll(&mut first) else {
            panic!("first waiter gets the permit")
        };
        drop(p1);
        assert!(poll(&mut third).is_pending());
        assert!(matches!(poll(&mut second), Poll::Ready(_)));
    }

    #[test]
    fn dropping_a_granted_waiter_passes_the_permit_on() {
        let limiter = CallLimit::new(1);
        let held = limiter.try_acquire().unwrap();
        let mut first = limiter.acquire();
        let mut second = limiter.acquire();
        assert!(poll(&mut first).is_pending());
        assert!(poll(&mut second).is_pending());
        drop(held); // handed to `first`
        drop(first); // which gives up: `second` gets it
        assert!(matches!(poll(&mut second), Poll::Ready(_)));
        assert_eq!(limiter.waiting(), 0);
    }

    #[test]
    fn dropping_a_waiter_leaves_the_queue() {
        let limiter = CallLimit::new(1);
        let held = limiter.try_acquire().unwrap();
        let mut waiters: Vec<_> = (0..5).map(|_| limiter.acquire()).collect();
        for w in &mut waiters {
            assert!(poll(w).is_pending());
        }
        drop(waiters.remove(2));
        drop(waiters.remove(0));
        assert_eq!(limiter.waiting(), 3);
        drop(waiters);
        assert_eq!(limiter.waiting(), 0);
        drop(held);
        assert_eq!(limiter.in_use(), 0);
        assert!(limiter.try_acquire().is_some());
    }

    #[test]
    fn debug() {
        let limiter = CallLimit::new(3);
        assert_eq!(
            format!("{limiter:?}"),
            "CallLimit { limit: 3, in_use: 0, waiting: 0 }"
        );
        let permit = limiter.try_acquire().unwrap();
        assert_eq!(format!("{permit:?}"), "CallPermit { limit: 3 }");
        assert!(format!("{:?}", limiter.acquire()).starts_with("AcquireCall"));
    }
}
