//! The failure-rate trip's sliding window: a fixed ring of time buckets, so a call costs the
//! same and the memory stays the same however many calls the window holds.

use std::time::{Duration, Instant};

/// How many buckets a window is cut into: it slides in steps of a tenth of its length.
pub(super) const BUCKETS: usize = 10;

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    calls: u64,
    failures: u64,
}

/// Calls and failures over the last `span`, counted per bucket of `span / BUCKETS`.
///
/// The newest bucket is the one `now` falls in, so the window covers between
/// `span - span / BUCKETS` and `span` of history: a decision may differ from an exact window
/// by the calls of one bucket width. Recording costs O(1) (at most [`BUCKETS`] buckets are
/// cleared when time has moved on), and memory is the fixed ring.
#[derive(Debug)]
pub(super) struct Window {
    origin: Instant,
    /// A bucket's width in nanoseconds, at least 1. A span too long for the clock (up to
    /// `Duration::MAX`) gives buckets no clock reaches the end of: nothing is ever forgotten.
    width: u128,
    buckets: [Bucket; BUCKETS],
    /// The bucket number of the newest bucket, counted from `origin`.
    newest: u64,
    calls: u64,
    failures: u64,
}

impl Window {
    pub(super) fn new(origin: Instant, span: Duration) -> Self {
        Self {
            origin,
            width: (span.as_nanos() / BUCKETS as u128).max(1),
            buckets: [Bucket::default(); BUCKETS],
            newest: 0,
            calls: 0,
            failures: 0,
        }
    }

    /// Records one call that ended at `now`; returns the calls and failures in the window.
    pub(super) fn record(&mut self, now: Instant, failed: bool) -> (u64, u64) {
        let elapsed = now.saturating_duration_since(self.origin).as_nanos();
        let number = u64::try_from(elapsed / self.width).unwrap_or(u64::MAX);
        self.advance(number);
        // A call whose clock was read just before another thread's (so `number` is behind)
        // counts in the newest bucket.
        let bucket = &mut self.buckets[slot(self.newest)];
        bucket.calls += 1;
        self.calls += 1;
        if failed {
            bucket.failures += 1;
            self.failures += 1;
        }
        (self.calls, self.failures)
    }

    /// Moves the newest bucket to `number`, emptying the buckets that leave the window.
    fn advance(&mut self, number: u64) {
        if number <= self.newest {
            return;
        }
        let leaving = (number - self.newest).min(BUCKETS as u64);
        for n in (number - leaving + 1)..=number {
            let bucket = std::mem::take(&mut self.buckets[slot(n)]);
            self.calls -= bucket.calls;
            self.failures -= bucket.failures;
        }
        self.newest = number;
    }

    /// How many buckets hold calls (never more than [`BUCKETS`]).
    #[cfg(test)]
    pub(super) fn retained(&self) -> usize {
        self.buckets.iter().filter(|b| b.calls > 0).count()
    }
}

fn slot(number: u64) -> usize {
    (number % BUCKETS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn smoke() {
        let t0 = Instant::now();
        let mut w = Window::new(t0, 10 * S);
        assert_eq!(w.record(t0, true), (1, 1));
        assert_eq!(w.record(t0 + 5 * S, false), (2, 1));
        // 10.5 s: the bucket of t0 has left, the one of 5 s has not.
        assert_eq!(w.record(t0 + 10 * S + S / 2, false), (2, 0));
        // Far later: everything before has left.
        assert_eq!(w.record(t0 + 1000 * S, true), (1, 1));
    }

    #[test]
    fn a_million_calls_keep_at_most_the_bucket_count() {
        let t0 = Instant::now();
        let mut w = Window::new(t0, 60 * S);
        // A million calls natively; a thousand under miri, which is ~1000x slower.
        let n: u64 = if cfg!(miri) { 1_000 } else { 1_000_000 };
        let step = Duration::from_secs(90) / n as u32; // 90 s in all
        for i in 0..n {
            w.record(t0 + step * i as u32, i % 2 == 0);
            assert!(w.retained() <= BUCKETS);
        }
        let (calls, failures) = w.record(t0 + Duration::from_secs(90), false);
        assert!((n * 54 / 90..=n * 60 / 90 + 1).contains(&calls));
        assert!(failures.abs_diff(calls / 2) <= 1);
    }

    #[test]
    fn spans_too_long_for_the_clock_forget_nothing() {
        let t0 = Instant::now();
        let mut w = Window::new(t0, Duration::MAX);
        w.record(t0, true);
        assert_eq!(w.record(t0 + 3_000_000_000 * S, false), (2, 1));
        let mut tiny = Window::new(t0, Duration::from_nanos(3));
        tiny.record(t0, true);
        assert_eq!(tiny.record(t0 + S, false), (1, 0));
    }

    #[test]
    fn a_clock_read_late_counts_in_the_newest_bucket() {
        let t0 = Instant::now();
        let mut w = Window::new(t0, 10 * S);
        w.record(t0 + 20 * S, false);
        assert_eq!(w.record(t0, true), (2, 1));
    }
}
