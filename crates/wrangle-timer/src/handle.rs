use std::fmt;

use crate::driver::global;

/// A runtime's hold on the timer driver's thread: while any `Driver` exists the thread stays
/// up between sleeps; once the last is dropped it exits as soon as no sleep is armed (within
/// a second of the last one being dropped), and a later sleep starts it again.
///
/// Runtimes hold one for as long as they live (the smol and async-std adapters do). Creating
/// one starts nothing: the thread starts at the first sleep that is armed, so a process that
/// never sleeps pays nothing. Sleeps work without any `Driver`; the thread then exits
/// whenever no sleep is armed (looking once a second).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let driver = wrangle::timer::Driver::new();
/// let deadline = Instant::now() + Duration::from_millis(1);
/// wrangle::blocking::block_on(wrangle::timer::Sleep::at(deadline));
/// drop(driver); // the thread exits (no sleep is armed)
/// ```
pub struct Driver(());

impl Driver {
    /// A hold on the driver's thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let driver = wrangle::timer::Driver::new();
    /// # drop(driver);
    /// ```
    pub fn new() -> Self {
        global().add_user();
        Self(())
    }
}

impl Default for Driver {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Driver {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        global().remove_user();
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

/// The driver's state as a test sees it: entries, capacity, whether the thread runs.
///
/// Not part of the API (hidden, exempt from semver): the conformance suite counts entries
/// with it.
///
/// # Examples
///
/// ```
/// let stats = wrangle::timer::stats();
/// assert!(stats.entries >= stats.armed);
/// ```
#[doc(hidden)]
pub fn stats() -> crate::Stats {
    global().stats()
}
