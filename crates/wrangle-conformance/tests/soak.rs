//! Fault-injection soak on every runtime (RELIABILITY.md).
//!
//! Runs gathers (bounded), try_gathers, as_completed streams, retries, task groups (fail-fast
//! and collect-all), and gathers and groups dropped mid-flight over `WRANGLE_SOAK_CHILDREN` inputs per runtime (default 20 000), where each child
//! at random succeeds, fails, panics (caught in place, or in a spawned task and seen as a
//! `JoinError`, or left to escape through the gather), or sleeps past its timeout. Every run
//! checks: each input got exactly one outcome, the one its fault implies (or was provably never
//! started: counted at creation, first poll, completion and drop), no child future is alive once
//! the combinator returns or is dropped, the peak of live children never exceeded the limit, and
//! every task spawned on the runtime is gone. The seed is printed first; replay a failure with
//! `WRANGLE_SOAK_SEED=<seed> WRANGLE_SOAK_CHILDREN=<n> cargo test -p wrangle-conformance --test
//! soak <runtime>` (exactly on sim; on real runtimes the same faults, not the same schedule).
//!
//! Long mode, by hand:
//! `WRANGLE_SOAK_CHILDREN=1000000 cargo test --release -p wrangle-conformance --test soak -- --nocapture`
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Once, mpsc};
use std::time::{Duration, Instant};

use futures_lite::future::poll_once;
use futures_lite::{FutureExt as _, StreamExt as _};
use wrangle_combinators::group::{ChildError, TaskGroup};
use wrangle_combinators::{as_completed, gather, try_gather};
use wrangle_conformance::Harness;
use wrangle_conformance::harness::{
    AsyncStdHarness, SimHarness, SmolHarness, TokioCurrentThread, TokioMultiThread,
};
use wrangle_core::{Runtime, Timer};
use wrangle_resilience::retry::{RetryPolicy, retry};

/// A hanging child sleeps this long: far past its timeout.
const HANG: Duration = Duration::from_secs(3600);
/// The timeout of a hanging child.
const HANG_TIMEOUT: Duration = Duration::from_millis(1);
/// The timeout of every other child: never reached unless something is stuck.
const LONG_TIMEOUT: Duration = Duration::from_secs(600);

/// The payload of an injected panic, so the panic hook can keep them quiet.
#[derive(Debug)]
struct Injected;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Succeed,
    Fail,
    Panic,
    Hang,
}

const FAULTS: [Fault; 4] = [Fault::Succeed, Fault::Fail, Fault::Panic, Fault::Hang];

/// What one child does.
#[derive(Clone, Copy, Debug)]
struct Plan {
    fault: Fault,
    /// Runs its leaf in a spawned task, joined (a panic comes back as a `JoinError`; a hang
    /// is cancelled by dropping the handle when the timeout fires).
    via_task: bool,
    /// A panic not caught by the child: it escapes through the combinator.
    raw_panic: bool,
    /// Yields this many times first, so children interleave.
    yields: u8,
}

/// A child's failure, as its parent sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Bad {
    Failed(usize),
    Panicked,
    TimedOut,
}

fn expected(i: usize, plan: Plan) -> Result<usize, Bad> {
    match plan.fault {
        Fault::Succeed => Ok(i),
        Fault::Fail => Err(Bad::Failed(i)),
        Fault::Panic => Err(Bad::Panicked),
        Fault::Hang => Err(Bad::TimedOut),
    }
}

/// The counters of one run.
#[derive(Default, Debug)]
struct Counters {
    /// Child futures made (each input pulled, each retry attempt).
    created: AtomicUsize,
    /// Child futures polled at least once.
    started: AtomicUsize,
    /// Child futures that produced their outcome.
    finished: AtomicUsize,
    /// Started but dropped before their outcome: cancelled by their parent.
    cancelled: AtomicUsize,
    /// Made but dropped before their first poll.
    unpolled: AtomicUsize,
    /// Child futures alive now, and the most ever alive at once.
    alive: AtomicUsize,
    peak: AtomicUsize,
    /// Tasks spawned on the runtime and not yet dropped.
    tasks: AtomicUsize,
    spawned: AtomicUsize,
    faults: [AtomicUsize; 4],
}

/// Lives inside a child future from creation to drop.
struct ChildGuard {
    c: Arc<Counters>,
    started: bool,
    finished: bool,
}

impl ChildGuard {
    fn new(c: &Arc<Counters>, fault: Fault) -> Self {
        c.created.fetch_add(1, SeqCst);
        c.faults[fault as usize].fetch_add(1, SeqCst);
        let now = c.alive.fetch_add(1, SeqCst) + 1;
        c.peak.fetch_max(now, SeqCst);
        Self {
            c: c.clone(),
            started: false,
            finished: false,
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        match (self.started, self.finished) {
            (false, _) => self.c.unpolled.fetch_add(1, SeqCst),
            (true, false) => self.c.cancelled.fetch_add(1, SeqCst),
            (true, true) => 0,
        };
        self.c.alive.fetch_sub(1, SeqCst);
    }
}

/// Lives inside a spawned task's future from spawn to drop.
struct TaskGuard(Arc<Counters>);

impl TaskGuard {
    fn new(c: &Arc<Counters>) -> Self {
        c.tasks.fetch_add(1, SeqCst);
        c.spawned.fetch_add(1, SeqCst);
        Self(c.clone())
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.tasks.fetch_sub(1, SeqCst);
    }
}

async fn leaf<T: Timer>(timer: &T, i: usize, fault: Fault) -> Result<usize, Bad> {
    match fault {
        Fault::Succeed => Ok(i),
        Fault::Fail => Err(Bad::Failed(i)),
        Fault::Panic => std::panic::panic_any(Injected),
        Fault::Hang => {
            wrangle_core::sleep(timer, HANG).await;
            Ok(i)
        }
    }
}

async fn body<R: Runtime + 'static>(
    rt: &R,
    c: &Arc<Counters>,
    i: usize,
    plan: Plan,
) -> Result<usize, Bad> {
    for _ in 0..plan.yields {
        wrangle_core::yield_now().await;
    }
    if plan.via_task {
        let guard = TaskGuard::new(c);
        let inner = rt.clone();
        let task = rt.spawn(async move {
            let _guard = guard;
            leaf(&inner, i, plan.fault).await
        });
        match task.join().await {
            Ok(out) => out,
            Err(e) => {
                assert!(e.is_panic(), "a joined task ended with {e:?}, not a panic");
                Err(Bad::Panicked)
            }
        }
    } else if plan.raw_panic {
        leaf(rt, i, plan.fault).await
    } else {
        match AssertUnwindSafe(leaf(rt, i, plan.fault))
            .catch_unwind()
            .await
        {
            Ok(out) => out,
            Err(payload) => {
                assert!(
                    payload.is::<Injected>(),
                    "a child panicked with something else"
                );
                Err(Bad::Panicked)
            }
        }
    }
}

/// One child: counted at creation (here, when its parent pulls it), first poll, outcome and
/// drop, with a timeout that only a hanging child reaches.
fn child<R: Runtime + 'static>(
    rt: &R,
    c: &Arc<Counters>,
    i: usize,
    plan: Plan,
) -> impl Future<Output = Result<usize, Bad>> + use<R> {
    let mut guard = ChildGuard::new(c, plan.fault);
    let rt = rt.clone();
    async move {
        guard.started = true;
        guard.c.started.fetch_add(1, SeqCst);
        let limit = if plan.fault == Fault::Hang {
            HANG_TIMEOUT
        } else {
            LONG_TIMEOUT
        };
        let out = wrangle_core::timeout(&rt, limit, body(&rt, &guard.c, i, plan))
            .await
            .unwrap_or(Err(Bad::TimedOut));
        guard.finished = true;
        guard.c.finished.fetch_add(1, SeqCst);
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Combinator {
    Gather,
    TryGather,
    AsCompleted,
    Retry,
    /// A gather, try_gather or as_completed polled a few times, then dropped.
    Dropped,
    /// A gather whose panicking children are not caught: the panic escapes the gather.
    Escape,
    /// A fail-fast `TaskGroup` (spawned children; a panic is re-raised by `join`).
    GroupFailFast,
    /// A collect-all `TaskGroup`: every child's outcome, panics as `ChildError::Panicked`.
    GroupCollectAll,
    /// A `TaskGroup` joined a few polls, then dropped: every child's cancellation requested.
    GroupDropped,
}

const COMBINATORS: [Combinator; 9] = [
    Combinator::Gather,
    Combinator::TryGather,
    Combinator::AsCompleted,
    Combinator::Retry,
    Combinator::Dropped,
    Combinator::Escape,
    Combinator::GroupFailFast,
    Combinator::GroupCollectAll,
    Combinator::GroupDropped,
];

/// Totals over all runs on one runtime.
#[derive(Default, Debug)]
struct Totals {
    runs: [u64; 9],
    inputs: u64,
    children: u64,
    faults: [u64; 4],
    cancelled: u64,
    unpolled: u64,
    never_pulled: u64,
    spawned: u64,
    escaped_panics: u64,
}

fn draw_plan(rng: &mut fastrand::Rng, fail_pct: u32, raw: bool) -> Plan {
    let fault = if rng.u32(0..100) < fail_pct {
        FAULTS[rng.usize(1..4)]
    } else {
        Fault::Succeed
    };
    let via_task = !raw && rng.u8(0..4) == 0;
    Plan {
        fault,
        via_task,
        raw_panic: raw,
        yields: rng.u8(0..3),
    }
}

struct Ctx<'a> {
    label: &'a str,
    seed: u64,
    run: u64,
    slack: Duration,
}

impl Ctx<'_> {
    fn at(&self) -> String {
        format!(
            "[{} seed={:#x} run={}] replay: WRANGLE_SOAK_SEED={:#x} with the same \
             WRANGLE_SOAK_CHILDREN",
            self.label, self.seed, self.run, self.seed
        )
    }
}

/// Checks the counters once a combinator has returned or been dropped.
fn check_accounting(
    ctx: &Ctx<'_>,
    c: &Counters,
    n_inputs_or_children: Option<usize>,
    limit: usize,
) {
    let at = ctx.at();
    let created = c.created.load(SeqCst);
    let started = c.started.load(SeqCst);
    let finished = c.finished.load(SeqCst);
    let cancelled = c.cancelled.load(SeqCst);
    let unpolled = c.unpolled.load(SeqCst);
    assert_eq!(
        c.alive.load(SeqCst),
        0,
        "children alive after their parent returned {at}"
    );
    assert_eq!(
        started,
        finished + cancelled,
        "a started child has no outcome {at}"
    );
    assert_eq!(
        created,
        started + unpolled,
        "a child is unaccounted for {at}"
    );
    if let Some(n) = n_inputs_or_children {
        assert_eq!(created, n, "not every input was pulled {at}");
        assert_eq!(finished, n, "not every input finished {at}");
    }
    let peak = c.peak.load(SeqCst);
    assert!(
        peak <= limit,
        "peak in flight {peak} above the limit {limit} {at}"
    );
}

/// Waits until every task spawned in the run is gone (dropping a handle only requests
/// cancellation; on a multi-thread runtime the task goes at its next scheduling point).
async fn settle<R: Runtime + 'static>(rt: &R, ctx: &Ctx<'_>, c: &Counters) {
    settle_count(rt, ctx, &c.tasks, "spawned tasks").await;
}

/// Waits until `count` is 0, within the harness's slack.
async fn settle_count<R: Runtime + 'static>(
    rt: &R,
    ctx: &Ctx<'_>,
    count: &AtomicUsize,
    what: &str,
) {
    let give_up = Instant::now() + ctx.slack + Duration::from_secs(5);
    while count.load(SeqCst) != 0 {
        assert!(
            Instant::now() < give_up,
            "{} {what} still alive on the runtime {}",
            count.load(SeqCst),
            ctx.at()
        );
        wrangle_core::sleep(rt, Duration::from_millis(1)).await;
    }
}

#[allow(clippy::too_many_lines)]
async fn one_run<R: Runtime + 'static>(
    rt: &R,
    ctx: &Ctx<'_>,
    rng: &mut fastrand::Rng,
    n: usize,
    totals: &mut Totals,
) {
    let c = Arc::new(Counters::default());
    let combinator = COMBINATORS[rng.usize(0..COMBINATORS.len())];
    let limit = rng.usize(1..=32);
    let fail_pct = [0, 1, 5, 20, 60][rng.usize(0..5)];
    // Panics escape the child in `Escape` and in task groups (the group catches them).
    let raw = matches!(
        combinator,
        Combinator::Escape
            | Combinator::GroupFailFast
            | Combinator::GroupCollectAll
            | Combinator::GroupDropped
    );
    let plans: Vec<Plan> = (0..n).map(|_| draw_plan(rng, fail_pct, raw)).collect();
    let at = ctx.at();
    totals.runs[combinator as usize] += 1;
    totals.inputs += n as u64;
    let inputs = || plans.iter().enumerate().map(|(i, p)| child(rt, &c, i, *p));

    match combinator {
        Combinator::Gather => {
            let out = gather(inputs()).limit(limit).await;
            assert_eq!(out.len(), n, "{at}");
            for (i, (got, plan)) in out.iter().zip(&plans).enumerate() {
                assert_eq!(*got, expected(i, *plan), "input {i} {at}");
            }
            check_accounting(ctx, &c, Some(n), limit);
        }
        Combinator::AsCompleted => {
            let mut seen = vec![0u8; n];
            let mut stream = Box::pin(as_completed(inputs()).limit(limit));
            while let Some((i, got)) = stream.next().await {
                seen[i] += 1;
                assert_eq!(got, expected(i, plans[i]), "input {i} {at}");
            }
            drop(stream);
            assert!(
                seen.iter().all(|&s| s == 1),
                "an input got no or two outcomes {at}"
            );
            check_accounting(ctx, &c, Some(n), limit);
        }
        Combinator::TryGather => {
            let out = try_gather(inputs()).limit(limit).await;
            match out {
                Ok(values) => {
                    assert!(plans.iter().all(|p| p.fault == Fault::Succeed), "{at}");
                    assert!(values.iter().copied().eq(0..n), "{at}");
                    check_accounting(ctx, &c, Some(n), limit);
                }
                Err(bad) => {
                    assert!(
                        plans
                            .iter()
                            .enumerate()
                            .any(|(i, p)| expected(i, *p) == Err(bad.clone())),
                        "try_gather returned {bad:?}, which no input failed with {at}"
                    );
                    // Fail-fast: the rest are dropped before it returns.
                    check_accounting(ctx, &c, None, limit);
                    totals.never_pulled += (n - c.created.load(SeqCst)) as u64;
                }
            }
        }
        Combinator::Retry => {
            let max_retries = rng.u32(0..=3);
            let policy = RetryPolicy::builder()
                .constant(Duration::from_millis(1))
                .max_retries(max_retries)
                .build()
                .unwrap();
            let attempts = max_retries as usize + 1;
            let attempt_plans: Vec<Vec<Plan>> = (0..n)
                .map(|_| {
                    (0..attempts)
                        .map(|_| draw_plan(rng, fail_pct, false))
                        .collect()
                })
                .collect();
            let policy = &policy;
            let calls = attempt_plans.iter().enumerate().map(|(i, ps)| {
                let c = &c;
                retry(rt, policy, move |a| {
                    child(rt, c, i, ps[a.number() as usize - 1])
                })
                .with_stats()
            });
            let out = gather(calls).limit(limit).await;
            assert_eq!(out.len(), n, "{at}");
            for (i, (got, ps)) in out.into_iter().zip(&attempt_plans).enumerate() {
                match ps.iter().position(|p| p.fault == Fault::Succeed) {
                    Some(k) => {
                        let (v, stats) = got.unwrap_or_else(|e| panic!("input {i}: {e:?} {at}"));
                        assert_eq!(v, i, "{at}");
                        assert_eq!(stats.attempts() as usize, k + 1, "input {i} {at}");
                    }
                    None => {
                        let err = got.err().unwrap_or_else(|| panic!("input {i} {at}"));
                        assert_eq!(err.attempts() as usize, attempts, "input {i} {at}");
                        assert_eq!(
                            err.last_error().cloned(),
                            expected(i, ps[attempts - 1]).err(),
                            "input {i} {at}"
                        );
                    }
                }
            }
            // Each retry has at most one attempt alive: attempts in flight stay within limit.
            check_accounting(ctx, &c, None, limit);
            assert_eq!(c.cancelled.load(SeqCst), 0, "{at}");
        }
        Combinator::Dropped => {
            let polls = rng.usize(1..=4);
            match rng.u8(0..3) {
                0 => {
                    let mut fut = Box::pin(gather(inputs()).limit(limit));
                    for _ in 0..polls {
                        if poll_once(fut.as_mut()).await.is_some() {
                            break;
                        }
                    }
                    drop(fut);
                }
                1 => {
                    let mut fut = Box::pin(try_gather(inputs()).limit(limit));
                    for _ in 0..polls {
                        if poll_once(fut.as_mut()).await.is_some() {
                            break;
                        }
                    }
                    drop(fut);
                }
                _ => {
                    let mut stream = Box::pin(as_completed(inputs()).limit(limit));
                    for _ in 0..polls {
                        if poll_once(stream.next()).await.is_some_and(|x| x.is_none()) {
                            break;
                        }
                    }
                    drop(stream);
                }
            }
            // Dropping an in-task combinator drops every child before `drop` returns.
            check_accounting(ctx, &c, None, limit);
            totals.never_pulled += (n - c.created.load(SeqCst)) as u64;
        }
        Combinator::Escape => {
            let out = AssertUnwindSafe(gather(inputs()).limit(limit))
                .catch_unwind()
                .await;
            match out {
                Ok(out) => {
                    assert!(plans.iter().all(|p| p.fault != Fault::Panic), "{at}");
                    for (i, (got, plan)) in out.iter().zip(&plans).enumerate() {
                        assert_eq!(*got, expected(i, *plan), "input {i} {at}");
                    }
                    check_accounting(ctx, &c, Some(n), limit);
                }
                Err(payload) => {
                    assert!(payload.is::<Injected>(), "{at}");
                    assert!(plans.iter().any(|p| p.fault == Fault::Panic), "{at}");
                    totals.escaped_panics += 1;
                    // The panicking child unwound without an outcome: it counts as cancelled.
                    check_accounting(ctx, &c, None, limit);
                    totals.never_pulled += (n - c.created.load(SeqCst)) as u64;
                }
            }
        }
        Combinator::GroupFailFast => {
            let mut group = TaskGroup::new(rt);
            for (i, plan) in plans.iter().enumerate() {
                group.spawn(child(rt, &c, i, *plan));
            }
            match AssertUnwindSafe(group.join()).catch_unwind().await {
                Ok(Ok(values)) => {
                    assert!(plans.iter().all(|p| p.fault == Fault::Succeed), "{at}");
                    assert!(values.iter().copied().eq(0..n), "{at}");
                    check_accounting(ctx, &c, Some(n), n);
                }
                Ok(Err(err)) => {
                    // The first failure in time is one an input failed with; every later one
                    // too; no panic is reported as a failure.
                    assert!(!err.failures().is_empty(), "no failure in {err:?} {at}");
                    for failure in err.failures() {
                        let i = failure.child().index();
                        assert_eq!(
                            Err(failure.error().clone()),
                            expected(i, plans[i]),
                            "child {i} {at}"
                        );
                    }
                    check_accounting(ctx, &c, None, n);
                    assert_eq!(c.created.load(SeqCst), n, "{at}");
                }
                Err(payload) => {
                    assert!(payload.is::<Injected>(), "{at}");
                    assert!(plans.iter().any(|p| p.fault == Fault::Panic), "{at}");
                    totals.escaped_panics += 1;
                    check_accounting(ctx, &c, None, n);
                    assert_eq!(c.created.load(SeqCst), n, "{at}");
                }
            }
        }
        Combinator::GroupCollectAll => {
            let mut group = TaskGroup::collect_all(rt);
            for (i, plan) in plans.iter().enumerate() {
                group.spawn(child(rt, &c, i, *plan));
            }
            let outcomes = group.join_outcomes().await;
            assert_eq!(outcomes.len(), n, "{at}");
            let mut panics = 0;
            for (i, (got, plan)) in outcomes.iter().zip(&plans).enumerate() {
                match (got, expected(i, *plan)) {
                    (Ok(v), Ok(want)) => assert_eq!(*v, want, "child {i} {at}"),
                    (Err(ChildError::Failed(bad)), Err(want)) => {
                        assert_eq!(*bad, want, "child {i} {at}");
                    }
                    (Err(ChildError::Panicked(_)), Err(Bad::Panicked)) => panics += 1,
                    (got, want) => panic!("child {i}: {got:?}, expected {want:?} {at}"),
                }
            }
            // Collect-all cancels nothing: every child finished, but the panicking ones
            // unwound (counted as cancelled by their guard).
            check_accounting(ctx, &c, None, n);
            assert_eq!(c.created.load(SeqCst), n, "{at}");
            assert_eq!(c.finished.load(SeqCst), n - panics, "{at}");
            assert_eq!(c.cancelled.load(SeqCst), panics, "{at}");
        }
        Combinator::GroupDropped => {
            let mut group = TaskGroup::new(rt);
            for (i, plan) in plans.iter().enumerate() {
                group.spawn(child(rt, &c, i, *plan));
            }
            let polls = rng.usize(1..=4);
            let mut join = Box::pin(AssertUnwindSafe(group.join()).catch_unwind());
            for _ in 0..polls {
                if poll_once(join.as_mut()).await.is_some() {
                    break;
                }
            }
            drop(join);
            // Dropping a group only requests its children's cancellation (they are tasks);
            // each goes at its next scheduling point, within the harness's slack.
            settle_count(rt, ctx, &c.alive, "children of a dropped group").await;
            check_accounting(ctx, &c, None, n);
            assert_eq!(c.created.load(SeqCst), n, "{at}");
        }
    }
    settle(rt, ctx, &c).await;
    totals.children += c.created.load(SeqCst) as u64;
    totals.cancelled += c.cancelled.load(SeqCst) as u64;
    totals.unpolled += c.unpolled.load(SeqCst) as u64;
    totals.spawned += c.spawned.load(SeqCst) as u64;
    for (t, f) in totals.faults.iter_mut().zip(&c.faults) {
        *t += f.load(SeqCst) as u64;
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn quiet_injected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Injected>() {
                default(info);
            }
        }));
    });
}

fn soak<H: Harness>(label: &str) {
    quiet_injected_panics();
    let children = env_u64("WRANGLE_SOAK_CHILDREN").unwrap_or(20_000) as usize;
    let seed = env_u64("WRANGLE_SOAK_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    println!(
        "soak {label}: seed={seed:#x} children={children} \
         (replay: WRANGLE_SOAK_SEED={seed:#x} WRANGLE_SOAK_CHILDREN={children})"
    );

    // A lost wake-up would hang the test: name the seed and stop instead.
    let (done, watch) = mpsc::channel::<()>();
    let budget = Duration::from_secs(300 + children as u64 / 500);
    let watch_label = label.to_owned();
    let watchdog = std::thread::spawn(move || {
        if watch.recv_timeout(budget) == Err(mpsc::RecvTimeoutError::Timeout) {
            eprintln!("soak {watch_label}: no progress after {budget:?}, seed={seed:#x}: aborting");
            std::process::abort();
        }
    });

    let rt = H::make();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut totals = Totals::default();
    let rss_before = rss_kib();
    let runs_done = AtomicU64::new(0);
    let started = Instant::now();
    let mut remaining = children;
    rt.block_on(async {
        while remaining > 0 {
            let max = match rng.u8(0..16) {
                0 => 4096,
                1..4 => 512,
                4..10 => 64,
                _ => 8,
            };
            let n = rng.usize(1..=max).min(remaining);
            let ctx = Ctx {
                label,
                seed,
                run: runs_done.load(SeqCst),
                slack: H::SLACK,
            };
            one_run(&rt, &ctx, &mut rng, n, &mut totals).await;
            remaining -= n;
            runs_done.fetch_add(1, SeqCst);
        }
    });
    let elapsed = started.elapsed();
    let rss_after = rss_kib();
    H::shutdown(&rt);
    drop(done);
    watchdog.join().unwrap();

    let [
        gather_runs,
        try_runs,
        ac_runs,
        retry_runs,
        dropped_runs,
        escape_runs,
        group_runs,
        group_all_runs,
        group_dropped_runs,
    ] = totals.runs;
    let [ok, failed, panicked, hung] = totals.faults;
    println!(
        "soak {label}: {} inputs in {} runs (gather {gather_runs}, try_gather {try_runs}, \
         as_completed {ac_runs}, retry {retry_runs}, dropped mid-flight {dropped_runs}, \
         panic escaping {escape_runs}, task group fail-fast {group_runs}, collect-all \
         {group_all_runs}, dropped mid-flight {group_dropped_runs}) in {:.1} s",
        totals.inputs,
        runs_done.load(SeqCst),
        elapsed.as_secs_f64()
    );
    println!(
        "soak {label}: {} child futures made: succeed {ok}, fail {failed}, panic {panicked}, \
         hang past timeout {hung}; cancelled by parent: {} started, {} before first poll, {} \
         never pulled; {} tasks spawned; {} panics escaped a gather or group",
        totals.children,
        totals.cancelled,
        totals.unpolled,
        totals.never_pulled,
        totals.spawned,
        totals.escaped_panics
    );
    println!(
        "soak {label}: outcomes lost 0, children alive after their parent 0, tasks left 0; \
         VmRSS {} KiB -> {} KiB (reported, not asserted)",
        rss_before.map_or("?".into(), |v| v.to_string()),
        rss_after.map_or("?".into(), |v| v.to_string()),
    );
}

#[test]
fn tokio_multi_thread() {
    soak::<TokioMultiThread>("tokio-multi-thread");
}

#[test]
fn tokio_current_thread() {
    soak::<TokioCurrentThread>("tokio-current-thread");
}

#[test]
fn smol() {
    soak::<SmolHarness>("smol");
}

#[test]
fn async_std() {
    soak::<AsyncStdHarness>("async-std");
}

#[test]
fn sim() {
    soak::<SimHarness>("sim");
}
