use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::gcra::{Booking, Gcra};
use super::limiter::{duration_from_nanos, nanos_since, sleep_until_nanos};
use super::{Quota, RateLimited};
use crate::Timer;
use crate::time::Sleep;

/// The fewest keys the limiter holds before it sweeps out idle ones.
const MIN_SWEEP: usize = 1024;

/// A rate limiter per key — per host, per user — with memory bounded by evicting idle keys.
///
/// Each key has its own GCRA schedule (see [`RateLimiter`](super::RateLimiter)), starting
/// from the default [`Quota`]; a key's quota can be changed while it runs
/// ([`set_quota`](KeyedRateLimiter::set_quota): double a host's spacing after a 429).
///
/// **Eviction.** A key is *idle* once its schedule has caught up with the clock: a fresh key
/// would behave exactly the same, so forgetting it changes nothing. Keys whose quota was
/// changed are kept until they have also been idle for `retain_custom` (one minute unless
/// [`with_retention`](KeyedRateLimiter::with_retention) says otherwise), so a slowed-down host
/// is not forgiven the moment it goes quiet. Idle keys are swept whenever the map has doubled
/// since the last sweep (and holds at least 1024), so memory stays proportional to the keys
/// active within the last interval, whatever the number of distinct keys seen.
///
/// # Examples
///
/// At least 0.5 s between two requests to the same host; other hosts are not held up:
///
/// The futures of [`acquire`](KeyedRateLimiter::acquire) borrow the limiter;
/// [`acquire_owned`](KeyedRateLimiter::acquire_owned) holds a clone of it instead, for a
/// future that is `'static` whenever the key and the timer are.
///
/// ```
/// use std::time::Duration;
/// use wrangle::rate::{KeyedRateLimiter, Quota};
///
/// wrangle::sim::run(1, |rt| async move {
///     let polite = Quota::with_interval(Duration::from_millis(500)).unwrap();
///     let per_host = KeyedRateLimiter::new(&rt, polite);
///     per_host.acquire("a.example").await;
///     per_host.acquire("b.example").await;
///     assert_eq!(rt.elapsed(), Duration::ZERO);
///     per_host.acquire("a.example").await;
///     assert_eq!(rt.elapsed(), Duration::from_millis(500));
/// });
/// ```
pub struct KeyedRateLimiter<K, T: Timer> {
    inner: Arc<Inner<K, T>>,
}

struct Inner<K, T> {
    timer: T,
    base: Instant,
    default: Quota,
    retain_custom: u128,
    keys: Mutex<Keys<K>>,
}

struct Keys<K> {
    map: HashMap<K, Gcra>,
    sweep_at: usize,
}

impl<K, T: Timer> Clone for KeyedRateLimiter<K, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Hash + Eq + Clone, T: Timer> KeyedRateLimiter<K, T> {
    /// A limiter giving every key `quota`, on `timer`'s clock.
    pub fn new(timer: T, quota: Quota) -> Self {
        Self::with_retention(timer, quota, Duration::from_secs(60))
    }

    /// As [`new`](KeyedRateLimiter::new), keeping keys with a changed quota for
    /// `retain_custom` after they go idle.
    pub fn with_retention(timer: T, quota: Quota, retain_custom: Duration) -> Self {
        let base = timer.now();
        let retain_custom = retain_custom.as_nanos();
        let keys = Mutex::new(Keys {
            map: HashMap::new(),
            sweep_at: MIN_SWEEP,
        });
        Self {
            inner: Arc::new(Inner {
                timer,
                base,
                default: quota,
                retain_custom,
                keys,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Keys<K>> {
        self.inner
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now_nanos(&self) -> u128 {
        nanos_since(self.inner.base, self.inner.timer.now())
    }

    /// The schedule of `key`, created if needed; sweeps idle keys when the map has grown.
    fn with_key<R>(&self, key: &K, now: u128, f: impl FnOnce(&mut Gcra) -> R) -> R {
        let mut keys = self.lock();
        if keys.map.len() >= keys.sweep_at {
            let (default, retain) = (self.inner.default, self.inner.retain_custom);
            keys.map.retain(|_, g| !evictable(g, now, default, retain));
            keys.sweep_at = (keys.map.len() * 2).max(MIN_SWEEP);
        }
        let default = self.inner.default;
        if let Some(g) = keys.map.get_mut(key) {
            return f(g);
        }
        let g = keys
            .map
            .entry(key.clone())
            .or_insert_with(|| Gcra::new(default));
        f(g)
    }

    /// Admits a call for `key` now, or says how long until one would be admitted.
    ///
    /// # Errors
    ///
    /// [`RateLimited`] with the time until the key's next admission.
    pub fn try_acquire(&self, key: &K) -> Result<(), RateLimited> {
        let now = self.now_nanos();
        self.with_key(key, now, |g| g.try_admit(now))
            .map_err(|wait| RateLimited::after(duration_from_nanos(wait)))
    }

    /// Waits for an admission for `key`, in arrival order among that key's callers. The
    /// future borrows the limiter; [`acquire_owned`](KeyedRateLimiter::acquire_owned) is its
    /// owning twin.
    pub fn acquire(&self, key: K) -> KeyedAcquire<'_, K, T> {
        KeyedAcquire {
            limiter: self,
            waiting: KeyWaiting::new(key),
        }
    }

    /// [`acquire`](KeyedRateLimiter::acquire) with a future that owns a clone of the limiter:
    /// `'static` whenever the key and the timer are, so it can be spawned or stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Spawn;
    /// use wrangle::rate::{KeyedRateLimiter, Quota};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let per_host = KeyedRateLimiter::new(rt.clone(), Quota::per_second(1).unwrap());
    ///     per_host.acquire("a.example").await;
    ///     rt.spawn(per_host.acquire_owned("a.example")).await;
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn acquire_owned(&self, key: K) -> OwnedKeyedAcquire<K, T> {
        OwnedKeyedAcquire {
            limiter: self.clone(),
            waiting: KeyWaiting::new(key),
        }
    }

    /// The quota of `key` (the default unless changed).
    pub fn quota(&self, key: &K) -> Quota {
        self.lock()
            .map
            .get(key)
            .map_or(self.inner.default, |g| g.quota)
    }

    /// Changes `key`'s quota at once, e.g. `limiter.set_quota(&host, q.slowed(2))` after a
    /// 429: the key's next admission comes one new interval after its last one. Waiters
    /// already booked keep their places.
    pub fn set_quota(&self, key: &K, quota: Quota) {
        let now = self.now_nanos();
        self.with_key(key, now, |g| g.set_quota(quota, now));
    }

    /// How many keys the limiter holds now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the limiter holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every idle key now (see the type's docs), returning how many remain.
    pub fn evict_idle(&self) -> usize {
        let now = self.now_nanos();
        let (default, retain) = (self.inner.default, self.inner.retain_custom);
        let mut keys = self.lock();
        keys.map.retain(|_, g| !evictable(g, now, default, retain));
        keys.map.len()
    }
}

fn evictable(g: &Gcra, now: u128, default: Quota, retain_custom: u128) -> bool {
    if g.quota == default {
        g.is_idle(now)
    } else {
        g.tat.saturating_add(retain_custom) <= now
    }
}

impl<K, T: Timer> fmt::Debug for KeyedRateLimiter<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.inner.keys.lock().map_or(0, |k| k.map.len());
        f.debug_struct("KeyedRateLimiter")
            .field("default", &self.inner.default)
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

/// One acquisition's key and place: what [`KeyedAcquire`] and [`OwnedKeyedAcquire`] share.
struct KeyWaiting<K, T: Timer> {
    key: Option<K>,
    booking: Option<Booking>,
    sleep: Option<Pin<Box<Sleep<T>>>>,
}

impl<K: Hash + Eq + Clone, T: Timer> KeyWaiting<K, T> {
    fn new(key: K) -> Self {
        Self {
            key: Some(key),
            booking: None,
            sleep: None,
        }
    }

    fn poll(&mut self, limiter: &KeyedRateLimiter<K, T>, cx: &mut Context<'_>) -> Poll<()> {
        if self.booking.is_none() {
            let Some(key) = self.key.as_ref() else {
                return Poll::Ready(());
            };
            let now = limiter.now_nanos();
            let booking = limiter.with_key(key, now, |g| g.book(now));
            if booking.at <= now {
                self.key = None;
                return Poll::Ready(());
            }
            // Kept before the sleep is made, so that a timer that panics there still
            // gives the place back when this future is dropped.
            let at = booking.at;
            self.booking = Some(booking);
            let inner = &limiter.inner;
            self.sleep = Some(Box::pin(sleep_until_nanos(&inner.timer, inner.base, at)));
        }
        match self.sleep.as_mut().map(|s| s.as_mut().poll(cx)) {
            Some(Poll::Pending) => Poll::Pending,
            _ => {
                self.booking = None;
                self.sleep = None;
                self.key = None;
                Poll::Ready(())
            }
        }
    }

    /// Gives the place back, if one is held (the future is dropped before its turn).
    fn cancel(&mut self, limiter: &KeyedRateLimiter<K, T>) {
        if let (Some(booking), Some(key)) = (self.booking.take(), self.key.as_ref())
            && let Some(g) = limiter.lock().map.get_mut(key)
        {
            g.cancel(&booking);
        }
    }
}

/// Future for the [`KeyedRateLimiter::acquire`] method.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct KeyedAcquire<'a, K: Hash + Eq + Clone, T: Timer> {
    limiter: &'a KeyedRateLimiter<K, T>,
    waiting: KeyWaiting<K, T>,
}

/// Future for the [`KeyedRateLimiter::acquire_owned`] method.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedKeyedAcquire<K: Hash + Eq + Clone, T: Timer> {
    limiter: KeyedRateLimiter<K, T>,
    waiting: KeyWaiting<K, T>,
}

macro_rules! keyed_acquire_impls {
    ($name:ident [$($lt:lifetime)?]) => {
        // No field is ever pinned in place (the sleep is boxed), so the key need not be
        // `Unpin`.
        impl<$($lt,)? K: Hash + Eq + Clone, T: Timer> Unpin for $name<$($lt,)? K, T> {}

        impl<$($lt,)? K: Hash + Eq + Clone, T: Timer> Future for $name<$($lt,)? K, T> {
            type Output = ();

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                let this = self.get_mut();
                this.waiting.poll(&this.limiter, cx)
            }
        }

        impl<$($lt,)? K: Hash + Eq + Clone, T: Timer> Drop for $name<$($lt,)? K, T> {
            fn drop(&mut self) {
                self.waiting.cancel(&self.limiter);
            }
        }

        impl<$($lt,)? K: Hash + Eq + Clone, T: Timer> fmt::Debug for $name<$($lt,)? K, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("waiting", &self.waiting.booking.is_some())
                    .finish()
            }
        }
    };
}

keyed_acquire_impls!(KeyedAcquire['a]);
keyed_acquire_impls!(OwnedKeyedAcquire[]);
