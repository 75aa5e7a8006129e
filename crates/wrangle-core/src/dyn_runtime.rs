//! Runtime choice at run time: the object-safe [`DynRuntime`] and the [`AnyRuntime`] handle.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use crate::{BlockOnError, Runtime, Spawn, SpawnError, Task, Timer};

/// A boxed, sendable future with no output, as [`DynRuntime`] spawns them.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The object-safe face of [`Runtime`], for code that picks its runtime at run time (a
/// `--runtime` flag, say). Every `Runtime` implements it.
///
/// Its methods carry a `_dyn` suffix so they never clash with [`Timer`] and [`Spawn`] when
/// both traits are in scope. Most code wants [`AnyRuntime`], which wraps an
/// `Arc<dyn DynRuntime>` and is itself a [`Runtime`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use wrangle::{AnyRuntime, DynRuntime, Runtime, Spawn};
///
/// # let chosen = wrangle::sim::Sim::new(1);
/// let rt = AnyRuntime::new(chosen);
/// assert_eq!(rt.block_on(async { rt.spawn(async { 3 }).await }), 3);
/// let as_object: Arc<dyn DynRuntime> = rt.clone().into_inner();
/// assert_eq!(as_object.name_dyn(), rt.name());
/// ```
pub trait DynRuntime: Send + Sync + 'static {
    /// [`Runtime::name`].
    fn name_dyn(&self) -> &'static str;
    /// [`Spawn::try_spawn`] for a boxed future.
    ///
    /// # Errors
    ///
    /// As [`Spawn::try_spawn`].
    fn try_spawn_dyn(&self, future: BoxFuture) -> Result<Task<()>, SpawnError>;
    /// [`Spawn::try_spawn_blocking`] for a boxed closure.
    ///
    /// # Errors
    ///
    /// As [`Spawn::try_spawn_blocking`].
    fn try_spawn_blocking_dyn(
        &self,
        f: Box<dyn FnOnce() + Send + 'static>,
    ) -> Result<Task<()>, SpawnError>;
    /// [`Timer::sleep_until`], boxed.
    fn sleep_until_dyn(&self, deadline: Instant) -> BoxFuture;
    /// [`Timer::now`].
    fn now_dyn(&self) -> Instant;
    /// [`Timer::random_u64`].
    fn random_u64_dyn(&self) -> u64;
    /// [`Runtime::try_block_on`] for a pinned future with no output.
    ///
    /// # Errors
    ///
    /// As [`Runtime::try_block_on`].
    fn try_block_on_dyn(
        &self,
        future: Pin<&mut (dyn Future<Output = ()> + '_)>,
    ) -> Result<(), BlockOnError>;
}

impl<R: Runtime + 'static> DynRuntime for R {
    fn name_dyn(&self) -> &'static str {
        self.name()
    }
    fn try_spawn_dyn(&self, future: BoxFuture) -> Result<Task<()>, SpawnError> {
        self.try_spawn(future)
    }
    fn try_spawn_blocking_dyn(
        &self,
        f: Box<dyn FnOnce() + Send + 'static>,
    ) -> Result<Task<()>, SpawnError> {
        self.try_spawn_blocking(f)
    }
    fn sleep_until_dyn(&self, deadline: Instant) -> BoxFuture {
        Box::pin(self.sleep_until(deadline))
    }
    fn now_dyn(&self) -> Instant {
        self.now()
    }
    fn random_u64_dyn(&self) -> u64 {
        self.random_u64()
    }
    fn try_block_on_dyn(
        &self,
        future: Pin<&mut (dyn Future<Output = ()> + '_)>,
    ) -> Result<(), BlockOnError> {
        self.try_block_on(future)
    }
}

/// A [`Runtime`] chosen at run time: a cloneable `Arc<dyn DynRuntime>`.
///
/// Every wrangle combinator accepts it like any other runtime; each spawn and sleep costs
/// one extra allocation for the boxing.
///
/// # Examples
///
/// ```
/// use wrangle::{AnyRuntime, Runtime};
///
/// fn pick(name: &str) -> Option<AnyRuntime> {
///     match name {
///         "sim" => Some(AnyRuntime::new(wrangle::sim::Sim::new(1))),
///         _ => None,
///     }
/// }
/// let rt = pick("sim").unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Clone)]
pub struct AnyRuntime(Arc<dyn DynRuntime>);

impl AnyRuntime {
    /// Wraps a runtime.
    pub fn new<R: Runtime + 'static>(runtime: R) -> Self {
        Self(Arc::new(runtime))
    }

    /// Wraps a runtime that is already a trait object.
    pub fn from_dyn(runtime: Arc<dyn DynRuntime>) -> Self {
        Self(runtime)
    }

    /// The trait object inside.
    pub fn into_inner(self) -> Arc<dyn DynRuntime> {
        self.0
    }
}

impl fmt::Debug for AnyRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyRuntime")
            .field(&self.0.name_dyn())
            .finish()
    }
}

impl Timer for AnyRuntime {
    type Sleep = BoxFuture;

    fn sleep_until(&self, deadline: Instant) -> BoxFuture {
        self.0.sleep_until_dyn(deadline)
    }
    fn now(&self) -> Instant {
        self.0.now_dyn()
    }
    fn random_u64(&self) -> u64 {
        self.0.random_u64_dyn()
    }
}

impl Spawn for AnyRuntime {
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (job, task) = crate::task::new(future);
        self.0.try_spawn_dyn(Box::pin(job))?.detach();
        Ok(task)
    }

    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (job, task) = crate::task::new_blocking(f);
        self.0
            .try_spawn_blocking_dyn(Box::new(move || job.run()))?
            .detach();
        Ok(task)
    }
}

impl Runtime for AnyRuntime {
    fn name(&self) -> &'static str {
        self.0.name_dyn()
    }

    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError> {
        let mut output = None;
        {
            let mut unit = std::pin::pin!(async { output = Some(future.await) });
            self.0.try_block_on_dyn(unit.as_mut())?;
        }
        Ok(output.expect("block_on returned before its future completed"))
    }
}
