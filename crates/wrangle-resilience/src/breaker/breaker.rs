use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::window::Window;
use super::{BreakerError, CircuitOpen, InvalidBreaker, Trip};
use crate::Timer;

/// The state of a [`CircuitBreaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerState {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls fail at once, without reaching the service, until the cooldown ends.
    Open,
    /// The cooldown ended: a limited number of trial calls go through. A success closes the
    /// breaker, a failure opens it again.
    HalfOpen,
}

type Hook = Arc<dyn Fn(BreakerState, BreakerState) + Send + Sync>;

/// A circuit breaker: stops calling a service that keeps failing, and tries it again after a
/// cooldown.
///
/// **Closed** → (the [`Trip`] rule: N failures in a row, or a failure rate over a window) →
/// **Open** for the cooldown: calls fail at once with [`CircuitOpen`] and never reach the
/// service → **Half-open**: up to `half_open_trials` trial calls go through; a success closes
/// the breaker, a failure opens it for another cooldown. Which errors count as failures is the
/// caller's choice ([`Call::count_if`]); an error that does not count is a sign of life and
/// counts as a success. State changes are reported to the hook given to
/// [`on_state_change`](CircuitBreakerBuilder::on_state_change).
///
/// Time comes from the [`Timer`], so under wrangle-sim the cooldown is exact. Cheap to clone:
/// clones share the state. The future of [`call`](CircuitBreaker::call) borrows the breaker;
/// [`call_owned`](CircuitBreaker::call_owned) holds a clone of it instead, for a future that is
/// `'static` whenever the timer and the call are.
///
/// # Examples
///
/// Three failures in a row open it for 5 s; after that one trial call goes through
/// (docs/scenarios.md, S10).
///
/// ```
/// use std::time::Duration;
/// use wrangle::breaker::{BreakerState, CircuitBreaker};
///
/// wrangle::sim::run(1, |rt| async move {
///     let breaker = CircuitBreaker::builder()
///         .consecutive_failures(3)
///         .cooldown(Duration::from_secs(5))
///         .build(&rt)
///         .unwrap();
///     for _ in 0..3 {
///         let _ = breaker.call(async { Err::<(), _>("503") }).await;
///     }
///     assert_eq!(breaker.state(), BreakerState::Open);
///     assert!(breaker.call(async { Ok::<_, ()>(1) }).await.unwrap_err().is_open());
///     wrangle::sleep(&rt, Duration::from_secs(5)).await;
///     assert_eq!(breaker.call(async { Ok::<_, ()>(2) }).await.unwrap(), 2);
///     assert_eq!(breaker.state(), BreakerState::Closed);
/// });
/// ```
pub struct CircuitBreaker<T: Timer> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    timer: T,
    trip: Trip,
    cooldown: Duration,
    trials: u32,
    hook: Option<Hook>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Which period this is: bumped on every state change, and carried by each [`CallPermit`],
    /// so the outcome or drop of a permit from an earlier period is ignored.
    period: u64,
    phase: Phase,
}

#[derive(Debug)]
enum Phase {
    Closed {
        consecutive: u32,
        /// Only for [`Trip::FailureRate`].
        window: Option<Box<Window>>,
    },
    Open {
        /// `None`: a cooldown too long for the clock, so open for good.
        until: Option<Instant>,
    },
    HalfOpen {
        in_flight: u32,
    },
}

impl Phase {
    /// Closed, with a fresh count (and window, starting `now`).
    fn closed(trip: Trip, now: Instant) -> Self {
        Self::Closed {
            consecutive: 0,
            window: match trip {
                Trip::FailureRate { window, .. } => Some(Box::new(Window::new(now, window))),
                Trip::ConsecutiveFailures(_) => None,
            },
        }
    }
}

impl State {
    fn enter(&mut self, phase: Phase) {
        self.period = self.period.wrapping_add(1);
        self.phase = phase;
    }
}

impl<T: Timer> Clone for CircuitBreaker<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl CircuitBreaker<crate::AnyRuntime> {
    /// A builder: three consecutive failures, a 5 s cooldown, one trial call.
    pub fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder {
            trip: Trip::ConsecutiveFailures(3),
            cooldown: Duration::from_secs(5),
            trials: 1,
            hook: None,
        }
    }
}

impl<T: Timer> CircuitBreaker<T> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The current state (an open breaker whose cooldown has ended reads as half-open).
    pub fn state(&self) -> BreakerState {
        match &self.lock().phase {
            Phase::Closed { .. } => BreakerState::Closed,
            Phase::Open { until: Some(until) } if self.inner.timer.now() >= *until => {
                BreakerState::HalfOpen
            }
            Phase::Open { .. } => BreakerState::Open,
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Asks to make one call. The [`CallPermit`] reports the outcome; dropped without a report
    /// (the call was cancelled), it records nothing and frees its trial slot.
    ///
    /// A permit belongs to the period that admitted it: once the breaker has changed state,
    /// its outcome and its drop are ignored (a call admitted while closed that ends after the
    /// breaker opened, or a trial of an earlier half-open period).
    ///
    /// # Errors
    ///
    /// [`CircuitOpen`] while the breaker is open, or half-open with every trial taken. Its
    /// [`retry_after`](CircuitOpen::retry_after) is `Duration::MAX` for a cooldown too long
    /// for the clock: the breaker stays open for good.
    pub fn try_enter(&self) -> Result<CallPermit<T>, CircuitOpen> {
        let mut changed = None;
        let admitted = {
            let mut state = self.lock();
            match &mut state.phase {
                Phase::Closed { .. } => Ok(false),
                Phase::Open { until } => {
                    let now = self.inner.timer.now();
                    match *until {
                        Some(until) if now >= until => {
                            state.enter(Phase::HalfOpen { in_flight: 1 });
                            changed = Some((BreakerState::Open, BreakerState::HalfOpen));
                            Ok(true)
                        }
                        Some(until) => Err(CircuitOpen {
                            retry_after: until - now,
                        }),
                        None => Err(CircuitOpen {
                            retry_after: Duration::MAX,
                        }),
                    }
                }
                Phase::HalfOpen { in_flight } if *in_flight < self.inner.trials => {
                    *in_flight += 1;
                    Ok(true)
                }
                Phase::HalfOpen { .. } => Err(CircuitOpen {
                    retry_after: Duration::ZERO,
                }),
            }
            .map(|trial| (trial, state.period))
        };
        self.notify(changed);
        admitted.map(|(trial, period)| CallPermit {
            breaker: self.clone(),
            period,
            trial,
            reported: false,
        })
    }

    /// Runs `future` through the breaker: rejected at once while open, its outcome recorded
    /// when it ends. By default every `Err` counts as a failure; see [`Call::count_if`]. The
    /// future borrows the breaker; [`call_owned`](CircuitBreaker::call_owned) is its owning
    /// twin.
    pub fn call<F, R, E>(&self, future: F) -> Call<'_, T, F, fn(&E) -> bool>
    where
        F: Future<Output = Result<R, E>>,
    {
        Call {
            breaker: self,
            future,
            counts: |_| true,
            permit: None,
            _pinned: PhantomPinned,
        }
    }

    /// [`call`](CircuitBreaker::call) with a future that owns a clone of the breaker:
    /// `'static` whenever the timer and `future` are, so it can be spawned or stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::Spawn;
    /// use wrangle::breaker::CircuitBreaker;
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let breaker = CircuitBreaker::builder().build(rt.clone()).unwrap();
    ///     let call = breaker.call_owned(async { Ok::<_, std::io::Error>(7) });
    ///     assert_eq!(rt.spawn(call).await.unwrap(), 7);
    /// });
    /// ```
    pub fn call_owned<F, R, E>(&self, future: F) -> OwnedCall<T, F, fn(&E) -> bool>
    where
        F: Future<Output = Result<R, E>>,
    {
        OwnedCall {
            breaker: self.clone(),
            future,
            counts: |_| true,
            permit: None,
            _pinned: PhantomPinned,
        }
    }

    fn record(&self, period: u64, failed: bool) {
        let now = self.inner.timer.now();
        let mut changed = None;
        {
            let mut state = self.lock();
            if state.period != period {
                // A permit of an earlier period: its outcome no longer matters.
                return;
            }
            let open = Phase::Open {
                until: now.checked_add(self.inner.cooldown),
            };
            match &mut state.phase {
                Phase::HalfOpen { .. } if failed => {
                    state.enter(open);
                    changed = Some((BreakerState::HalfOpen, BreakerState::Open));
                }
                Phase::HalfOpen { .. } => {
                    state.enter(Phase::closed(self.inner.trip, now));
                    changed = Some((BreakerState::HalfOpen, BreakerState::Closed));
                }
                Phase::Closed {
                    consecutive,
                    window,
                } => {
                    let trips = match (self.inner.trip, window) {
                        (Trip::ConsecutiveFailures(n), _) => {
                            *consecutive = if failed {
                                consecutive.saturating_add(1)
                            } else {
                                0
                            };
                            *consecutive >= n
                        }
                        (
                            Trip::FailureRate {
                                threshold,
                                min_calls,
                                ..
                            },
                            Some(window),
                        ) => {
                            let (calls, failures) = window.record(now, failed);
                            calls >= u64::from(min_calls)
                                && failures as f64 >= threshold * calls as f64
                        }
                        (Trip::FailureRate { .. }, None) => false,
                    };
                    if failed && trips {
                        state.enter(open);
                        changed = Some((BreakerState::Closed, BreakerState::Open));
                    }
                }
                // Only a permit of an earlier period can report while open.
                Phase::Open { .. } => {}
            }
        }
        self.notify(changed);
    }

    fn release_trial(&self, period: u64) {
        let mut state = self.lock();
        if state.period == period
            && let Phase::HalfOpen { in_flight } = &mut state.phase
        {
            *in_flight = in_flight.saturating_sub(1);
        }
    }

    fn notify(&self, changed: Option<(BreakerState, BreakerState)>) {
        let Some((from, to)) = changed else {
            return;
        };
        // The event and the hook inside a span of their own (feature `tracing`); the event
        // whether or not a hook is installed.
        let span = crate::trace::Span::breaker_transition(&from, &to);
        let _entered = span.enter();
        tracing::debug!(target: "wrangle::breaker", ?from, ?to, "circuit breaker state change");
        if let Some(hook) = &self.inner.hook {
            hook(from, to);
        }
    }
}

impl<T: Timer> fmt::Debug for CircuitBreaker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("trip", &self.inner.trip)
            .field("cooldown", &self.inner.cooldown)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// Builds a [`CircuitBreaker`]; [`build`](CircuitBreakerBuilder::build) rejects settings that
/// make no sense, saying why.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::breaker::{CircuitBreaker, InvalidBreaker};
///
/// wrangle::sim::run(1, |rt| async move {
///     let breaker = CircuitBreaker::builder()
///         .failure_rate(0.5, Duration::from_secs(10), 20)
///         .cooldown(Duration::from_secs(30))
///         .half_open_trials(3)
///         .on_state_change(|from, to| eprintln!("breaker: {from:?} -> {to:?}"))
///         .build(rt)?;
///     # let _ = breaker;
///     Ok::<(), InvalidBreaker>(())
/// })?;
/// # Ok::<(), wrangle::breaker::InvalidBreaker>(())
/// ```
#[must_use = "a builder does nothing until .build() is called"]
pub struct CircuitBreakerBuilder {
    trip: Trip,
    cooldown: Duration,
    trials: u32,
    hook: Option<Hook>,
}

impl CircuitBreakerBuilder {
    /// Opens after `n` failures in a row (default 3).
    pub fn consecutive_failures(mut self, n: u32) -> Self {
        self.trip = Trip::ConsecutiveFailures(n);
        self
    }

    /// Opens when at least `threshold` of the calls that ended within `window` failed, once at
    /// least `min_calls` ended within it.
    ///
    /// The window is kept as ten buckets of a tenth of its length each, as resilience4j's
    /// time-based window does: a call costs the same and memory stays fixed however many calls
    /// the window holds, and the window slides a bucket at a time, so it covers between 90 %
    /// and 100 % of `window` (a decision may differ from an exact window by the calls of one
    /// bucket). A window too long for the clock (`Duration::MAX`) never forgets.
    pub fn failure_rate(mut self, threshold: f64, window: Duration, min_calls: u32) -> Self {
        self.trip = Trip::FailureRate {
            threshold,
            window,
            min_calls,
        };
        self
    }

    /// How long the breaker stays open before trial calls (default 5 s). A cooldown too long
    /// for the clock (`Duration::MAX`) keeps it open for good once it trips.
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// How many trial calls may run at once while half-open (default 1).
    pub fn half_open_trials(mut self, n: u32) -> Self {
        self.trials = n;
        self
    }

    /// Called with `(from, to)` on every state change, outside the breaker's lock.
    pub fn on_state_change(
        mut self,
        hook: impl Fn(BreakerState, BreakerState) + Send + Sync + 'static,
    ) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Builds the breaker on `timer`'s clock.
    ///
    /// # Errors
    ///
    /// [`InvalidBreaker`], saying why, for a threshold of 0, a failure rate outside (0, 1], a
    /// zero window, a zero cooldown, or zero half-open trials.
    pub fn build<T: Timer>(self, timer: T) -> Result<CircuitBreaker<T>, InvalidBreaker> {
        match self.trip {
            Trip::ConsecutiveFailures(0) => return Err(InvalidBreaker::ZeroThreshold),
            Trip::FailureRate { threshold, .. } if !(threshold > 0.0 && threshold <= 1.0) => {
                return Err(InvalidBreaker::RateOutOfRange(threshold));
            }
            Trip::FailureRate { window, .. } if window.is_zero() => {
                return Err(InvalidBreaker::ZeroWindow);
            }
            _ => {}
        }
        if self.cooldown.is_zero() {
            return Err(InvalidBreaker::ZeroCooldown);
        }
        if self.trials == 0 {
            return Err(InvalidBreaker::ZeroTrials);
        }
        Ok(CircuitBreaker {
            inner: Arc::new(Inner {
                trip: self.trip,
                cooldown: self.cooldown,
                trials: self.trials,
                hook: self.hook,
                state: Mutex::new(State {
                    period: 0,
                    phase: Phase::closed(self.trip, timer.now()),
                }),
                timer,
            }),
        })
    }
}

impl fmt::Debug for CircuitBreakerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerBuilder")
            .field("trip", &self.trip)
            .field("cooldown", &self.cooldown)
            .field("trials", &self.trials)
            .finish_non_exhaustive()
    }
}

/// Leave to make one call through a [`CircuitBreaker`]; report how it went.
///
/// # Examples
///
/// ```
/// use wrangle::breaker::CircuitBreaker;
///
/// wrangle::sim::run(1, |rt| async move {
///     let breaker = CircuitBreaker::builder().consecutive_failures(1).build(&rt).unwrap();
///     let permit = breaker.try_enter().unwrap();
///     assert!(!permit.is_trial());
///     permit.failure();
///     assert!(breaker.try_enter().is_err());
/// });
/// ```
#[must_use = "a permit records nothing unless its outcome is reported"]
pub struct CallPermit<T: Timer> {
    breaker: CircuitBreaker<T>,
    period: u64,
    trial: bool,
    reported: bool,
}

impl<T: Timer> CallPermit<T> {
    /// The call succeeded (or failed in a way that does not count).
    pub fn success(mut self) {
        self.reported = true;
        self.breaker.record(self.period, false);
    }

    /// The call failed.
    pub fn failure(mut self) {
        self.reported = true;
        self.breaker.record(self.period, true);
    }

    /// Whether this is a half-open trial call.
    pub fn is_trial(&self) -> bool {
        self.trial
    }
}

impl<T: Timer> Drop for CallPermit<T> {
    fn drop(&mut self) {
        if !self.reported && self.trial {
            self.breaker.release_trial(self.period);
        }
    }
}

impl<T: Timer> fmt::Debug for CallPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallPermit")
            .field("trial", &self.trial)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Future for the [`CircuitBreaker::call`] method.
    ///
    /// Configured by value before it is first polled ([`count_if`](Call::count_if));
    /// `!Unpin`, so once polled it cannot be configured any more.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Call<'a, T: Timer, F, P> {
        breaker: &'a CircuitBreaker<T>,
        #[pin]
        future: F,
        counts: P,
        permit: Option<CallPermit<T>>,
        #[pin]
        _pinned: PhantomPinned,
    }
}

pin_project! {
    /// Future for the [`CircuitBreaker::call_owned`] method.
    ///
    /// Configured by value before it is first polled ([`count_if`](OwnedCall::count_if));
    /// `!Unpin`, so once polled it cannot be configured any more.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OwnedCall<T: Timer, F, P> {
        breaker: CircuitBreaker<T>,
        #[pin]
        future: F,
        counts: P,
        permit: Option<CallPermit<T>>,
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<'a, T: Timer, F, P> Call<'a, T, F, P> {
    /// Counts only the errors for which `counts` returns `true` as failures; others are a
    /// sign of life and count as successes (a 404 from a healthy server, say).
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::breaker::{BreakerState, CircuitBreaker};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let breaker = CircuitBreaker::builder().consecutive_failures(1).build(&rt).unwrap();
    ///     let not_found = breaker
    ///         .call(async { Err::<(), u16>(404) })
    ///         .count_if(|status: &u16| *status >= 500)
    ///         .await;
    ///     assert!(not_found.is_err());
    ///     assert_eq!(breaker.state(), BreakerState::Closed);
    /// });
    /// ```
    pub fn count_if<E, P2: FnMut(&E) -> bool>(self, counts: P2) -> Call<'a, T, F, P2> {
        Call {
            breaker: self.breaker,
            future: self.future,
            counts,
            permit: self.permit,
            _pinned: PhantomPinned,
        }
    }
}

impl<T: Timer, F, P> OwnedCall<T, F, P> {
    /// Counts only the errors for which `counts` returns `true` as failures, as
    /// [`Call::count_if`].
    pub fn count_if<E, P2: FnMut(&E) -> bool>(self, counts: P2) -> OwnedCall<T, F, P2> {
        OwnedCall {
            breaker: self.breaker,
            future: self.future,
            counts,
            permit: self.permit,
            _pinned: PhantomPinned,
        }
    }
}

/// Polls a call through `breaker`: what [`Call`] and [`OwnedCall`] share.
fn poll_call<T, F, R, E, P>(
    breaker: &CircuitBreaker<T>,
    future: Pin<&mut F>,
    counts: &mut P,
    permit: &mut Option<CallPermit<T>>,
    cx: &mut Context<'_>,
) -> Poll<Result<R, BreakerError<E>>>
where
    T: Timer,
    F: Future<Output = Result<R, E>>,
    P: FnMut(&E) -> bool,
{
    if permit.is_none() {
        match breaker.try_enter() {
            Ok(p) => *permit = Some(p),
            Err(open) => return Poll::Ready(Err(BreakerError::Open(open))),
        }
    }
    let outcome = match future.poll(cx) {
        Poll::Pending => return Poll::Pending,
        Poll::Ready(outcome) => outcome,
    };
    if let Some(permit) = permit.take() {
        match &outcome {
            Err(e) if counts(e) => permit.failure(),
            _ => permit.success(),
        }
    }
    Poll::Ready(outcome.map_err(BreakerError::Inner))
}

impl<T, F, R, E, P> Future for Call<'_, T, F, P>
where
    T: Timer,
    F: Future<Output = Result<R, E>>,
    P: FnMut(&E) -> bool,
{
    type Output = Result<R, BreakerError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        poll_call(this.breaker, this.future, this.counts, this.permit, cx)
    }
}

impl<T, F, R, E, P> Future for OwnedCall<T, F, P>
where
    T: Timer,
    F: Future<Output = Result<R, E>>,
    P: FnMut(&E) -> bool,
{
    type Output = Result<R, BreakerError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        poll_call(this.breaker, this.future, this.counts, this.permit, cx)
    }
}

impl<T: Timer, F, P> fmt::Debug for Call<'_, T, F, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("admitted", &self.permit.is_some())
            .finish_non_exhaustive()
    }
}

impl<T: Timer, F, P> fmt::Debug for OwnedCall<T, F, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedCall")
            .field("admitted", &self.permit.is_some())
            .finish_non_exhaustive()
    }
}
