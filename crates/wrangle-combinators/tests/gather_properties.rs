//! Properties of the gather family over random durations, failures, limits and seeds, on
//! virtual time: order kept, the limit never exceeded, every input exactly one outcome, the
//! exact makespan, fail-fast at the first failure in time, and cancellation dropping every
//! child.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use proptest::prelude::*;
use wrangle_sim::Sim;

/// What the children of one run share.
#[derive(Default)]
struct Probe {
    alive: Cell<usize>,
    peak: Cell<usize>,
    started: Cell<usize>,
}

struct Alive(Rc<Probe>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.alive.set(self.0.alive.get() - 1);
    }
}

/// Input `i`: sleeps `ms`, then fails or returns `i`.
fn child(
    rt: &Sim,
    probe: &Rc<Probe>,
    i: usize,
    ms: u64,
    fails: bool,
) -> impl Future<Output = Result<usize, usize>> {
    let (rt, probe) = (rt.clone(), probe.clone());
    async move {
        probe.started.set(probe.started.get() + 1);
        probe.alive.set(probe.alive.get() + 1);
        probe.peak.set(probe.peak.get().max(probe.alive.get()));
        let _alive = Alive(probe);
        wrangle_core::sleep(&rt, Duration::from_millis(ms)).await;
        if fails { Err(i) } else { Ok(i) }
    }
}

/// When each input finishes, with inputs started in order as slots free up (list
/// scheduling): what a lazy, bounded gather does, exactly, on virtual time.
fn finish_times(jobs: &[(u64, bool)], limit: usize) -> Vec<u64> {
    let mut running = BinaryHeap::new();
    let mut finish = Vec::new();
    for &(ms, _) in jobs {
        let start = if running.len() < limit {
            0
        } else {
            let Reverse(t) = running.pop().unwrap();
            t
        };
        finish.push(start + ms);
        running.push(Reverse(start + ms));
    }
    finish
}

fn jobs() -> impl Strategy<Value = Vec<(u64, bool)>> {
    prop::collection::vec((0u64..40, prop::bool::weighted(0.2)), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn gather_keeps_order_limit_and_makespan(jobs in jobs(), limit in 1usize..8, seed: u64) {
        let (outcomes, probe, took) = wrangle_sim::run(seed, |rt| {
            let jobs = jobs.clone();
            async move {
                let probe = Rc::new(Probe::default());
                let inputs = jobs.iter().enumerate().map(|(i, &(ms, f))| child(&rt, &probe, i, ms, f));
                let outcomes = wrangle_combinators::gather(inputs)
                    .limit(limit)
                    .await;
                (outcomes, probe, rt.elapsed())
            }
        });
        prop_assert_eq!(outcomes.len(), jobs.len());
        for (i, outcome) in outcomes.iter().enumerate() {
            let want = if jobs[i].1 { Err(i) } else { Ok(i) };
            prop_assert_eq!(outcome, &want);
        }
        prop_assert!(probe.peak.get() <= limit);
        prop_assert_eq!(probe.started.get(), jobs.len());
        prop_assert_eq!(probe.alive.get(), 0);
        let makespan = finish_times(&jobs, limit).into_iter().max().unwrap_or(0);
        prop_assert_eq!(took, Duration::from_millis(makespan));
    }

    #[test]
    fn try_gather_fails_at_the_first_failure_in_time(jobs in jobs(), limit in 1usize..8, seed: u64) {
        let (outcome, probe, took) = wrangle_sim::run(seed, |rt| {
            let jobs = jobs.clone();
            async move {
                let probe = Rc::new(Probe::default());
                let inputs = jobs.iter().enumerate().map(|(i, &(ms, f))| child(&rt, &probe, i, ms, f));
                let outcome = wrangle_combinators::try_gather(inputs)
                    .limit(limit)
                    .await;
                // Every child is gone by the time the caller sees the outcome.
                assert_eq!(probe.alive.get(), 0);
                (outcome, probe, rt.elapsed())
            }
        });
        let finish = finish_times(&jobs, limit);
        let first_failure = jobs.iter().zip(&finish).filter(|((_, f), _)| *f).map(|(_, t)| *t).min();
        match first_failure {
            None => {
                prop_assert_eq!(outcome, Ok((0..jobs.len()).collect::<Vec<_>>()));
                prop_assert_eq!(took, Duration::from_millis(finish.iter().copied().max().unwrap_or(0)));
            }
            Some(t) => {
                let i = outcome.unwrap_err();
                prop_assert!(jobs[i].1, "input {} did not fail", i);
                prop_assert_eq!(finish[i], t, "not the first failure in time");
                prop_assert_eq!(took, Duration::from_millis(t));
                // No input is pulled once the error is seen: only those started by then.
                let started_by_then = finish.iter().zip(&jobs).filter(|(f, (ms, _))| **f - *ms <= t).count();
                prop_assert!(probe.started.get() <= started_by_then);
            }
        }
        prop_assert!(probe.peak.get() <= limit);
    }

    #[test]
    fn as_completed_yields_each_once_in_finish_order(jobs in jobs(), limit in 1usize..8, seed: u64) {
        let items = wrangle_sim::run(seed, |rt| {
            let jobs = jobs.clone();
            async move {
                let probe = Rc::new(Probe::default());
                let inputs = jobs.iter().enumerate().map(|(i, &(ms, f))| child(&rt, &probe, i, ms, f));
                let mut stream = std::pin::pin!(wrangle_combinators::as_completed(inputs).limit(limit));
                let mut items = Vec::new();
                while let Some((i, outcome)) = stream.next().await {
                    assert_eq!(outcome, if jobs[i].1 { Err(i) } else { Ok(i) });
                    items.push((i, rt.elapsed()));
                }
                assert!(probe.peak.get() <= limit);
                items
            }
        });
        let mut seen: Vec<usize> = items.iter().map(|(i, _)| *i).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..jobs.len()).collect::<Vec<_>>());
        prop_assert!(items.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn cancelling_drops_every_child(jobs in jobs(), limit in 1usize..8, cut in 0u64..60, seed: u64) {
        let alive_after = wrangle_sim::run(seed, |rt| {
            let jobs = jobs.clone();
            async move {
                let probe = Rc::new(Probe::default());
                let inputs = jobs.iter().enumerate().map(|(i, &(ms, f))| child(&rt, &probe, i, ms, f));
                let gather = wrangle_combinators::gather(inputs).limit(limit);
                let _ = wrangle_core::timeout(&rt, Duration::from_millis(cut), gather).await;
                probe.alive.get()
            }
        });
        prop_assert_eq!(alive_after, 0);
    }
}
