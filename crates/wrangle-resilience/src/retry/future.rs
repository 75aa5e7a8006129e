use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::marker::{PhantomData, PhantomPinned};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::decide::next_delay;
use super::{
    AlwaysTransient, Attempt, ByError, Classification, Classify, FailedAttempt, RetryError,
    RetryPolicy, RetryStats, When,
};
use crate::time::{Sleep, sleep, sleep_until};
use crate::{Elapsed, Timer};

/// Retries the future that `factory` makes, as `policy` says, sleeping on `timer`.
///
/// `factory` is called once per attempt with an [`Attempt`] (its number, the time elapsed, the
/// previous delay) and returns a fresh future: the call is retried by making a new request,
/// not by cloning an old one. The returned future resolves to the first success, or to a
/// [`RetryError`] with the last failure, the number of attempts, the time taken and why it
/// stopped. Every counter lives in the returned future, so one policy serves any number of
/// concurrent calls.
///
/// `timer` and `policy` are taken by value, borrowed or owned: `retry(&rt, &policy, ..)`
/// borrows both (no clone), and `retry(rt.clone(), policy, ..)` gives a future that owns them,
/// `'static` whenever the factory and its futures are, so it can be spawned, returned or
/// stored. [`RetryExt::retry`](crate::RetryExt::retry) is the method form, `rt.retry(policy,
/// factory)`, owning a clone of the handle.
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
/// # A timeout per attempt belongs in the policy
///
/// Use [`RetryPolicyBuilder::attempt_timeout`](super::RetryPolicyBuilder::attempt_timeout):
/// an attempt cut by it is retried like any other failure. An attempt wrapped in a timeout of
/// its own (`|_| call().timeout(&rt, d)`) does not compile: its output would be
/// `Ok(Err(e))` for a failed call, a success as far as a retry can tell, so its errors would
/// never be retried. See [the module docs](super#timeouts-per-attempt).
///
/// # Cancellation
///
/// Dropping the future drops the attempt in flight, or the sleep, and stops retrying. An
/// attempt cut by a per-attempt timeout or the deadline is dropped the same way.
///
/// # Examples
///
/// A call that always fails, on virtual time, is tried 4 times, after delays of 0.1, 0.2 and
/// 0.4 s.
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{retry, RetryPolicy};
///
/// let policy = RetryPolicy::builder()
///     .exponential(Duration::from_millis(100), 2.0)
///     .max_retries(3)
///     .build()?;
/// wrangle::sim::run(9, |rt| async move {
///     let err = retry(&rt, &policy, |_attempt| async { Err::<(), _>("service unavailable") })
///         .await
///         .unwrap_err();
///     assert_eq!(err.attempts(), 4);
///     assert_eq!(err.total_delay(), Duration::from_millis(700));
///     assert_eq!(rt.elapsed(), Duration::from_millis(700));
/// });
/// # Ok::<(), wrangle::retry::InvalidPolicy>(())
/// ```
///
/// Owned parts make a `'static` future, one that can be spawned:
///
/// ```
/// use std::time::Duration;
/// use wrangle::Spawn;
/// use wrangle::retry::{retry, RetryPolicy};
///
/// wrangle::sim::run(1, |rt| async move {
///     let policy = RetryPolicy::builder().constant(Duration::from_millis(10)).build().unwrap();
///     let task = rt.spawn(retry(rt.clone(), policy, |attempt| async move {
///         if attempt.number() < 3 { Err("busy") } else { Ok(attempt.number()) }
///     }));
///     assert_eq!(task.await.unwrap(), 3);
/// });
/// ```
pub fn retry<T, P, F, Fut, R, E, Shape>(
    timer: T,
    policy: P,
    factory: F,
) -> Retry<T, P, F, Fut, AlwaysTransient, NoHook, ValueOnly>
where
    T: Timer,
    P: Borrow<RetryPolicy>,
    // `FnMut` rather than `MakeAttempt` here, so closure arguments are inferred.
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    Result<R, E>: AttemptOutput<Shape>,
{
    Retry::new(timer, policy, factory)
}

impl<T: Timer, P, F, Fut> Retry<T, P, F, Fut, AlwaysTransient, NoHook, ValueOnly> {
    pub(crate) fn new(timer: T, policy: P, factory: F) -> Self {
        Retry {
            timer,
            policy,
            factory,
            classify: AlwaysTransient,
            hook: NoHook,
            report: PhantomData,
            stats: RetryStats::default(),
            start: None,
            deadline: None,
            previous_delay: None,
            last: None,
            state: State::Start,
            _pinned: PhantomPinned,
        }
    }
}

/// The output of an attempt that [`retry()`](super::retry()) accepts: every `Result<R, E>`,
/// except an attempt that wrapped itself in a timeout, `Result<Result<R, E>, Elapsed>`.
///
/// That shape is the timeout-inside-retry trap: a failed call inside the timeout arrives as
/// `Ok(Err(e))`, a success as far as a retry can tell, so it would never be retried. So it
/// does not compile ("type annotations needed: multiple impls satisfying
/// `Result<Result<_, _>, Elapsed>: AttemptOutput<_>`"). Give the policy the timeout instead,
/// [`RetryPolicyBuilder::attempt_timeout`](super::RetryPolicyBuilder::attempt_timeout), or
/// flatten the two errors yourself (`async { call().timeout(&rt, d).await? }` with
/// `E: From<Elapsed>`). See [the module docs](super#timeouts-per-attempt).
///
/// Sealed: `Shape` is a marker only wrangle names, and nothing to implement.
pub trait AttemptOutput<Shape>: sealed::Sealed {}

impl<R, E> sealed::Sealed for Result<R, E> {}
impl<R, E> AttemptOutput<sealed::Plain> for Result<R, E> {}
impl<R, E> AttemptOutput<sealed::UseThePolicysAttemptTimeout> for Result<Result<R, E>, Elapsed> {}

mod sealed {
    #![allow(unreachable_pub)]
    pub trait Sealed {}
    /// Any `Result`.
    #[derive(Debug)]
    pub struct Plain;
    /// A `Result` inside a timeout's: its second impl makes the shape ambiguous, so a retry
    /// of it does not compile.
    #[derive(Debug)]
    pub struct UseThePolicysAttemptTimeout;
}

/// What a [`Retry`] resolves to on success: the value alone ([`ValueOnly`], the default), or
/// the value and its [`RetryStats`] ([`ValueAndStats`], after
/// [`with_stats`](Retry::with_stats)). Sealed.
pub trait Report<R>: sealed::Sealed {
    /// The success output.
    type Output;
    #[doc(hidden)]
    const WANTS_STATS: bool;
    #[doc(hidden)]
    fn report(value: R, stats: RetryStats) -> Self::Output;
}

/// The success output of a [`Retry`] is the value alone (the default).
#[derive(Debug, Clone, Copy)]
pub struct ValueOnly(());

/// The success output of a [`Retry`] is `(value, RetryStats)`: see
/// [`with_stats`](Retry::with_stats).
#[derive(Debug, Clone, Copy)]
pub struct ValueAndStats(());

impl sealed::Sealed for ValueOnly {}
impl sealed::Sealed for ValueAndStats {}

impl<R> Report<R> for ValueOnly {
    type Output = R;
    const WANTS_STATS: bool = false;
    fn report(value: R, _: RetryStats) -> R {
        value
    }
}

impl<R> Report<R> for ValueAndStats {
    type Output = (R, RetryStats);
    const WANTS_STATS: bool = true;
    fn report(value: R, stats: RetryStats) -> (R, RetryStats) {
        (value, stats)
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
/// Implemented for every `FnMut(&FailedAttempt<E>, &Attempt, Duration)`.
pub trait BeforeSleep<E> {
    /// Observes one retry.
    fn before_sleep(&mut self, failure: &FailedAttempt<E>, attempt: &Attempt, delay: Duration);
}

impl<E, H: FnMut(&FailedAttempt<E>, &Attempt, Duration)> BeforeSleep<E> for H {
    fn before_sleep(&mut self, failure: &FailedAttempt<E>, attempt: &Attempt, delay: Duration) {
        self(failure, attempt, delay);
    }
}

/// No hook.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHook;

impl<E> BeforeSleep<E> for NoHook {
    fn before_sleep(&mut self, _: &FailedAttempt<E>, _: &Attempt, _: Duration) {}
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
            // The attempt's span (feature `tracing`; zero-sized without it).
            span: crate::trace::Span,
        },
        Sleeping {
            sleep: Pin<Box<Sleep<S>>>,
            started_at: Instant,
        },
        Done,
    }
}

pin_project! {
    /// Future for the [`retry()`] function and the
    /// [`RetryExt::retry`](crate::RetryExt::retry) method.
    ///
    /// Configured by value before it is first polled ([`when`](Retry::when),
    /// [`classify`](Retry::classify), [`before_sleep`](Retry::before_sleep),
    /// [`with_stats`](Retry::with_stats)); it is `!Unpin`, so once polled it cannot be
    /// configured any more.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Retry<T: Timer, P, F, Fut, C, H, S = ValueOnly> {
        timer: T,
        policy: P,
        factory: F,
        classify: C,
        hook: H,
        report: PhantomData<fn() -> S>,
        stats: RetryStats,
        start: Option<Instant>,
        deadline: Option<Instant>,
        previous_delay: Option<Duration>,
        last: Option<Attempt>,
        #[pin]
        state: State<Fut, T>,
        #[pin]
        _pinned: PhantomPinned,
    }
}

impl<T: Timer, P, F, Fut, C, H, S> Retry<T, P, F, Fut, C, H, S> {
    /// Retries only the errors for which `predicate` returns `true`; any other error stops
    /// the call at once ([`StopReason::Permanent`](super::StopReason::Permanent)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::retry::{retry, RetryPolicy, StopReason};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::default();
    ///     let err = retry(&rt, &policy, |_| async { Err::<(), _>(404) })
    ///         .when(|status: &u16| *status >= 500)
    ///         .await
    ///         .unwrap_err();
    ///     assert_eq!((err.attempts(), err.reason()), (1, StopReason::Permanent));
    /// });
    /// ```
    pub fn when<Q>(self, predicate: Q) -> Retry<T, P, F, Fut, When<Q>, H, S> {
        self.classify(When(predicate))
    }

    /// Lets `classifier` decide, error by error: transient, permanent, or retry after a
    /// server's hint (HTTP `Retry-After`), which sets the next delay, capped by the policy's
    /// maximum delay and its deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::retry::{retry, Classification, RetryPolicy};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::default();
    ///     let value = retry(&rt, &policy, |a| async move {
    ///         if a.is_first() { Err(Some(Duration::from_secs(2))) } else { Ok("served") }
    ///     })
    ///     .classify(|retry_after: &Option<Duration>| match retry_after {
    ///         Some(after) => Classification::RetryAfter(*after),
    ///         None => Classification::Transient,
    ///     })
    ///     .await
    ///     .unwrap();
    ///     assert_eq!(value, "served");
    ///     assert_eq!(rt.elapsed(), Duration::from_secs(2)); // the server's hint
    /// });
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> Retry<T, P, F, Fut, C2, H, S> {
        Retry {
            timer: self.timer,
            policy: self.policy,
            factory: self.factory,
            classify: classifier,
            hook: self.hook,
            report: PhantomData,
            stats: self.stats,
            start: self.start,
            deadline: self.deadline,
            previous_delay: self.previous_delay,
            last: self.last,
            state: self.state,
            _pinned: PhantomPinned,
        }
    }

    /// Lets the error decide, through its [`Retryable`](super::Retryable) implementation.
    pub fn classify_by_error(self) -> Retry<T, P, F, Fut, ByError, H, S> {
        self.classify(ByError)
    }

    /// Calls `hook` before each sleep with the failure, the attempt that failed, and the delay.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::retry::{retry, Attempt, FailedAttempt, RetryPolicy};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(5)).build().unwrap();
    ///     let mut log = Vec::new();
    ///     let _ = retry(&rt, &policy, |a| async move { if a.number() < 3 { Err("busy") } else { Ok(()) } })
    ///         .before_sleep(|failed: &FailedAttempt<&str>, attempt: &Attempt, delay: Duration| {
    ///             log.push(format!("attempt {} failed ({failed}); retrying in {delay:?}", attempt.number()));
    ///         })
    ///         .await;
    ///     assert_eq!(log.len(), 2);
    /// });
    /// ```
    pub fn before_sleep<H2>(self, hook: H2) -> Retry<T, P, F, Fut, C, H2, S> {
        Retry {
            timer: self.timer,
            policy: self.policy,
            factory: self.factory,
            classify: self.classify,
            hook,
            report: PhantomData,
            stats: self.stats,
            start: self.start,
            deadline: self.deadline,
            previous_delay: self.previous_delay,
            last: self.last,
            state: self.state,
            _pinned: PhantomPinned,
        }
    }

    /// Reports [`RetryStats`] with the value on success too (failures always carry them): the
    /// future resolves to `Result<(R, RetryStats), RetryError<E>>`. Starts the clock when the
    /// call starts.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wrangle::retry::{retry, RetryPolicy};
    ///
    /// wrangle::sim::run(1, |rt| async move {
    ///     let policy = RetryPolicy::builder().constant(Duration::from_millis(1)).build().unwrap();
    ///     let (value, stats) = retry(&rt, &policy, |a| async move { if a.is_first() { Err(()) } else { Ok(5) } })
    ///         .with_stats()
    ///         .await
    ///         .unwrap();
    ///     assert_eq!((value, stats.attempts()), (5, 2));
    ///     assert_eq!(stats.total_delay(), Duration::from_millis(1));
    /// });
    /// ```
    pub fn with_stats(self) -> Retry<T, P, F, Fut, C, H, ValueAndStats> {
        Retry {
            timer: self.timer,
            policy: self.policy,
            factory: self.factory,
            classify: self.classify,
            hook: self.hook,
            report: PhantomData,
            stats: self.stats,
            start: self.start,
            deadline: self.deadline,
            previous_delay: self.previous_delay,
            last: self.last,
            state: self.state,
            _pinned: PhantomPinned,
        }
    }
}

impl<T, P, F, Fut, R, E, C, H, S> Retry<T, P, F, Fut, C, H, S>
where
    T: Timer,
    P: Borrow<RetryPolicy>,
    F: MakeAttempt<Fut>,
    Fut: Future<Output = Result<R, E>>,
    C: Classify<E>,
    H: BeforeSleep<E>,
{
    fn poll_stats(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        wants_stats: bool,
    ) -> Poll<Result<(R, RetryStats), RetryError<E>>> {
        let mut this = self.project();
        let timer: &T = this.timer;
        let policy: &RetryPolicy = Borrow::borrow(&*this.policy);
        // Retries started in this poll, whatever their delay: see `RETRIES_PER_POLL`.
        let mut retries = 0;
        loop {
            match this.state.as_mut().project() {
                StateProj::Start => {
                    let p = policy;
                    let needs_clock =
                        wants_stats || p.deadline.is_some() || p.attempt_timeout.is_some();
                    let now = needs_clock.then(|| timer.now());
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
                        timer,
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
                    span,
                } => {
                    let attempt = *attempt;
                    let entered = span.enter();
                    let failure = match future.poll(cx) {
                        Poll::Ready(Ok(value)) => {
                            drop(entered);
                            this.state.set(State::Done);
                            if let Some(budget) = &policy.budget {
                                budget.deposit();
                            }
                            if let Some(start) = *this.start {
                                this.stats.elapsed = timer.now().saturating_duration_since(start);
                            }
                            return Poll::Ready(Ok((value, *this.stats)));
                        }
                        Poll::Ready(Err(e)) => FailedAttempt::Error(e),
                        Poll::Pending => match timeout.as_mut().map(Pin::as_mut) {
                            // The clock is checked as well as the sleep: a runtime's
                            // cooperative budget can keep the sleep pending past its deadline.
                            Some(t) => {
                                let due = t.deadline().is_some_and(|d| timer.now() >= d);
                                if t.poll(cx).is_ready() || due {
                                    FailedAttempt::TimedOut
                                } else {
                                    return Poll::Pending;
                                }
                            }
                            None => return Poll::Pending,
                        },
                    };
                    drop(entered);
                    span.failed(match failure {
                        FailedAttempt::Error(_) => "error",
                        FailedAttempt::TimedOut => "timed out",
                    });
                    // Drop the attempt (and its timeout) before anything else happens.
                    this.state.set(State::Done);
                    *this.last = Some(attempt);
                    let classification = match &failure {
                        FailedAttempt::Error(e) => this.classify.classify(e),
                        FailedAttempt::TimedOut => Classification::Transient,
                    };
                    match next_delay(
                        timer,
                        policy,
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
                                timed_out = matches!(failure, FailedAttempt::TimedOut),
                                "attempt failed; retrying"
                            );
                            this.stats.total_delay = this.stats.total_delay.saturating_add(delay);
                            *this.previous_delay = Some(delay);
                            if delay.is_zero() {
                                // Retry at once: a runtime's timer would round a zero sleep up
                                // to its next tick (a whole millisecond on tokio).
                                next_attempt(
                                    timer,
                                    policy,
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
                                let now = now.unwrap_or_else(|| timer.now());
                                this.state.set(State::Sleeping {
                                    sleep: Box::pin(sleep_until_or_never(timer, now, delay)),
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
                                this.stats.elapsed = timer.now().saturating_duration_since(start);
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
                        timer,
                        policy,
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
pub(super) fn sleep_until_or_never<T: Timer>(timer: &T, now: Instant, delay: Duration) -> Sleep<T> {
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
    let span = crate::trace::Span::attempt(attempt.number, attempt.previous_delay);
    let future = {
        // The factory runs inside the attempt's span too: what it starts belongs there.
        let _entered = span.enter();
        factory.make(attempt)
    };
    state.set(State::Attempting {
        future,
        timeout: cut.map(|at| Box::pin(sleep_until(timer, at))),
        attempt,
        span,
    });
}

impl<T, P, F, Fut, R, E, C, H, S> Future for Retry<T, P, F, Fut, C, H, S>
where
    T: Timer,
    P: Borrow<RetryPolicy>,
    F: MakeAttempt<Fut>,
    Fut: Future<Output = Result<R, E>>,
    C: Classify<E>,
    H: BeforeSleep<E>,
    S: Report<R>,
{
    type Output = Result<S::Output, RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_stats(cx, S::WANTS_STATS)
            .map(|r| r.map(|(value, stats)| S::report(value, stats)))
    }
}

impl<T: Timer, P: Borrow<RetryPolicy>, F, Fut, C, H, S> fmt::Debug
    for Retry<T, P, F, Fut, C, H, S>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("policy", self.policy.borrow())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
