//! Intervals on virtual time at the edges of the clock: schedules that run far behind.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use wrangle_core::Timer;
use wrangle_core::time::MissedTickBehavior;

/// `Skip` more than `u32::MAX` periods behind (5 s late on a 1 ns period) goes on with the
/// next tick of the schedule; it used to stop ticking for good, the skipped step being too
/// large for a `u32` multiplier though the next instant is near (issue 15's sweep).
#[test]
fn skip_far_behind_keeps_ticking() {
    wrangle_sim::run(15, |rt| async move {
        let ns = Duration::from_nanos(1);
        let mut ticks = wrangle_core::interval(&rt, ns).unwrap();
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let start = ticks.tick().await;
        wrangle_core::sleep(&rt, Duration::from_secs(5)).await;
        assert_eq!(ticks.tick().await, start + ns, "the missed tick, at once");
        let late = rt.now();
        let next = wrangle_core::timeout(&rt, Duration::from_secs(1), ticks.tick())
            .await
            .expect("the interval goes on ticking");
        assert!(next > late && next <= late + ns, "{:?}", next - late);
        assert_eq!(
            (next - start).as_nanos() % ns.as_nanos(),
            0,
            "on the schedule"
        );
    });
}

/// A period too long for the clock ticks once and then never: no panic, no busy tick.
#[test]
fn period_beyond_the_clock_never_ticks_again() {
    wrangle_sim::run(15, |rt| async move {
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            let mut ticks = wrangle_core::interval(&rt, Duration::MAX).unwrap();
            ticks.set_missed_tick_behavior(behavior);
            ticks.tick().await;
            let second = wrangle_core::timeout(&rt, Duration::from_secs(3600), ticks.tick()).await;
            assert!(second.is_err(), "{behavior:?}");
        }
    });
}
