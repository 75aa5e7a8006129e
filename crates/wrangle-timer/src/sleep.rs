use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::driver::{Armed, NEVER, global};
use crate::shard::Key;

/// A sleep until a deadline on wrangle's timer driver: the
/// [`Timer::Sleep`](https://docs.rs/wrangle-core/latest/wrangle_core/trait.Timer.html#associatedtype.Sleep)
/// of the smol and async-std adapters, usable on any executor (it needs no reactor).
///
/// Creating a sleep does nothing; its first poll arms it, which costs a lock of the polling
/// thread's own shard of the deadline queue, and touches the driver thread only when the
/// deadline is earlier than the one the thread is armed for. A sleep completes at the first
/// poll after its deadline, never before; a deadline that has passed completes at once, and
/// one about 292 years or more away (as from `Instant::now() + Duration::MAX`, saturated)
/// never completes and holds no entry.
///
/// # Cancellation
///
/// Dropping an armed sleep frees its entry at once (a lock of its shard).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let deadline = start + Duration::from_millis(2);
/// wrangle::blocking::block_on(wrangle::timer::Sleep::at(deadline));
/// assert!(Instant::now() >= deadline);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    state: State,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Unarmed,
    Armed(usize, Key),
    Done,
}

impl Sleep {
    /// A sleep until `deadline`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let sleep = wrangle::timer::Sleep::at(Instant::now() + Duration::from_micros(100));
    /// wrangle::blocking::block_on(sleep);
    /// ```
    #[inline]
    pub fn at(deadline: Instant) -> Self {
        Self {
            deadline,
            state: State::Unarmed,
        }
    }

    /// The deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// let now = Instant::now();
    /// assert_eq!(wrangle::timer::Sleep::at(now).deadline(), now);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.state {
            State::Done => Poll::Ready(()),
            State::Unarmed => {
                let driver = global();
                let deadline = driver.nanos(self.deadline);
                if deadline >= NEVER {
                    return Poll::Pending;
                }
                if deadline <= driver.known_past() {
                    self.state = State::Done;
                    return Poll::Ready(());
                }
                match driver.arm(deadline, cx.waker()) {
                    Armed::At(shard, key) => {
                        self.state = State::Armed(shard, key);
                        Poll::Pending
                    }
                    Armed::Due => {
                        self.state = State::Done;
                        Poll::Ready(())
                    }
                }
            }
            State::Armed(shard, key) => {
                if global().poll_armed(shard, key, cx.waker()) {
                    Poll::Pending
                } else {
                    self.state = State::Done;
                    Poll::Ready(())
                }
            }
        }
    }
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        if let State::Armed(shard, key) = self.state {
            drop(global().cancel(shard, key));
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("armed", &matches!(self.state, State::Armed(..)))
            .field("done", &matches!(self.state, State::Done))
            .finish()
    }
}
