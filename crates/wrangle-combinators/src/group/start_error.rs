use std::fmt;

use super::SpawnRefused;

/// Why [`TaskGroup::start`](super::TaskGroup::start) (or
/// [`Nursery::start`](super::Nursery::start)) returned no value: the child ended, or was
/// never started, without signalling that it was ready.
///
/// The child stays a child of its group whatever happens: its own outcome — the error it
/// returned, its panic — is reported by the group's await, as every child's is.
///
/// # Examples
///
/// ```
/// use wrangle::group::{StartError, TaskGroup};
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut group = TaskGroup::<_, (), &str>::collect_all(&rt);
///     let started = group.start::<u16, _, _>(|_status| async { Err("bind failed") });
///     assert_eq!(started.await, Err(StartError::Failed));
///     assert_eq!(StartError::Failed.to_string(), "the child failed before it signalled it was ready");
///     assert!(group.join().await.is_err()); // the error itself, with the group
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartError {
    /// The child returned an error or panicked before it signalled. The error (or panic)
    /// is the group's: its await reports it, and in a fail-fast group it cancelled the
    /// siblings.
    Failed,
    /// The child returned `Ok` without signalling; its value is in the group's outcome.
    NeverSignalled,
    /// The child was cancelled before it signalled: the group failed or was cancelled
    /// first, or the runtime was shut down.
    Cancelled,
    /// The child was not spawned: a [`Nursery`](super::Nursery) refused it.
    Refused(SpawnRefused),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed => f.write_str("the child failed before it signalled it was ready"),
            Self::NeverSignalled => {
                f.write_str("the child returned without signalling it was ready")
            }
            Self::Cancelled => {
                f.write_str("the child was cancelled before it signalled it was ready")
            }
            Self::Refused(refused) => refused.fmt(f),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Refused(refused) => Some(refused),
            _ => None,
        }
    }
}
