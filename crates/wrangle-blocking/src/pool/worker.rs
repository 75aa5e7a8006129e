//! A worker thread: takes calls off the queue and runs them, spins briefly when it runs out,
//! then parks until a call arrives or its keep-alive runs out.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::inner::{Inner, Slot};
use crate::call::{Entry, Host, WakeSink};
use crate::sync::thread;

/// Rounds of polling the queue before parking: a few busy-wait rounds, then a few yields,
/// about 10 µs in all. Enough to catch the next call of a steady stream without a wake-up,
/// short enough not to burn a core when the stream stops.
#[cfg(not(all(loom, test)))]
const SPIN_ROUNDS: u32 = 16;
/// Two rounds in the loom models: every round is the same pop, and each one multiplies the
/// interleavings loom explores. (`std::hint::spin_loop` is a CPU hint, not a scheduling point,
/// so loom's own, which yields, is not used.)
#[cfg(all(loom, test))]
const SPIN_ROUNDS: u32 = 2;
const BUSY_ROUNDS: u32 = 6;

/// Completed calls whose wake-ups a worker holds back at most, before delivering them.
const BATCH: usize = 16;
/// Wake-ups are held back only while at least this many calls are queued.
const LOW_WATER: usize = 32;

pub(crate) fn run(inner: Arc<Inner>, slot: Arc<Slot>) {
    slot.record_thread();
    if inner.config.batch_wakeups {
        crate::call::set_wake_sink(Some(Arc::new(Batch {
            inner: inner.clone(),
            slot: slot.clone(),
        })));
    }
    loop {
        while let Some(entry) = inner.pop() {
            run_one(&slot, entry);
            if slot.deferred() >= BATCH {
                slot.flush();
            }
        }
        slot.flush();
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
    crate::call::set_wake_sink(None);
    slot.flush();
    inner.drop_slot(&slot);
}

/// Holds back the wake-ups of a worker's completed calls while many calls are queued, so
/// the awaiting side is woken once per batch rather than once per call.
///
/// A held-back wake-up is delivered when the worker has held back `BATCH` of them, when
/// fewer than `LOW_WATER` calls remain queued (so the awaiting side refills the queue
/// before the workers run dry), or, if the worker's next call blocks, by the supervisor
/// within two of its ticks. Without a supervisor nothing is held back.
struct Batch {
    inner: Arc<Inner>,
    slot: Arc<Slot>,
}

impl WakeSink for Batch {
    fn defer(&self, host: Arc<dyn Host>) -> Result<(), Arc<dyn Host>> {
        let sup = &self.inner.supervisor;
        if !sup.is_alive() || self.inner.queue.len() < LOW_WATER {
            // Running low: wake the awaiting side now (with what is held back), so it
            // refills the queue before the workers run dry.
            self.slot.flush();
            return Err(host);
        }
        self.slot.defer(host);
        // The supervisor may have stopped meanwhile (it flushes every slot when it does):
        // if so, deliver now rather than rely on it.
        if !sup.is_alive() {
            self.slot.flush();
        }
        Ok(())
    }
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
