use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::backoff::delay;
use super::{
    AlwaysTransient, Attempt, ByError, Classification, Classify, Failure, Jitter, RetryError,
    RetryPolicy, RetryStats, StopReason, When,
};
use crate::Timer;
use crate::time::{Sleep, sleep, sleep_until};

/// Retries the future that `factory` makes, as `policy` says, sleeping on `timer`.
///
/// `factory` is called once per attempt with an [`Attempt`] (its number, the time elapsed, the
/// previous delay) and returns a fresh future: the call is retried by making a new request,
/// not by cloning an old one. The returned future resolves to the first success, or to a
/// [`RetryError`] with the last failure, the number of attempts, the time taken and why it
/// stopped. Every counter lives in the returned future, so one policy serves any number of
/// concurrent calls.
///
/// Before the call starts, the returned [`Retry`] can be told which errors to retry
/// ([`when`](Retry::when), [`classify`](Retry::classify),
/// [`classify_by_error`](Retry::classify_by_error); by default every error is retried), what to
/// do before each sleep ([`before_sleep`](Retry::before_sleep)), and to report statistics on
/// success too ([`with_stats`](Retry::with_stats)). Each retry also emits a `tracing` event at
/// debug level (target `wrangle::retry`).
///
/// The delays, their jitter, and the deadline come from `timer`: under wrangle-sim they are
/// exact and reproducible.
///
/// # Cancellation
///
/// Dropping the future drops the attempt in flight, or the sleep, and stops retrying. An
/// attempt cut by a per-attempt timeout or the deadline is dropped the same way.
///
/// # Examples
///
/// SCENARIOS.md S9, on virtual time: a call that always fails is tried 4 times, after delays
/// of 0.1, 0.2 and 0.4 s.
///
/// ```
/// use std::time::Duration;
/// use wrangle_core::retry::{retry, RetryPolicy};
///
/// let policy = RetryPolicy::builder()
///     .exponential(Duration::from_millis(100), 2.0)
///     .max_retries(3)
///     .build()?;
/// wrangle_sim::run(9, |rt| async move {
///     let err = retry(&rt, &policy, |_attempt| async { Err::<(), _>("service unavailable") })
///         .await
///         .unwrap_err();
///     assert_eq!(err.attempts(), 4);
///     assert_eq!(err.total_delay(), Duration::from_millis(700));
///     assert_eq!(rt.elapsed(), Duration::from_millis(700));
/// });
/// # Ok::<(), wrangle_core::retry::InvalidPolicy>(())
/// ```
pub fn retry<'a, T, F, Fut, R, E>(
    timer: &'a T,
    policy: &'a RetryPolicy,
    factory: F,
) -> Retry<'a, T, F, Fut, AlwaysTransient, NoHook>
where
    T: Timer,
    // `FnMut` rather than `MakeAttempt` here, so closure arguments are inferred.
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    Retry::new(timer, policy, factory)
}

impl<'a, T: Timer, F, Fut> Retry<'a, T, F, Fut, AlwaysTransient, NoHook> {
    pub(crate) fn new(timer: &'a T, policy: &'a RetryPolicy, factory: F) -> Self {
        Retry {
            timer,
            policy,
            factory,
            classify: AlwaysTransient,
            hook: NoHook,
            stats: RetryStats::default(),
            start: None,
            deadline: None,
            previous_delay: None,
            wants_stats: false,
            last: None,
            state: State::Start,
        }
    }
}

/// Makes the future of each attempt. Implemented for every `FnMut(Attempt) -> Fut`.
pub trait MakeAttempt<Fut> {
    /// The future of one attempt.
    fn make(&mut self, attempt: Attempt) -> Fut;
}

impl<F: FnMut(Attempt) -> Fut, Fut> MakeAttempt<Fut> for F {
    fn make(&mut self, attempt: Attempt) -> Fut {
        self(attempt)
    }
}

/// Called before each sleep with the failure, the attempt that failed and the delay to come.
/// Implemented for every `FnMut(&Failure<E>, &Attempt, Duration)`.
pub trait BeforeSleep<E> {
    /// Observes one retry.
    fn before_sleep(&mut self, failure: &Failure<E>, attempt: &Attempt, delay: Duration);
}

impl<E, H: FnMut(&Failure<E>, &Attempt, Duration)> BeforeSleep<E> for H {
    fn before_sleep(&mut self, failure: &Failure<E>, attempt: &Attempt, delay: Duration) {
        self(failure, attempt, delay);
    }
}

/// No hook.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHook;

impl<E> BeforeSleep<E> for NoHook {
    fn before_sleep(&mut self, _: &Failure<E>, _: &Attempt, _: Duration) {}
}

pin_project! {
    #[project = StateProj]
    enum State<Fut, S: Timer> {
        Start,
        Attempting {
            #[pin]
            future: Fut,
            // Boxed, like the sleep below: a runtime's sleep can be large (tokio's is), and
            // is needed only when a timeout or a delay is, so the common path stays small.
            timeout: Option<Pin<Box<Sleep<S>>>>,
            attempt: Attempt,
        },
        Sleeping {
            sleep: Pin<Box<Sleep<S>>>,
            started_at: Instant,
        },
        Done,
    }
}

pin_project! {
    /// Future for the [`retry()`] function.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Retry<'a, T: Timer, F, Fut, C, H> {
        timer: &'a T,
        policy: &'a RetryPolicy,
        factory: F,
        classify: C,
        hook: H,
        stats: RetryStats,
        start: Option<Instant>,
        deadline: Option<Instant>,
        previous_delay: Option<Duration>,
        wants_stats: bool,
        last: Option<Attempt>,
        #[pin]
        state: State<Fut, T>,
    }
}

impl<'a, T: Timer, F, Fut, C, H> Retry<'a, T, F, Fut, C, H> {
    /// Retries only the errors for which `predicate` returns `true`; any other error stops
    /// the call at once ([`StopReason::Permanent`]).
    pub fn when<P>(self, predicate: P) -> Retry<'a, T, F, Fut, When<P>, H> {
        self.classify(When(predicate))
    }

    /// Lets `classifier` decide, error by error: transient, permanent, or retry after a
    /// server's hint (HTTP `Retry-After`), which sets the next delay, capped by the policy's
    /// maximum delay and its deadline.
    pub fn classify<C2>(self, classifier: C2) -> Retry<'a, T, F, Fut, C2, H> {
        Retry {
            timer: self.timer,
            policy: self.policy,
            factory: self.factory,
            classify: classifier,
            hook: self.hook,
            stats: self.stats,
            start: self.start,
            deadline: self.deadline,
            previous_delay: self.previous_delay,
            wants_stats: self.wants_stats,
            last: self.last,
            state: self.state,
        }
    }

    /// Lets the error decide, through its [`Retryable`](super::Retryable) implementation.
    pub fn classify_by_error(self) -> Retry<'a, T, F, Fut, ByError, H> {
        self.classify(ByError)
    }

    /// Calls `hook` before each sleep with the failure, the attempt that failed, and the delay.
    pub fn before_sleep<H2>(self, hook: H2) -> Retry<'a, T, F, Fut, C, H2> {
        Retry {
            timer: self.timer,
            policy: self.policy,
            factory: self.factory,
            classify: self.classify,
            hook,
            stats: self.stats,
            start: self.start,
            deadline: self.deadline,
            previous_delay: self.previous_delay,
            wants_stats: self.wants_stats,
            last: self.last,
            state: self.state,
        }
    }

    /// Reports [`RetryStats`] with the value on success too (failures always carry them).
    /// Starts the clock when the call starts.
    pub fn with_stats(mut self) -> WithStats<'a, T, F, Fut, C, H> {
        self.wants_stats = true;
        WithStats { inner: self }
    }
}

impl<T, F, Fut, R, E, C, H> Retry<'_, T, F, Fut, C, H>
where
    T: Timer,
    F: MakeAttempt<Fut>,
    Fut: Future<Output = Result<R, E>>,
    C: Classify<E>,
    H: BeforeSleep<E>,
{
    fn poll_stats(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(R, RetryStats), RetryError<E>>> {
        let mut this = self.project();
        // Retries started in this poll, whatever their delay: see `RETRIES_PER_POLL`.
        let mut retries = 0;
        loop {
            match this.state.as_mut().project() {
                StateProj::Start => {
                    let p: &RetryPolicy = this.policy;
                    let needs_clock =
                        *this.wants_stats || p.deadline.is_some() || p.attempt_timeout.is_some();
                    let now = needs_clock.then(|| this.timer.now());
                    if let Some(now) = now {
                        *this.start = Some(now);
                        *this.deadline = p.deadline.and_then(|d| now.checked_add(d));
                    }
                    let attempt = Attempt {
                        number: 1,
                        elapsed: Duration::ZERO,
                        previous_delay: None,
                    };
                    start_attempt(
                        *this.timer,
                        p,
                        this.factory,
                        *this.deadline,
                        attempt,
                        now,
                        this.state.as_mut(),
                    );
                    this.stats.attempts = 1;
                }
                StateProj::Attempting {
                    future,
                    timeout,
                    attempt,
                } => {
                    let attempt = *attempt;
                    let failure = match future.poll(cx) {
                        Poll::Ready(Ok(value)) => {
                            this.state.set(State::Done);
                            if let Some(budget) = &this.policy.budget {
                                budget.deposit();
                            }
                            if let Some(start) = *this.start {
                                this.stats.elapsed =
                                    this.timer.now().saturating_duration_since(start);
                            }
                            return Poll::Ready(Ok((value, *this.stats)));
                        }
                        Poll::Ready(Err(e)) => Failure::Error(e),
                        Poll::Pending => match timeout.as_mut().map(Pin::as_mut) {
                            // The clock is checked as well as the sleep: a runtime's
                            // cooperative budget can keep the sleep pending past its deadline.
                            Some(t) => {
                                let due = t.deadline().is_some_and(|d| this.timer.now() >= d);
                                if t.poll(cx).is_ready() || due {
                                    Failure::TimedOut
                                } else {
                                    return Poll::Pending;
                                }
                            }
                            None => return Poll::Pending,
                        },
                    };
                    // Drop the attempt (and its timeout) before anything else happens.
                    this.state.set(State::Done);
                    *this.last = Some(attempt);
                    let classification = match &failure {
                        Failure::Error(e) => this.classify.classify(e),
                        Failure::TimedOut => Classification::Transient,
                    };
                    match next_delay(
                        *this.timer,
                        this.policy,
                        *this.previous_delay,
                        &mut *this.start,
                        *this.deadline,
                        attempt,
                        classification,
                    ) {
                        Ok((now, delay)) => {
                            this.hook.before_sleep(&failure, &attempt, delay);
                            tracing::debug!(
                                target: "wrangle::retry",
                                attempt = attempt.number,
                                delay_ms = delay.as_millis() as u64,
                                timed_out = matches!(failure, Failure::TimedOut),
                                "attempt failed; retrying"
                            );
                            this.stats.total_delay = this.stats.total_delay.saturating_add(delay);
                            *this.previous_delay = Some(delay);
                            if delay.is_zero() {
                                // Retry at once: a runtime's timer would round a zero sleep up
                                // to its next tick (a whole millisecond on tokio).
                                next_attempt(
                                    *this.timer,
                                    this.policy,
                                    this.factory,
                                    *this.start,
                                    *this.deadline,
                                    *this.previous_delay,
                                    this.last,
                                    this.stats,
                                    now,
                                    this.state.as_mut(),
                                );
                                retries += 1;
                                if retries == RETRIES_PER_POLL {
                                    // Let the executor run others before going on: the
                                    // next attempt is made, and polled at the next poll.
                                    cx.waker().wake_by_ref();
                                    return Poll::Pending;
                                }
                            } else {
                                let now = now.unwrap_or_else(|| this.timer.now());
                                this.state.set(State::Sleeping {
                                    sleep: Box::pin(sleep_until_or_never(*this.timer, now, delay)),
                                    started_at: now,
                                });
                            }
                        }
                        Err(reason) => {
                            tracing::debug!(
                                target: "wrangle::retry",
                                attempts = attempt.number,
                                %reason,
                                "giving up"
                            );
                            if let Some(start) = *this.start {
                                this.stats.elapsed =
                                    this.timer.now().saturating_duration_since(start);
                            }
                            return Poll::Ready(Err(RetryError {
                                failure,
                                reason,
                                stats: *this.stats,
                            }));
                        }
                    }
                }
                StateProj::Sleeping { sleep, started_at } => {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // The sleep's deadline is "now" as far as the attempt needs to know; a
                    // clock read is needed only for a per-attempt timeout.
                    let woke = Some(sleep.deadline().unwrap_or(*started_at));
                    next_attempt(
                        *this.timer,
                        this.policy,
                        this.factory,
                        *this.start,
                        *this.deadline,
                        *this.previous_delay,
                        this.last,
                        this.stats,
                        woke,
                        this.state.as_mut(),
                    );
                    // A sleep can be over when first polled (a nanosecond's is, on smol and
                    // async-std): such retries count towards the bound as zero delays do.
                    retries += 1;
                    if retries == RETRIES_PER_POLL {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                StateProj::Done => panic!("Retry polled after it completed"),
            }
        }
    }
}

/// How many retries one poll starts before it yields to the executor, whatever their delay.
///
/// A zero delay retries at once, without the timer (which would round it up to its next
/// tick), and a tiny delay's sleep may be over when first polled (a nanosecond's is on smol
/// and async-std); an attempt that fails at once, retried at once, would otherwise keep its
/// thread for as many retries as the policy allows (`u32::MAX` of them), starving every other
/// task of a single-threaded executor. So every retry started within one poll counts, zero
/// delay or not. tokio's cooperative budget is the same idea.
pub(crate) const RETRIES_PER_POLL: u32 = 32;

/// A sleep of `delay` from `now`; one too long to represent never ends.
fn sleep_until_or_never<T: Timer>(timer: &T, now: Instant, delay: Duration) -> Sleep<T> {
    match now.checked_add(delay) {
        Some(deadline) => sleep_until(timer, deadline),
        None => sleep(timer, Duration::MAX),
    }
}

/// Starts the attempt after `last`, at `now` (the end of the delay).
#[allow(clippy::too_many_arguments)]
fn next_attempt<T: Timer, F, Fut>(
    timer: &T,
    policy: &RetryPolicy,
    factory: &mut F,
    start: Option<Instant>,
    deadline: Option<Instant>,
    previous_delay: Option<Duration>,
    last: &Option<Attempt>,
    stats: &mut RetryStats,
    now: Option<Instant>,
    state: Pin<&mut State<Fut, T>>,
) where
    F: MakeAttempt<Fut>,
{
    let number = last.map_or(1, |a| a.number.saturating_add(1));
    let attempt = Attempt {
        number,
        elapsed: match (start, now) {
            (Some(start), Some(now)) => now.saturating_duration_since(start),
            _ => Duration::ZERO,
        },
        previous_delay,
    };
    let clock = policy.attempt_timeout.map(|_| timer.now());
    start_attempt(timer, policy, factory, deadline, attempt, clock, state);
    stats.attempts = number;
}

/// Makes the attempt's future and arms its timeout: the sooner of the per-attempt timeout
/// and the call's deadline.
fn start_attempt<T: Timer, F, Fut>(
    timer: &T,
    policy: &RetryPolicy,
    factory: &mut F,
    deadline: Option<Instant>,
    attempt: Attempt,
    now: Option<Instant>,
    mut state: Pin<&mut State<Fut, T>>,
) where
    F: MakeAttempt<Fut>,
{
    let attempt_deadline = match (policy.attempt_timeout, now) {
        (Some(t), Some(now)) => now.checked_add(t),
        _ => None,
    };
    let cut = match (attempt_deadline, deadline) {
        (Some(a), Some(d)) => Some(a.min(d)),
        (a, d) => a.or(d),
    };
    let future = factory.make(attempt);
    state.set(State::Attempting {
        future,
        timeout: cut.map(|at| Box::pin(sleep_until(timer, at))),
        attempt,
    });
}

/// Decides whether to retry after `attempt` failed, and after how long.
fn next_delay<T: Timer>(
    timer: &T,
    policy: &RetryPolicy,
    previous: Option<Duration>,
    start: &mut Option<Instant>,
    deadline: Option<Instant>,
    attempt: Attempt,
    classification: Classification,
) -> Result<(Option<Instant>, Duration), StopReason> {
    let retries_so_far = attempt.number.saturating_sub(1);
    match classification {
        Classification::Permanent => return Err(StopReason::Permanent),
        _ if retries_so_far >= policy.max_retries => return Err(StopReason::Exhausted),
        _ => {}
    }
    let delay = match classification {
        Classification::RetryAfter(hint) => hint.min(policy.max_delay),
        _ => {
            let random = if policy.jitter == Jitter::None {
                0
            } else {
                timer.random_u64()
            };
            delay(
                &policy.backoff,
                policy.jitter,
                policy.max_delay,
                retries_so_far,
                previous,
                random,
            )
        }
    };
    // The clock is read only when something needs it: a deadline, a delay to sleep, or
    // timing that was asked for when the call started. Otherwise (an immediate retry) the
    // clock starts later, at the first read.
    let now = (deadline.is_some() || !delay.is_zero() || start.is_some()).then(|| timer.now());
    if let Some(now) = now {
        start.get_or_insert(now);
    }
    if let (Some(deadline), Some(now)) = (deadline, now) {
        // No point sleeping to wake at (or past) the deadline with no time for an attempt.
        if now.checked_add(delay).is_none_or(|wake| wake >= deadline) {
            return Err(StopReason::Deadline);
        }
    }
    if let Some(budget) = &policy.budget {
        if !budget.try_spend() {
            return Err(StopReason::Budget);
        }
    }
    Ok((now, delay))
}

impl<T, F, Fut, R, E, C, H> Future for Retry<'_, T, F, Fut, C, H>
where
    T: Timer,
    F: MakeAttempt<Fut>,
    Fut: Future<Output = Result<R, E>>,
    C: Classify<E>,
    H: BeforeSleep<E>,
{
    type Output = Result<R, RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_stats(cx).map(|r| r.map(|(value, _)| value))
    }
}

impl<T: Timer, F, Fut, C, H> fmt::Debug for Retry<'_, T, F, Fut, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("policy", self.policy)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// Future for the [`Retry::with_stats`] method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WithStats<'a, T: Timer, F, Fut, C, H> {
        #[pin]
        inner: Retry<'a, T, F, Fut, C, H>,
    }
}

impl<T, F, Fut, R, E, C, H> Future for WithStats<'_, T, F, Fut, C, H>
where
    T: Timer,
    F: MakeAttempt<Fut>,
    Fut: Future<Output = Result<R, E>>,
    C: Classify<E>,
    H: BeforeSleep<E>,
{
    type Output = Result<(R, RetryStats), RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll_stats(cx)
    }
}

impl<T: Timer, F, Fut, C, H> fmt::Debug for WithStats<'_, T, F, Fut, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithStats")
            .field("inner", &self.inner)
            .finish()
    }
}
