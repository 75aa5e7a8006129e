//! The blocking detector: reports every poll of a watched future that holds its thread for
//! longer than a threshold, asyncio's debug mode for Rust.

mod watch;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use wrangle_core::{Spawn, Task};

pub use watch::Watch;

/// The default [`Detector::threshold`]: asyncio's `slow_callback_duration`.
///
/// # Examples
///
/// ```
/// use wrangle::blocking::{Detector, detect::DEFAULT_THRESHOLD};
///
/// assert_eq!(Detector::new().threshold_value(), Some(DEFAULT_THRESHOLD));
/// ```
pub const DEFAULT_THRESHOLD: Duration = Duration::from_millis(100);

type Hook = dyn Fn(&SlowPoll) + Send + Sync;

#[derive(Clone)]
pub(crate) struct Config {
    threshold: Duration,
    hook: Option<Arc<Hook>>,
    tracing: bool,
}

impl Config {
    fn report(&self, report: &SlowPoll) {
        if self.tracing {
            tracing::warn!(
                target: "wrangle_blocking::detect",
                task = report.name().unwrap_or("<unnamed>"),
                group_child = report.task().unwrap_or("<none>"),
                spawned_at = %report.location(),
                poll_ms = duration_ms(report.elapsed()),
                threshold_ms = duration_ms(report.threshold()),
                "{report}"
            );
        }
        if let Some(hook) = &self.hook {
            hook(report);
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Opt-in instrumentation that reports every poll of a watched future that holds its thread
/// longer than a threshold (default 100 ms), with the future's name or the place it was
/// watched or spawned from.
///
/// A future that blocks its thread (a synchronous file read, a lock held across heavy work, a
/// tight loop) stalls every other task on that thread; asyncio reports such "slow
/// callbacks" in debug mode. Wrap the futures to watch with [`watch`](Detector::watch) (or
/// spawn them with [`spawn`](Detector::spawn)): each poll is timed with the real clock,
/// and one that takes `threshold` or longer is reported as a [`SlowPoll`], through `tracing`
/// (a `WARN` event with target `wrangle_blocking::detect`) and to the hook set with
/// [`on_slow_poll`](Detector::on_slow_poll), if any.
///
/// # Cost
///
/// Off ([`Detector::off`]), a watched future polls its inner future and does nothing else:
/// one predictable branch per poll. On, it reads the clock twice per poll (BENCHMARKS.md
/// has the measured overhead). A `Detector` is a cheap handle (an `Arc` inside).
///
/// Time is measured with the real clock even under `wrangle-sim`: a poll that blocks holds
/// a real thread, whatever the virtual clock says.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use wrangle::blocking::Detector;
///
/// let reports = Arc::new(Mutex::new(Vec::new()));
/// let seen = reports.clone();
/// let detector = Detector::new()
///     .threshold(Duration::from_millis(20))
///     .on_slow_poll(move |slow| seen.lock().unwrap().push(slow.to_string()));
///
/// let blocking_task = detector.watch_named("report-builder", async {
///     std::thread::sleep(Duration::from_millis(30)); // blocks its thread: reported
/// });
/// wrangle::blocking::block_on(blocking_task);
///
/// let reports = reports.lock().unwrap();
/// assert_eq!(reports.len(), 1);
/// assert!(reports[0].contains("report-builder"), "{}", reports[0]);
/// ```
#[derive(Clone)]
pub struct Detector {
    /// `None` when off.
    config: Option<Arc<Config>>,
}

impl Detector {
    /// A detector that is on, with a threshold of 100 ms, reporting through `tracing`.
    ///
    /// # Examples
    ///
    /// ```
    /// let detector = wrangle::blocking::Detector::new();
    /// assert!(detector.is_on());
    /// assert_eq!(detector.threshold_value(), Some(std::time::Duration::from_millis(100)));
    /// ```
    pub fn new() -> Self {
        Self {
            config: Some(Arc::new(Config {
                threshold: DEFAULT_THRESHOLD,
                hook: None,
                tracing: true,
            })),
        }
    }

    /// A detector that is off: futures it watches are polled as they are, at no cost but a
    /// branch. Lets code keep its `watch` calls and decide at run time (a `--debug` flag,
    /// an environment variable) whether to detect.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::blocking::Detector;
    ///
    /// let detector = if std::env::var_os("MYAPP_DEBUG").is_some() {
    ///     Detector::new()
    /// } else {
    ///     Detector::off()
    /// };
    /// let v = wrangle::blocking::block_on(detector.watch(async { 1 }));
    /// assert_eq!(v, 1);
    /// ```
    pub fn off() -> Self {
        Self { config: None }
    }

    /// Reports polls that take `threshold` or longer (default 100 ms). No effect on a
    /// detector that is off.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let detector = wrangle::blocking::Detector::new().threshold(Duration::from_millis(10));
    /// assert_eq!(detector.threshold_value(), Some(Duration::from_millis(10)));
    /// ```
    pub fn threshold(self, threshold: Duration) -> Self {
        self.map(|config| config.threshold = threshold)
    }

    /// Also calls `hook` with each report (after the `tracing` event): for tests, metrics,
    /// or a custom log. No effect on a detector that is off.
    ///
    /// The hook runs on the thread that made the slow poll, right after it; keep it short.
    ///
    /// # Examples
    ///
    /// ```
    /// let detector = wrangle::blocking::Detector::new().on_slow_poll(|slow| eprintln!("{slow}"));
    /// # drop(detector);
    /// ```
    pub fn on_slow_poll(self, hook: impl Fn(&SlowPoll) + Send + Sync + 'static) -> Self {
        self.map(|config| config.hook = Some(Arc::new(hook)))
    }

    /// Whether to emit a `tracing` event for each report (default `true`). No effect on a
    /// detector that is off.
    ///
    /// # Examples
    ///
    /// ```
    /// let quiet = wrangle::blocking::Detector::new().tracing(false).on_slow_poll(|_| {});
    /// # drop(quiet);
    /// ```
    pub fn tracing(self, enabled: bool) -> Self {
        self.map(|config| config.tracing = enabled)
    }

    fn map(self, change: impl FnOnce(&mut Config)) -> Self {
        let Some(config) = self.config else {
            return self;
        };
        // A clone of a shared detector is configured on its own; the others keep theirs.
        let mut config = Arc::unwrap_or_clone(config);
        change(&mut config);
        Self {
            config: Some(Arc::new(config)),
        }
    }

    /// Whether the detector is on.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!wrangle::blocking::Detector::off().is_on());
    /// ```
    pub fn is_on(&self) -> bool {
        self.config.is_some()
    }

    /// The threshold, or `None` when off.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wrangle::blocking::Detector::off().threshold_value(), None);
    /// ```
    pub fn threshold_value(&self) -> Option<Duration> {
        self.config.as_ref().map(|config| config.threshold)
    }

    /// Watches `future`, naming it in reports by where `watch` was called.
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future drops `future`.
    ///
    /// # Examples
    ///
    /// ```
    /// let detector = wrangle::blocking::Detector::new();
    /// assert_eq!(wrangle::blocking::block_on(detector.watch(async { 5 })), 5);
    /// ```
    #[track_caller]
    pub fn watch<F: Future>(&self, future: F) -> Watch<F> {
        Watch::new(future, self.config.clone(), || None, Location::caller())
    }

    /// Watches `future`, naming it `name` in reports (and giving where `watch_named` was
    /// called as well).
    ///
    /// # Examples
    ///
    /// ```
    /// let detector = wrangle::blocking::Detector::new();
    /// let f = detector.watch_named(format!("order-{}", 7), async { 7 });
    /// assert_eq!(f.name(), Some("order-7"));
    /// ```
    #[track_caller]
    pub fn watch_named<F: Future>(
        &self,
        name: impl Into<Cow<'static, str>>,
        future: F,
    ) -> Watch<F> {
        Watch::new(
            future,
            self.config.clone(),
            || Some(name.into()),
            Location::caller(),
        )
    }

    /// Spawns `future` on `spawner`, watched, naming it in reports by where `spawn` was
    /// called.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Runtime;
    /// use wrangle::smol::Smol;
    ///
    /// let rt = Smol::new()?;
    /// let detector = wrangle::blocking::Detector::new();
    /// let v = rt.block_on(detector.spawn(&rt, async { 3 }));
    /// assert_eq!(v, 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<S, F>(&self, spawner: &S, future: F) -> Task<F::Output>
    where
        S: Spawn,
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawner.spawn(self.watch(future))
    }

    /// Spawns `future` on `spawner`, watched, naming it `name` in reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Runtime;
    /// use wrangle::smol::Smol;
    ///
    /// let rt = Smol::new()?;
    /// let detector = wrangle::blocking::Detector::new();
    /// let v = rt.block_on(detector.spawn_named(&rt, "ticker", async { 4 }));
    /// assert_eq!(v, 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_named<S, F>(
        &self,
        spawner: &S,
        name: impl Into<Cow<'static, str>>,
        future: F,
    ) -> Task<F::Output>
    where
        S: Spawn,
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawner.spawn(self.watch_named(name, future))
    }
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.config {
            None => f.debug_struct("Detector").field("on", &false).finish(),
            Some(config) => f
                .debug_struct("Detector")
                .field("on", &true)
                .field("threshold", &config.threshold)
                .field("hook", &config.hook.is_some())
                .field("tracing", &config.tracing)
                .finish(),
        }
    }
}

/// One poll that held its thread for at least the [`Detector`]'s threshold.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::blocking::Detector;
///
/// let detector = Detector::new().threshold(Duration::ZERO).tracing(false).on_slow_poll(|slow| {
///     assert!(slow.name().is_none());
///     assert!(slow.location().file().ends_with(".rs"));
///     assert!(slow.elapsed() >= slow.threshold());
/// });
/// wrangle::blocking::block_on(detector.watch(async {}));
/// ```
#[derive(Debug, Clone)]
pub struct SlowPoll {
    name: Option<Cow<'static, str>>,
    /// The group child or named task running the watched future, if any.
    task: Option<Arc<str>>,
    location: &'static Location<'static>,
    elapsed: Duration,
    threshold: Duration,
}

impl SlowPoll {
    /// The name given to [`watch_named`](Detector::watch_named) or
    /// [`spawn_named`](Detector::spawn_named), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::blocking::Detector;
    ///
    /// let d = Detector::new().threshold(Duration::ZERO).tracing(false).on_slow_poll(|slow| {
    ///     let _ = (slow.name(), slow.location(), slow.elapsed(), slow.threshold());
    /// });
    /// wrangle::blocking::block_on(d.watch_named("job", async {}));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The group child (or task spawned with a name) whose poll ran the watched future,
    /// when there is one: [`current_name`](wrangle_core::name::current_name) at the
    /// slow poll. So a detector wrapped around a group child's body, or watching a future
    /// awaited inside one, says which child blocked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use wrangle::blocking::Detector;
    /// use wrangle::group::TaskGroup;
    ///
    /// let caught = Arc::new(Mutex::new(None));
    /// let seen = caught.clone();
    /// let detector = Detector::new().threshold(Duration::from_millis(20)).tracing(false)
    ///     .on_slow_poll(move |slow| *seen.lock().unwrap() = slow.task().map(String::from));
    /// wrangle::sim::run(1, |rt| async move {
    ///     let mut group = TaskGroup::new(&rt);
    ///     group.spawn_named("indexer", detector.watch(async {
    ///         std::thread::sleep(Duration::from_millis(30)); // blocks its thread
    ///         Ok::<_, ()>(())
    ///     }));
    ///     group.join().await.unwrap();
    /// });
    /// assert_eq!(caught.lock().unwrap().as_deref(), Some("indexer"));
    /// ```
    pub fn task(&self) -> Option<&str> {
        self.task.as_deref()
    }

    /// Where the future was watched or spawned (`#[track_caller]`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::blocking::Detector;
    ///
    /// let d = Detector::new().threshold(Duration::ZERO).tracing(false).on_slow_poll(|slow| {
    ///     let _ = (slow.name(), slow.location(), slow.elapsed(), slow.threshold());
    /// });
    /// wrangle::blocking::block_on(d.watch_named("job", async {}));
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// How long the poll held its thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::blocking::Detector;
    ///
    /// let d = Detector::new().threshold(Duration::ZERO).tracing(false).on_slow_poll(|slow| {
    ///     let _ = (slow.name(), slow.location(), slow.elapsed(), slow.threshold());
    /// });
    /// wrangle::blocking::block_on(d.watch_named("job", async {}));
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The threshold it crossed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::blocking::Detector;
    ///
    /// let d = Detector::new().threshold(Duration::ZERO).tracing(false).on_slow_poll(|slow| {
    ///     let _ = (slow.name(), slow.location(), slow.elapsed(), slow.threshold());
    /// });
    /// wrangle::blocking::block_on(d.watch_named("job", async {}));
    /// ```
    pub fn threshold(&self) -> Duration {
        self.threshold
    }
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a future blocked its thread for ")?;
        fmt::Debug::fmt(&self.elapsed, f)?;
        write!(f, " in one poll (threshold {:?}): ", self.threshold)?;
        match &self.name {
            Some(name) => write!(f, "{name:?}, watched at {}", self.location)?,
            None => write!(f, "watched at {}", self.location)?,
        }
        if let Some(task) = &self.task {
            write!(f, ", in task {task:?}")?;
        }
        f.write_str("; offload blocking work with wrangle_blocking::unblock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug() {
        assert_eq!(format!("{:?}", Detector::off()), "Detector { on: false }");
        assert_eq!(
            format!("{:?}", Detector::new()),
            "Detector { on: true, threshold: 100ms, hook: false, tracing: true }"
        );
    }

    #[test]
    fn off_ignores_settings() {
        let d = Detector::off()
            .threshold(Duration::ZERO)
            .on_slow_poll(|_| panic!("never"));
        assert!(!d.is_on());
        futures_lite::future::block_on(d.watch(async {}));
    }
}
