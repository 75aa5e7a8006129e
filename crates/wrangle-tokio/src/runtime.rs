use std::fmt;
use std::future::Future;
use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, RuntimeFlavor};
use wrangle_core::{BlockOnError, IntoLimit, Runtime, Spawn, SpawnError, Task, Timer, context};

use crate::TokioSleep;

/// The default grace period of a shutdown.
const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// A deadline further than this from now is "never" (about 36 million years). tokio's timer
/// counts milliseconds from its runtime's start and saturates at about 2^62 ms, and its rounding
/// of a deadline up to the next millisecond overflows near the largest `Instant`, which panics.
const NEVER_BEYOND: Duration = Duration::from_secs(1 << 50);

/// Whether a tokio scheduler is running on this thread: a worker polling a tokio task, or a
/// tokio `block_on`. Blocking there is what tokio panics at ("Cannot start a runtime from
/// within a runtime"). A task id (`tokio::task::try_id`) alone does not tell, since closures on
/// tokio's blocking threads have one too, and there, as under `Runtime::enter()`, blocking is
/// legal. tokio's `yield_now` tells: it hands its waker to the scheduler running on the thread,
/// and wakes it at once anywhere else.
fn in_tokio_scheduler() -> bool {
    struct Flag(AtomicBool);
    impl std::task::Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::Release);
        }
    }
    if Handle::try_current().is_err() {
        return false;
    }
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = std::task::Waker::from(flag.clone());
    let mut yielded = std::pin::pin!(tokio::task::yield_now());
    let polled = yielded
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker));
    polled.is_pending() && !flag.0.load(Ordering::Acquire)
}

/// wrangle's runtime traits over a tokio runtime.
///
/// A cheap, cloneable handle. A runtime built by [`Tokio::multi_thread`],
/// [`Tokio::current_thread`] or [`TokioBuilder`] is owned by its handles and shut down, with a
/// grace period, by [`Tokio::shutdown`] or when the last handle is dropped. A runtime wrapped
/// with [`Tokio::from_handle`] or [`Tokio::current`] belongs to its creator; shutting the
/// wrapper down only makes it refuse new work.
///
/// With the current-thread flavor, spawned tasks make progress only while some thread is
/// inside [`block_on`](Runtime::block_on), as with tokio itself.
///
/// # Examples
///
/// ```
/// use wrangle::{Runtime, Spawn};
///
/// let rt = wrangle::tokio::Tokio::current_thread()?;
/// assert_eq!(rt.block_on(rt.spawn(async { "hi" })), "hi");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Tokio {
    inner: Arc<Inner>,
}

struct Inner {
    handle: Handle,
    /// The runtime this adapter built, if it built one; taken at shutdown. `block_on` clones
    /// the `Arc` so a shutdown that races a `block_on` completes when that returns.
    owned: Mutex<Option<Arc<Owned>>>,
    shut_down: AtomicBool,
    name: &'static str,
}

/// A tokio runtime that shuts down with a deadline when dropped.
struct Owned {
    rt: Option<tokio::runtime::Runtime>,
    grace: Duration,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            if Handle::try_current().is_ok() {
                // Dropped from inside a runtime, where waiting is not allowed.
                rt.shutdown_background();
            } else {
                rt.shutdown_timeout(self.grace);
            }
        }
    }
}

impl Tokio {
    /// A multi-thread tokio runtime with the defaults: a worker per core, the time driver on
    /// (and the I/O driver, when tokio's `net` feature is on in the build), a one-second
    /// shutdown grace. The same as [`Tokio::multi_thread`], and the counterpart of
    /// `Smol::new()`.
    ///
    /// # Errors
    ///
    /// When tokio cannot start its threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::tokio::Tokio;
    /// use wrangle::{Runtime, Spawn};
    ///
    /// let rt = Tokio::new()?;
    /// assert_eq!(rt.block_on(rt.spawn(async { 6 * 7 })), 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Self> {
        TokioBuilder::multi_thread().build()
    }

    /// Builds a multi-thread tokio runtime with a worker per core and the time driver on (and the
    /// I/O driver, when tokio's `net` feature is on in the build: see [`TokioBuilder::build`]).
    ///
    /// # Errors
    ///
    /// When tokio cannot start its threads.
    pub fn multi_thread() -> io::Result<Self> {
        TokioBuilder::multi_thread().build()
    }

    /// Builds a current-thread tokio runtime with the time driver on (and the I/O driver, when
    /// tokio's `net` feature is on in the build: see [`TokioBuilder::build`]).
    ///
    /// # Errors
    ///
    /// When tokio cannot build the runtime.
    pub fn current_thread() -> io::Result<Self> {
        TokioBuilder::current_thread().build()
    }

    /// Wraps a tokio runtime you already have. Its time driver must be enabled.
    ///
    /// # Examples
    ///
    /// With `tokio` in your own dependencies, to build the runtime:
    ///
    /// ```
    /// let native = tokio::runtime::Builder::new_multi_thread().enable_time().build()?;
    /// let rt = wrangle::tokio::Tokio::from_handle(native.handle().clone());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_handle(handle: Handle) -> Self {
        let name = match handle.runtime_flavor() {
            RuntimeFlavor::CurrentThread => "tokio-current-thread",
            _ => "tokio",
        };
        Self::wrap(handle, None, name)
    }

    /// Wraps the tokio runtime the current thread is running in.
    ///
    /// # Errors
    ///
    /// [`NoRuntime`] outside a tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wrangle::tokio::Tokio::current().is_err());
    /// ```
    pub fn current() -> Result<Self, NoRuntime> {
        Handle::try_current()
            .map(Self::from_handle)
            .map_err(|_| NoRuntime(()))
    }

    fn wrap(handle: Handle, owned: Option<Owned>, name: &'static str) -> Self {
        Self {
            inner: Arc::new(Inner {
                handle,
                owned: Mutex::new(owned.map(Arc::new)),
                shut_down: AtomicBool::new(false),
                name,
            }),
        }
    }

    /// The tokio handle underneath, for tokio-specific work (I/O, tokio's own APIs).
    pub fn handle(&self) -> &Handle {
        &self.inner.handle
    }

    /// Shuts the runtime down: new spawns and `block_on` are refused, and a runtime this
    /// adapter built drops its tasks (they join as cancelled) and waits at most the grace
    /// period for blocking calls before detaching them. Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::{Runtime, Spawn};
    ///
    /// let rt = wrangle::tokio::Tokio::multi_thread()?;
    /// let task = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown();
    /// assert!(rt.try_spawn(async {}).is_err());
    /// let outcome = wrangle::blocking::block_on(task.join());
    /// assert!(outcome.unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.inner.shut_down.store(true, Ordering::Release);
        let owned = self
            .inner
            .owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(owned);
    }

    /// Whether [`shutdown`](Tokio::shutdown) has been called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.shut_down.load(Ordering::Acquire)
    }

    fn check_open(&self) -> Result<(), SpawnError> {
        if self.is_shut_down() {
            Err(SpawnError::shutdown(self.inner.name))
        } else {
            Ok(())
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: shut down (with the grace period) a runtime we built.
        let owned = self
            .owned
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(owned);
    }
}

impl fmt::Debug for Tokio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokio")
            .field("flavor", &self.inner.name)
            .field("shut_down", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}

impl Timer for Tokio {
    type Sleep = TokioSleep;

    fn sleep_until(&self, deadline: Instant) -> TokioSleep {
        if self.is_shut_down() {
            return TokioSleep::new(None);
        }
        let _context = self.inner.handle.enter();
        // Follows tokio's paused clock, like `now`.
        let now = tokio::time::Instant::now().into_std();
        let never = deadline.saturating_duration_since(now) > NEVER_BEYOND
            || deadline.checked_add(Duration::from_millis(1)).is_none();
        if never {
            return TokioSleep::new(None);
        }
        TokioSleep::new(Some(tokio::time::sleep_until(deadline.into())))
    }

    fn now(&self) -> Instant {
        // Follows tokio's paused clock when the caller is inside a runtime with test-util.
        tokio::time::Instant::now().into_std()
    }

    fn random_u64(&self) -> u64 {
        fastrand::u64(..)
    }
}

impl Spawn for Tokio {
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.check_open()?;
        // tokio's own handle already aborts, catches panics and reports shutdown as
        // cancellation; `driven` marks the worker as driven by wrangle during each poll.
        let handle = self.inner.handle.spawn(context::driven(future));
        Ok(Task::from_tokio(handle))
    }

    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.check_open()?;
        Ok(Task::from_tokio(self.inner.handle.spawn_blocking(f)))
    }
}

impl Runtime for Tokio {
    fn name(&self) -> &'static str {
        self.inner.name
    }

    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError> {
        if context::is_driving() || in_tokio_scheduler() {
            return Err(BlockOnError::Nested);
        }
        if self.is_shut_down() {
            return Err(BlockOnError::Shutdown(self.inner.name));
        }
        let owned = self
            .inner
            .owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let _driving = context::enter();
        // A current-thread runtime's timers are driven only by `Runtime::block_on`.
        Ok(match owned.as_ref().and_then(|o| o.rt.as_ref()) {
            Some(rt) => rt.block_on(future),
            None => self.inner.handle.block_on(future),
        })
    }
}

/// Configures a tokio runtime for wrangle.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = wrangle::tokio::TokioBuilder::multi_thread()
///     .worker_threads(2)
///     .shutdown_grace(Duration::from_millis(100))
///     .build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TokioBuilder {
    multi_thread: bool,
    worker_threads: Option<NonZeroUsize>,
    grace: Duration,
}

impl TokioBuilder {
    /// A multi-thread runtime, a worker per core unless [`worker_threads`](Self::worker_threads)
    /// says otherwise.
    pub fn multi_thread() -> Self {
        Self {
            multi_thread: true,
            worker_threads: None,
            grace: DEFAULT_GRACE,
        }
    }

    /// A current-thread runtime.
    pub fn current_thread() -> Self {
        Self {
            multi_thread: false,
            worker_threads: None,
            grace: DEFAULT_GRACE,
        }
    }

    /// The number of worker threads of a multi-thread runtime (`.worker_threads(2)`, or a
    /// [`NonZeroUsize`] from configuration); ignored for current-thread.
    ///
    /// # Panics
    ///
    /// On a plain `0`, at once (a runtime without workers could run nothing); a
    /// `NonZeroUsize` never panics.
    #[track_caller]
    pub fn worker_threads(mut self, n: impl IntoLimit) -> Self {
        self.worker_threads = Some(n.into_limit());
        self
    }

    /// How long a shutdown waits for blocking calls before it detaches them (default 1 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Builds the runtime, with tokio's time driver enabled, and every other driver that the
    /// build compiles in: with tokio's `net` feature on anywhere in the dependency graph, its
    /// I/O driver too, so tokio's sockets and the clients built on them (reqwest, hyper) run on
    /// it. wrangle itself asks tokio for no more than `rt` and `time`.
    ///
    /// # Errors
    ///
    /// When tokio cannot build the runtime or start its threads.
    pub fn build(self) -> io::Result<Tokio> {
        let (mut builder, name) = if self.multi_thread {
            (tokio::runtime::Builder::new_multi_thread(), "tokio")
        } else {
            (
                tokio::runtime::Builder::new_current_thread(),
                "tokio-current-thread",
            )
        };
        if let (true, Some(n)) = (self.multi_thread, self.worker_threads) {
            builder.worker_threads(n.get());
        }
        let rt = builder.enable_all().thread_name("wrangle-tokio").build()?;
        let handle = rt.handle().clone();
        Ok(Tokio::wrap(
            handle,
            Some(Owned {
                rt: Some(rt),
                grace: self.grace,
            }),
            name,
        ))
    }
}

/// [`Tokio::current`] was called outside a tokio runtime.
///
/// # Examples
///
/// ```
/// let err = wrangle::tokio::Tokio::current().unwrap_err();
/// assert!(err.to_string().contains("not inside a tokio runtime"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRuntime(());

impl fmt::Display for NoRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "not inside a tokio runtime: build one with Tokio::multi_thread() or \
             Tokio::current_thread(), or wrap a handle with Tokio::from_handle()",
        )
    }
}

impl std::error::Error for NoRuntime {}
