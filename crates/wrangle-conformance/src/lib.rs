//! The one semantic test suite every wrangle runtime must pass.
//!
//! The runtime contract (what every adapter promises) is written once, as generic functions
//! in [`cases`], each taking a [`Harness`] that builds and shuts down one runtime
//! configuration. The [`conformance_suite!`] macro turns every case into a `#[test]` for a
//! harness, so adding a runtime is one line and adding a rule adds a test on every runtime at
//! once.
//!
//! | Item | What it is |
//! |---|---|
//! | [`Harness`] | how the suite builds, shuts down and times one runtime |
//! | [`harness`] | the harnesses of the adapters in this workspace |
//! | [`cases`] | the contract, one function per rule |
//! | [`conformance_suite!`] | instantiates every case for a harness |
//!
//! # Timing on real runtimes
//!
//! On a runtime with a real clock, timing cases assert the direction that must always hold
//! (a sleep never returns early) exactly, and bound the other direction generously
//! ([`Harness::SLACK`]), since a shared 2-core machine can stall a thread for hundreds of
//! milliseconds. On virtual time the slack is zero and every figure is exact.
//!
//! # Examples
//!
//! ```
//! // In tests/conformance.rs:
//! mod tokio_multi_thread {
//!     wrangle_conformance::conformance_suite!(wrangle_conformance::harness::TokioMultiThread);
//! }
//! # fn main() {}
//! ```
#![forbid(unsafe_code)]
// A test suite: an unwrap that fails is a failing case, which is the point.
#![allow(clippy::unwrap_used)]

mod blocking_cases;
mod budget_cases;
pub mod cases;
mod combinator_cases;
mod deadlock_cases;
mod flow_cases;
mod group_cases;
pub mod harness;
mod retry_cases;
mod set_cases;
mod suite;
pub mod support;
mod sync_cases;
mod timer_cases;

use std::time::Duration;

use wrangle_core::Runtime;

/// How the suite builds, shuts down and times one runtime configuration.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle_conformance::Harness;
///
/// struct MySmol;
/// impl Harness for MySmol {
///     type Rt = wrangle_smol::Smol;
///     const SLACK: Duration = Duration::from_secs(2);
///     fn make() -> Self::Rt { wrangle_smol::Smol::new().expect("smol starts") }
///     fn shutdown(rt: &Self::Rt) { rt.shutdown() }
/// }
/// ```
pub trait Harness: 'static {
    /// The runtime under test.
    type Rt: Runtime + 'static;

    /// How late a timer may fire, or a cancellation take hold, before a case fails. Zero on
    /// virtual time; generous on real clocks, where the machine may stall a thread.
    const SLACK: Duration;

    /// A fresh runtime.
    fn make() -> Self::Rt;

    /// Shuts the runtime down the way its adapter documents.
    fn shutdown(rt: &Self::Rt);

    /// The entries and capacity the runtime's timer holds, through its test hook, if it has
    /// one (tokio's wheel has none). `exact` says the figure is this runtime's alone; when it
    /// is false the timer is shared by the whole process (wrangle-timer's driver), so other
    /// cases running at the same time add their own sleeps to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle_conformance::{Harness, harness::SimHarness};
    ///
    /// let rt = SimHarness::make();
    /// assert_eq!(SimHarness::timer_footprint(&rt).unwrap().entries, 0);
    /// ```
    fn timer_footprint(rt: &Self::Rt) -> Option<TimerFootprint> {
        let _ = rt;
        None
    }
}

/// What a runtime's timer holds, for [`Harness::timer_footprint`].
///
/// # Examples
///
/// ```
/// let f = wrangle_conformance::TimerFootprint { entries: 0, capacity: 0, exact: true };
/// assert_eq!(f.entries, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerFootprint {
    /// Entries held (armed, or removed but not yet reclaimed).
    pub entries: usize,
    /// Elements of capacity held.
    pub capacity: usize,
    /// Whether the figures are this runtime's alone (else process-wide).
    pub exact: bool,
}
