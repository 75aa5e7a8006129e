use std::fmt;
use std::future::Future;
use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, mpsc};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use async_executor::Executor;
use wrangle_core::{BlockOnError, IntoLimit, Runtime, Spawn, SpawnError, Task, Timer, context};

use wrangle_timer::Sleep;

const DEFAULT_GRACE: Duration = Duration::from_secs(1);
const NAME: &str = "smol";

/// wrangle's runtime traits over smol's parts (async-executor, async-io and blocking) and
/// wrangle-timer's sleeps.
///
/// A cheap, cloneable handle to an executor and its worker threads. The runtime is shut down
/// by [`Smol::shutdown`] or when the last handle is dropped.
///
/// # Examples
///
/// ```
/// use wrangle::{Runtime, Spawn};
///
/// let rt = wrangle::smol::Smol::new()?;
/// assert_eq!(rt.block_on(rt.spawn(async { "hi" })), "hi");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Smol {
    inner: Arc<Inner>,
}

struct Inner {
    /// Taken at shutdown; each worker holds its own clone, so the executor (and the tasks
    /// still in it) is dropped once the last worker has left it.
    executor: RwLock<Option<Arc<Executor<'static>>>>,
    stop: async_channel::Sender<()>,
    exited: std::sync::Mutex<mpsc::Receiver<()>>,
    workers: usize,
    /// The worker threads started, so that a shutdown called on one of them (from inside
    /// one of our tasks) does not wait for the thread it runs on.
    worker_ids: Vec<ThreadId>,
    grace: Duration,
    shut_down: AtomicBool,
    /// Whether the executor is the application's ([`Smol::from_executor`]): `block_on`
    /// runs it.
    wrapped: bool,

    /// Keeps wrangle-timer's driver thread up between sleeps while the runtime lives.
    _timer: wrangle_timer::Driver,
}

impl Smol {
    /// A runtime with a worker thread per core.
    ///
    /// # Errors
    ///
    /// When a worker thread cannot be started.
    pub fn new() -> io::Result<Self> {
        SmolBuilder::new().build()
    }

    /// Wraps an executor the application already runs, as the tokio adapter's
    /// `Tokio::from_handle` wraps a tokio runtime: tasks spawned through the handle run on `executor`, beside the
    /// application's own, and [`block_on`](Runtime::block_on) runs the executor on the
    /// calling thread while it waits (`async_io::block_on(executor.run(future))`, smol's own
    /// idiom), so an executor that no other thread drives still makes progress.
    ///
    /// The executor stays the application's: [`shutdown`](Smol::shutdown) makes this handle
    /// refuse new spawns and `block_on`, and leaves the executor and its tasks alone (the
    /// application decides when they end); [`workers`](Smol::workers) is 0.
    ///
    /// # Examples
    ///
    /// With `async-executor` in your own dependencies, to build the executor:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use wrangle::{Runtime, Spawn};
    ///
    /// let executor = Arc::new(async_executor::Executor::new());
    /// let rt = wrangle::smol::Smol::from_executor(executor.clone());
    /// let task = rt.spawn(async { 6 * 7 });
    /// // Nothing else drives `executor`: `block_on` runs it while it waits.
    /// assert_eq!(rt.block_on(task), 42);
    /// ```
    pub fn from_executor(executor: Arc<Executor<'static>>) -> Self {
        let (stop, _) = async_channel::bounded::<()>(1);
        let (_, exited) = mpsc::channel();
        Smol {
            inner: Arc::new(Inner {
                executor: RwLock::new(Some(executor)),
                stop,
                exited: std::sync::Mutex::new(exited),
                workers: 0,
                worker_ids: Vec::new(),
                grace: DEFAULT_GRACE,
                shut_down: AtomicBool::new(false),
                wrapped: true,
                _timer: wrangle_timer::Driver::new(),
            }),
        }
    }

    /// Shuts the runtime down: new spawns and `block_on` are refused, the workers stop, and
    /// pending tasks are dropped (they join as cancelled) once every worker has left the
    /// executor. Waits at most the grace period for the workers; one stuck in a task that
    /// never yields is detached. Called from inside one of the runtime's own tasks, it does
    /// not wait for the worker it runs on, which leaves once that task's poll returns.
    /// Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Spawn;
    ///
    /// let rt = wrangle::smol::Smol::new()?;
    /// let task = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown();
    /// assert!(rt.try_spawn(async {}).is_err());
    /// let outcome = wrangle::blocking::block_on(task.join());
    /// assert!(outcome.unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.inner.shutdown();
    }

    /// Whether [`shutdown`](Smol::shutdown) has been called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.shut_down.load(Ordering::Acquire)
    }

    /// The number of worker threads this runtime started (0 for a wrapped executor).
    pub fn workers(&self) -> usize {
        self.inner.workers
    }

    /// The executor underneath, for smol-specific work beside wrangle's (spawning a
    /// `!Send` future with async-executor's own API on a wrapped executor, say); `None` once
    /// the runtime is shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let executor = Arc::new(async_executor::Executor::new());
    /// let rt = wrangle::smol::Smol::from_executor(executor.clone());
    /// assert!(Arc::ptr_eq(&rt.executor().unwrap(), &executor));
    /// rt.shutdown();
    /// assert!(rt.executor().is_none());
    /// ```
    pub fn executor(&self) -> Option<Arc<Executor<'static>>> {
        self.executor_or_err().ok()
    }

    fn executor_or_err(&self) -> Result<Arc<Executor<'static>>, SpawnError> {
        let executor = self.inner.executor.read().ok().and_then(|ex| ex.clone());
        executor.ok_or_else(|| SpawnError::shutdown(NAME))
    }
}

impl Inner {
    fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        let executor = match self.executor.write() {
            Ok(mut ex) => ex.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        self.stop.close();
        drop(executor);
        // Wait (bounded) for the workers to leave the executor; the last one drops it. A
        // worker calling this (from one of our tasks) leaves only after it returns, so it is
        // not waited for. A grace too long for the clock waits without a deadline.
        let current = std::thread::current().id();
        let others = self.worker_ids.iter().filter(|id| **id != current).count();
        let deadline = Instant::now().checked_add(self.grace);
        if let Ok(exited) = self.exited.lock() {
            for _ in 0..others {
                let received = match deadline {
                    Some(deadline) => {
                        exited.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    }
                    None => exited
                        .recv()
                        .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                };
                if received.is_err() {
                    break;
                }
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Smol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smol")
            .field("workers", &self.inner.workers)
            .field("shut_down", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}

impl Timer for Smol {
    type Sleep = Sleep;

    #[inline]
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::at(deadline)
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn random_u64(&self) -> u64 {
        fastrand::u64(..)
    }
}

impl Spawn for Smol {
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let executor = self.executor_or_err()?;
        let (job, task) = wrangle_core::task::new(future);
        executor.spawn(job).detach();
        Ok(task)
    }

    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if self.is_shut_down() {
            return Err(SpawnError::shutdown(NAME));
        }
        let (job, task) = wrangle_core::task::new_blocking(f);
        blocking::unblock(move || job.run()).detach();
        Ok(task)
    }
}

impl Runtime for Smol {
    fn name(&self) -> &'static str {
        NAME
    }

    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError> {
        if context::is_driving() {
            return Err(BlockOnError::Nested);
        }
        if self.is_shut_down() {
            return Err(BlockOnError::Shutdown(NAME));
        }
        let _driving = context::enter();
        if self.inner.wrapped {
            let executor = self
                .executor_or_err()
                .map_err(|_| BlockOnError::Shutdown(NAME))?;
            return Ok(async_io::block_on(executor.run(future)));
        }
        Ok(async_io::block_on(future))
    }
}

/// Configures a [`Smol`] runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = wrangle::smol::SmolBuilder::new()
///     .worker_threads(2)
///     .shutdown_grace(Duration::from_millis(100))
///     .build()?;
/// assert_eq!(rt.workers(), 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SmolBuilder {
    workers: Option<NonZeroUsize>,
    grace: Duration,
}

impl Default for SmolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SmolBuilder {
    /// A worker per core and a one-second shutdown grace.
    pub fn new() -> Self {
        Self {
            workers: None,
            grace: DEFAULT_GRACE,
        }
    }

    /// The number of worker threads (`.worker_threads(2)`, or a [`NonZeroUsize`] from
    /// configuration).
    ///
    /// # Panics
    ///
    /// On a plain `0`, at once (a runtime without workers could run nothing); a
    /// `NonZeroUsize` never panics.
    #[track_caller]
    pub fn worker_threads(mut self, n: impl IntoLimit) -> Self {
        self.workers = Some(n.into_limit());
        self
    }

    /// How long a shutdown waits for the workers before it detaches them (default 1 s). A
    /// grace too long for the clock, such as [`Duration::MAX`], waits without a deadline.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Starts the worker threads.
    ///
    /// # Errors
    ///
    /// When a worker thread cannot be started; the ones already started are stopped.
    pub fn build(self) -> io::Result<Smol> {
        let workers = self
            .workers
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get);
        let executor = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let (exited_tx, exited) = mpsc::channel();
        let mut inner = Inner {
            executor: RwLock::new(Some(executor.clone())),
            stop,
            exited: std::sync::Mutex::new(exited),
            workers,
            worker_ids: Vec::with_capacity(workers),
            grace: self.grace,
            shut_down: AtomicBool::new(false),
            wrapped: false,

            _timer: wrangle_timer::Driver::new(),
        };
        for i in 0..workers {
            let executor = executor.clone();
            let stopped = stopped.clone();
            let exited = exited_tx.clone();
            // On an error, dropping `inner` stops (and waits for) the workers started so far.
            let worker = std::thread::Builder::new()
                .name(format!("wrangle-smol-{i}"))
                .spawn(move || {
                    async_io::block_on(executor.run(async { stopped.recv().await.ok() }));
                    drop(executor);
                    let _ = exited.send(());
                })?;
            inner.worker_ids.push(worker.thread().id());
        }
        Ok(Smol {
            inner: Arc::new(inner),
        })
    }
}
