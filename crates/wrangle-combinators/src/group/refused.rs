use std::fmt;

/// A [`Nursery`](super::Nursery) refused to spawn a child: the group can no longer take it.
///
/// The child's future is dropped unpolled; nothing about it reaches the group, so it is
/// never silently lost.
///
/// # Examples
///
/// ```
/// use wrangle::group::{SpawnRefused, TaskGroup};
///
/// wrangle::sim::run(1, |rt| async move {
///     let group = TaskGroup::<_, (), ()>::new(rt.clone());
///     let nursery = group.nursery();
///     group.join().await.unwrap();
///     let refused = nursery.spawn(async { Ok(()) }).unwrap_err();
///     assert_eq!(refused, SpawnRefused::Joined);
///     assert_eq!(refused.to_string(), "the task group was already joined or dropped; child not spawned");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnRefused {
    /// The group's await has returned (it was joined or shut down), or the group was dropped.
    Joined,
    /// The group's cancellation has been requested (a failure in a fail-fast group,
    /// [`cancel`](super::TaskGroup::cancel), a linked token, a shutdown).
    Cancelled,
}

impl fmt::Display for SpawnRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Joined => "the task group was already joined or dropped; child not spawned",
            Self::Cancelled => "the task group is being cancelled; child not spawned",
        })
    }
}

impl std::error::Error for SpawnRefused {}
