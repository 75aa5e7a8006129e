//! A worker thread: takes calls off the queue and runs them, spins briefly when it runs out,
//! then parks until a call arrives or its keep-alive runs out.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;

use super::inner::{Inner, Slot};
use crate::call::Entry;

/// Rounds of polling the queue before parking: a few busy-wait rounds, then a few yields,
/// about 10 µs in all. Enough to catch the next call of a steady stream without a wake-up,
/// short enough not to burn a core when the stream stops.
const SPIN_ROUNDS: u32 = 16;
const BUSY_ROUNDS: u32 = 6;

pub(crate) fn run(inner: Arc<Inner>, slot: Arc<Slot>) {
    slot.record_thread();
    loop {
        while let Some(entry) = inner.pop() {
            run_one(&slot, entry);
        }
        if let Some(entry) = spin(&inner) {
            wake_sibling(&inner);
            run_one(&slot, entry);
            continue;
        }
        if let Some(entry) = inner.park() {
            wake_sibling(&inner);
            run_one(&slot, entry);
            continue;
        }
        if inner.retire() {
            break;
        }
    }
    inner.drop_slot(&slot);
}

fn run_one(slot: &Slot, entry: Entry) {
    slot.bump();
    // The closure's own panic is caught by its job; this catches what may still unwind
    // (an output's `Drop`), so the worker survives it and its counts stay right.
    let _ = catch_unwind(AssertUnwindSafe(|| entry.run()));
    slot.bump();
}

/// Polls the queue for a little while before the worker parks.
fn spin(inner: &Inner) -> Option<Entry> {
    inner.spinning.fetch_add(1, Ordering::SeqCst);
    let mut found = None;
    for round in 0..SPIN_ROUNDS {
        if let Some(entry) = inner.pop() {
            found = Some(entry);
            break;
        }
        if round < BUSY_ROUNDS {
            for _ in 0..(1u32 << round) {
                std::hint::spin_loop();
            }
        } else {
            thread::yield_now();
        }
    }
    inner.spinning.fetch_sub(1, Ordering::SeqCst);
    found
}

/// A worker that was idle found a call: if more are queued and no other worker is looking,
/// wake one, so a burst is taken up in parallel.
fn wake_sibling(inner: &Inner) {
    if !inner.queue.is_empty()
        && inner.spinning.load(Ordering::SeqCst) == 0
        && inner.parked.load(Ordering::SeqCst) > 0
    {
        inner.wake_one();
    }
}
