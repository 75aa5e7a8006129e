//! Spawning futures: wrangle's task handle over an `async-task` cell, queued on the
//! simulation's ready list.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Arc, Weak};

use wrangle_core::{SpawnError, Task, name};

use crate::state::{Inner, NAME};

/// Counts a task as live from spawn until its future is gone (finished, cancelled, or dropped
/// unpolled at shutdown).
struct LiveGuard {
    inner: Weak<Inner>,
    id: u64,
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            let mut state = inner.lock();
            let waker = state.active.remove(&self.id);
            state.names.remove(&self.id);
            drop(state);
            // Dropped outside the lock: dropping a waker may reschedule a task.
            drop(waker);
        }
    }
}

pub(crate) fn spawn<F>(inner: &Arc<Inner>, future: F) -> Result<Task<F::Output>, SpawnError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if inner.lock().shutdown {
        return Err(SpawnError::shutdown(NAME));
    }
    let (job, task) = wrangle_core::task::new(future);
    let id = inner.next_task_id();
    let guard = LiveGuard {
        inner: Arc::downgrade(inner),
        id,
    };
    let names = Arc::downgrade(inner);
    let wrapped = async move {
        let _live = guard;
        let mut job = pin!(job);
        let mut named = false;
        poll_fn(|cx| {
            let (poll, name) = name::poll_recording_name(|| job.as_mut().poll(cx));
            // The task's name (`spawn_named`, a named group child), kept for deadlock
            // reports; looked for until found.
            if let (false, Some(name)) = (named, name) {
                named = true;
                if let Some(inner) = names.upgrade() {
                    inner.lock().names.insert(id, name);
                }
            }
            poll
        })
        .await;
    };
    // The schedule function holds the simulation weakly: tasks keep no simulation alive, and
    // a task woken after the simulation is gone is dropped.
    let weak = Arc::downgrade(inner);
    let (runnable, handle) = async_task::spawn(wrapped, move |runnable| match weak.upgrade() {
        Some(inner) => inner.schedule(runnable),
        None => drop(runnable),
    });
    handle.detach();
    let waker = runnable.waker();
    let mut state = inner.lock();
    if state.shutdown {
        // Shut down since we looked: drop the cell (and the future, marking the task
        // cancelled) outside the lock.
        drop(state);
        drop((runnable, waker, task));
        return Err(SpawnError::shutdown(NAME));
    }
    state.active.insert(id, waker);
    state.ready.push(runnable);
    let waiting = state.driver_waiting;
    drop(state);
    if waiting {
        inner.changed.notify_all();
    }
    Ok(task)
}
