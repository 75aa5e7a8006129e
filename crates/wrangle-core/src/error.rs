//! Errors of the runtime traits.

use std::fmt;
use std::io;

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
    /// this (such as `wrangle-sim`) report it instead of hanging.
    Deadlock {
        /// How many tasks were stuck, counting the future passed to `block_on`.
        stuck: usize,
        /// The names of the stuck tasks that have one: group children spawned with
        /// [`spawn_named`](crate::group::TaskGroup::spawn_named), in spawn order (runtimes
        /// learn them through [`poll_recording_name`](crate::group::poll_recording_name)).
        names: Vec<String>,
    },
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
            Self::Deadlock { stuck, names } => {
                write!(f, "deadlock: {stuck} task(s) can never make progress")?;
                if !names.is_empty() {
                    write!(f, " ({})", names.join(", "))?;
                }
                f.write_str(
                    "; no task is runnable, no timer is pending and no blocking job is running",
                )
            }
        }
    }
}

impl std::error::Error for BlockOnError {}

impl From<BlockOnError> for io::Error {
    fn from(err: BlockOnError) -> Self {
        io::Error::other(err)
    }
}
