//! [`Offload`]: where blocking calls go (a pool, or a runtime's own blocking pool) and the
//! [`Limiter`] they run under.

use std::fmt;
use std::sync::Arc;

use wrangle_core::{Spawn, SpawnError, Task};

use crate::pool::inner::Inner;
use crate::{BlockingPool, Limiter, Submit, Unblock};

/// Where a call is sent.
#[derive(Clone)]
pub(crate) enum Route {
    /// The process-wide pool; resolved at submission, so `unblock()` costs no reference
    /// count.
    Global,
    Pool(Arc<Inner>),
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

/// Where blocking calls run, and under which [`Limiter`]: a cheap handle to pass to the code
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
/// [`limit`](Offload::limit) adds a [`Limiter`]: each call first waits (in FIFO order) for a
/// permit, then holds it for exactly as long as its closure runs.
///
/// # Examples
///
/// S1's order pipeline: at most 3 blocking calls in flight, on whatever runtime the caller
/// chose.
///
/// ```
/// use wrangle_blocking::{Limiter, Offload};
/// use wrangle_core::Runtime;
///
/// fn fetch_product(id: u32) -> u32 { id * 100 } // a blocking call
///
/// async fn price_all(calls: &Offload, ids: &[u32]) -> Vec<u32> {
///     wrangle_core::gather(ids.iter().map(|&id| calls.unblock(move || fetch_product(id)))).await
/// }
///
/// # fn demo<R: Runtime>(rt: &R) {
/// let calls = Offload::runtime(rt).limit(&Limiter::new(3).unwrap());
/// assert_eq!(rt.block_on(price_all(&calls, &[1, 2, 3, 4])), [100, 200, 300, 400]);
/// # }
/// # demo(&wrangle_smol::Smol::new().unwrap());
/// ```
#[derive(Clone)]
pub struct Offload {
    route: Route,
    limiter: Option<Limiter>,
}

impl Offload {
    /// Calls go to the process-wide pool, [`BlockingPool::global`].
    ///
    /// # Examples
    ///
    /// ```
    /// let offload = wrangle_blocking::Offload::global();
    /// assert_eq!(futures_lite::future::block_on(offload.unblock(|| "done")), "done");
    /// ```
    pub fn global() -> Self {
        Self {
            route: Route::Global,
            limiter: None,
        }
    }

    /// Calls go to `pool`.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle_blocking::{BlockingPool, Offload};
    ///
    /// let pool = BlockingPool::builder().max_threads(2).build().unwrap();
    /// let offload = Offload::pool(&pool);
    /// assert_eq!(futures_lite::future::block_on(offload.unblock(|| 3)), 3);
    /// ```
    pub fn pool(pool: &BlockingPool) -> Self {
        Self {
            route: Route::Pool(pool.inner().clone()),
            limiter: None,
        }
    }

    /// Calls go to `spawner`'s own blocking pool, through
    /// [`Spawn::try_spawn_blocking`]: the route to take under `wrangle-sim`, or to leave
    /// thread accounting to the runtime.
    ///
    /// If the runtime has been shut down, the call is dropped unrun and its future panics
    /// at the await as a cancelled task does ([`Submit`] gives the
    /// [`JoinError::Cancelled`](wrangle_core::JoinError) instead).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle_blocking::Offload;
    ///
    /// wrangle_sim::run(1, |rt| async move {
    ///     let calls = Offload::runtime(&rt);
    ///     let sim = rt.clone();
    ///     calls.unblock(move || sim.sleep_blocking(Duration::from_secs(1))).await;
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn runtime<S: Spawn + 'static>(spawner: &S) -> Self {
        Self {
            route: Route::Runtime(Arc::new(Spawner(spawner.clone()))),
            limiter: None,
        }
    }

    /// The same route, every call first taking a permit from `limiter` (a clone of it: the
    /// permits are shared with every other clone).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle_blocking::{Limiter, Offload};
    ///
    /// let limiter = Limiter::new(3).unwrap();
    /// let offload = Offload::global().limit(&limiter);
    /// assert_eq!(offload.limiter().map(Limiter::limit), Some(3));
    /// ```
    pub fn limit(mut self, limiter: &Limiter) -> Self {
        self.limiter = Some(limiter.clone());
        self
    }

    /// The limiter calls take a permit from, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wrangle_blocking::Offload::global().limiter().is_none());
    /// ```
    pub fn limiter(&self) -> Option<&Limiter> {
        self.limiter.as_ref()
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
    /// let offload = wrangle_blocking::Offload::global();
    /// let n = futures_lite::future::block_on(offload.unblock(|| 40 + 2));
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
        Unblock::new(self.route.clone(), self.limiter.clone(), f)
    }

    /// Like [`unblock`](Offload::unblock), but resolves to the call's
    /// [`Task`](wrangle_core::Task) as soon as the call is handed over (queued, or given to
    /// the runtime), to join, detach or abort it.
    ///
    /// # Examples
    ///
    /// ```
    /// let offload = wrangle_blocking::Offload::global();
    /// futures_lite::future::block_on(async {
    ///     let task = offload.submit(|| panic!("boom")).await;
    ///     assert!(task.join().await.unwrap_err().is_panic());
    /// });
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Submit<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Submit::new(self.route.clone(), self.limiter.clone(), f)
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
            .field("limiter", &self.limiter)
            .finish()
    }
}
