//! The first of several futures to finish: [`race()`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Progress;
use crate::set::{Driver, Unordered};

/// Runs the futures of `inputs` concurrently in the current task and returns the
/// `(index, output)` of the first to finish, having dropped all the others — for redundant
/// servers, or a result against a cancellation signal.
///
/// The first poll polls the inputs in input order, so among inputs that are ready at once
/// the first in input order wins; after that, the first seen to complete wins. The race
/// stops at its winner, as `select_all` does: the losers are dropped, in place, before the
/// race returns, without being polled again once there is a winner — so a loser that could
/// have completed keeps what it would have taken (a receiver's message stays in its
/// channel). `None` for an empty input (a race with no runner has no winner; it does not
/// hang). To ignore failures and take the first success, use
/// [`race_ok()`](crate::race_ok()).
///
/// # Cancellation
///
/// Dropping the race drops every input before `drop` returns.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// wrangle::sim::run(1, |rt| async move {
///     let rt = &rt;
///     let server = |name: &'static str, ms: u64| async move {
///         wrangle::sleep(rt, Duration::from_millis(ms)).await;
///         name
///     };
///     let winner = wrangle::race([server("a", 200), server("b", 10), server("c", 300)]).await;
///     assert_eq!(winner, Some((1, "b")));
///     assert_eq!(rt.elapsed(), Duration::from_millis(10));
/// });
/// ```
///
/// # Panics
///
/// A child's panic surfaces from `poll` after every other child has been dropped. Polling
/// after completion panics.
#[doc(alias = "select")]
#[doc(alias = "select_all")]
pub fn race<I>(inputs: I) -> Race<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    Race {
        core: Unordered::new(Driver::eager(inputs), usize::MAX),
        finished: false,
    }
}

/// Future for the [`race()`] function.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Race<F: Future> {
    core: Unordered<F>,
    finished: bool,
}

impl<F: Future> Unpin for Race<F> {}

impl<F: Future> Future for Race<F> {
    type Output = Option<(usize, F::Output)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.finished, "`Race` polled after completion");
        // Stops at the first output: no loser is polled after the winner.
        let winner = this
            .core
            .poll_next(cx, &mut |_| Poll::Ready(None), &mut None::<fn(Progress)>);
        if winner.is_ready() {
            this.core.stop();
            this.finished = true;
        }
        winner
    }
}

impl<F: Future> fmt::Debug for Race<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race")
            .field("running", &self.core.driver.set.len())
            .field("finished", &self.finished)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use futures_lite::future::block_on;

    use super::*;
    use wrangle_core::yield_now;

    struct Counted<'a>(&'a Cell<usize>);
    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn smoke() {
        let dropped = Cell::new(0);
        let dropped = &dropped;
        let runner = |n: u32| async move {
            let _guard = Counted(dropped);
            for _ in 0..n {
                yield_now().await;
            }
            n
        };
        let winner = block_on(race([runner(4), runner(2), runner(3)]));
        assert_eq!(winner, Some((1, 2)));
        assert_eq!(dropped.get(), 3);
    }

    #[test]
    fn empty() {
        assert_eq!(block_on(race(Vec::<std::future::Ready<u8>>::new())), None);
    }

    #[test]
    fn debug() {
        let r = race([std::future::ready(1)]);
        assert_eq!(format!("{r:?}"), "Race { running: 1, finished: false }");
    }

    #[test]
    fn ready_at_once_first_in_input_order_wins() {
        let r = block_on(race([std::future::ready(1), std::future::ready(2)]));
        assert_eq!(r, Some((0, 1)));
    }
}
