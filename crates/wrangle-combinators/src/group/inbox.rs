//! Where a [`Nursery`](super::Nursery) puts the children it spawns until the group adopts
//! them, and the flag that refuses spawns once the group has been joined or dropped.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::State;

/// A child spawned through a nursery, not yet adopted by its group: its name and its task.
pub(super) type Adoptee<T, E> = (Option<Arc<str>>, State<T, E>);

pub(super) struct Inbox<T, E> {
    state: Mutex<InboxState<T, E>>,
}

pub(super) struct InboxState<T, E> {
    pub(super) children: Vec<Adoptee<T, E>>,
    /// The group's await has returned, or the group was dropped: nothing more is adopted.
    pub(super) closed: bool,
}

impl<T, E> Inbox<T, E> {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(InboxState {
                children: Vec::new(),
                closed: false,
            }),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, InboxState<T, E>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The children waiting for adoption, taken out.
    pub(super) fn take(&self) -> Vec<Adoptee<T, E>> {
        std::mem::take(&mut self.lock().children)
    }

    /// Closes the inbox if no child is waiting in it; `false` if one is, to be adopted first.
    /// Atomic with a nursery's spawn, so a child is either adopted or refused, never lost.
    pub(super) fn close_if_empty(&self) -> bool {
        let mut state = self.lock();
        if state.children.is_empty() {
            state.closed = true;
        }
        state.closed
    }

    /// Closes the inbox and drops (so cancels) every child still waiting in it.
    pub(super) fn close(&self) {
        let children = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.children)
        };
        drop(children);
    }
}
