//! Conversions between wrangle's [`CancellationToken`] and tokio-util's
//! [`tokio_util::sync::CancellationToken`] (feature `tokio-util`).
//!
//! Neither token has a callback API, so a conversion cannot hook one token to the other
//! directly: each conversion spawns **one small watcher task** on the given runtime, which
//! waits for the source token and cancels the converted one. The converted token is a
//! *child* of the source, in one direction only: cancelling the source cancels it (once the
//! watcher has run — at the runtime's next scheduling point, so not before `cancel` returns),
//! cancelling it does not cancel the source. The watcher ends as soon as either token is
//! cancelled; a pair that is never cancelled keeps its watcher (a parked task, a few hundred
//! bytes) until the runtime shuts down. A source that is already cancelled gives an already
//! cancelled token, at once and without a watcher.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use tokio_util::sync::CancellationToken as TokioUtilToken;
use wrangle_core::CancellationToken;

use crate::Tokio;

/// A tokio-util token cancelled when `token` is, through a watcher task spawned on `rt`.
///
/// For handing wrangle's cancellation to tokio-util-based code (tower, hyper servers, tonic,
/// `tokio_util::task::TaskTracker` users). See the [module docs](self) for the watcher.
///
/// # Examples
///
/// ```
/// use wrangle::CancellationToken;
/// use wrangle::tokio::Tokio;
/// use wrangle::Runtime;
///
/// let rt = Tokio::new()?;
/// rt.block_on(async {
///     let shutdown = CancellationToken::new();
///     let theirs = wrangle::tokio::token::to_tokio_util(&rt, &shutdown);
///     shutdown.cancel();
///     theirs.cancelled().await; // woken by the watcher
///     assert!(theirs.is_cancelled());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn to_tokio_util(rt: &Tokio, token: &CancellationToken) -> TokioUtilToken {
    let theirs = TokioUtilToken::new();
    if token.is_cancelled() {
        theirs.cancel();
        return theirs;
    }
    let target = theirs.clone();
    spawn_watcher(
        rt,
        token.clone().cancelled_owned(),
        theirs.clone().cancelled_owned(),
        move || target.cancel(),
    );
    theirs
}

/// A wrangle token cancelled when `token` (tokio-util's) is, through a watcher task spawned
/// on `rt`.
///
/// For making a wrangle `TaskGroup` or any wrangle
/// combinator follow a shutdown signal that tokio-util-based code owns. See the
/// [module docs](self) for the watcher.
///
/// # Examples
///
/// ```
/// use wrangle::tokio::Tokio;
/// use wrangle::Runtime;
///
/// let rt = Tokio::new()?;
/// rt.block_on(async {
///     let theirs = tokio_util::sync::CancellationToken::new();
///     let ours = wrangle::tokio::token::from_tokio_util(&rt, &theirs);
///     theirs.cancel();
///     ours.cancelled().await;
///     assert!(ours.is_cancelled());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn from_tokio_util(rt: &Tokio, token: &TokioUtilToken) -> CancellationToken {
    let ours = CancellationToken::new();
    if token.is_cancelled() {
        ours.cancel();
        return ours;
    }
    let target = ours.clone();
    spawn_watcher(
        rt,
        token.clone().cancelled_owned(),
        ours.clone().cancelled_owned(),
        move || target.cancel(),
    );
    ours
}

/// The watcher: waits for `source` or `target` to fire, and calls `fire` if `source` did.
/// A plain tokio task, detached: it lives until one token fires or the runtime stops.
fn spawn_watcher<S, T>(rt: &Tokio, source: S, target: T, fire: impl FnOnce() + Send + 'static)
where
    S: Future<Output = ()> + Send + 'static,
    T: Future<Output = ()> + Send + 'static,
{
    drop(rt.handle().spawn(async move {
        let (mut source, mut target) = (pin!(source), pin!(target));
        let source_fired = poll_fn(|cx| {
            if source.as_mut().poll(cx).is_ready() {
                Poll::Ready(true)
            } else if target.as_mut().poll(cx).is_ready() {
                Poll::Ready(false)
            } else {
                Poll::Pending
            }
        })
        .await;
        if source_fired {
            fire();
        }
    }));
}
