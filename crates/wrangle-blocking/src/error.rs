//! The crate's errors: invalid configuration, and a crossing back to async code that failed.

use std::fmt;
use std::io;

/// A [`BlockingPool`](crate::BlockingPool) configuration that cannot work, rejected where it
/// is built, with the reason.
///
/// # Examples
///
/// ```
/// use wrangle::blocking::{BlockingPool, ConfigError};
///
/// let err = BlockingPool::builder().max_threads(0).build().unwrap_err();
/// assert_eq!(err, ConfigError::ZeroMaxThreads);
/// assert!(err.to_string().contains("at least one thread"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max_threads(0)`: a pool without threads could never run a call, so every caller
    /// would wait forever.
    ZeroMaxThreads,
    /// `queue_capacity(0)`: a call could never be queued, so every caller would wait forever.
    ZeroQueueCapacity,
    /// A `queue_capacity` above [`MAX_QUEUE_CAPACITY`](crate::pool::MAX_QUEUE_CAPACITY): the
    /// queue is allocated at its full size when the pool is built, so a huge bound would
    /// exhaust memory (or overflow) instead of bounding it.
    QueueCapacityTooLarge(usize),
    /// `eager_threads(0)`: the pool would start no thread until a call blocks, and no call can
    /// block before a thread runs it.
    ZeroEagerThreads,
    /// `grow_after(Duration::ZERO)`: every call would count as blocking at once, and the
    /// supervisor that checks would spin.
    ZeroGrowAfter,
    /// A `thread_name` with a NUL byte (at byte index `at`): the operating system cannot
    /// name a thread with one, so no thread of the pool could start.
    NulInThreadName {
        /// The byte index of the first NUL in the name.
        at: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Self::QueueCapacityTooLarge(asked) = self {
            return write!(
                f,
                "invalid blocking pool: queue_capacity is {asked}, above the maximum of {}; the \
                 queue is allocated at its full size up front, so a bound this large would not \
                 bound memory",
                crate::pool::MAX_QUEUE_CAPACITY
            );
        }
        if let Self::NulInThreadName { at } = self {
            return write!(
                f,
                "invalid blocking pool: thread_name has a NUL byte at index {at}, but the \
                 operating system cannot name a thread with one (no thread could start)"
            );
        }
        f.write_str(match self {
            Self::QueueCapacityTooLarge(_) | Self::NulInThreadName { .. } => {
                unreachable!("handled above")
            }
            Self::ZeroMaxThreads => {
                "invalid blocking pool: max_threads is 0, but a pool needs at least one thread \
                 to run calls (every caller would wait forever)"
            }
            Self::ZeroQueueCapacity => {
                "invalid blocking pool: queue_capacity is 0, but a call must be queued before a \
                 thread can take it (every caller would wait forever)"
            }
            Self::ZeroEagerThreads => {
                "invalid blocking pool: eager_threads is 0, but at least one thread must start \
                 without waiting for a call to block"
            }
            Self::ZeroGrowAfter => {
                "invalid blocking pool: grow_after is zero, but a call must run for some time \
                 before it counts as blocking"
            }
        })
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for io::Error {
    fn from(err: ConfigError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, err)
    }
}

/// Why [`from_thread`](crate::from_thread()) could not run its future.
///
/// # Examples
///
/// ```
/// use wrangle::blocking::FromThreadError;
///
/// // Not inside a closure offloaded with `unblock`:
/// let err = wrangle::blocking::from_thread(async { 1 }).unwrap_err();
/// assert_eq!(err, FromThreadError::NotOffloaded);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FromThreadError {
    /// The current thread is not running a closure offloaded with
    /// [`unblock`](crate::unblock()) (or [`Offload::unblock`](crate::Offload::unblock)), so
    /// there is no awaiting future to run the request.
    NotOffloaded,
    /// The future awaiting the offloaded call was dropped (cancelled, or timed out) before
    /// the request completed; the request's future was dropped with it.
    CallerGone,
}

impl fmt::Display for FromThreadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotOffloaded => {
                "from_thread called outside a closure offloaded with unblock: there is no \
                 awaiting future to run the request (calls started with BlockingPool::submit \
                 or a runtime's spawn_blocking have none either)"
            }
            Self::CallerGone => {
                "from_thread: the future awaiting the offloaded call was dropped, so the \
                 request was dropped unfinished"
            }
        })
    }
}

impl std::error::Error for FromThreadError {}

impl From<FromThreadError> for io::Error {
    fn from(err: FromThreadError) -> Self {
        io::Error::other(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_says_why() {
        for err in [
            ConfigError::ZeroMaxThreads,
            ConfigError::ZeroQueueCapacity,
            ConfigError::ZeroEagerThreads,
            ConfigError::ZeroGrowAfter,
        ] {
            let text = err.to_string();
            assert!(text.contains("is 0") || text.contains("is zero"), "{text}");
            assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
        }
        assert!(FromThreadError::CallerGone.to_string().contains("dropped"));
    }
}
