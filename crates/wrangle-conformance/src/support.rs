//! Small tools the cases share: drop guards and bounded waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use wrangle_core::Timer;

/// Sets its flag when dropped, so a case can see that a future's `Drop` ran.
#[derive(Debug)]
pub struct DropFlag(pub Arc<AtomicBool>);

impl DropFlag {
    /// A guard and the flag it sets.
    pub fn new() -> (Self, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (Self(flag.clone()), flag)
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Counts how many of its kind are alive.
#[derive(Debug)]
pub struct Alive(Arc<AtomicUsize>);

impl Alive {
    /// Counts one more alive on `counter`.
    pub fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Yields up to `rounds` times, checking `cond` before each yield; returns whether it held.
/// No time passes on a virtual clock.
async fn yield_until(rounds: usize, cond: &impl Fn() -> bool) -> bool {
    for _ in 0..rounds {
        if cond() {
            return true;
        }
        wrangle_core::yield_now().await;
    }
    cond()
}

/// Waits, on `timer`'s clock, until `cond` holds or `limit` has passed; returns whether it
/// held. Each round first yields a few times, so on virtual time a condition that holds "at
/// the next scheduling point" is met with no time passing, then sleeps a millisecond.
pub async fn wait_until<T: Timer>(timer: &T, limit: Duration, cond: impl Fn() -> bool) -> bool {
    let deadline = timer.now() + limit;
    loop {
        if yield_until(64, &cond).await {
            return true;
        }
        if timer.now() >= deadline {
            return false;
        }
        wrangle_core::sleep(timer, Duration::from_millis(1)).await;
    }
}

/// Yields, without touching any timer, until `cond` holds or ten seconds of real time have
/// passed. For waiting on a blocking job, which under wrangle-sim holds the virtual clock
/// still while it works.
pub async fn settle(cond: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if yield_until(64, &cond).await {
            return true;
        }
        std::thread::yield_now();
    }
    cond()
}
