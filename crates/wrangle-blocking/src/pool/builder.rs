use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use super::BlockingPool;
use super::state::Config;
use crate::ConfigError;

/// The default [`PoolBuilder::max_threads`]: enough for anyio's default of 40 blocking calls at
/// once, with room to spare. (Examples: see [`DEFAULT_GROW_AFTER`].)
pub const DEFAULT_MAX_THREADS: usize = 64;
/// The largest [`PoolBuilder::queue_capacity`]: 2^20 calls. The queue is allocated at its full
/// size when the pool is built.
///
/// # Examples
///
/// ```
/// use wrangle::blocking::pool::MAX_QUEUE_CAPACITY;
/// use wrangle::blocking::{BlockingPool, ConfigError};
///
/// let err = BlockingPool::builder().queue_capacity(usize::MAX).build().unwrap_err();
/// assert_eq!(err, ConfigError::QueueCapacityTooLarge(usize::MAX));
/// assert!(BlockingPool::builder().queue_capacity(MAX_QUEUE_CAPACITY).build().is_ok());
/// ```
pub const MAX_QUEUE_CAPACITY: usize = 1 << 20;
/// The default [`PoolBuilder::queue_capacity`]. (Examples: see [`DEFAULT_GROW_AFTER`].)
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;
/// The default [`PoolBuilder::keep_alive`] (tokio's as well). (Examples: see
/// [`DEFAULT_GROW_AFTER`].)
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);
/// The default [`PoolBuilder::grow_after`].
///
/// # Examples
///
/// ```
/// use wrangle::blocking::pool;
///
/// // The defaults every pool starts from.
/// assert_eq!(pool::DEFAULT_MAX_THREADS, 64);
/// assert_eq!(pool::DEFAULT_QUEUE_CAPACITY, 1024);
/// assert_eq!(pool::DEFAULT_KEEP_ALIVE, std::time::Duration::from_secs(10));
/// assert_eq!(pool::DEFAULT_GROW_AFTER, std::time::Duration::from_millis(1));
/// ```
pub const DEFAULT_GROW_AFTER: Duration = Duration::from_millis(1);

/// The settings of a pool, validated.
/// Configures a [`BlockingPool`]; every setting has a documented default.
///
/// | Setting | Default | What it does |
/// |---|---|---|
/// | [`max_threads`](PoolBuilder::max_threads) | 64 | hard cap on the pool's threads, its supervisor included |
/// | [`queue_capacity`](PoolBuilder::queue_capacity) | 1024 | calls waiting for a thread; beyond it callers wait (backpressure) |
/// | [`eager_threads`](PoolBuilder::eager_threads) | the number of CPUs | threads started as soon as a call finds none idle |
/// | [`grow_after`](PoolBuilder::grow_after) | 1 ms | how long a call runs before it counts as blocking |
/// | [`keep_alive`](PoolBuilder::keep_alive) | 10 s | how long an idle thread waits for work before it exits |
/// | [`batch_wakeups`](PoolBuilder::batch_wakeups) | on | deliver completions to awaiting futures in batches while calls are queued |
/// | [`thread_name`](PoolBuilder::thread_name) | `wrangle-block` | the threads' name |
///
/// See [`BlockingPool`] for how threads are started and why.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::blocking::BlockingPool;
///
/// let pool = BlockingPool::builder()
///     .max_threads(8)
///     .queue_capacity(64)
///     .keep_alive(Duration::from_secs(1))
///     .build()?;
/// assert_eq!(pool.max_threads(), 8);
/// # Ok::<(), wrangle::blocking::ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder {
    max_threads: usize,
    queue_capacity: usize,
    eager_threads: Option<usize>,
    keep_alive: Duration,
    grow_after: Duration,
    batch_wakeups: bool,
    thread_name: String,
}

impl Default for PoolBuilder {
    fn default() -> Self {
        Self {
            max_threads: DEFAULT_MAX_THREADS,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            eager_threads: None,
            keep_alive: DEFAULT_KEEP_ALIVE,
            grow_after: DEFAULT_GROW_AFTER,
            batch_wakeups: true,
            thread_name: "wrangle-block".to_owned(),
        }
    }
}

impl PoolBuilder {
    /// A builder with the default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::pool::PoolBuilder::new().build().unwrap();
    /// assert_eq!(pool.max_threads(), 64);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The hard cap on the pool's threads (default 64), counting the supervisor thread
    /// that starts threads for blocked calls: the process never has more of this pool's
    /// threads than this, so at most this many calls run at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::builder().max_threads(4).build().unwrap();
    /// assert_eq!(pool.max_threads(), 4);
    /// ```
    pub fn max_threads(mut self, max_threads: usize) -> Self {
        self.max_threads = max_threads;
        self
    }

    /// How many calls may wait for a thread (default 1024). When the queue is full, the
    /// future of the next call waits for room instead of queueing it: memory stays bounded
    /// however many calls are submitted. Callers waiting for room are woken together once
    /// the queue is at most three quarters full (so a flood costs one wake-up per quarter
    /// queue); the first to get there queue first, with no further ordering among them.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::builder().queue_capacity(16).build().unwrap();
    /// assert_eq!(pool.queue_capacity(), 16);
    /// ```
    pub fn queue_capacity(mut self, queue_capacity: usize) -> Self {
        self.queue_capacity = queue_capacity;
        self
    }

    /// How many threads start as soon as a call finds no idle thread (default: the number
    /// of CPUs, at most `max_threads`). Beyond them, a thread starts only when every running
    /// call has been running for [`grow_after`](PoolBuilder::grow_after) with calls still
    /// queued. A value above `max_threads` is lowered to it.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::builder().eager_threads(1).build().unwrap();
    /// # drop(pool);
    /// ```
    pub fn eager_threads(mut self, eager_threads: usize) -> Self {
        self.eager_threads = Some(eager_threads);
        self
    }

    /// How long a call must have been running, with calls waiting behind it, before it
    /// counts as blocking and the pool starts more threads (default 1 ms). The pool checks
    /// every `grow_after`, so it notices a blocked thread within twice that.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = wrangle::blocking::BlockingPool::builder()
    ///     .grow_after(Duration::from_millis(5))
    ///     .build()
    ///     .unwrap();
    /// # drop(pool);
    /// ```
    pub fn grow_after(mut self, grow_after: Duration) -> Self {
        self.grow_after = grow_after;
        self
    }

    /// How long an idle thread waits for a call before it exits (default 10 s). Zero makes
    /// threads exit as soon as the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = wrangle::blocking::BlockingPool::builder()
    ///     .keep_alive(Duration::from_millis(500))
    ///     .build()
    ///     .unwrap();
    /// # drop(pool);
    /// ```
    pub fn keep_alive(mut self, keep_alive: Duration) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Whether a thread that completes calls back to back, with more queued, wakes their
    /// awaiting futures in batches of up to 16 rather than one by one (default on).
    ///
    /// Waking an executor thread that has parked costs a system call and two context
    /// switches; for short calls that is most of the cost of a call, and batching it
    /// divides it by up to 16 (BENCHMARKS.md). A held-back wake-up is delivered as soon as
    /// the queue runs empty or 16 are held back; if the thread's next call blocks, the
    /// supervisor delivers it within two [`grow_after`](PoolBuilder::grow_after) ticks (2 ms by
    /// default): the worst case added to one call's latency. Nothing is held back while the
    /// pool has no supervisor (at its cap, or below its eager threads). Turn it off for
    /// calls whose callers cannot afford that worst case.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::builder().batch_wakeups(false).build().unwrap();
    /// # drop(pool);
    /// ```
    pub fn batch_wakeups(mut self, batch: bool) -> Self {
        self.batch_wakeups = batch;
        self
    }

    /// The name of the pool's threads (default `wrangle-block`; Linux shows 15 bytes of it).
    /// A name with a NUL byte is rejected by [`build`](PoolBuilder::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::builder().thread_name("db-io").build().unwrap();
    /// # drop(pool);
    /// ```
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = name.into();
        self
    }

    /// Builds the pool. No thread starts until the first call.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = wrangle::blocking::BlockingPool::builder().build().unwrap();
    /// assert_eq!(pool.metrics().threads, 0);
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the setting that cannot work: `max_threads`,
    /// `queue_capacity` or `eager_threads` of 0, a zero `grow_after`, or a `thread_name`
    /// with a NUL byte.
    pub fn build(self) -> Result<BlockingPool, ConfigError> {
        Ok(BlockingPool::from_config(self.config()?))
    }

    pub(crate) fn config(self) -> Result<Config, ConfigError> {
        if self.max_threads == 0 {
            return Err(ConfigError::ZeroMaxThreads);
        }
        if self.queue_capacity == 0 {
            return Err(ConfigError::ZeroQueueCapacity);
        }
        if self.queue_capacity > MAX_QUEUE_CAPACITY {
            return Err(ConfigError::QueueCapacityTooLarge(self.queue_capacity));
        }
        if self.eager_threads == Some(0) {
            return Err(ConfigError::ZeroEagerThreads);
        }
        if self.grow_after.is_zero() {
            return Err(ConfigError::ZeroGrowAfter);
        }
        if let Some(at) = self.thread_name.bytes().position(|b| b == 0) {
            return Err(ConfigError::NulInThreadName { at });
        }
        let eager = self
            .eager_threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get));
        Ok(Config {
            max_threads: self.max_threads,
            queue_capacity: self.queue_capacity,
            eager_threads: eager.min(self.max_threads),
            keep_alive: self.keep_alive,
            grow_after: self.grow_after,
            batch_wakeups: self.batch_wakeups,
            thread_name: self.thread_name,
        })
    }
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("max_threads", &self.max_threads)
            .field("queue_capacity", &self.queue_capacity)
            .field("eager_threads", &self.eager_threads)
            .field("keep_alive", &self.keep_alive)
            .field("grow_after", &self.grow_after)
            .field("batch_wakeups", &self.batch_wakeups)
            .field("thread_name", &self.thread_name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_are_rejected_with_the_reason() {
        let err = |b: PoolBuilder| b.build().unwrap_err();
        assert_eq!(
            err(PoolBuilder::new().max_threads(0)),
            ConfigError::ZeroMaxThreads
        );
        assert_eq!(
            err(PoolBuilder::new().queue_capacity(0)),
            ConfigError::ZeroQueueCapacity
        );
        assert_eq!(
            err(PoolBuilder::new().eager_threads(0)),
            ConfigError::ZeroEagerThreads
        );
        assert_eq!(
            err(PoolBuilder::new().grow_after(Duration::ZERO)),
            ConfigError::ZeroGrowAfter
        );
    }

    #[test]
    fn eager_is_capped_by_max() {
        let config = PoolBuilder::new()
            .max_threads(2)
            .eager_threads(16)
            .config()
            .unwrap();
        assert_eq!(config.eager_threads, 2);
        let config = PoolBuilder::new().max_threads(1).config().unwrap();
        assert_eq!(config.eager_threads, 1);
    }

    #[test]
    fn debug() {
        assert!(format!("{:?}", PoolBuilder::new()).starts_with("PoolBuilder { max_threads: 64"));
    }
}
