use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::Wait;
use crate::Progress;
use crate::set::Unordered;

/// The inputs of a [`wait()`](crate::wait()) that had not completed when it returned.
///
/// They make progress only while this is polled: as a [`Stream`] it yields `(index, output)`
/// for each in completion order (taking an output from a child only when it yields it, as
/// [`as_completed()`](crate::as_completed()) does), and [`wait`](Remaining::wait) waits on them again with any of
/// `wait`'s conditions. Dropping it drops every future in it, before `drop` returns.
///
/// It is `Unpin`, so `.next()` needs no pinning; `next` and `collect` are `StreamExt`
/// methods (add `futures-lite`, or use `futures::StreamExt`).
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
///
/// # wrangle::sim::run(1, |_rt| async move {
/// let w = wrangle::wait([std::future::ready(1), std::future::ready(2)])
///     .first_completed()
///     .await;
/// assert_eq!(w.done.len(), 2); // both were ready in the same pass
/// let rest: Vec<_> = w.pending.collect().await;
/// assert!(rest.is_empty());
/// # });
/// ```
#[must_use = "dropping `Remaining` cancels the futures in it"]
pub struct Remaining<F: Future> {
    core: Unordered<F>,
}

impl<F: Future> Remaining<F> {
    pub(super) fn new(core: Unordered<F>) -> Self {
        Self { core }
    }

    /// How many inputs have not been yielded yet (running, or completed since and queued).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let w = wrangle::wait([
    ///     Box::pin(std::future::pending()) as std::pin::Pin<Box<dyn Future<Output = u8>>>,
    ///     Box::pin(std::future::ready(1)),
    /// ])
    /// .first_completed()
    /// .await;
    /// assert_eq!(w.pending.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.core.driver.set.len() + self.core.queue.len()
    }

    /// Whether nothing is left.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let w = wrangle::wait([async { 1 }]).await;
    /// assert!(w.pending.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The input indices of the futures left, in increasing order.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let w = wrangle::wait([
    ///     Box::pin(std::future::pending()) as std::pin::Pin<Box<dyn Future<Output = u8>>>,
    ///     Box::pin(std::future::ready(1)),
    ///     Box::pin(std::future::pending()),
    /// ])
    /// .first_completed()
    /// .await;
    /// assert_eq!(w.pending.indices(), [0, 2]);
    /// # });
    /// ```
    pub fn indices(&self) -> Vec<usize> {
        let mut indices = self.core.driver.set.tags();
        indices.extend(self.core.queue.iter().map(|(i, _)| *i));
        indices.sort_unstable();
        indices
    }

    /// Waits on the futures left, as [`wait()`](crate::wait()) does (for all of them unless
    /// told otherwise); outputs that completed since the first wait count as done at once.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |_rt| async move {
    /// let inputs = [std::future::ready(1), std::future::ready(2)];
    /// let first = wrangle::wait(inputs).first_completed().await;
    /// let w = first.pending.wait().await;
    /// assert!(w.pending.is_empty());
    /// # });
    /// ```
    pub fn wait(self) -> Wait<F> {
        let mut core = self.core;
        let done = core.queue.drain(..).collect();
        Wait::from_core(core, done)
    }
}

impl<F: Future> Unpin for Remaining<F> {}

impl<F: Future> Stream for Remaining<F> {
    type Item = (usize, F::Output);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut()
            .core
            .poll_next(cx, &mut |_| Poll::Ready(None), &mut None::<fn(Progress)>)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.core.size_hint(Some(0))
    }
}

impl<F: Future> fmt::Debug for Remaining<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remaining")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use futures_core::Stream as _;
    use futures_lite::StreamExt;
    use futures_lite::future::block_on;

    use wrangle_core::yield_now;

    async fn yields(n: u32) -> u32 {
        for _ in 0..n {
            yield_now().await;
        }
        n
    }

    #[test]
    fn debug_len_and_stream() {
        let w = block_on(crate::wait([yields(0), yields(3), yields(2)]).first_completed());
        assert_eq!(w.done, [(0, 0)]);
        let pending = w.pending;
        assert_eq!(format!("{pending:?}"), "Remaining { len: 2 }");
        assert_eq!(pending.size_hint(), (0, Some(2)));
        let rest: Vec<_> = block_on(pending.collect());
        assert_eq!(rest, [(2, 2), (1, 3)]);
    }
}
