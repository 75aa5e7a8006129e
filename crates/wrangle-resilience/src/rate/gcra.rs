//! The generic cell rate algorithm, on nanoseconds since the limiter's start.
//!
//! Times are `u128` nanoseconds: an interval can be as long as [`Duration::MAX`]
//! (2^64 s, about 2^94 ns) and a burst as large as `u32::MAX`, so `interval × (burst − 1)`
//! needs up to 2^126 ns. In `u64` it saturated, and a tolerance of `u64::MAX` admitted
//! everything. A schedule that saturates at `u128::MAX` admits nothing more, ever: the
//! saturation keeps the meaning ("never"), not the opposite.
//!
//! [`Duration::MAX`]: std::time::Duration::MAX

use super::Quota;

/// One schedule: the theoretical arrival time of the next admission, and its quota.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gcra {
    /// Theoretical arrival time, in nanoseconds since the limiter's base instant.
    pub(crate) tat: u128,
    pub(crate) quota: Quota,
}

/// A place in the schedule, taken by a waiter; given back if it is dropped before its turn
/// and nobody has booked after it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Booking {
    /// When the waiter may go, in nanoseconds since the base instant.
    pub(crate) at: u128,
    pub(crate) tat_before: u128,
    pub(crate) tat_after: u128,
}

impl Gcra {
    pub(crate) fn new(quota: Quota) -> Self {
        Self { tat: 0, quota }
    }

    /// Admits now if the schedule allows; otherwise says how long until it would.
    pub(crate) fn try_admit(&mut self, now: u128) -> Result<(), u128> {
        let tolerance = self.quota.tolerance_nanos();
        // At most 2^64 + 2^126: no overflow, so no tolerance can admit a saturated schedule.
        if self.tat <= now.saturating_add(tolerance) {
            self.tat = self
                .tat
                .max(now)
                .saturating_add(self.quota.interval_nanos());
            Ok(())
        } else {
            Err(self.tat - tolerance - now)
        }
    }

    /// Books the earliest admission at or after `now`, in arrival order.
    pub(crate) fn book(&mut self, now: u128) -> Booking {
        let at = now.max(self.tat.saturating_sub(self.quota.tolerance_nanos()));
        let tat_before = self.tat;
        self.tat = self.tat.max(at).saturating_add(self.quota.interval_nanos());
        Booking {
            at,
            tat_before,
            tat_after: self.tat,
        }
    }

    /// Gives a booking back, if it is still the last one.
    pub(crate) fn cancel(&mut self, booking: &Booking) {
        if self.tat == booking.tat_after {
            self.tat = booking.tat_before;
        }
    }

    /// Changes the quota so that the next admission is one *new* interval after the last one
    /// (a doubled spacing takes effect at once); places already booked are kept.
    pub(crate) fn set_quota(&mut self, quota: Quota, now: u128) {
        // A schedule that never admitted anything (tat 0) stays free.
        if self.tat > 0 {
            self.tat = self
                .tat
                .saturating_sub(self.quota.interval_nanos())
                .saturating_add(quota.interval_nanos());
        }
        // Anchored at now at the earliest: admits at once if the last admission is long past,
        // and a changed key's retention counts from the change.
        self.tat = self.tat.max(now);
        self.quota = quota;
    }

    /// Whether a fresh schedule with the same quota would behave the same from `now` on.
    pub(crate) fn is_idle(&self, now: u128) -> bool {
        self.tat <= now
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn burst_then_spacing() {
        let q = Quota::with_interval(Duration::from_nanos(10))
            .unwrap()
            .burst(3)
            .unwrap();
        let mut g = Gcra::new(q);
        assert!(g.try_admit(0).is_ok());
        assert!(g.try_admit(0).is_ok());
        assert!(g.try_admit(0).is_ok());
        assert_eq!(g.try_admit(0), Err(10));
        assert!(g.try_admit(10).is_ok());
        let b = g.book(10);
        assert_eq!(b.at, 20);
        g.cancel(&b);
        assert_eq!(g.book(10).at, 20);
    }

    #[test]
    fn tolerance_beyond_u64_still_bounds_the_burst() {
        let q = Quota::with_interval(Duration::MAX)
            .unwrap()
            .burst(3)
            .unwrap();
        let mut g = Gcra::new(q);
        for _ in 0..3 {
            assert!(g.try_admit(0).is_ok());
        }
        assert_eq!(g.try_admit(0), Err(Duration::MAX.as_nanos()));
        assert_eq!(g.book(0).at, Duration::MAX.as_nanos());
    }

    #[test]
    fn a_saturated_schedule_admits_nothing() {
        let q = Quota::with_interval(Duration::MAX)
            .unwrap()
            .burst(u32::MAX)
            .unwrap();
        let mut g = Gcra {
            tat: u128::MAX,
            quota: q,
        };
        assert!(g.try_admit(u128::from(u64::MAX)).is_err());
        assert!(g.book(0).at > u128::from(u64::MAX));
    }
}
