//! The runtime traits: [`Timer`], [`Spawn`] and [`Runtime`].

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use crate::{BlockOnError, SpawnError, Task};

/// A source of time and chance: a clock, sleeps, and random numbers.
///
/// Every combinator that needs time (timeouts, deadlines, retry delays, rate limits) or chance
/// (jitter) takes it from a `Timer` that the caller passes in explicitly: wrangle has no
/// ambient runtime. This is what lets the virtual-time runtime, `wrangle-sim`, drive every one
/// of them deterministically, and what lets a library use wrangle without choosing a runtime.
///
/// Implementations must keep [`now`](Timer::now) monotonic, must never complete a sleep before
/// its deadline (as measured by `now`), and must complete a sleep whose deadline has passed
/// at its first poll or soon after.
///
/// A borrowed timer is a timer too (`&T: Timer`), so a combinator that keeps its timer takes
/// it by value: `&rt` borrows the runtime and clones nothing, `rt.clone()` gives a future that
/// owns its handle and is `'static` whenever its inner future is. The method forms,
/// `rt.sleep(d)`, `rt.timeout(d, fut)`, …, come from [`TimerExt`](crate::TimerExt).
///
/// # Examples
///
/// Code written against the trait alone, run here on the virtual clock:
///
/// ```
/// use std::time::Duration;
/// use wrangle::{Timer, TimerExt};
///
/// async fn wait_a_bit<T: Timer>(timer: &T) -> Duration {
///     let start = timer.now();
///     timer.sleep(Duration::from_millis(1)).await;
///     timer.now() - start
/// }
///
/// let waited = wrangle::sim::run(1, |rt| async move { wait_a_bit(&rt).await });
/// assert_eq!(waited, Duration::from_millis(1));
/// ```
pub trait Timer: Clone + Send + Sync {
    /// The future returned by [`sleep_until`](Timer::sleep_until).
    type Sleep: Future<Output = ()> + Send + 'static;

    /// A future that completes once [`now`](Timer::now) has reached `deadline`.
    ///
    /// Prefer [`TimerExt::sleep`](crate::TimerExt::sleep) and the free functions
    /// [`sleep`](crate::sleep) and [`sleep_until`](crate::sleep_until), which also accept
    /// durations and deadlines that overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Timer;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let deadline = rt.now() + Duration::from_secs(1);
    ///     rt.sleep_until(deadline).await;
    ///     assert_eq!(rt.now(), deadline);
    /// });
    /// ```
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep;

    /// The current instant of this timer's clock (virtual under `wrangle-sim`).
    fn now(&self) -> Instant;

    /// A random number for jitter; seeded and reproducible under `wrangle-sim`.
    fn random_u64(&self) -> u64;
}

/// A way to start futures and blocking closures running on their own.
///
/// Every implementation returns the same [`Task`] handle with the same semantics: dropping it
/// cancels the task, [`Task::detach`] lets it run on, and a panic re-surfaces where the task is
/// awaited.
///
/// # Examples
///
/// ```
/// use wrangle::Spawn;
///
/// async fn double_on<S: Spawn>(spawner: &S, x: u64) -> u64 {
///     spawner.spawn(async move { x * 2 }).await
/// }
///
/// let doubled = wrangle::sim::run(1, |rt| async move { double_on(&rt, 21).await });
/// assert_eq!(doubled, 42);
/// ```
pub trait Spawn: Clone + Send + Sync {
    /// Starts `future` running on the runtime, or returns an error if the runtime has been
    /// shut down.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] when the runtime has been shut down; `future` is dropped.
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Runs `f` on a thread where blocking is allowed, or returns an error if the runtime has
    /// been shut down.
    ///
    /// A blocking call that has started cannot be cancelled: dropping its task discards the
    /// result. A call that has not started when its task is dropped never starts.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] when the runtime has been shut down; `f` is dropped.
    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// Starts `future` running on the runtime.
    ///
    /// On a runtime that has been shut down the future is dropped and the returned task joins
    /// as [`JoinError::Cancelled`](crate::JoinError::Cancelled); use
    /// [`try_spawn`](Spawn::try_spawn) to see the error instead.
    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.try_spawn(future).unwrap_or_else(|_| Task::cancelled())
    }

    /// Like [`spawn`](Spawn::spawn), naming the task `name`: a label for people reading
    /// reports, on every runtime.
    ///
    /// While the task is being polled, `group::current_name`
    /// returns the name (so a logger can say which task it runs in), and a runtime that
    /// reports stuck tasks names it: `wrangle-sim`'s
    /// [`BlockOnError::Deadlock`](crate::BlockOnError::Deadlock) lists it as `task "name"`
    /// instead of `task #3`. The name is the same mechanism a group's
    /// `spawn_named` uses for its children.
    ///
    /// Any string is accepted as given, the empty string and strings with NUL bytes included:
    /// it is a label, never parsed or passed to the operating system; reports quote it with
    /// Rust's escapes (`""`, `"a\0b"`). Names need not be unique. The cost is one `Arc<str>`
    /// (an allocation, unless `name` is already one) and entering the name at each poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Spawn;
    /// use wrangle::group::current_name;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let task = rt.spawn_named("indexer", async { current_name() });
    ///     assert_eq!(task.await.as_deref(), Some("indexer"));
    ///     // Outside the task, no name.
    ///     assert_eq!(current_name(), None);
    /// });
    /// ```
    ///
    /// The name in a deadlock report on virtual time:
    ///
    /// ```
    /// use wrangle::{BlockOnError, Spawn};
    ///
    /// let outcome = wrangle::sim::try_run(1, |rt| async move {
    ///     rt.spawn_named(format!("shard-{}", 3), std::future::pending::<()>()).await
    /// });
    /// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!("{outcome:?}") };
    /// assert_eq!(
    ///     deadlock.to_string(),
    ///     "deadlock at 0ns: task \"shard-3\" waits for ever and no timer is pending"
    /// );
    /// ```
    fn spawn_named<F>(&self, name: impl Into<Arc<str>>, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn(crate::name::Named::new(name.into(), future))
    }

    /// Runs `f` on a thread where blocking is allowed.
    ///
    /// On a runtime that has been shut down `f` is dropped and the returned task joins as
    /// [`JoinError::Cancelled`](crate::JoinError::Cancelled).
    fn spawn_blocking<F, T>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.try_spawn_blocking(f)
            .unwrap_or_else(|_| Task::cancelled())
    }
}

/// A complete runtime: it spawns, keeps time, and can run a future to completion from
/// synchronous code.
///
/// # Examples
///
/// ```
/// use wrangle::Runtime;
///
/// fn answer<R: Runtime>(rt: &R) -> u32 {
///     rt.block_on(async { rt.spawn(async { 42 }).await })
/// }
///
/// assert_eq!(answer(&wrangle::sim::Sim::new(1)), 42);
/// ```
pub trait Runtime: Spawn + Timer {
    /// A short name for tables and error messages: `"tokio"`, `"smol"`, `"sim"`, …
    fn name(&self) -> &'static str;

    /// Runs `future` to completion on the current thread, driving the runtime as needed.
    ///
    /// # Errors
    ///
    /// [`BlockOnError::Nested`] when the current thread is already driving wrangle work (inside
    /// another `block_on`, or polling a spawned task): blocking there would stall or deadlock
    /// the runtime. [`BlockOnError::Shutdown`] when the runtime has been shut down.
    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError>;

    /// Runs `future` to completion on the current thread.
    ///
    /// # Panics
    ///
    /// With the message of [`BlockOnError`] where [`try_block_on`](Runtime::try_block_on)
    /// would return it, and when `future` itself panics.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self.try_block_on(future) {
            Ok(output) => output,
            Err(err) => panic!("{err}"),
        }
    }
}

/// A borrowed runtime is a runtime too: a combinator given `&rt` borrows it (no clone, and the
/// future it returns borrows `rt`); given `rt.clone()`, the future owns its handle and is
/// `'static` whenever its inner future is.
impl<T: Timer> Timer for &T {
    type Sleep = T::Sleep;

    #[inline]
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        (**self).sleep_until(deadline)
    }

    #[inline]
    fn now(&self) -> Instant {
        (**self).now()
    }

    #[inline]
    fn random_u64(&self) -> u64 {
        (**self).random_u64()
    }
}

/// A borrowed spawner spawns on the runtime it borrows.
impl<S: Spawn> Spawn for &S {
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        (**self).try_spawn(future)
    }

    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        (**self).try_spawn_blocking(f)
    }

    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        (**self).spawn(future)
    }

    fn spawn_named<F>(&self, name: impl Into<Arc<str>>, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        (**self).spawn_named(name, future)
    }

    fn spawn_blocking<F, T>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        (**self).spawn_blocking(f)
    }
}

/// A borrowed runtime blocks on the runtime it borrows.
impl<R: Runtime> Runtime for &R {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError> {
        (**self).try_block_on(future)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        (**self).block_on(future)
    }
}
