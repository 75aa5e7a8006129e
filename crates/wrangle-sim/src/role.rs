//! What the current thread is doing for which simulation.

use std::cell::Cell;

/// A thread's part in one simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Inside `block_on`: polling the main future and the tasks.
    Driver,
    /// Running a blocking job spawned with `spawn_blocking`.
    Job,
}

thread_local! {
    static ROLE: Cell<Option<(u64, Role)>> = const { Cell::new(None) };
}

/// The current thread's part in simulation `sim`, if it has one.
pub(crate) fn current(sim: u64) -> Option<Role> {
    match ROLE.with(Cell::get) {
        Some((id, role)) if id == sim => Some(role),
        _ => None,
    }
}

/// Gives the current thread a part in simulation `sim` until the guard is dropped.
pub(crate) fn enter(sim: u64, role: Role) -> RoleGuard {
    RoleGuard {
        previous: ROLE.with(|r| r.replace(Some((sim, role)))),
    }
}

/// Restores the thread's previous part when dropped.
pub(crate) struct RoleGuard {
    previous: Option<(u64, Role)>,
}

impl Drop for RoleGuard {
    fn drop(&mut self) {
        ROLE.with(|r| r.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::{Role, current, enter};

    #[test]
    fn roles_nest_and_are_per_simulation() {
        assert_eq!(current(1), None);
        {
            let _job = enter(1, Role::Job);
            assert_eq!(current(1), Some(Role::Job));
            assert_eq!(current(2), None);
            {
                let _driver = enter(1, Role::Driver);
                assert_eq!(current(1), Some(Role::Driver));
            }
            assert_eq!(current(1), Some(Role::Job));
        }
        assert_eq!(current(1), None);
    }
}
