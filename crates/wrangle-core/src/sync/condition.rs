//! [`Condition`], asyncio's `Condition`: a lock with the data it guards, and waits that
//! release the lock until notified.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_lock::futures::Lock;
use async_lock::{Mutex, MutexGuard};
use event_listener::{Event as Listeners, EventListener, IntoNotification};
use pin_project_lite::pin_project;

/// A lock and the data it guards, with waits for a change of that data, as asyncio's
/// `Condition`.
///
/// [`lock`](Self::lock) takes the lock (asyncio's `async with cond:`) and gives a
/// [`MutexGuard`]; [`wait(guard)`](Self::wait) releases it, waits for a
/// [`notify_one`](Self::notify_one) or [`notify_all`](Self::notify_all), takes the lock again
/// and gives the guard back; [`wait_for(guard, predicate)`](Self::wait_for) waits that way
/// until `predicate` holds for the data (checked under the lock, first at once). The lock is
/// an async-lock [`Mutex`], so the guard may be held across `.await`s.
///
/// As with every condition variable, a wake-up says "look again", not "it is true": change
/// the data while holding the lock, then notify, and have waiters check their condition (which
/// `wait_for` does). Differences from asyncio: the condition owns its data (`Condition<T>`,
/// as [`Mutex<T>`] does), so a wait without the lock cannot be written — `wait` takes the
/// guard; and `notify_one` / `notify_all` need not be called with the lock held (asyncio
/// raises `RuntimeError`), though the change they announce must have been made under it.
///
/// Share it as a [`Mutex`] is shared: in an `Arc` (or by reference, in scoped code). It is
/// `Send + Sync` when `T: Send`, needs no runtime, and works on every runtime and on
/// wrangle-sim.
///
/// # Examples
///
/// Consumers wait until a shared value reaches their threshold; a producer raises it step by
/// step (scenario S19 of the repository's `docs/scenarios.md`):
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use wrangle::sync::Condition;
/// use wrangle::{Spawn, Timer, TimerExt};
///
/// wrangle::sim::run(1, |rt| async move {
///     let level = Arc::new(Condition::new(0u32));
///     let consumers: Vec<_> = [2, 4]
///         .into_iter()
///         .map(|threshold| {
///             let level = level.clone();
///             rt.spawn(async move {
///                 let guard = level.lock().await;
///                 *level.wait_for(guard, |v| *v >= threshold).await
///             })
///         })
///         .collect();
///     for _ in 0..5 {
///         rt.sleep(Duration::from_secs(1)).await;
///         *level.lock().await += 1;
///         level.notify_all();
///     }
///     // Each woke at the step that reached its threshold, before the next one.
///     for (consumer, threshold) in consumers.into_iter().zip([2, 4]) {
///         assert_eq!(consumer.await, threshold);
///     }
/// });
/// ```
pub struct Condition<T> {
    waiters: Listeners,
    mutex: Mutex<T>,
}

impl<T> Condition<T> {
    /// A condition guarding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = wrangle::sync::Condition::new(Vec::<u32>::new());
    /// # drop(cond);
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            waiters: Listeners::new(),
            mutex: Mutex::new(value),
        }
    }

    /// Takes the lock, waiting while another task holds it.
    ///
    /// # Cancellation
    ///
    /// Cancel safe, as async-lock's `Mutex::lock`: dropping the future before it completes
    /// gives up the place in the queue and takes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::sync::Condition;
    ///
    /// wrangle::sim::run(1, |_| async {
    ///     let cond = Condition::new(1);
    ///     *cond.lock().await += 1;
    ///     assert_eq!(*cond.lock().await, 2);
    /// });
    /// ```
    pub fn lock(&self) -> Lock<'_, T> {
        self.mutex.lock()
    }

    /// Takes the lock if no other task holds it.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = wrangle::sync::Condition::new(0);
    /// let held = cond.try_lock().expect("nobody holds it");
    /// assert!(cond.try_lock().is_none());
    /// # drop(held);
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.mutex.try_lock()
    }

    /// Releases the lock held by `guard`, waits for a notification, takes the lock again and
    /// gives the guard back.
    ///
    /// The waiter is registered before the lock is released, so a notification sent after
    /// this wait took the lock's place — by a task that changed the data under the lock — is
    /// never missed. Wake-ups may be spurious (for example, passed on by a cancelled waiter):
    /// check the condition again after each, or use [`wait_for`](Self::wait_for).
    ///
    /// # Cancellation
    ///
    /// Dropping the future loses no notification: one received but not yet acted on (the
    /// wait was re-taking the lock) is passed on to another waiter, as asyncio does for a
    /// cancelled waiter. The lock is not held while the future waits, and not held after it
    /// is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use wrangle::Spawn;
    /// use wrangle::sync::Condition;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let ready = Arc::new(Condition::new(false));
    ///     let waiter = rt.spawn({
    ///         let ready = ready.clone();
    ///         async move {
    ///             let mut guard = ready.lock().await;
    ///             while !*guard {
    ///                 guard = ready.wait(guard).await;
    ///             }
    ///         }
    ///     });
    ///     *ready.lock().await = true;
    ///     ready.notify_one();
    ///     waiter.await;
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// If `guard` is a guard of another mutex than this condition's.
    pub fn wait<'a>(&'a self, guard: MutexGuard<'a, T>) -> ConditionWait<'a, T> {
        self.check_guard(&guard);
        ConditionWait {
            inner: Waiting::new(self, guard),
        }
    }

    /// Waits, as [`wait`](Self::wait) does, until `predicate` holds for the guarded data;
    /// gives back the guard, the lock held. The predicate is checked under the lock: at once,
    /// then after each wake-up, so it returns at once when it already holds.
    ///
    /// # Cancellation
    ///
    /// As [`wait`](Self::wait): no notification is lost, and the lock is released.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use wrangle::Spawn;
    /// use wrangle::sync::Condition;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let items = Arc::new(Condition::new(Vec::new()));
    ///     let consumer = rt.spawn({
    ///         let items = items.clone();
    ///         async move {
    ///             let guard = items.lock().await;
    ///             let mut guard = items.wait_for(guard, |v: &Vec<u32>| v.len() >= 2).await;
    ///             std::mem::take(&mut *guard)
    ///         }
    ///     });
    ///     for item in [1, 2] {
    ///         items.lock().await.push(item);
    ///         items.notify_one();
    ///     }
    ///     assert_eq!(consumer.await, [1, 2]);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// If `guard` is a guard of another mutex than this condition's, and when `predicate`
    /// panics.
    pub fn wait_for<'a, P>(
        &'a self,
        guard: MutexGuard<'a, T>,
        predicate: P,
    ) -> ConditionWaitFor<'a, T, P>
    where
        P: FnMut(&T) -> bool,
    {
        self.check_guard(&guard);
        ConditionWaitFor {
            inner: Waiting::new(self, guard),
            predicate,
        }
    }

    /// Wakes one task waiting in [`wait`](Self::wait) or [`wait_for`](Self::wait_for) (the
    /// one waiting longest) that no earlier notification has woken; does nothing when there
    /// is none, as asyncio's `notify(1)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = wrangle::sync::Condition::new(());
    /// cond.notify_one(); // nobody waits: nothing happens
    /// ```
    pub fn notify_one(&self) {
        self.waiters.notify(1.additional());
    }

    /// Wakes every task waiting in [`wait`](Self::wait) or [`wait_for`](Self::wait_for).
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = wrangle::sync::Condition::new(());
    /// cond.notify_all();
    /// ```
    pub fn notify_all(&self) {
        self.waiters.notify(usize::MAX);
    }

    /// The data, through `&mut self`: no lock needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cond = wrangle::sync::Condition::new(1);
    /// *cond.get_mut() += 1;
    /// assert_eq!(cond.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.mutex.get_mut()
    }

    /// The data, the condition consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = wrangle::sync::Condition::new("data");
    /// assert_eq!(cond.into_inner(), "data");
    /// ```
    pub fn into_inner(self) -> T {
        self.mutex.into_inner()
    }

    #[track_caller]
    fn check_guard(&self, guard: &MutexGuard<'_, T>) {
        assert!(
            std::ptr::eq(MutexGuard::source(guard), &self.mutex),
            "Condition::wait: the guard is not of this condition's lock"
        );
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("mutex", &self.mutex)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// The state machine of both waits.
    #[project = StateProj]
    enum State<'a, T> {
        /// Holding the lock: check the predicate (`wait_for`) or start waiting.
        Held { guard: Option<MutexGuard<'a, T>> },
        /// Registered, the lock released: waiting for a notification.
        Listening { listener: EventListener },
        /// Notified: taking the lock again.
        Locking { #[pin] lock: Lock<'a, T> },
        /// The guard was given back.
        Done,
    }
}

pin_project! {
    /// A wait on a [`Condition`], shared by [`ConditionWait`] and [`ConditionWaitFor`].
    struct Waiting<'a, T> {
        cond: &'a Condition<T>,
        #[pin]
        state: State<'a, T>,
    }

    impl<'a, T> PinnedDrop for Waiting<'a, T> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // Dropped after a notification, while taking the lock again: pass the wake-up
            // on, so that a `notify_one` is not lost with this waiter.
            if let StateProj::Locking { .. } = this.state.project() {
                this.cond.notify_one();
            }
        }
    }
}

impl<'a, T> Waiting<'a, T> {
    fn new(cond: &'a Condition<T>, guard: MutexGuard<'a, T>) -> Self {
        Self {
            cond,
            state: State::Held { guard: Some(guard) },
        }
    }

    /// Drives the wait; `done` is asked, under the lock, whether to give the guard back
    /// (`wait` answers yes after one notification, `wait_for` when its predicate holds).
    fn poll_until(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut done: impl FnMut(&T, bool) -> bool,
    ) -> Poll<MutexGuard<'a, T>> {
        let mut this = self.project();
        let mut notified = false;
        loop {
            match this.state.as_mut().project() {
                StateProj::Held { guard } => {
                    let guard_ref = guard.as_ref().expect("a held guard");
                    if done(guard_ref, notified) {
                        let guard = guard.take().expect("a held guard");
                        this.state.set(State::Done);
                        return Poll::Ready(guard);
                    }
                    // Registered before the lock is released: no notification is missed.
                    let listener = this.cond.waiters.listen();
                    this.state.set(State::Listening { listener });
                }
                StateProj::Listening { listener } => {
                    if Pin::new(listener).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let lock = this.cond.mutex.lock();
                    this.state.set(State::Locking { lock });
                }
                StateProj::Locking { lock } => match lock.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(guard) => {
                        notified = true;
                        this.state.set(State::Held { guard: Some(guard) });
                    }
                },
                StateProj::Done => panic!("a condition wait polled after it completed"),
            }
        }
    }
}

pin_project! {
    /// Future for the [`Condition::wait()`] method.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::sync::{Condition, ConditionWait};
    ///
    /// wrangle::sim::run(1, |_| async {
    ///     let cond = Condition::new(0);
    ///     let guard = cond.lock().await;
    ///     let wait: ConditionWait<'_, i32> = cond.wait(guard);
    ///     drop(wait); // releases the lock
    ///     assert!(cond.try_lock().is_some());
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ConditionWait<'a, T> {
        #[pin]
        inner: Waiting<'a, T>,
    }
}

impl<'a, T> Future for ConditionWait<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll_until(cx, |_, notified| notified)
    }
}

impl<T> fmt::Debug for ConditionWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionWait").finish_non_exhaustive()
    }
}

pin_project! {
    /// Future for the [`Condition::wait_for()`] method.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::sync::{Condition, ConditionWaitFor};
    ///
    /// wrangle::sim::run(1, |_| async {
    ///     let cond = Condition::new(3);
    ///     let guard = cond.lock().await;
    ///     let wait: ConditionWaitFor<'_, i32, _> = cond.wait_for(guard, |v| *v == 3);
    ///     assert_eq!(*wait.await, 3); // it already holds: at once
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ConditionWaitFor<'a, T, P> {
        #[pin]
        inner: Waiting<'a, T>,
        predicate: P,
    }
}

impl<'a, T, P: FnMut(&T) -> bool> Future for ConditionWaitFor<'a, T, P> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let predicate = this.predicate;
        this.inner.poll_until(cx, |value, _| predicate(value))
    }
}

impl<T, P> fmt::Debug for ConditionWaitFor<'_, T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionWaitFor").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::Waker;

    use super::*;

    fn poll<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn wait_releases_the_lock_and_retakes_it() {
        let cond = Condition::new(0);
        let guard = cond.try_lock().unwrap();
        let mut wait = pin!(cond.wait(guard));
        assert!(poll(wait.as_mut()).is_pending());
        // Released while waiting: another task can change the data.
        *cond.try_lock().expect("released while waiting") = 5;
        cond.notify_one();
        let guard = match poll(wait.as_mut()) {
            Poll::Ready(guard) => guard,
            Poll::Pending => panic!("notified, and the lock is free"),
        };
        assert_eq!(*guard, 5);
        assert!(cond.try_lock().is_none(), "given back held");
    }

    #[test]
    fn wait_needs_a_notification_even_when_nothing_changed() {
        let cond = Condition::new(());
        let mut wait = pin!(cond.wait(cond.try_lock().unwrap()));
        assert!(poll(wait.as_mut()).is_pending());
        assert!(poll(wait.as_mut()).is_pending());
        cond.notify_all();
        assert!(poll(wait.as_mut()).is_ready());
    }

    #[test]
    fn notify_one_wakes_one_waiter_per_call() {
        let cond = Condition::new(());
        let mut a = pin!(cond.wait(cond.try_lock().unwrap()));
        assert!(poll(a.as_mut()).is_pending());
        let mut b = pin!(cond.wait(cond.try_lock().unwrap()));
        assert!(poll(b.as_mut()).is_pending());
        cond.notify_one();
        let guard = match poll(a.as_mut()) {
            Poll::Ready(g) => g,
            Poll::Pending => panic!("the longest waiter is woken first"),
        };
        drop(guard);
        assert!(poll(b.as_mut()).is_pending(), "one notify wakes one");
        cond.notify_one();
        assert!(poll(b.as_mut()).is_ready());
    }

    #[test]
    fn cancelled_notified_waiter_passes_the_wake_up_on() {
        let cond = Condition::new(());
        let holder = cond.try_lock().unwrap();
        let mut a = Box::pin(cond.wait(holder));
        assert!(poll(a.as_mut()).is_pending());
        let mut b = pin!(cond.wait(cond.try_lock().unwrap()));
        assert!(poll(b.as_mut()).is_pending());
        // `a` is notified but cannot take the lock: it is held.
        let blocker = cond.try_lock().unwrap();
        cond.notify_one();
        assert!(poll(a.as_mut()).is_pending());
        drop(a);
        drop(blocker);
        assert!(poll(b.as_mut()).is_ready(), "a's notification went to b");
    }

    #[test]
    fn wait_for_checks_at_once_and_after_each_wake_up() {
        let cond = Condition::new(0);
        let checks = std::cell::Cell::new(0);
        let mut wait = pin!(cond.wait_for(cond.try_lock().unwrap(), |v| {
            checks.set(checks.get() + 1);
            *v >= 2
        }));
        assert!(poll(wait.as_mut()).is_pending());
        for v in 1..=2 {
            *cond.try_lock().unwrap() = v;
            cond.notify_all();
        }
        // Both notifications arrived before it ran: one wake-up, one check.
        assert!(poll(wait.as_mut()).is_ready());
        assert_eq!(checks.get(), 2);
    }

    #[test]
    #[should_panic(expected = "not of this condition's lock")]
    fn guard_of_another_lock_panics() {
        let a = Condition::new(0);
        let b = Condition::new(0);
        drop(a.wait(b.try_lock().unwrap()));
    }

    #[test]
    fn auto_traits_and_debug() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<Condition<Vec<u8>>>();
        send::<ConditionWait<'static, Vec<u8>>>();
        send::<ConditionWaitFor<'static, Vec<u8>, fn(&Vec<u8>) -> bool>>();
        let cond = Condition::new(1);
        assert_eq!(
            format!("{cond:?}"),
            "Condition { mutex: Mutex { data: 1 }, .. }"
        );
    }
}
