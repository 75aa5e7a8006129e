use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use wrangle_core::{AbortHandle, BlockOnError, Runtime, Spawn, SpawnError, Task, Timer, context};
use wrangle_timer::{Driver, Sleep};

const NAME: &str = "async-std";

/// wrangle's runtime traits over async-std's global runtime (legacy; prefer `wrangle-smol`).
///
/// Every `AsyncStd` shares the one process-wide async-std runtime; what a handle owns is
/// its shutdown state, shared by its clones.
///
/// # Examples
///
/// ```
/// use wrangle::{Runtime, Spawn};
///
/// let rt = wrangle::async_std::AsyncStd::new();
/// assert_eq!(rt.block_on(rt.spawn_blocking(|| 6 * 7)), 42);
/// ```
#[derive(Clone, Default)]
pub struct AsyncStd {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    shut_down: AtomicBool,
    /// Keeps wrangle-timer's driver thread up between sleeps while a handle lives.
    _timer: Driver,
    /// Tasks spawned through this handle that may still be running, so that `shutdown`
    /// can cancel them: the global runtime will not drop them for us.
    spawned: Mutex<Spawned>,
}

#[derive(Default)]
struct Spawned {
    handles: Vec<AbortHandle>,
    /// Prune finished tasks when `handles` grows past this, keeping the cost amortised O(1).
    prune_at: usize,
}

impl Inner {
    fn track(&self, handle: AbortHandle) {
        let mut spawned = self.spawned.lock().unwrap_or_else(PoisonError::into_inner);
        if spawned.handles.len() >= spawned.prune_at {
            spawned.handles.retain(|h| !h.is_finished());
            spawned.prune_at = (spawned.handles.len() * 2).max(64);
        }
        spawned.handles.push(handle);
    }
}

impl AsyncStd {
    /// A handle to async-std's global runtime.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes this handle (and its clones) refuse new spawns and `block_on`, and cancels every
    /// task spawned through it that is still running (blocking calls that have started run
    /// to the end, as everywhere). The global runtime itself cannot be stopped. Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Spawn;
    ///
    /// let rt = wrangle::async_std::AsyncStd::new();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown();
    /// assert!(rt.try_spawn(async {}).is_err());
    /// let outcome = wrangle::blocking::block_on(task.join());
    /// assert!(outcome.unwrap_err().is_cancelled());
    /// ```
    pub fn shutdown(&self) {
        self.inner.shut_down.store(true, Ordering::Release);
        let handles = {
            let mut spawned = self
                .inner
                .spawned
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut spawned.handles)
        };
        for handle in handles {
            handle.abort();
        }
    }

    /// Whether [`shutdown`](AsyncStd::shutdown) has been called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.shut_down.load(Ordering::Acquire)
    }

    fn check_open(&self) -> Result<(), SpawnError> {
        if self.is_shut_down() {
            Err(SpawnError::shutdown(NAME))
        } else {
            Ok(())
        }
    }
}

impl fmt::Debug for AsyncStd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncStd")
            .field("shut_down", &self.is_shut_down())
            .finish()
    }
}

impl Timer for AsyncStd {
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

impl Spawn for AsyncStd {
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.check_open()?;
        let (job, task) = wrangle_core::task::new(future);
        self.inner.track(task.abort_handle());
        // async-std's handle detaches on drop; the wrangle task is the one that cancels.
        drop(async_std::task::spawn(job));
        Ok(task)
    }

    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.check_open()?;
        let (job, task) = wrangle_core::task::new_blocking(f);
        self.inner.track(task.abort_handle());
        drop(async_std::task::spawn_blocking(move || job.run()));
        Ok(task)
    }
}

impl Runtime for AsyncStd {
    fn name(&self) -> &'static str {
        NAME
    }

    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError> {
        // Inside an async-std task (or async-std's own `block_on`), blocking would stall the
        // thread the task shares: refused like inside wrangle work. async-std's blocking
        // threads run no task, so crossing back into async code works there.
        if context::is_driving() || async_std::task::try_current().is_some() {
            return Err(BlockOnError::Nested);
        }
        if self.is_shut_down() {
            return Err(BlockOnError::Shutdown(NAME));
        }
        let _driving = context::enter();
        Ok(async_std::task::block_on(future))
    }
}
