//! Errors of the runtime traits.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// The runtime refused to spawn: it has been shut down.
///
/// Returned by [`Spawn::try_spawn`](crate::Spawn::try_spawn) and
/// [`Spawn::try_spawn_blocking`](crate::Spawn::try_spawn_blocking). The infallible
/// [`Spawn::spawn`](crate::Spawn::spawn) instead returns a task that joins as
/// [`JoinError::Cancelled`](crate::JoinError::Cancelled).
///
/// # Examples
///
/// ```
/// use wrangle::SpawnError;
///
/// let err = SpawnError::shutdown("tokio");
/// assert_eq!(err.to_string(), "cannot spawn: the tokio runtime has been shut down");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnError {
    runtime: &'static str,
}

impl SpawnError {
    /// The error for a runtime, named for the message, that has been shut down.
    pub fn shutdown(runtime: &'static str) -> Self {
        Self { runtime }
    }

    /// The name of the runtime that refused.
    pub fn runtime(&self) -> &'static str {
        self.runtime
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot spawn: the {} runtime has been shut down",
            self.runtime
        )
    }
}

impl std::error::Error for SpawnError {}

impl From<SpawnError> for io::Error {
    fn from(err: SpawnError) -> Self {
        io::Error::other(err)
    }
}

/// Why [`Runtime::try_block_on`](crate::Runtime::try_block_on) refused to run a future.
///
/// # Examples
///
/// ```
/// use wrangle::BlockOnError;
///
/// let err = BlockOnError::Nested;
/// assert!(err.to_string().contains("already driving"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockOnError {
    /// The calling thread is already driving wrangle work (inside `block_on` or a task).
    /// Blocking it would stall every task sharing the thread, or deadlock.
    Nested,
    /// The runtime has been shut down.
    Shutdown(&'static str),
    /// Nothing could make progress: no task was runnable, no timer was pending and no
    /// blocking job was running, yet the future had not completed. Runtimes that can see
    /// this (such as `wrangle-sim`) report it instead of hanging; the [`Deadlock`] says when
    /// and names every stuck task.
    Deadlock(Deadlock),
}

impl fmt::Display for BlockOnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nested => f.write_str(
                "cannot block_on: this thread is already driving wrangle work (inside block_on or \
                 a spawned task); await the future instead, or move the blocking call into \
                 spawn_blocking",
            ),
            Self::Shutdown(rt) => write!(f, "cannot block_on: the {rt} runtime has been shut down"),
            Self::Deadlock(deadlock) => deadlock.fmt(f),
        }
    }
}

impl std::error::Error for BlockOnError {}

impl From<BlockOnError> for io::Error {
    fn from(err: BlockOnError) -> Self {
        io::Error::other(err)
    }
}

/// A deadlock a runtime saw: when, and every task stuck in it.
///
/// The payload of [`BlockOnError::Deadlock`]. `wrangle-sim` reports one the moment no task is
/// runnable, no timer is pending and no blocking job is running while the future passed to
/// `block_on` has not completed: nothing can ever happen again. It lists every live spawned
/// task (each is waiting, and nothing will wake it), by the name given at spawn
/// ([`Spawn::spawn_named`](crate::Spawn::spawn_named), a group's
/// `spawn_named`) or, unnamed, by its number.
///
/// Its `Display` is one line: `deadlock at 100ms: tasks "A" and "B" wait on each other and no
/// timer is pending`. The instant is the runtime's time since it started (virtual time on
/// `wrangle-sim`); names are quoted with Rust's escapes, so an empty name or one with a NUL
/// byte shows as `""` or `"a\0b"`; an unnamed task shows as `#3`. The future passed to
/// `block_on` is stuck too and counted in [`stuck`](Deadlock::stuck), but not listed: it is
/// the caller's own.
///
/// # Examples
///
/// Two tasks, each waiting for the other to finish its part first (S20 in
/// `docs/scenarios.md` has the same shape with two locks). On virtual time the deadlock is
/// certain at 0.1 s, once both have slept, and reported then, by name:
///
/// ```
/// use std::time::Duration;
/// use wrangle::{BlockOnError, CancellationToken, Spawn, TimerExt};
///
/// let outcome = wrangle::sim::try_run(1, |rt| async move {
///     let (a_done, b_done) = (CancellationToken::new(), CancellationToken::new());
///     let mut tasks = Vec::new();
///     for (name, mine, theirs) in [("A", &a_done, &b_done), ("B", &b_done, &a_done)] {
///         let (mine, theirs) = (mine.clone(), theirs.clone());
///         let nap = rt.sleep(Duration::from_millis(100));
///         tasks.push(rt.spawn_named(name, async move {
///             nap.await;
///             theirs.cancelled().await; // waits for the other...
///             mine.cancel(); // ...before doing its own part
///         }));
///     }
///     for task in tasks {
///         task.await;
///     }
/// });
/// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!("{outcome:?}") };
/// assert_eq!(deadlock.at(), Duration::from_millis(100));
/// assert!(deadlock.names().eq(["A", "B"]));
/// assert_eq!(
///     deadlock.to_string(),
///     "deadlock at 100ms: tasks \"A\" and \"B\" wait on each other and no timer is pending"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    at: Duration,
    tasks: Vec<StuckTask>,
    parked_jobs: usize,
}

impl Deadlock {
    /// A deadlock seen at `at` (time since the runtime started), with the live spawned
    /// `tasks`, in spawn order, and `parked_jobs` blocking jobs waiting for good. For runtimes
    /// that detect deadlocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{Deadlock, StuckTask};
    ///
    /// let deadlock = Deadlock::new(Duration::ZERO, vec![StuckTask::new(0, None)], 0);
    /// assert_eq!(
    ///     deadlock.to_string(),
    ///     "deadlock at 0ns: task #0 waits for ever and no timer is pending"
    /// );
    /// ```
    pub fn new(at: Duration, tasks: Vec<StuckTask>, parked_jobs: usize) -> Self {
        Self {
            at,
            tasks,
            parked_jobs,
        }
    }

    /// When the deadlock was seen: the runtime's time since it started (on `wrangle-sim`, the
    /// virtual [`elapsed`](https://docs.rs/wrangle-sim) time).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::{BlockOnError, TimerExt};
    ///
    /// let outcome = wrangle::sim::try_run(1, |rt| async move {
    ///     rt.sleep(Duration::from_secs(5)).await;
    ///     std::future::pending::<()>().await
    /// });
    /// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!() };
    /// assert_eq!(deadlock.at(), Duration::from_secs(5));
    /// ```
    pub fn at(&self) -> Duration {
        self.at
    }

    /// Every stuck spawned task, in spawn order.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::{BlockOnError, Spawn};
    ///
    /// let outcome = wrangle::sim::try_run(1, |rt| async move {
    ///     let a = rt.spawn_named("a", std::future::pending::<()>());
    ///     let b = rt.spawn(std::future::pending::<()>());
    ///     (a.await, b.await)
    /// });
    /// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!() };
    /// let tasks: Vec<String> = deadlock.tasks().iter().map(|t| t.to_string()).collect();
    /// assert_eq!(tasks, ["task \"a\"", "task #1"]);
    /// ```
    pub fn tasks(&self) -> &[StuckTask] {
        &self.tasks
    }

    /// The names of the stuck tasks that have one, in spawn order.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::{BlockOnError, Spawn};
    ///
    /// let outcome = wrangle::sim::try_run(1, |rt| async move {
    ///     rt.spawn_named("waiter", std::future::pending::<()>()).await
    /// });
    /// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!() };
    /// assert!(deadlock.names().eq(["waiter"]));
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.tasks.iter().filter_map(StuckTask::name)
    }

    /// How many blocking jobs were parked for good (in a sleep that never ends, or in a
    /// `block_on` of their own).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::BlockOnError;
    ///
    /// let outcome = wrangle::sim::try_run(1, |_rt| std::future::pending::<()>());
    /// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!() };
    /// assert_eq!(deadlock.parked_jobs(), 0);
    /// ```
    pub fn parked_jobs(&self) -> usize {
        self.parked_jobs
    }

    /// How many things were stuck: the future passed to `block_on`, every task in
    /// [`tasks`](Deadlock::tasks), and every [parked job](Deadlock::parked_jobs).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::{BlockOnError, Spawn};
    ///
    /// let outcome = wrangle::sim::try_run(1, |rt| async move {
    ///     rt.spawn(std::future::pending::<()>()).await
    /// });
    /// let Err(BlockOnError::Deadlock(deadlock)) = outcome else { panic!() };
    /// assert_eq!(deadlock.stuck(), 2);
    /// ```
    pub fn stuck(&self) -> usize {
        1 + self.tasks.len() + self.parked_jobs
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadlock at {:?}: ", self.at)?;
        match self.tasks.as_slice() {
            [] => f.write_str("the future passed to block_on waits for ever")?,
            [task] => write!(f, "{task} waits for ever")?,
            [init @ .., last] => {
                f.write_str("tasks ")?;
                for (i, task) in init.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    task.fmt_label(f)?;
                }
                f.write_str(" and ")?;
                last.fmt_label(f)?;
                f.write_str(" wait on each other")?;
            }
        }
        match self.parked_jobs {
            0 => f.write_str(" and no timer is pending"),
            1 => f.write_str(", 1 blocking job is parked for good, and no timer is pending"),
            n => write!(
                f,
                ", {n} blocking jobs are parked for good, and no timer is pending"
            ),
        }
    }
}

impl std::error::Error for Deadlock {}

/// One task stuck in a [`Deadlock`]: its number on the runtime and, if it was given one, its
/// name.
///
/// The number counts spawns on the runtime from 0. The name is the one given to
/// [`Spawn::spawn_named`](crate::Spawn::spawn_named) or to a group's
/// `spawn_named`, exactly as given (an empty name, or
/// one with NUL bytes, included). `Display` reads `task "A"`, or `task #3` without a name.
///
/// # Examples
///
/// ```
/// use wrangle::StuckTask;
///
/// let named = StuckTask::new(0, Some("A".into()));
/// assert_eq!((named.id(), named.name()), (0, Some("A")));
/// assert_eq!(named.to_string(), "task \"A\"");
/// assert_eq!(StuckTask::new(3, None).to_string(), "task #3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckTask {
    id: u64,
    name: Option<Arc<str>>,
}

impl StuckTask {
    /// The task numbered `id` on its runtime, named `name` if it has one. For runtimes that
    /// detect deadlocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let task = wrangle::StuckTask::new(7, None);
    /// assert_eq!(task.name(), None);
    /// ```
    pub fn new(id: u64, name: Option<Arc<str>>) -> Self {
        Self { id, name }
    }

    /// The task's number on its runtime: spawns counted from 0.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wrangle::StuckTask::new(7, None).id(), 7);
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name the task was spawned with, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let task = wrangle::StuckTask::new(0, Some("indexer".into()));
    /// assert_eq!(task.name(), Some("indexer"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// `"A"` or `#3`: the task in a list after the word "tasks".
    fn fmt_label(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{:?}", &**name),
            None => write!(f, "#{}", self.id),
        }
    }
}

impl fmt::Display for StuckTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task ")?;
        self.fmt_label(f)
    }
}
