//! `wrangle::sync`'s own primitives, uncontended, against the same thing written by hand on
//! event-listener (and async-lock), on every runtime.
//!
//! ```text
//! cargo bench --bench sync
//! ```
//!
//! The mutex, reader-writer lock, semaphore and barrier of `wrangle::sync` are async-lock's,
//! re-exported: the same types (checked at compile time below), so they cost exactly what
//! async-lock's cost and are not measured here. What wrangle adds is measured:
//!
//! - `event_ready`: `wait()` on a set event, the fast path (no listener).
//! - `event_cycle`: one wait that blocks, then `set`, then the wait completes, then `clear`:
//!   the listener's registration and notification.
//! - `condition_cycle`: lock, `wait(guard)` (registers, releases the lock), `notify_one`,
//!   the wait completes (re-takes the lock), unlock.
//!
//! The baseline of each is the idiomatic hand-written form: an `AtomicBool` beside an
//! `event_listener::Event` (listen, check the flag again, await), and for the condition an
//! async-lock `Mutex` beside an `Event` (listen, drop the guard, await, lock). Each figure is
//! ns per operation of a loop of `N` timed inside a task on the runtime (or under a bare
//! `block_on`); the table gives medians of paired rounds and the ratio wrangle / bare.
//! Target: ratio <= 1.10 everywhere.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Exec, median};
use event_listener::IntoNotification as _;
use futures_lite::future::poll_once;
use wrangle_core::sync::{Condition, Event};

const N: u64 = 200_000;

/// The re-exports are async-lock's own types: these compile only if they are the same.
const _: fn(wrangle_core::sync::Mutex<u8>) -> async_lock::Mutex<u8> = |m| m;
const _: fn(wrangle_core::sync::RwLock<u8>) -> async_lock::RwLock<u8> = |m| m;
const _: fn(wrangle_core::sync::Semaphore) -> async_lock::Semaphore = |s| s;
const _: fn(wrangle_core::sync::Barrier) -> async_lock::Barrier = |b| b;

/// An asyncio-style event written directly on event-listener.
#[derive(Default)]
struct BareEvent {
    flag: AtomicBool,
    waiters: event_listener::Event,
}

impl BareEvent {
    fn set(&self) {
        if !self.flag.swap(true, Ordering::SeqCst) {
            self.waiters.notify(usize::MAX);
        }
    }

    fn clear(&self) {
        self.flag.store(false, Ordering::SeqCst);
    }

    async fn wait(&self) {
        if self.flag.load(Ordering::SeqCst) {
            return;
        }
        let listener = self.waiters.listen();
        if self.flag.load(Ordering::SeqCst) {
            return;
        }
        listener.await;
    }
}

/// A condition written directly on async-lock and event-listener.
struct BareCondition {
    mutex: async_lock::Mutex<u64>,
    waiters: event_listener::Event,
}

impl BareCondition {
    async fn wait<'a>(
        &'a self,
        guard: async_lock::MutexGuard<'a, u64>,
    ) -> async_lock::MutexGuard<'a, u64> {
        let listener = self.waiters.listen();
        drop(guard);
        listener.await;
        self.mutex.lock().await
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Case {
    EventReady,
    EventCycle,
    ConditionCycle,
}

const CASES: [(Case, &str); 3] = [
    (Case::EventReady, "event_ready"),
    (Case::EventCycle, "event_cycle"),
    (Case::ConditionCycle, "condition_cycle"),
];

/// `n` operations of `case`, wrangle's form or the bare one, timed inside the task.
async fn timed_loop(case: Case, wrangle: bool, n: u64) -> Duration {
    let start = Instant::now();
    match (case, wrangle) {
        (Case::EventReady, true) => {
            let event = Event::new();
            event.set();
            for _ in 0..n {
                black_box(&event).wait().await;
            }
        }
        (Case::EventReady, false) => {
            let event = BareEvent::default();
            event.set();
            for _ in 0..n {
                black_box(&event).wait().await;
            }
        }
        (Case::EventCycle, true) => {
            let event = Event::new();
            for _ in 0..n {
                let mut wait = pin!(black_box(&event).wait());
                assert!(poll_once(wait.as_mut()).await.is_none());
                event.set();
                wait.await;
                event.clear();
            }
        }
        (Case::EventCycle, false) => {
            let event = BareEvent::default();
            for _ in 0..n {
                let mut wait = pin!(black_box(&event).wait());
                assert!(poll_once(wait.as_mut()).await.is_none());
                event.set();
                wait.await;
                event.clear();
            }
        }
        (Case::ConditionCycle, true) => {
            let cond = Condition::new(0u64);
            for _ in 0..n {
                let guard = cond.lock().await;
                let mut wait = pin!(black_box(&cond).wait(guard));
                assert!(poll_once(wait.as_mut()).await.is_none());
                cond.notify_one();
                *wait.await += 1;
            }
        }
        (Case::ConditionCycle, false) => {
            let cond = BareCondition {
                mutex: async_lock::Mutex::new(0),
                waiters: event_listener::Event::new(),
            };
            for _ in 0..n {
                let guard = cond.mutex.lock().await;
                let mut wait = pin!(black_box(&cond).wait(guard));
                assert!(poll_once(wait.as_mut()).await.is_none());
                cond.waiters.notify(1.additional());
                *wait.await += 1;
            }
        }
    }
    start.elapsed()
}

fn loop_on(exec: &Exec, case: Case, wrangle: bool, n: u64) -> Duration {
    exec.run(timed_loop(case, wrangle, n))
}

fn assert_send<F: Future + Send>(f: F) -> F {
    f
}

fn main() {
    // The loops run as spawned tasks: they must be `Send`.
    drop(assert_send(timed_loop(Case::EventReady, true, 0)));
    let execs = Exec::all();
    let mut c = common::criterion();
    for (case, name) in CASES {
        let mut group = c.benchmark_group(format!("sync_{name}"));
        for exec in &execs {
            for (wrangle, side) in [(true, "wrangle"), (false, "bare")] {
                let id = criterion::BenchmarkId::new(side, exec.name());
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| loop_on(exec, case, wrangle, iters))
                });
            }
        }
        group.finish();
    }
    c.final_summary();

    let rounds = 7;
    println!(
        "\nns per operation, uncontended (median of {rounds} paired rounds of {N}; target: \
         ratio <= 1.10)"
    );
    println!("| case | runtime | wrangle | bare | ratio |");
    println!("|---|---|---:|---:|---:|");
    for (case, name) in CASES {
        for exec in &execs {
            let (mut ws, mut bs, mut rs) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                let per = |d: Duration| d.as_nanos() as f64 / N as f64;
                let (w, b) = if round % 2 == 0 {
                    let w = per(loop_on(exec, case, true, N));
                    (w, per(loop_on(exec, case, false, N)))
                } else {
                    let b = per(loop_on(exec, case, false, N));
                    (per(loop_on(exec, case, true, N)), b)
                };
                ws.push(w);
                bs.push(b);
                rs.push(w / b);
            }
            println!(
                "| {name} | {} | {:.1} | {:.1} | {:.2} |",
                exec.name(),
                median(ws),
                median(bs),
                median(rs)
            );
        }
    }
}
