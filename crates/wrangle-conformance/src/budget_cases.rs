//! The no-starvation rule under a runtime's cooperative budget, counted in polls rather than
//! timed: a stand-in for tokio's budget ([`Budgeted`]) refuses every child poll past a quota
//! per poll of the consumer, the way tokio's resources return `Pending` once a task has spent
//! its budget, waking the child at once (tokio's `block_on` on a multi-thread runtime) or
//! once the consumer's poll is over (inside a task). The in-task combinators must then give
//! the runtime its turn instead of polling every other child for nothing — which made their
//! cost quadratic in the number of children.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use futures_lite::StreamExt as _;
use wrangle_core::Runtime;

use crate::Harness;

/// Child polls a consumer poll may make before the stand-in refuses them (tokio's is 128).
const QUOTA: u32 = 128;

/// Children in each case: enough that polling all of them each turn is far over the bound.
const CHILDREN: usize = 4_000;

thread_local! {
    /// The budget left in the current consumer poll; `None` outside one.
    static BUDGET: Cell<Option<u32>> = const { Cell::new(None) };
    /// Wakes of refused children, put off until the consumer's poll is over.
    static DEFERRED: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
    /// Consumer polls so far on this thread (the "epoch" of a child poll).
    static EPOCH: Cell<u64> = const { Cell::new(0) };
}

/// How a refused child is woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// At once, from inside its poll.
    Now,
    /// After the consumer's poll returns.
    Deferred,
}

/// Polls `inner` with a fresh budget of [`QUOTA`] child polls each time.
struct Budgeted<F> {
    inner: F,
    wake: Wake,
    polls: Arc<AtomicUsize>,
}

impl<F: Future + Unpin> Future for Budgeted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        EPOCH.with(|e| e.set(e.get() + 1));
        BUDGET.with(|b| b.set(Some(QUOTA)));
        let out = Pin::new(&mut self.inner).poll(cx);
        BUDGET.with(|b| b.set(None));
        if self.wake == Wake::Deferred {
            for waker in DEFERRED.with(|d| std::mem::take(&mut *d.borrow_mut())) {
                waker.wake();
            }
        }
        out
    }
}

/// Counts shared by the children of one case.
#[derive(Debug, Default)]
struct Stats {
    polls: AtomicUsize,
    refused: AtomicUsize,
    /// Polls of a child in the same consumer poll as its previous one, with no wake between.
    repeated: AtomicUsize,
}

/// Ready at its first poll within the budget; refused (and woken per `wake`) otherwise.
struct Child {
    stats: Arc<Stats>,
    wake: Wake,
    /// The epoch of its last poll, and whether it has been woken since.
    last: Option<(u64, Arc<std::sync::atomic::AtomicBool>)>,
}

impl Future for Child {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let stats = self.stats.clone();
        stats.polls.fetch_add(1, Ordering::Relaxed);
        let epoch = EPOCH.with(Cell::get);
        if let Some((last, woken)) = &self.last
            && *last == epoch
            && !woken.load(Ordering::SeqCst)
        {
            stats.repeated.fetch_add(1, Ordering::Relaxed);
        }
        let granted = BUDGET.with(|b| match b.get() {
            Some(0) => false,
            Some(n) => {
                b.set(Some(n - 1));
                true
            }
            // Polled outside a consumer poll: no budget to enforce.
            None => true,
        });
        if granted {
            return Poll::Ready(());
        }
        stats.refused.fetch_add(1, Ordering::Relaxed);
        let woken = Arc::new(std::sync::atomic::AtomicBool::new(false));
        self.last = Some((epoch, woken.clone()));
        let waker = WakeFlag::waker(cx.waker().clone(), woken);
        match self.wake {
            Wake::Now => waker.wake(),
            Wake::Deferred => DEFERRED.with(|d| d.borrow_mut().push(waker)),
        }
        Poll::Pending
    }
}

/// A waker that records that it was used before passing the wake on.
struct WakeFlag {
    inner: Waker,
    woken: Arc<std::sync::atomic::AtomicBool>,
}

impl WakeFlag {
    fn waker(inner: Waker, woken: Arc<std::sync::atomic::AtomicBool>) -> Waker {
        Waker::from(Arc::new(Self { inner, woken }))
    }
}

impl std::task::Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.inner.wake_by_ref();
    }
}

fn children(stats: &Arc<Stats>, wake: Wake) -> impl Iterator<Item = Child> + use<> {
    let stats = stats.clone();
    (0..CHILDREN).map(move |_| Child {
        stats: stats.clone(),
        wake,
        last: None,
    })
}

/// Checks one run: every child finished, no child was polled twice in one consumer poll
/// without a wake between, and child polls stayed within a constant of the ideal — each
/// child once, plus at most one refused poll per child and per consumer poll's run of
/// refusals ([`QUOTA`] each).
fn check(what: &str, wake: Wake, stats: &Stats, consumer_polls: usize) {
    let polls = stats.polls.load(Ordering::Relaxed);
    let refused = stats.refused.load(Ordering::Relaxed);
    let repeated = stats.repeated.load(Ordering::Relaxed);
    assert_eq!(
        polls - refused,
        CHILDREN,
        "{what} ({wake:?}): each child completes once"
    );
    assert_eq!(
        repeated, 0,
        "{what} ({wake:?}): a child polled twice in one consumer poll"
    );
    let bound = 3 * CHILDREN;
    assert!(
        polls <= bound,
        "{what} ({wake:?}): {polls} child polls ({refused} refused) in {consumer_polls} \
         consumer polls for {CHILDREN} children; at most {bound} allowed"
    );
    // Each consumer poll completes up to QUOTA children: a handful more polls than that
    // minimum, not one per child.
    let ideal = CHILDREN.div_ceil(QUOTA as usize);
    assert!(
        consumer_polls <= 4 * ideal + 4,
        "{what} ({wake:?}): {consumer_polls} consumer polls, ideal {ideal}"
    );
}

/// Runs `consumer` under the budget stand-in and checks the counts.
fn run_budgeted<R, C, F>(rt: &R, what: &str, consumer: C)
where
    R: Runtime,
    C: Fn(Arc<Stats>, Wake) -> F,
    F: Future<Output = ()> + Unpin,
{
    for wake in [Wake::Now, Wake::Deferred] {
        let stats = Arc::new(Stats::default());
        let polls = Arc::new(AtomicUsize::new(0));
        rt.block_on(Budgeted {
            inner: consumer(stats.clone(), wake),
            wake,
            polls: polls.clone(),
        });
        check(what, wake, &stats, polls.load(Ordering::Relaxed));
    }
}

/// Under a cooperative budget, `as_completed` (with and without a limit), `gather` (with and
/// without a limit) and the unordered `gather_stream` poll each child a bounded number of
/// times, whatever the number of children: no child is polled twice in one poll of the
/// consumer unless it was woken again, and total child polls stay within a constant times
/// the wake-ups (DESIGN's no-starvation rule; tokio's budget made this quadratic).
pub fn cooperative_budget_keeps_child_polls_linear<H: Harness>() {
    let rt = H::make();
    run_budgeted(&rt, "as_completed", |stats, wake| {
        Box::pin(async move {
            let mut s = pin!(wrangle_combinators::as_completed(children(&stats, wake)));
            let mut n = 0;
            while s.next().await.is_some() {
                n += 1;
            }
            assert_eq!(n, CHILDREN);
        })
    });
    run_budgeted(&rt, "as_completed.limit(1000)", |stats, wake| {
        Box::pin(async move {
            let s = wrangle_combinators::as_completed(children(&stats, wake)).limit(1000);
            assert_eq!(s.count().await, CHILDREN);
        })
    });
    run_budgeted(&rt, "gather", |stats, wake| {
        Box::pin(async move {
            let out = wrangle_combinators::gather(children(&stats, wake)).await;
            assert_eq!(out.len(), CHILDREN);
        })
    });
    run_budgeted(&rt, "gather.limit(1000)", |stats, wake| {
        Box::pin(async move {
            let out = wrangle_combinators::gather(children(&stats, wake))
                .limit(1000)
                .await;
            assert_eq!(out.len(), CHILDREN);
        })
    });
    run_budgeted(&rt, "gather_stream.unordered()", |stats, wake| {
        Box::pin(async move {
            let inputs = futures_lite::stream::iter(children(&stats, wake));
            let s = wrangle_combinators::gather_stream(inputs).unordered();
            assert_eq!(s.count().await, CHILDREN);
        })
    });
    H::shutdown(&rt);
}

/// A child that needs two polls still finishes while thousands of siblings are refused by
/// the budget: stopping a pass early for the budget never puts a woken child behind
/// siblings polled twice.
pub fn cooperative_budget_never_starves_a_two_step_child<H: Harness>() {
    let rt = H::make();
    for wake in [Wake::Now, Wake::Deferred] {
        let stats = Arc::new(Stats::default());
        let two_step = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let first = rt.block_on(Budgeted {
            inner: Box::pin({
                let two_step = two_step.clone();
                async move {
                    let inputs = children(&stats, wake).map(|c| {
                        Box::pin(async move {
                            c.await;
                            1usize
                        }) as Pin<Box<dyn Future<Output = usize>>>
                    });
                    let two = Box::pin(crate::combinator_cases::TwoStep(two_step))
                        as Pin<Box<dyn Future<Output = usize>>>;
                    let mut s = pin!(wrangle_combinators::as_completed(
                        std::iter::once(two).chain(inputs)
                    ));
                    let mut seen = 0;
                    while let Some((index, _)) = s.next().await {
                        seen += 1;
                        if index == 0 {
                            return seen;
                        }
                    }
                    unreachable!("the two-step child never finished");
                }
            }),
            wake,
            polls,
        });
        assert_eq!(
            two_step.load(Ordering::SeqCst),
            2,
            "{wake:?}: polled exactly twice"
        );
        // Woken at its first poll, it is polled again before any child pulled after that
        // wake is polled a second time: at the latest once the first pass's inputs are out.
        assert!(
            first <= QUOTA as usize + 1,
            "{wake:?}: the two-step child came out {first}th"
        );
    }
    H::shutdown(&rt);
}
