//! Sleeping, ticking and yielding on any [`Timer`](crate::Timer): [`sleep()`],
//! [`sleep_until()`], [`interval()`], [`interval_at()`], [`yield_now()`], and the futures and
//! streams they return. The method forms are on [`TimerExt`](crate::TimerExt).

mod interval;
mod sleep;
mod yield_now;

pub use interval::{Interval, MissedTickBehavior, Tick, ZeroPeriod, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use yield_now::{YieldNow, yield_now};
