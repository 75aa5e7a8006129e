//! [`Offload`]: where blocking calls go (a pool, or a runtime's own blocking pool) and the
//! [`CallLimit`] they run under.

use std::fmt;
use std::sync::Arc;

use wrangle_core::{IntoLimit, Spawn, SpawnError, Task};

use crate::pool::state::State;
use crate::{BlockingPool, CallLimit, Submit, Unblock};

/// Where a call is sent.
#[derive(Clone)]
pub(crate) enum Route {
    /// The process-wide pool; resolved at submission, so `unblock()` costs no reference
    /// count.
    Global,
    Pool(Arc<State>),
    /// A runtime's own blocking pool, through [`Spawn::try_spawn_blocking`].
    Runtime(Arc<dyn ErasedSpawn>),
}

impl Route {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Route::Global => "global pool",
            Route::Pool(_) => "pool",
            Route::Runtime(spawner) => spawner.name(),
        }
    }
}

/// [`Spawn::try_spawn_blocking`] for a closure of one fixed type, so that routes to
/// different runtimes share one type.
pub(crate) trait ErasedSpawn: Send + Sync + 'static {
    fn spawn_call(&self, run: Box<dyn FnOnce() + Send>) -> Result<Task<()>, SpawnError>;
    fn name(&self) -> &'static str;
}

struct Spawner<S>(S);

impl<S: Spawn + 'static> ErasedSpawn for Spawner<S> {
    fn spawn_call(&self, run: Box<dyn FnOnce() + Send>) -> Result<Task<()>, SpawnError> {
        self.0.try_spawn_blocking(run)
    }

    fn name(&self) -> &'static str {
        std::any::type_name::<S>()
    }
}

/// Where blocking calls run, and under which [`CallLimit`]: a cheap handle to pass to the code
/// that makes the calls.
///
/// | Constructor | Calls run on |
/// |---|---|
/// | [`Offload::global()`] (also `Default`) | the process-wide [`BlockingPool::global`] |
/// | [`Offload::pool`] | a [`BlockingPool`] of your own |
/// | [`Offload::runtime`] | a runtime's own blocking pool, through [`Spawn::spawn_blocking`] |
///
/// The first two work with no async runtime at all: their futures can be awaited on any
/// executor. The third is how calls run under `wrangle-sim`, whose virtual clock must see
/// every blocking job, and how code keeps a runtime's own thread accounting.
///
/// [`limit`](Offload::limit) adds a [`CallLimit`]: each call first waits (in FIFO order) for a
/// permit, then holds it for exactly as long as its closure runs.
///
/// # Examples
///
/// The order pipeline (S1 in `docs/scenarios.md`): at most 3 blocking calls in flight, on
/// whatever runtime the caller chose.
///
/// ```
/// use wrangle::blocking::Offload;
/// use wrangle::smol::Smol;
/// use wrangle::Runtime;
///
/// fn fetch_product(id: u32) -> u32 { id * 100 } // a blocking call
///
/// async fn price_all(calls: &Offload, ids: &[u32]) -> Vec<u32> {
///     wrangle::gather(ids.iter().map(|&id| calls.unblock(move || fetch_product(id)))).await
/// }
///
/// let rt = Smol::new()?;
/// let calls = Offload::runtime(&rt).limit(3);
/// assert_eq!(rt.block_on(price_all(&calls, &[1, 2, 3, 4])), [100, 200, 300, 400]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Offload {
    route: Route,
    limit: Option<CallLimit>,
}

impl Offload {
    /// Calls go to the process-wide pool, [`BlockingPool::global`].
    ///
    /// # Examples
    ///
    /// ```
    /// let offload = wrangle::blocking::Offload::global();
    /// assert_eq!(wrangle::blocking::block_on(offload.unblock(|| "done")), "done");
    /// ```
    pub fn global() -> Self {
        Self {
            route: Route::Global,
            limit: None,
        }
    }

    /// Calls go to `pool`.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::blocking::{BlockingPool, Offload};
    ///
    /// let pool = BlockingPool::builder().max_threads(2).build().unwrap();
    /// let offload = Offload::pool(&pool);
    /// assert_eq!(wrangle::blocking::block_on(offload.unblock(|| 3)), 3);
    /// ```
    pub fn pool(pool: &BlockingPool) -> Self {
        Self {
            route: Route::Pool(pool.inner().clone()),
            limit: None,
        }
    }

    /// Calls go to `spawner`'s own blocking pool, through
    /// [`Spawn::try_spawn_blocking`]: the route to take under `wrangle-sim`, or to leave
    /// thread accounting to the runtime.
    ///
    /// The `Offload` keeps a clone of the handle (an `Arc` increment), so it and the futures
    /// it makes are `'static`: they can be stored, returned and spawned. Pass `&rt`: a
    /// borrowed handle could not outlive its runtime inside a `'static` future, and the route
    /// is type-erased, so every runtime gives the same `Offload` type.
    ///
    /// If the runtime has been shut down, the call is dropped unrun and its future panics
    /// at the await as a cancelled task does ([`Submit`] gives the
    /// [`JoinError::Cancelled`](wrangle_core::JoinError) instead).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::blocking::Offload;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let calls = Offload::runtime(&rt);
    ///     let sim = rt.clone();
    ///     calls.unblock(move || sim.sleep_blocking(Duration::from_secs(1))).await;
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn runtime<S: Spawn + 'static>(spawner: &S) -> Self {
        Self {
            route: Route::Runtime(Arc::new(Spawner(spawner.clone()))),
            limit: None,
        }
    }

    /// The same route, with at most `limit` calls in flight at once: a new [`CallLimit`],
    /// shared by this `Offload` and its clones. Each call first waits (in FIFO order) for a
    /// permit, then holds it for exactly as long as its closure runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::blocking::Offload;
    ///
    /// let calls = Offload::global().limit(3);
    /// assert_eq!(calls.call_limit().map(|cap| cap.limit()), Some(3));
    /// ```
    ///
    /// # Panics
    ///
    /// On a plain `0`, at once, as [`CallLimit::new`] does; a
    /// [`NonZeroUsize`](std::num::NonZeroUsize) never panics.
    #[track_caller]
    pub fn limit(self, limit: impl IntoLimit) -> Self {
        self.limit_by(&CallLimit::new(limit))
    }

    /// The same route, every call first taking a permit from `cap` (a clone of it: the
    /// permits are shared with every other clone, so several `Offload`s can share one cap).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::blocking::{BlockingPool, CallLimit, Offload};
    ///
    /// let db = CallLimit::new(3);
    /// let pool = BlockingPool::builder().max_threads(8).build()?;
    /// let (fast, slow) = (Offload::global().limit_by(&db), Offload::pool(&pool).limit_by(&db));
    /// assert_eq!(wrangle::blocking::block_on(async { fast.unblock(|| 1).await + slow.unblock(|| 2).await }), 3);
    /// # Ok::<(), wrangle::blocking::ConfigError>(())
    /// ```
    pub fn limit_by(mut self, cap: &CallLimit) -> Self {
        self.limit = Some(cap.clone());
        self
    }

    /// The [`CallLimit`] calls take a permit from, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wrangle::blocking::Offload::global().call_limit().is_none());
    /// ```
    pub fn call_limit(&self) -> Option<&CallLimit> {
        self.limit.as_ref()
    }

    /// Runs `f` where this `Offload` sends calls; resolves to its result.
    ///
    /// Nothing happens until the future is polled. Then it waits for a permit (if there is
    /// a limiter), then for room in the pool's queue (on a pool), then for the call.
    ///
    /// # Cancellation
    ///
    /// Dropping the future before the call starts removes it: `f` is dropped without
    /// running, and a permit already taken goes to the next waiter. Once started, the call
    /// runs to the end, keeps its permit until it returns, and its result is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let offload = wrangle::blocking::Offload::global();
    /// let n = wrangle::blocking::block_on(offload.unblock(|| 40 + 2));
    /// assert_eq!(n, 42);
    /// ```
    ///
    /// # Panics
    ///
    /// The await re-raises a panic of `f`; it panics as a cancelled task does if the route's
    /// runtime has been shut down.
    pub fn unblock<F, T>(&self, f: F) -> Unblock<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Unblock::new(self.route.clone(), self.limit.clone(), f)
    }

    /// Like [`unblock`](Offload::unblock), but resolves to the call's
    /// [`Task`](wrangle_core::Task) as soon as the call is handed over (queued, or given to
    /// the runtime), to join, detach or abort it.
    ///
    /// # Examples
    ///
    /// ```
    /// let offload = wrangle::blocking::Offload::global();
    /// wrangle::blocking::block_on(async {
    ///     let task = offload.submit(|| panic!("boom")).await;
    ///     assert!(task.join().await.unwrap_err().is_panic());
    /// });
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Submit<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Submit::new(self.route.clone(), self.limit.clone(), f)
    }
}

impl Default for Offload {
    fn default() -> Self {
        Self::global()
    }
}

impl fmt::Debug for Offload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Offload")
            .field("route", &self.route.name())
            .field("limit", &self.limit)
            .finish()
    }
}
