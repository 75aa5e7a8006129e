use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use crate::Timer;

/// Ticks every `period` on `timer`'s clock; the first tick completes at once.
///
/// Tick `k` is scheduled at `start + k × period`, computed from the start rather than from the
/// previous tick, so the ticks do not drift however late each one is handled. What happens
/// when ticks are missed is set with [`Interval::set_missed_tick_behavior`].
///
/// The interval holds its timer `T` by value: `&rt` borrows the runtime, an owned handle
/// (`rt.clone()`, or the method form [`rt.interval(period)`](crate::TimerExt::interval))
/// gives an interval that is `'static`, to move into a spawned task.
///
/// # Cancellation
///
/// Dropping the interval, or a [`Tick`] future, cancels the wait; no tick is lost by dropping
/// a `Tick`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut ticks = wrangle::interval(&rt, Duration::from_secs(2))?;
///     let first = ticks.tick().await;
///     let second = ticks.tick().await;
///     assert_eq!(second - first, Duration::from_secs(2));
///     Ok::<(), wrangle::time::ZeroPeriod>(())
/// })
/// .unwrap();
/// ```
///
/// # Errors
///
/// [`ZeroPeriod`] when `period` is zero: such an interval would tick in a busy loop.
pub fn interval<T: Timer>(timer: T, period: Duration) -> Result<Interval<T>, ZeroPeriod> {
    let start = timer.now();
    interval_at(timer, start, period)
}

/// Ticks every `period` starting at `start`.
///
/// As [`interval()`], with the first tick at `start` rather than at once.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::Timer;
///
/// wrangle::sim::run(1, |rt| async move {
///     let start = rt.now() + Duration::from_secs(1);
///     let mut ticks = wrangle::interval_at(&rt, start, Duration::from_secs(1)).unwrap();
///     assert_eq!(ticks.tick().await, start);
/// });
/// ```
///
/// # Errors
///
/// [`ZeroPeriod`] when `period` is zero.
pub fn interval_at<T: Timer>(
    timer: T,
    start: Instant,
    period: Duration,
) -> Result<Interval<T>, ZeroPeriod> {
    if period.is_zero() {
        return Err(ZeroPeriod(()));
    }
    Ok(Interval {
        sleep: Box::pin(timer.sleep_until(start)),
        timer,
        next: Some(start),
        period,
        missed: MissedTickBehavior::default(),
    })
}

/// What an [`Interval`] does when a tick was missed because the ticks were handled late.
///
/// # Examples
///
/// ```
/// use wrangle::time::MissedTickBehavior;
///
/// assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, one after the other, until caught up; the schedule
    /// `start + k × period` is kept exactly. The default, as in tokio.
    #[default]
    Burst,
    /// Restart the schedule from the late tick: the next tick is one period after it was
    /// handled.
    Delay,
    /// Skip the missed ticks and go on with the next one on the original schedule.
    Skip,
}

/// Stream for the [`interval()`] and [`interval_at()`] functions; also usable as
/// `interval.tick().await`.
///
/// It is a [`Stream`] of the instants the ticks were scheduled for, and `Unpin`: its one
/// setting, [`set_missed_tick_behavior`](Self::set_missed_tick_behavior), may change at any
/// time (it applies from the next tick on), so unlike wrangle's configured futures it need not
/// be pinned before use.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::TimerExt;
/// use wrangle::time::MissedTickBehavior;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut ticks = rt.interval(Duration::from_secs(1)).unwrap();
///     ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     assert_eq!(ticks.period(), Duration::from_secs(1));
///     ticks.tick().await;
/// });
/// ```
pub struct Interval<T: Timer> {
    timer: T,
    sleep: Pin<Box<T::Sleep>>,
    /// The deadline of the next tick; `None` once the schedule overflowed the clock.
    next: Option<Instant>,
    period: Duration,
    missed: MissedTickBehavior,
}

impl<T: Timer> Interval<T> {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a tick whose future is dropped is not consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::Timer;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let start = rt.now();
    ///     let mut ticks = wrangle::interval(&rt, Duration::from_secs(1)).unwrap();
    ///     assert_eq!(ticks.tick().await, start); // the first tick at once
    ///     assert_eq!(ticks.tick().await, start + Duration::from_secs(1));
    /// });
    /// ```
    pub fn tick(&mut self) -> Tick<'_, T> {
        Tick { interval: self }
    }

    /// Polls for the next tick: `Ready` with the instant it was scheduled for, or `Pending`
    /// with `cx` registered to be woken at it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let mut ticks = wrangle::interval(&rt, Duration::from_secs(1)).unwrap();
    ///     let first = std::future::poll_fn(|cx| ticks.poll_tick(cx)).await;
    ///     assert_eq!(ticks.tick().await - first, Duration::from_secs(1));
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let Some(scheduled) = self.next else {
            return Poll::Pending;
        };
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let next = match self.missed {
            MissedTickBehavior::Burst => scheduled.checked_add(self.period),
            MissedTickBehavior::Delay => self.timer.now().checked_add(self.period),
            MissedTickBehavior::Skip => {
                let now = self.timer.now();
                let behind = now.saturating_duration_since(scheduled);
                let period = self.period.as_nanos();
                // The whole periods behind, plus one: in `u128`, as a `u32` multiplier ran out
                // after 2^32 periods (4 s behind on a 1 ns period) and stopped the ticks.
                let step = (behind.as_nanos() / period + 1).saturating_mul(period);
                duration_from_nanos(step).and_then(|step| scheduled.checked_add(step))
            }
        };
        self.next = next;
        if let Some(next) = next {
            self.sleep.set(self.timer.sleep_until(next));
        }
        Poll::Ready(scheduled)
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What the interval does when ticks are missed.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what the interval does when ticks are missed.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}

/// `nanos` as a duration, or `None` past [`Duration::MAX`] (a tick that never comes).
fn duration_from_nanos(nanos: u128) -> Option<Duration> {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).ok()?;
    // The remainder is below 10^9: it fits.
    Some(Duration::new(secs, (nanos % NANOS_PER_SEC) as u32))
}

// The sleep is boxed and no field is ever pinned in place.
impl<T: Timer> Unpin for Interval<T> {}

/// An interval never ends: never terminated, for `futures::select!`.
impl<T: Timer> futures_core::FusedStream for Interval<T> {
    fn is_terminated(&self) -> bool {
        false
    }
}

impl<T: Timer> Stream for Interval<T> {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}

impl<T: Timer> fmt::Debug for Interval<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next", &self.next)
            .field("period", &self.period)
            .field("missed", &self.missed)
            .finish_non_exhaustive()
    }
}

/// Future for the [`Interval::tick`] method.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::time::Tick;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut ticks = wrangle::interval(&rt, Duration::from_secs(1)).unwrap();
///     let tick: Tick<'_, _> = ticks.tick();
///     tick.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Tick<'a, T: Timer> {
    interval: &'a mut Interval<T>,
}

impl<T: Timer> Future for Tick<'_, T> {
    type Output = Instant;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        self.get_mut().interval.poll_tick(cx)
    }
}

impl<T: Timer> fmt::Debug for Tick<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tick")
            .field("interval", &self.interval)
            .finish()
    }
}

/// An interval was asked for with a zero period.
///
/// # Examples
///
/// ```
/// # let rt = wrangle::sim::Sim::new(1);
/// let err = wrangle::interval(&rt, std::time::Duration::ZERO).unwrap_err();
/// assert_eq!(err.to_string(), "an interval's period must be greater than zero");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZeroPeriod(());

impl fmt::Display for ZeroPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an interval's period must be greater than zero")
    }
}

impl std::error::Error for ZeroPeriod {}
