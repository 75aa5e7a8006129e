//! A deadline armed lazily and checked against the clock as well as by its sleep: shared
//! by [`Timeout`](super::Timeout), the deadline of `as_completed` and the timeout of `wait`.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::Timer;

#[derive(Debug, Clone, Copy)]
enum State {
    /// Starts counting at the first check.
    After(Duration),
    /// A fixed instant, not armed yet.
    At(Instant),
    /// Armed: the sleep is set for this instant.
    Armed(Instant),
    /// Too far to represent: never passes.
    Never,
}

pin_project! {
    #[doc(hidden)]
    pub struct Deadline<T: Timer> {
        state: State,
        #[pin]
        sleep: Option<T::Sleep>,
    }
}

impl<T: Timer> Deadline<T> {
    /// A deadline `duration` after the first [`poll_elapsed`](Self::poll_elapsed).
    #[inline]
    pub fn after(duration: Duration) -> Self {
        Self {
            state: State::After(duration),
            sleep: None,
        }
    }

    /// A deadline at `deadline`.
    pub fn at(deadline: Instant) -> Self {
        Self {
            state: State::At(deadline),
            sleep: None,
        }
    }

    /// The instant, once known; `None` before the first check of a relative deadline, and
    /// for one too far away to represent.
    pub fn instant(&self) -> Option<Instant> {
        match self.state {
            State::At(at) | State::Armed(at) => Some(at),
            State::After(_) | State::Never => None,
        }
    }

    /// Whether the deadline has passed. The first call starts a relative deadline and arms
    /// the sleep; every call registers `cx` to be woken when the deadline passes.
    ///
    /// Besides polling the sleep, an armed deadline is checked against `timer.now()`: a
    /// runtime's sleep may answer `Pending` past its deadline when the task has used up its
    /// cooperative budget (tokio's does), which must not keep a timeout from firing.
    pub fn poll_elapsed(self: Pin<&mut Self>, timer: &T, cx: &mut Context<'_>) -> bool {
        let mut this = self.project();
        let (at, fresh) = match *this.state {
            State::Never => return false,
            State::Armed(at) => (at, false),
            State::At(at) => (at, false),
            State::After(duration) => {
                let now = timer.now();
                let Some(at) = now.checked_add(duration) else {
                    *this.state = State::Never;
                    return false;
                };
                if duration.is_zero() {
                    *this.state = State::Armed(at);
                    return true;
                }
                // `now` was just read: the deadline is in the future.
                (at, true)
            }
        };
        if this.sleep.is_none() {
            *this.state = State::Armed(at);
            this.sleep.set(Some(timer.sleep_until(at)));
        }
        if let Some(sleep) = this.sleep.as_mut().as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            return true;
        }
        !fresh && timer.now() >= at
    }
}

impl<T: Timer> std::fmt::Debug for Deadline<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.state {
            State::After(d) => write!(f, "after {d:?} from the first wait"),
            State::At(at) | State::Armed(at) => write!(f, "at {at:?}"),
            State::Never => f.write_str("never"),
        }
    }
}
