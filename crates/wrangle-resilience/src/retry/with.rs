use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::future::{MakeAttempt, NoHook};
use super::{
    AlwaysTransient, Attempt, AttemptOutput, Classification, Classify, FailedAttempt, Retry,
    RetryError, RetryPolicy, When,
};
use crate::Timer;

/// Retries like [`retry()`](super::retry()), threading an owned `context` through the attempts: each attempt
/// gets the context and hands it back with its outcome, so state that cannot be cloned (a
/// connection, a request body) moves from one attempt to the next.
///
/// Resolves to the context and the outcome. The context is `None` only when the last attempt
/// was cut by a per-attempt timeout or the deadline: it was dropped with that attempt, and the
/// call stops there, since no further attempt could be given one.
///
/// # Cancellation
///
/// As [`retry()`](super::retry()); dropping the future drops the context with the attempt in flight.
///
/// `timer` and `policy` are borrowed or owned, as for [`retry()`](super::retry()): owned,
/// the future is `'static` whenever the context, the factory and its futures are.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::{retry_with, RetryPolicy};
///
/// let policy = RetryPolicy::builder().constant(Duration::ZERO).build()?;
/// wrangle::sim::run(1, |rt| async move {
///     let log: Vec<u32> = Vec::new(); // moved from attempt to attempt, never cloned
///     let (log, outcome) = retry_with(&rt, &policy, log, |mut log: Vec<u32>, attempt| async move {
///         log.push(attempt.number());
///         let outcome = if attempt.number() < 3 { Err("busy") } else { Ok("sent") };
///         (log, outcome)
///     })
///     .await;
///     assert_eq!(outcome.unwrap(), "sent");
///     assert_eq!(log.unwrap(), [1, 2, 3]);
/// });
/// # Ok::<(), wrangle::retry::InvalidPolicy>(())
/// ```
pub fn retry_with<T, P, Ctx, F, Fut, R, E, Shape>(
    timer: T,
    policy: P,
    context: Ctx,
    factory: F,
) -> RetryWith<T, P, Ctx, F, Fut, AlwaysTransient>
where
    T: Timer,
    P: Borrow<RetryPolicy>,
    F: FnMut(Ctx, Attempt) -> Fut,
    Fut: Future<Output = (Ctx, Result<R, E>)>,
    Result<R, E>: AttemptOutput<Shape>,
{
    let slot = Arc::new(Mutex::new(Some(context)));
    let threaded = Threaded {
        factory,
        slot: slot.clone(),
    };
    RetryWith {
        inner: Retry::new(timer, policy, threaded).classify(Lift(AlwaysTransient)),
        slot,
    }
}

pin_project! {
    /// Future for the [`retry_with()`] function.
    ///
    /// Configured by value before it is first polled ([`when`](RetryWith::when),
    /// [`classify`](RetryWith::classify)); `!Unpin`, so once polled it cannot be configured.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct RetryWith<T: Timer, P, Ctx, F, Fut, C> {
        #[pin]
        inner: Retry<T, P, Threaded<F, Ctx>, Attempted<Fut, Ctx>, Lift<C>, NoHook>,
        slot: Arc<Mutex<Option<Ctx>>>,
    }
}

impl<T: Timer, P, Ctx, F, Fut, C> RetryWith<T, P, Ctx, F, Fut, C> {
    /// Retries only the errors for which `predicate` returns `true`, as [`Retry::when`].
    pub fn when<Q>(self, predicate: Q) -> RetryWith<T, P, Ctx, F, Fut, When<Q>> {
        self.classify(When(predicate))
    }

    /// Lets `classifier` decide, error by error, as [`Retry::classify`].
    pub fn classify<C2>(self, classifier: C2) -> RetryWith<T, P, Ctx, F, Fut, C2> {
        RetryWith {
            inner: self.inner.classify(Lift(classifier)),
            slot: self.slot,
        }
    }
}

impl<T, P, Ctx, F, Fut, R, E, C> Future for RetryWith<T, P, Ctx, F, Fut, C>
where
    T: Timer,
    P: Borrow<RetryPolicy>,
    F: FnMut(Ctx, Attempt) -> Fut,
    Fut: Future<Output = (Ctx, Result<R, E>)>,
    C: Classify<E>,
{
    type Output = (Option<Ctx>, Result<R, RetryError<E>>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(outcome) => outcome,
        };
        let context = this
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let outcome = outcome.map_err(|err| RetryError {
            failure: match err.failure {
                FailedAttempt::Error(Some(e)) => FailedAttempt::Error(e),
                // The context went with an attempt that timed out.
                FailedAttempt::Error(None) | FailedAttempt::TimedOut => FailedAttempt::TimedOut,
            },
            reason: err.reason,
            stats: err.stats,
        });
        Poll::Ready((context, outcome))
    }
}

impl<T: Timer, P: Borrow<RetryPolicy>, Ctx, F, Fut, C> fmt::Debug
    for RetryWith<T, P, Ctx, F, Fut, C>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryWith")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The factory of [`retry_with`]: takes the context from the slot for each attempt.
#[derive(Debug)]
pub(crate) struct Threaded<F, Ctx> {
    factory: F,
    slot: Arc<Mutex<Option<Ctx>>>,
}

impl<F, Ctx, Fut> MakeAttempt<Attempted<Fut, Ctx>> for Threaded<F, Ctx>
where
    F: FnMut(Ctx, Attempt) -> Fut,
{
    fn make(&mut self, attempt: Attempt) -> Attempted<Fut, Ctx> {
        let context = self
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        Attempted {
            future: context.map(|c| (self.factory)(c, attempt)),
            slot: self.slot.clone(),
        }
    }
}

pin_project! {
    /// One attempt of [`retry_with`]: puts the context back when it finishes. Its error is
    /// `None` when there was no context to give it.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub(crate) struct Attempted<Fut, Ctx> {
        #[pin]
        future: Option<Fut>,
        slot: Arc<Mutex<Option<Ctx>>>,
    }
}

impl<Fut, Ctx, R, E> Future for Attempted<Fut, Ctx>
where
    Fut: Future<Output = (Ctx, Result<R, E>)>,
{
    type Output = Result<R, Option<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(future) = this.future.as_pin_mut() else {
            return Poll::Ready(Err(None));
        };
        let (context, outcome) = match future.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(done) => done,
        };
        *this.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(context);
        Poll::Ready(outcome.map_err(Some))
    }
}

impl<Fut, Ctx> fmt::Debug for Attempted<Fut, Ctx> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempted").finish_non_exhaustive()
    }
}

/// A classifier of `E` as one of `Option<E>`: a missing context is permanent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lift<C>(C);

impl<E, C: Classify<E>> Classify<Option<E>> for Lift<C> {
    fn classify(&mut self, error: &Option<E>) -> Classification {
        match error {
            Some(e) => self.0.classify(e),
            None => Classification::Permanent,
        }
    }
}
