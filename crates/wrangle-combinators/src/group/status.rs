use std::fmt;
use std::sync::Arc;

use super::start::Slot;

/// How a child started with [`TaskGroup::start`](super::TaskGroup::start) says it is ready:
/// anyio's `task_status`, trio's `task_status.started(value)`.
///
/// [`started`](TaskStatus::started) takes the status by value, so a child signals at most
/// once — a second signal does not compile:
///
/// ```compile_fail
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
/// let start = group.start(|status| async move {
///     status.started(1);
///     status.started(2); // error: use of moved value `status`
///     Ok(())
/// });
/// # });
/// ```
///
/// Dropping it without signalling does not end the wait by itself: `start` returns when the
/// child signals or ends.
///
/// # Examples
///
/// ```
/// # wrangle::sim::run(1, |rt| async move {
/// let mut group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
/// let ready = group.start(|status: wrangle::group::TaskStatus<&str>| async move {
///     status.started("listening");
///     Ok(())
/// });
/// assert_eq!(ready.await, Ok("listening"));
/// # group.join().await.unwrap();
/// # });
/// ```
pub struct TaskStatus<V> {
    slot: Arc<Slot<V>>,
}

impl<V> TaskStatus<V> {
    pub(super) fn new(slot: Arc<Slot<V>>) -> Self {
        Self { slot }
    }

    /// Signals that the child is ready, handing `value` to the caller of `start`. The child
    /// goes on running as a child of its group. If nobody waits any more (the `start` future
    /// was dropped), the value is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let mut group = wrangle::group::TaskGroup::<_, (), ()>::new(&rt);
    /// let ready = group.start(|status| async move {
    ///     status.started(());
    ///     std::future::pending().await // serves until cancelled
    /// });
    /// ready.await.unwrap();
    /// group.cancel();
    /// # assert!(group.join().await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn started(self, value: V) {
        self.slot.signal(value);
    }
}

impl<V> fmt::Debug for TaskStatus<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskStatus").finish_non_exhaustive()
    }
}
