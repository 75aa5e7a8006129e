//! [`BlockingPool`]: a bounded thread pool for blocking calls, its [`PoolBuilder`] and its
//! [`PoolMetrics`].
//!
//! # Module map
//!
//! Inside, the pool's modules depend on each other one way (an arrow reads "uses"):
//!
//! ```text
//! unblock.rs ──> push ──> threads ──> state <── builder, mod.rs (BlockingPool), offload.rs
//!                  └─────────────────────┘
//! ```
//!
//! - `state`: what the pool's handles, threads and submissions share: the settings, the
//!   bounded queue, the workers' slots, the counters, and the flags and condition variables
//!   threads wait on. It starts, runs and parks no thread, and uses no other module of the
//!   pool.
//! - `threads`: the whole thread lifecycle: starting workers and the supervisor (and giving
//!   back their places when a spawn fails), the worker loop with its spinning, parking and
//!   retiring, and the supervisor that grows the pool for blocked calls. It uses `state`
//!   only.
//! - `push`: the push protocol: a call is queued (or waits for room in a full queue), then a
//!   spinning worker is left to take it, a parked one woken, or a new one started, and the
//!   supervisor poked. It uses `state` and `threads`. The bridge's futures (`unblock.rs`)
//!   drive it through one narrow type, `Push` (`poll_push`, and `abandon` when dropped while
//!   waiting for room), and never touch the queue or the counters themselves.
//!
//! Nothing calls back up the chain: a worker never queues a call, the state never starts a
//! thread, so there is no circle. (The public pair, [`PoolBuilder::build`] returning a
//! [`BlockingPool`] and [`BlockingPool::builder`] returning a [`PoolBuilder`], is the API's
//! shape, not the machinery's.)

mod builder;
pub(crate) mod push;
pub(crate) mod state;
mod threads;

use std::fmt;
use std::sync::{Arc, OnceLock};

pub use builder::{
    DEFAULT_GROW_AFTER, DEFAULT_KEEP_ALIVE, DEFAULT_MAX_THREADS, DEFAULT_QUEUE_CAPACITY,
    MAX_QUEUE_CAPACITY, PoolBuilder,
};

use crate::{Offload, Submit, Unblock};
use state::{Config, State};

/// A thread pool for blocking calls with a hard cap on its threads and a bounded queue.
///
/// [`unblock`](BlockingPool::unblock) runs a closure on one of the pool's threads and
/// resolves to its result. The pool never has more than
/// [`max_threads`](PoolBuilder::max_threads) threads; calls beyond them wait in a queue of
/// [`queue_capacity`](PoolBuilder::queue_capacity), and when the queue is full the next caller's
/// future waits for room (backpressure) instead of growing memory.
///
/// # How threads are started
///
/// A pool of a handful of threads fed by a lock-free queue runs short calls an order of
/// magnitude faster than a thread per call or a pool that starts a thread whenever none is
/// idle (BENCHMARKS.md), but a handful of threads cannot serve forty calls that each sleep
/// on the network. So the pool starts threads in two ways:
///
/// - **Eagerly, up to [`eager_threads`](PoolBuilder::eager_threads)** (the number of CPUs by
///   default): a call that finds no idle thread starts one. Short calls never need more, and
///   an idle thread spins for a few microseconds before it parks, so a steady stream of
///   short calls costs about one queue push and pop each, with no wake-up.
/// - **Beyond that, only when calls block.** A supervisor thread wakes every
///   [`grow_after`](PoolBuilder::grow_after) (1 ms) while calls are queued. A thread whose call
///   has been running since the last look, and which the OS reports asleep (on Linux; a
///   thread that is computing, or preempted on a busy machine, gains nothing from more
///   threads), counts as blocked. When no thread is making progress, the supervisor starts
///   one thread per queued call at once (up to the cap), so a burst of forty 50 ms calls
///   takes about 50 ms plus two ticks, not forty ticks. When some threads are blocked and
///   fewer than `eager_threads` make progress, it tops them up: a call that never returns
///   costs the pool its thread, not its throughput.
///
/// Threads the pool no longer needs exit after [`keep_alive`](PoolBuilder::keep_alive) (10 s)
/// idle, and the supervisor parks while nothing is queued.
///
/// # Wake-ups in batches
///
/// Waking an executor thread that has parked costs a system call and two context switches,
/// which for short calls is most of a call's cost. So while more calls are queued, a thread
/// holds back the wake-ups of the calls it completes and delivers up to 16 at once
/// ([`batch_wakeups`](PoolBuilder::batch_wakeups), on by default). A held-back wake-up is
/// delivered when the queue runs empty, or, if the thread's next call blocks, by the
/// supervisor within two `grow_after` ticks (2 ms by default): that is the worst case added
/// to a call's latency, and only under a backlog.
///
/// # Semantics
///
/// - A panic in the closure surfaces where the call is awaited (and as
///   [`JoinError::Panicked`](wrangle_core::JoinError) from [`Task::join`](wrangle_core::Task::join)).
/// - Dropping the future before the call starts removes it: the closure is dropped without
///   running. A call that has started cannot be cancelled: it runs to the end and its result
///   is dropped.
/// - A call that never returns keeps its thread for good (and a [`CallPermit`](crate::CallPermit)
///   it holds): the pool then has one thread fewer to work with, and nothing waits for it.
/// - The pool's threads are detached, never joined: neither dropping the pool nor leaving
///   `main` waits for a call that is still running.
/// - Dropping the last handle to the pool does not lose queued calls: the threads run every
///   queued call, then exit instead of waiting out their keep-alive. Futures of calls not
///   yet queued keep the pool's threads available until they are queued. If the operating
///   system refuses to start a thread while the pool has none, the queued calls are
///   cancelled and their callers see [`JoinError::Cancelled`](wrangle_core::JoinError).
///
/// `BlockingPool` is a cheap handle: clones share one pool.
///
/// # Examples
///
/// ```
/// use wrangle::blocking::BlockingPool;
///
/// let pool = BlockingPool::builder().max_threads(4).build()?;
/// let listing = wrangle::blocking::block_on(pool.unblock(|| std::fs::read_dir(".").is_ok()));
/// assert!(listing);
/// # Ok::<(), wrangle::blocking::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct BlockingPool {
    handle: Arc<Handle>,
}

/// Closes the pool when the last `BlockingPool` is dropped.
struct Handle {
    inner: Arc<State>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.inner.close();
    }
}

static GLOBAL: OnceLock<BlockingPool> = OnceLock::new();

impl BlockingPool {
    /// A pool with the default settings (see [`PoolBuilder`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::new();
    /// assert_eq!(pool.max_threads(), wrangle::blocking::pool::DEFAULT_MAX_THREADS);
    /// ```
    pub fn new() -> Self {
        // The default settings are valid; only an explicit zero is rejected.
        let config = PoolBuilder::new()
            .config()
            .unwrap_or_else(|err| unreachable!("default pool settings rejected: {err}"));
        Self::from_config(config)
    }

    /// A builder to configure a pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::builder().max_threads(8).build().unwrap();
    /// assert_eq!(pool.max_threads(), 8);
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder::new()
    }

    pub(crate) fn from_config(config: Config) -> Self {
        Self {
            handle: Arc::new(Handle {
                inner: Arc::new(State::new(config)),
            }),
        }
    }

    /// The process-wide pool behind [`unblock()`](crate::unblock()), with the default
    /// settings; created at its first use, never dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::global();
    /// assert_eq!(wrangle::blocking::block_on(pool.unblock(|| 2 + 2)), 4);
    /// ```
    pub fn global() -> &'static BlockingPool {
        GLOBAL.get_or_init(BlockingPool::new)
    }

    pub(crate) fn inner(&self) -> &Arc<State> {
        &self.handle.inner
    }

    /// Runs `f` on one of the pool's threads; resolves to its result.
    ///
    /// Nothing happens until the future is polled. Then the call is queued, or, while the
    /// queue is full, the future waits for room.
    ///
    /// # Cancellation
    ///
    /// Dropping the future before the call starts removes it: `f` is dropped without
    /// running. Once started, the call runs to the end and its result is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::new();
    /// let sum = wrangle::blocking::block_on(pool.unblock(|| (1..=100u32).sum::<u32>()));
    /// assert_eq!(sum, 5050);
    /// ```
    ///
    /// # Panics
    ///
    /// The await re-raises a panic of `f`.
    pub fn unblock<F, T>(&self, f: F) -> Unblock<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Unblock::new(crate::offload::Route::Pool(self.inner().clone()), None, f)
    }

    /// Queues `f` and resolves, once it is queued, to its [`Task`](wrangle_core::Task): the
    /// same handle every wrangle runtime returns from `spawn_blocking`, to
    /// [`join`](wrangle_core::Task::join), [`detach`](wrangle_core::Task::detach) or
    /// [`abort`](wrangle_core::Task::abort) the call. While the queue is full, the future
    /// waits for room.
    ///
    /// A call started this way has no awaiting future to serve
    /// [`from_thread`](crate::from_thread()); use [`unblock`](BlockingPool::unblock) for that.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::new();
    /// wrangle::blocking::block_on(async {
    ///     let task = pool.submit(|| 6 * 7).await;
    ///     assert_eq!(task.join().await.unwrap(), 42);
    /// });
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Submit<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Submit::new(crate::offload::Route::Pool(self.inner().clone()), None, f)
    }

    /// An [`Offload`] that sends calls to this pool, to add a [`CallLimit`](crate::CallLimit) or
    /// to pass around.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::new();
    /// let offload = pool.offload();
    /// assert_eq!(wrangle::blocking::block_on(offload.unblock(|| 1)), 1);
    /// ```
    pub fn offload(&self) -> Offload {
        Offload::pool(self)
    }

    /// The cap on the pool's threads.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wrangle::blocking::BlockingPool::new().max_threads(), 64);
    /// ```
    pub fn max_threads(&self) -> usize {
        self.inner().config.max_threads
    }

    /// How many calls the queue holds.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wrangle::blocking::BlockingPool::new().queue_capacity(), 1024);
    /// ```
    pub fn queue_capacity(&self) -> usize {
        self.inner().config.queue_capacity
    }

    /// What the pool is doing right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::new();
    /// wrangle::blocking::block_on(pool.unblock(|| ()));
    /// let m = pool.metrics();
    /// assert_eq!(m.queued, 0);
    /// assert!(m.peak_threads >= 1 && m.peak_threads <= pool.max_threads());
    /// ```
    pub fn metrics(&self) -> PoolMetrics {
        let inner = self.inner();
        PoolMetrics {
            running: inner.running(),
            queued: inner.queue.len(),
            threads: inner.threads(),
            peak_threads: inner.peak_threads(),
        }
    }
}

impl Default for BlockingPool {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner();
        f.debug_struct("BlockingPool")
            .field("max_threads", &inner.config.max_threads)
            .field("queue_capacity", &inner.config.queue_capacity)
            .field("eager_threads", &inner.config.eager_threads)
            .field("metrics", &self.metrics())
            .field("supervisor", &inner.supervisor.is_alive())
            .finish()
    }
}

/// A snapshot of what a [`BlockingPool`] is doing, from [`BlockingPool::metrics`].
///
/// Each field is read on its own, so under load they need not add up exactly.
///
/// # Examples
///
/// ```
/// let m = wrangle::blocking::BlockingPool::new().metrics();
/// assert_eq!(m, wrangle::blocking::PoolMetrics::default());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// Calls running on a thread.
    pub running: usize,
    /// Calls queued, waiting for a thread.
    pub queued: usize,
    /// The pool's live threads, its supervisor included; never above `max_threads`.
    pub threads: usize,
    /// The most threads the pool has had at once.
    pub peak_threads: usize,
}
