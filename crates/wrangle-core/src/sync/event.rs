//! [`Event`], asyncio's `Event`: a flag tasks wait for, and the futures of its waits.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use event_listener::{Event as Listeners, EventListener, Listener as _};

/// A flag that tasks wait for, as asyncio's `Event`: [`set`](Self::set) releases every
/// waiter, [`clear`](Self::clear) makes later waits block again.
///
/// While the flag is set, [`wait()`](Self::wait) completes at once, so a `set` made before
/// the wait began is seen; while it is clear, `wait()` blocks until the next `set`. A waiter
/// already waiting when `set` is called is released even if `clear` follows at once, before
/// it runs (asyncio does the same: `set` wakes the waiters of that moment).
///
/// An `Event` is a handle: clones share one flag, and a clone costs one `Arc` increment, so
/// pass a clone to each task (as asyncio code passes the one event object around) rather than
/// wrapping it in an `Arc`. It is `Send + Sync`, needs no runtime, and waits with
/// [`event_listener`](https://docs.rs/event-listener): it works on every runtime and on
/// wrangle-sim.
///
/// A wait with a time limit is the runtime's [`timeout`](crate::TimerExt::timeout) around
/// `wait()`, the port of asyncio's `wait_for(event.wait(), 2)`:
/// `rt.timeout(Duration::from_secs(2), event.wait()).await` is `Err(Elapsed)` when the event
/// was not set in time.
///
/// # Examples
///
/// A producer waits for `start`, which the main task sets at 0.5 s (scenario S19 of the
/// repository's `docs/scenarios.md`):
///
/// ```
/// use std::time::Duration;
/// use wrangle::sync::Event;
/// use wrangle::{Spawn, Timer, TimerExt};
///
/// wrangle::sim::run(1, |rt| async move {
///     let start = Event::new();
///     let producer = rt.spawn({
///         let start = start.clone();
///         async move { start.wait().await }
///     });
///     rt.sleep(Duration::from_millis(500)).await;
///     start.set();
///     producer.await;
///     assert_eq!(rt.elapsed(), Duration::from_millis(500));
///
///     // With a time limit: still set, so at once; cleared, it gives up after 2 s.
///     assert!(rt.timeout(Duration::from_secs(2), start.wait()).await.is_ok());
///     start.clear();
///     assert!(rt.timeout(Duration::from_secs(2), start.wait()).await.is_err());
///     assert_eq!(rt.elapsed(), Duration::from_millis(2500));
/// });
/// ```
#[derive(Clone, Default)]
pub struct Event {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    set: AtomicBool,
    waiters: Listeners,
}

impl Event {
    /// An event that is not set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = wrangle::sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag and releases every task waiting for it; waits that begin while it stays
    /// set complete at once. Setting a set event does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = wrangle::sync::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        if !self.inner.set.swap(true, Ordering::SeqCst) {
            self.inner.waiters.notify(usize::MAX);
        }
    }

    /// Clears the flag: waits that begin afterwards block until the next [`set`](Self::set).
    ///
    /// # Examples
    ///
    /// ```
    /// let event = wrangle::sync::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        self.inner.set.store(false, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = wrangle::sync::Event::new();
    /// let clone = event.clone();
    /// clone.set();
    /// assert!(event.is_set()); // clones share one flag
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        self.inner.set.load(Ordering::SeqCst)
    }

    /// Waits until the flag is set: at once if it is set now.
    ///
    /// # Cancellation
    ///
    /// Cancel safe: dropping the future before it completes consumes nothing, so it can be a
    /// branch of a `select!` loop or be timed out and waited for again.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Spawn;
    /// use wrangle::sync::Event;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let ready = Event::new();
    ///     // Many waiters, one `set` releases them all.
    ///     let waiters: Vec<_> = (0..3)
    ///         .map(|i| {
    ///             let ready = ready.clone();
    ///             rt.spawn(async move {
    ///                 ready.wait().await;
    ///                 i
    ///             })
    ///         })
    ///         .collect();
    ///     ready.set();
    ///     let mut released = 0;
    ///     for w in waiters {
    ///         released += w.await;
    ///     }
    ///     assert_eq!(released, 0 + 1 + 2);
    /// });
    /// ```
    #[inline]
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            listener: None,
        }
    }

    /// [`wait()`](Self::wait) with a clone of the handle: the future is `'static`, so it can
    /// be spawned or timed out with an owned runtime handle.
    ///
    /// # Cancellation
    ///
    /// Cancel safe, as [`wait()`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::sync::Event;
    /// use wrangle::{Spawn, TimerExt};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let done = Event::new();
    ///     let waiter = rt.spawn(rt.timeout(Duration::from_secs(1), done.wait_owned()));
    ///     done.set();
    ///     assert!(waiter.await.is_ok());
    /// });
    /// ```
    #[inline]
    pub fn wait_owned(&self) -> OwnedEventWait {
        OwnedEventWait {
            event: self.clone(),
            listener: None,
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish()
    }
}

impl Inner {
    /// The poll of both wait futures: ready while the flag is set, or once a `set` after the
    /// listener was registered has notified it.
    #[inline]
    fn poll_wait(&self, listener: &mut Option<EventListener>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.set.load(Ordering::SeqCst) {
                discard(listener);
                return Poll::Ready(());
            }
            match listener {
                // Registered first, then the flag checked again (the loop): a `set` between
                // the check above and the registration is not missed.
                None => *listener = Some(self.waiters.listen()),
                Some(l) => {
                    if Pin::new(l).poll(cx).is_ready() {
                        // Notified by a `set` made while registered: released, even if the
                        // flag was cleared since.
                        *listener = None;
                        return Poll::Ready(());
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// Drops a listener without passing its notification on: event-listener would otherwise hand
/// a `set`'s notification, unused, to a listener registered after a `clear`, and release it
/// from a wait on a cleared event.
#[inline]
fn discard(listener: &mut Option<EventListener>) {
    if let Some(listener) = listener.take() {
        listener.discard();
    }
}

/// Future for the [`Event::wait()`] method.
///
/// # Examples
///
/// ```
/// use wrangle::sync::{Event, EventWait};
///
/// let event = Event::new();
/// event.set();
/// let wait: EventWait<'_> = event.wait();
/// wrangle::sim::run(1, |_| wait);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct EventWait<'a> {
    event: &'a Event,
    listener: Option<EventListener>,
}

impl Future for EventWait<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.event.inner.poll_wait(&mut this.listener, cx)
    }
}

impl Drop for EventWait<'_> {
    #[inline]
    fn drop(&mut self) {
        discard(&mut self.listener);
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("event", self.event)
            .finish_non_exhaustive()
    }
}

/// Future for the [`Event::wait_owned()`] method.
///
/// # Examples
///
/// ```
/// use wrangle::sync::{Event, OwnedEventWait};
///
/// let event = Event::new();
/// let wait: OwnedEventWait = event.wait_owned();
/// drop(event); // the future holds a handle of its own
/// # drop(wait);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedEventWait {
    event: Event,
    listener: Option<EventListener>,
}

impl Future for OwnedEventWait {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.event.inner.poll_wait(&mut this.listener, cx)
    }
}

impl Drop for OwnedEventWait {
    #[inline]
    fn drop(&mut self) {
        discard(&mut self.listener);
    }
}

impl fmt::Debug for OwnedEventWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedEventWait")
            .field("event", &self.event)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn poll(fut: &mut (impl Future + Unpin)) -> Poll<()> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(fut).poll(&mut cx).map(|_| ())
    }

    #[test]
    fn set_before_wait_is_seen() {
        let event = Event::new();
        event.set();
        assert_eq!(poll(&mut event.wait()), Poll::Ready(()));
        assert_eq!(poll(&mut event.wait_owned()), Poll::Ready(()));
    }

    #[test]
    fn clear_then_wait_blocks_until_set() {
        let event = Event::new();
        event.set();
        event.clear();
        let mut wait = event.wait();
        assert_eq!(poll(&mut wait), Poll::Pending);
        event.set();
        assert_eq!(poll(&mut wait), Poll::Ready(()));
    }

    #[test]
    fn waiter_of_a_set_is_released_even_if_cleared_before_it_runs() {
        let event = Event::new();
        let mut early = event.wait();
        assert_eq!(poll(&mut early), Poll::Pending);
        event.set();
        event.clear();
        let mut late = event.wait();
        assert_eq!(poll(&mut early), Poll::Ready(()));
        assert_eq!(poll(&mut late), Poll::Pending);
    }

    #[test]
    fn set_twice_and_many_waiters() {
        let event = Event::new();
        let mut waits: Vec<_> = (0..5).map(|_| event.wait_owned()).collect();
        for w in &mut waits {
            assert_eq!(poll(w), Poll::Pending);
        }
        event.set();
        event.set();
        for w in &mut waits {
            assert_eq!(poll(w), Poll::Ready(()));
        }
    }

    #[test]
    fn dropped_waiter_takes_nothing_from_the_others() {
        let event = Event::new();
        let mut a = event.wait();
        let mut b = event.wait();
        assert_eq!(poll(&mut a), Poll::Pending);
        assert_eq!(poll(&mut b), Poll::Pending);
        event.set();
        drop(a);
        event.clear();
        assert_eq!(poll(&mut b), Poll::Ready(()));
    }

    #[test]
    fn a_dropped_notified_waiter_releases_nobody_after_a_clear() {
        let event = Event::new();
        let mut a = event.wait();
        assert_eq!(poll(&mut a), Poll::Pending);
        event.set();
        event.clear();
        let mut b = event.wait();
        assert_eq!(poll(&mut b), Poll::Pending);
        drop(a); // notified, never polled again
        assert_eq!(poll(&mut b), Poll::Pending, "released from a cleared event");

        // A notified waiter that completes on the flag passes nothing on either.
        let mut c = event.wait();
        assert_eq!(poll(&mut c), Poll::Pending);
        event.set(); // notifies b and c
        assert_eq!(poll(&mut c), Poll::Ready(()));
        event.clear();
        let mut e = event.wait_owned();
        assert_eq!(poll(&mut e), Poll::Pending);
        drop(b);
        assert_eq!(poll(&mut e), Poll::Pending, "released from a cleared event");
    }

    #[test]
    fn auto_traits_and_debug() {
        fn send_sync_unpin<T: Send + Sync + Unpin>() {}
        send_sync_unpin::<Event>();
        send_sync_unpin::<EventWait<'static>>();
        send_sync_unpin::<OwnedEventWait>();
        let event = Event::new();
        assert_eq!(format!("{event:?}"), "Event { is_set: false }");
        assert!(format!("{:?}", event.wait()).starts_with("EventWait { event: Event"));
    }
}
