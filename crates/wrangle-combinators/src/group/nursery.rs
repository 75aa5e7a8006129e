use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::TaskStatus;
use super::child::{Child, Shared};
use super::inbox::Inbox;
use super::start::{Start, Starting};
use super::{SpawnRefused, State};
use crate::Spawn;

/// A handle that spawns children into a [`TaskGroup`](super::TaskGroup) from anywhere — from
/// inside one of its own children, above all: trio's nursery, anyio's `start_soon` on the
/// group a task belongs to.
///
/// Made with [`TaskGroup::nursery`](super::TaskGroup::nursery); clone it freely. A child
/// spawned through it is a child like any other: it runs at once, a failure cancels its
/// siblings in a fail-fast group, and the group's await waits for it. Its index (its place
/// in the group's outcomes) is given when the group adopts it, after the children spawned
/// before it, in the order the group sees them.
///
/// Once the group's await has returned (or the group was dropped), or once its cancellation
/// has been requested, a spawn is refused with a [`SpawnRefused`] and the future is dropped
/// unpolled: a child is either in the group's outcome or refused, never lost. (A spawn
/// through the group itself, `&mut TaskGroup`, reports a child of a cancelled group as
/// cancelled instead, since the group is there to report it.)
///
/// The group's spawner must be [`Clone`]: with an owned handle (`TaskGroup::new(rt.clone())`)
/// the nursery is `'static` and can be moved into children.
///
/// # Examples
///
/// A crawler's child finds two more pages and hands them to its own group:
///
/// ```
/// use wrangle::group::TaskGroup;
///
/// wrangle::sim::run(1, |rt| async move {
///     let mut group = TaskGroup::new(rt.clone());
///     let nursery = group.nursery();
///     group.spawn(async move {
///         for page in ["/a", "/b"] {
///             nursery.spawn(async move { Ok::<_, String>(page) }).map_err(|e| e.to_string())?;
///         }
///         Ok("/")
///     });
///     assert_eq!(group.join().await.unwrap(), ["/", "/a", "/b"]);
/// });
/// ```
pub struct Nursery<S, T, E> {
    spawner: S,
    shared: Arc<Shared>,
    inbox: Arc<Inbox<T, E>>,
}

impl<S: Spawn, T, E> Nursery<S, T, E> {
    pub(super) fn new(spawner: S, shared: Arc<Shared>, inbox: Arc<Inbox<T, E>>) -> Self {
        Self {
            spawner,
            shared,
            inbox,
        }
    }

    /// Spawns `future` as a child of the group.
    ///
    /// # Errors
    ///
    /// [`SpawnRefused`] if the group was joined, dropped or is being cancelled; `future` is
    /// dropped unpolled.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let group = wrangle::group::TaskGroup::new(rt.clone());
    /// group.nursery().spawn(async { Ok::<_, ()>(1) }).unwrap();
    /// assert_eq!(group.join().await, Ok(vec![1]));
    /// # });
    /// ```
    pub fn spawn<F>(&self, future: F) -> Result<(), SpawnRefused>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        self.spawn_child(None, future)
    }

    /// Like [`spawn`](Self::spawn), naming the child (see
    /// [`TaskGroup::spawn_named`](super::TaskGroup::spawn_named)).
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let group = wrangle::group::TaskGroup::new(rt.clone());
    /// group.nursery().spawn_named("late", async { Err::<(), _>("no") }).unwrap();
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.first().child().name(), Some("late"));
    /// # });
    /// ```
    pub fn spawn_named<F>(&self, name: impl Into<Arc<str>>, future: F) -> Result<(), SpawnRefused>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        self.spawn_child(Some(name.into()), future)
    }

    /// Spawns the child `f` builds and waits until it signals that it is ready, through the
    /// [`TaskStatus`] it is handed: anyio's `TaskGroup.start`, from inside the group. See
    /// [`TaskGroup::start`](super::TaskGroup::start) for every outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// # wrangle::sim::run(1, |rt| async move {
    /// let group = wrangle::group::TaskGroup::<_, (), ()>::new(rt.clone());
    /// let port = group.nursery().start(|status| async move {
    ///     status.started(8080u16);
    ///     Ok(())
    /// });
    /// assert_eq!(port.await, Ok(8080));
    /// # group.join().await.unwrap();
    /// # });
    /// ```
    pub fn start<V, F, Fut>(&self, f: F) -> Start<V>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        V: Send + 'static,
    {
        let (status, start) = super::start::pair();
        let future = Starting::new(f(status), start.slot());
        match self.spawn_child(None, future) {
            Ok(()) => start,
            Err(refused) => Start::refused(refused),
        }
    }

    fn spawn_child<F>(&self, name: Option<Arc<str>>, future: F) -> Result<(), SpawnRefused>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        // Under the inbox's lock, so the group either adopts the child or has closed first.
        let mut inbox = self.inbox.lock();
        if inbox.closed {
            return Err(SpawnRefused::Joined);
        }
        if self.shared.kill.is_cancelled() {
            return Err(SpawnRefused::Cancelled);
        }
        let child = Child::new(future, self.shared.clone(), name.clone());
        // The index is given at adoption: not known yet.
        let child = crate::trace::group_child(child, name.as_ref(), None);
        let task = self.spawner.spawn(child).join();
        inbox.children.push((name, State::Running(task)));
        Ok(())
    }
}

impl<S: Clone, T, E> Clone for Nursery<S, T, E> {
    fn clone(&self) -> Self {
        Self {
            spawner: self.spawner.clone(),
            shared: self.shared.clone(),
            inbox: self.inbox.clone(),
        }
    }
}

impl<S, T, E> fmt::Debug for Nursery<S, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nursery")
            .field("cancelled", &self.shared.kill.is_cancelled())
            .field("closed", &self.inbox.lock().closed)
            .finish_non_exhaustive()
    }
}
