//! The push protocol: how a call enters the pool's queue, and which thread is woken or
//! started to take it. The pool owns it; `Submission` drives it only
//! through `Push::poll_push` (and `Push::abandon` when dropped while waiting for room).
//!
//! After a push, a parked worker is woken only if no worker is spinning, and a worker is
//! started only if none is idle and fewer than `eager_threads` exist; the supervisor is
//! woken or started (`threads::poke_supervisor`). The loads that decide this are ordered
//! after the push against the workers' announcements (see `state`), so a
//! call pushed as the last worker parks or retires is never left without a thread.
//!
//! While the queue is full, the caller registers for room, tries once more, then waits;
//! callers waiting for room are woken together once the queue is three quarters full.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};

use concurrent_queue::PushError;
use event_listener::EventListener;

use super::state::State;
use super::threads;
use crate::call::Entry;
#[cfg(all(loom, test))]
use crate::sync::fence;

/// A call on its way into a pool's queue: pushed at once if there is room, else once room
/// frees up.
pub(crate) struct Push {
    entry: Option<Entry>,
    /// Waiting for room in a full queue.
    listener: Option<EventListener>,
}

impl Push {
    pub(crate) fn new(entry: Entry) -> Self {
        Self {
            entry: Some(entry),
            listener: None,
        }
    }

    /// The call, not yet queued, to hand elsewhere (a runtime's own blocking pool).
    pub(crate) fn take_entry(&mut self) -> Option<Entry> {
        self.entry.take()
    }

    /// Whether the call waits for room in a full queue.
    pub(crate) fn is_waiting(&self) -> bool {
        self.listener.is_some()
    }

    /// Queues the call on `pool`, waiting while the queue is full; ready once it is queued
    /// (or was handed elsewhere).
    pub(crate) fn poll_push(&mut self, pool: &Arc<State>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let Some(queued) = self.entry.take() else {
                return Poll::Ready(());
            };
            match try_push(pool, queued) {
                Ok(()) => {
                    if self.listener.take().is_some() {
                        pool.stop_listening_for_space();
                    }
                    return Poll::Ready(());
                }
                Err(back) => self.entry = Some(back),
            }
            match &mut self.listener {
                // Listen, then try once more before waiting.
                None => self.listener = Some(pool.listen_for_space()),
                Some(waiting) => {
                    ready!(Pin::new(waiting).poll(cx));
                    self.listener = None;
                    pool.stop_listening_for_space();
                }
            }
        }
    }

    /// The submission is dropped while it waits for room: it stops counting as a waiter.
    pub(crate) fn abandon(&mut self, pool: &State) {
        if self.listener.take().is_some() {
            pool.stop_listening_for_space();
        }
    }
}

/// Queues `entry`, or gives it back if the queue is full.
fn try_push(pool: &Arc<State>, entry: Entry) -> Result<(), Entry> {
    match pool.queue.push(entry) {
        Ok(()) => {
            after_push(pool);
            Ok(())
        }
        Err(PushError::Full(entry) | PushError::Closed(entry)) => Err(entry),
    }
}

/// Makes sure a thread will take the call just pushed.
fn after_push(pool: &Arc<State>) {
    // The push was a SeqCst read-modify-write; these SeqCst loads are ordered after it,
    // against the workers' SeqCst announcements (see the module docs).
    //
    // loom models SeqCst loads and read-modify-writes as AcqRel (its README, "Unsupported
    // features"): too weak for this store-load pair, so it reports a lost wake-up that
    // cannot happen. In the loom models a SeqCst fence stands in for the order they give.
    #[cfg(all(loom, test))]
    fence(Ordering::SeqCst);
    if pool.spinning.load(Ordering::SeqCst) == 0 {
        if pool.parked.load(Ordering::SeqCst) > 0 {
            pool.wake_one();
        } else if pool.workers.load(Ordering::SeqCst) < pool.config.eager_threads {
            threads::spawn_worker(pool);
        }
    }
    threads::poke_supervisor(pool);
}

/// loom models (RELIABILITY.md, "loom"): the submit path against a worker that runs out of
/// calls, spins, parks or retires, through the real `State`, `try_push`, the workers of `threads` and calls.
///
/// The supervisor is not in these models: it sleeps on real time and runs on `std`'s
/// threads. So the pool has one thread at most and two eager threads, a configuration the
/// builder would clamp (to one): `poke` starts a supervisor only once `workers` reaches
/// `eager_threads`, which never happens, while every push that finds no worker idle tries to
/// start one, which succeeds only when the one thread has retired.
#[cfg(all(test, loom))]
mod loom_tests {
    use std::time::Duration;

    use loom::future::block_on;
    use wrangle_core::Task;

    use super::*;
    use crate::pool::state::Config;
    use crate::sync::model;

    fn inner(keep_alive: Duration) -> Arc<State> {
        Arc::new(State::new(Config {
            max_threads: 1,
            queue_capacity: 2,
            eager_threads: 2,
            keep_alive,
            grow_after: Duration::from_millis(1),
            batch_wakeups: false,
            thread_name: "wrangle-loom".into(),
        }))
    }

    /// Closes the pool and waits for its workers to leave. They drop their slots under the
    /// slots' lock as they go, which orders everything they did before this returns: loom
    /// cannot see the `std` `Arc` they share with the caller, so without this it would take
    /// the caller's drop of the queue as racing with the workers' last look at it.
    fn close_and_wait(inner: &State) {
        inner.close();
        while !inner.lock_slots().is_empty() {
            loom::thread::yield_now();
        }
    }

    fn submit(inner: &Arc<State>, value: u32) -> Task<u32> {
        let (host, task) = crate::call::new(move || value, false);
        assert!(
            try_push(inner, Entry::new(host)).is_ok(),
            "the queue has room"
        );
        task
    }

    /// The first call starts the worker; the second is pushed while the worker, done with
    /// the first, spins and parks. The second must run (else loom reports a deadlock: the
    /// caller waits for ever), and closing the pool lets the worker exit.
    #[test]
    fn a_call_pushed_as_the_worker_parks_is_run() {
        model(|| {
            let inner = inner(Duration::MAX);
            assert_eq!(block_on(submit(&inner, 1)), 1);
            assert_eq!(block_on(submit(&inner, 2)), 2);
            close_and_wait(&inner);
        });
    }

    /// The same with no keep-alive: the worker retires as soon as it runs out of calls, so
    /// the second push races with it leaving. Either the push starts a new worker, or the
    /// retiring one sees the call and stays; the call must run.
    #[test]
    fn a_call_pushed_as_the_worker_retires_is_run() {
        model(|| {
            let inner = inner(Duration::ZERO);
            assert_eq!(block_on(submit(&inner, 1)), 1);
            assert_eq!(block_on(submit(&inner, 2)), 2);
            close_and_wait(&inner);
        });
    }
}
