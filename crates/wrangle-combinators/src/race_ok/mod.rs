//! The first success of several futures: [`race_ok()`], and the [`AggregateError`] when
//! all fail.

mod error;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::TryFuture;

pub use error::AggregateError;

use crate::Progress;
use crate::set::{Driver, Unordered};

/// Runs the futures of `inputs` concurrently in the current task and returns the
/// `(index, value)` of the first to succeed, having dropped all the others; if every one
/// fails, an [`AggregateError`] with every error, in input order.
///
/// The race stops at the first success, as `select_ok` does: the others are dropped, in
/// place, before it returns, without being polled again once there is a winner — so a
/// loser that could have completed keeps what it would have taken (a receiver's message
/// stays in its channel). Failures before the first success are kept and dropped with the
/// race once one succeeds. An empty input fails at once with an empty aggregate. For the
/// first to finish, success or not, use [`race()`](crate::race()).
///
/// # Cancellation
///
/// Dropping the race drops every input before `drop` returns.
///
/// # Examples
///
/// Redundant servers: the first good answer wins, the slower ones are cancelled.
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(1, |rt| async move {
///     let rt = &rt;
///     let server = |ms: u64, ok: bool| async move {
///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
///         if ok { Ok(ms) } else { Err(format!("down after {ms} ms")) }
///     };
///     let first = wrangle::race_ok([server(200, true), server(1, false), server(20, true)]).await;
///     assert_eq!(first, Ok((2, 20)));
///
///     let all_down = wrangle::race_ok([server(2, false), server(1, false)]).await.unwrap_err();
///     assert_eq!(all_down.errors(), ["down after 2 ms", "down after 1 ms"]);
/// });
/// ```
///
/// # Errors
///
/// [`AggregateError`] with every input's error, in input order, when all of them fail.
///
/// # Panics
///
/// A child's panic surfaces from `poll` after every other child has been dropped. Polling
/// after completion panics.
#[doc(alias = "select_ok")]
pub fn race_ok<I>(inputs: I) -> RaceOk<I::Item>
where
    I: IntoIterator,
    I::Item: TryFuture,
{
    let core = Unordered::new(Driver::eager(inputs), usize::MAX);
    let errors = (0..core.driver.pulled()).map(|_| None).collect();
    RaceOk {
        core,
        errors,
        finished: false,
    }
}

/// Future for the [`race_ok()`] function.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RaceOk<F: TryFuture> {
    core: Unordered<F>,
    errors: Vec<Option<F::Error>>,
    finished: bool,
}

impl<F: TryFuture> Unpin for RaceOk<F> {}

impl<F, T, E> Future for RaceOk<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<(usize, T), AggregateError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.finished, "`RaceOk` polled after completion");
        // One output at a time, so nothing is polled after the first success; each failure
        // resumes the pass where it stopped. At most one round per input.
        loop {
            let next =
                this.core
                    .poll_next(cx, &mut |_| Poll::Ready(None), &mut None::<fn(Progress)>);
            match next {
                Poll::Ready(Some((index, Ok(value)))) => {
                    this.core.stop();
                    this.errors.clear();
                    this.finished = true;
                    return Poll::Ready(Ok((index, value)));
                }
                Poll::Ready(Some((index, Err(err)))) => this.errors[index] = Some(err),
                Poll::Ready(None) => {
                    this.finished = true;
                    let errors = std::mem::take(&mut this.errors)
                        .into_iter()
                        .flatten()
                        .collect();
                    return Poll::Ready(Err(AggregateError::new(errors)));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<F: TryFuture> fmt::Debug for RaceOk<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RaceOk")
            .field("running", &self.core.driver.set.len())
            .field("failed", &self.errors.iter().flatten().count())
            .field("finished", &self.finished)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::future::block_on;

    use super::*;
    use wrangle_core::yield_now;

    async fn runner(n: u32, ok: bool) -> Result<u32, u32> {
        for _ in 0..n {
            yield_now().await;
        }
        if ok { Ok(n) } else { Err(n) }
    }

    #[test]
    fn smoke() {
        let out = block_on(race_ok([
            runner(5, true),
            runner(1, false),
            runner(3, true),
        ]));
        assert_eq!(out, Ok((2, 3)));
    }

    #[test]
    fn empty() {
        let out = block_on(race_ok(Vec::<std::future::Ready<Result<u8, u8>>>::new()));
        assert!(out.unwrap_err().is_empty());
    }

    #[test]
    fn debug() {
        let r = race_ok([runner(1, true)]);
        assert_eq!(
            format!("{r:?}"),
            "RaceOk { running: 1, failed: 0, finished: false }"
        );
    }

    #[test]
    fn all_fail_in_input_order() {
        let out = block_on(race_ok([
            runner(3, false),
            runner(1, false),
            runner(2, false),
        ]));
        assert_eq!(out.unwrap_err().into_errors(), [3, 1, 2]);
    }
}
