//! The contract of the in-task combinators (gather, try_gather, as_completed, race, wait,
//! timeout), one function per rule, on each runtime's own clock and executor.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::StreamExt as _;
use wrangle_core::{FutureExt as _, Runtime, Spawn as _, Timer};

use crate::Harness;
use crate::support::{Alive, DropFlag};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sleeps `millis` on `rt`, then returns `value`.
async fn after<R: Timer, T>(rt: &R, millis: u64, value: T) -> T {
    wrangle_core::sleep(rt, ms(millis)).await;
    value
}

/// `gather` returns outputs in input order, not finish order, and takes as long as the
/// slowest input.
pub fn gather_keeps_input_order<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let start = rt.now();
        let out = wrangle_combinators::gather([30, 10, 20, 0].map(|d| after(&rt, d, d))).await;
        let took = rt.now() - start;
        assert_eq!(out, [30, 10, 20, 0]);
        assert!(took >= ms(30) && took <= ms(30) + H::SLACK, "took {took:?}");
    });
}

/// With `limit(n)`, at most `n` inputs are alive at once (counted inside the inputs), inputs
/// start as slots free up, and the outputs keep input order.
pub fn gather_limit_bounds_concurrency<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let alive = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let start = rt.now();
        let out = wrangle_combinators::gather((0..12).map(|i| {
            let (alive, peak, rt) = (alive.clone(), peak.clone(), &rt);
            async move {
                let _alive = Alive::new(&alive);
                peak.fetch_max(alive.load(Ordering::SeqCst), Ordering::SeqCst);
                after(rt, 10, i).await
            }
        }))
        .limit(3)
        .await;
        let took = rt.now() - start;
        assert_eq!(out, (0..12).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3, "peak in flight");
        assert_eq!(alive.load(Ordering::SeqCst), 0);
        // Four rounds of three.
        assert!(took >= ms(40) && took <= ms(40) + H::SLACK, "took {took:?}");
    });
}

/// A future that counts its polls and completes after its second one, having woken itself
/// after the first.
struct YieldOnce(Arc<AtomicUsize>, bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        if self.1 {
            return Poll::Ready(());
        }
        self.1 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// No starvation: every poll of a gather polls every child woken since the last one — so
/// 500 children that each yield once complete in exactly two polls of the gather, each
/// child polled exactly twice (a new input's first `Pending` does not count toward the run
/// of `Pending`s that ends a pass early; see `cooperative_budget_keeps_child_polls_linear`)
/// — and a child that keeps waking itself does not hold back a sibling waiting on a timer.
pub fn gather_polls_every_woken_child<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let child_polls = Arc::new(AtomicUsize::new(0));
        let mut gather = pin!(
            wrangle_combinators::gather((0..500).map(|_| YieldOnce(child_polls.clone(), false)))
                .limit(1000)
        );
        let mut parent_polls = 0;
        std::future::poll_fn(|cx| {
            parent_polls += 1;
            gather.as_mut().poll(cx)
        })
        .await;
        assert_eq!(parent_polls, 2);
        assert_eq!(child_polls.load(Ordering::SeqCst), 1000);

        // A chatty child (10 000 self-wakes) next to a sleeper: the sleeper is on time.
        let both = wrangle_combinators::gather([
            Box::pin(async {
                for _ in 0..10_000 {
                    wrangle_core::yield_now().await;
                }
            }) as Pin<Box<dyn Future<Output = ()>>>,
            Box::pin(after(&rt, 20, ())),
        ]);
        let start = rt.now();
        both.await;
        let took = rt.now() - start;
        assert!(took >= ms(20) && took <= ms(20) + H::SLACK, "took {took:?}");
    });
}

/// `try_gather` returns the first error, and every other input has been dropped (its `Drop`
/// has run) by the time it returns.
pub fn try_gather_drops_the_rest_before_returning<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let (a, a_dropped) = DropFlag::new();
        let (c, c_dropped) = DropFlag::new();
        let slow = |guard: DropFlag| {
            let rt = &rt;
            async move {
                let _guard = guard;
                after(rt, 60_000, Ok::<u8, &str>(1)).await
            }
        };
        let start = rt.now();
        let out = wrangle_combinators::try_gather([
            Box::pin(slow(a)) as Pin<Box<dyn Future<Output = Result<u8, &str>>>>,
            Box::pin(after(&rt, 20, Err("second failed"))),
            Box::pin(slow(c)),
        ])
        .await;
        let took = rt.now() - start;
        assert_eq!(out, Err("second failed"));
        assert!(a_dropped.load(Ordering::SeqCst) && c_dropped.load(Ordering::SeqCst));
        assert!(took >= ms(20) && took <= ms(20) + H::SLACK, "took {took:?}");
    });
}

/// `as_completed` yields in completion order with input indices; past its deadline it yields
/// the error once, having dropped what was still running, and ends.
pub fn as_completed_order_and_deadline<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let order: Vec<_> =
            wrangle_combinators::as_completed([60, 0, 30].map(|d| after(&rt, d, d)))
                .collect()
                .await;
        assert_eq!(order, [(1, 0), (2, 30), (0, 60)]);

        let (guard, dropped) = DropFlag::new();
        let hung = {
            let rt = &rt;
            async move {
                let _guard = guard;
                after(rt, 60_000, 0).await
            }
        };
        let start = rt.now();
        let mut s = pin!(
            wrangle_combinators::as_completed([
                Box::pin(after(&rt, 10, 10u64)) as Pin<Box<dyn Future<Output = u64>>>,
                Box::pin(hung),
            ])
            .timeout(&rt, ms(50))
        );
        assert_eq!(s.next().await, Some(Ok((0, 10))));
        assert!(s.next().await.is_some_and(|item| item.is_err()));
        let took = rt.now() - start;
        assert!(
            dropped.load(Ordering::SeqCst),
            "leftovers dropped before the error"
        );
        assert!(took >= ms(50) && took <= ms(50) + H::SLACK, "took {took:?}");
        assert_eq!(s.next().await, None);
    });
}

/// `race` returns the first to finish, the others dropped; `wait(..).first_completed()`
/// returns what is done and the pending rest.
pub fn race_and_wait<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let (a, a_dropped) = DropFlag::new();
        let slow = {
            let rt = &rt;
            async move {
                let _guard = a;
                after(rt, 60_000, "a").await
            }
        };
        let winner = wrangle_combinators::race([
            Box::pin(slow) as Pin<Box<dyn Future<Output = &str>>>,
            Box::pin(after(&rt, 10, "b")),
        ])
        .await;
        assert_eq!(winner, Some((1, "b")));
        assert!(a_dropped.load(Ordering::SeqCst));

        let waited = wrangle_combinators::wait([10, 60_000].map(|d| after(&rt, d, d)))
            .first_completed()
            .await;
        assert_eq!(waited.done, [(0, 10)]);
        assert_eq!(waited.pending.indices(), [1]);
    });
}

/// Two channels, each holding one message.
fn two_loaded_channels() -> [(async_channel::Sender<u8>, async_channel::Receiver<u8>); 2] {
    [1, 2].map(|message| {
        let (tx, rx) = async_channel::unbounded();
        let _ = tx.try_send(message);
        (tx, rx)
    })
}

/// `race` and `race_ok` stop at their winner, as `select_all` and `select_ok` do: racing two
/// receivers that each hold a message returns one message, and the other is still in its
/// channel — whether both were ready at the first poll or both were woken by sends at the
/// same instant. `as_completed` dropped after its first item takes no other message either.
pub fn race_leaves_losers_messages_in_their_channels<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let [(_tx_a, rx_a), (_tx_b, rx_b)] = two_loaded_channels();
        let winner = wrangle_combinators::race([rx_a.recv(), rx_b.recv()]).await;
        assert_eq!(winner, Some((0, Ok(1))));
        assert_eq!(rx_b.try_recv(), Ok(2), "race dropped the loser's message");

        let [(_tx_a, rx_a), (_tx_b, rx_b)] = two_loaded_channels();
        let first = wrangle_combinators::race_ok([rx_a.recv(), rx_b.recv()]).await;
        assert_eq!(first, Ok((0, 1)));
        assert_eq!(
            rx_b.try_recv(),
            Ok(2),
            "race_ok dropped the loser's message"
        );

        let [(_tx_a, rx_a), (_tx_b, rx_b)] = two_loaded_channels();
        let mut s = Box::pin(wrangle_combinators::as_completed([
            rx_a.recv(),
            rx_b.recv(),
        ]));
        assert_eq!(s.next().await, Some((0, Ok(1))));
        drop(s);
        assert_eq!(rx_b.try_recv(), Ok(2), "as_completed dropped a message");

        // Both woken by one task's sends at the same instant, while the race waits.
        let (tx_a, rx_a) = async_channel::unbounded::<u8>();
        let (tx_b, rx_b) = async_channel::unbounded::<u8>();
        let sender = rt.spawn({
            let rt = rt.clone();
            async move {
                wrangle_core::sleep(&rt, ms(10)).await;
                let _ = (tx_a.try_send(1), tx_b.try_send(2));
            }
        });
        let winner = wrangle_combinators::race([rx_a.recv(), rx_b.recv()]).await;
        sender.await;
        let left: Vec<_> = [&rx_a, &rx_b].map(|rx| rx.try_recv().ok()).into();
        match winner {
            Some((0, Ok(1))) => assert_eq!(left, [None, Some(2)]),
            Some((1, Ok(2))) => assert_eq!(left, [Some(1), None]),
            other => panic!("unexpected winner {other:?}"),
        }
    });
}

/// Ready at its second poll, having woken itself at the first; counts its polls.
pub(crate) struct TwoStep(pub(crate) Arc<AtomicUsize>);

impl Future for TwoStep {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(usize::MAX)
    }
}

/// A pass that stops early at an output resumes where it stopped, so a child that needs two
/// polls is never starved: in a race beside a child that wakes itself forever it wins at its
/// own second poll, by the race's second; in `as_completed` beside an endless supply of inputs that are ready at
/// once, it is yielded second — polled before any input pulled after its wake.
pub fn early_stop_never_starves_a_two_step_child<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let polls = Arc::new(AtomicUsize::new(0));
        let chatty = std::future::poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::<usize>::Pending
        });
        let mut race = wrangle_combinators::race([
            Box::pin(chatty) as Pin<Box<dyn Future<Output = usize>>>,
            Box::pin(TwoStep(polls.clone())),
        ]);
        let mut race_polls = 0;
        let winner = std::future::poll_fn(|cx| {
            race_polls += 1;
            Pin::new(&mut race).poll(cx)
        })
        .await;
        assert_eq!(winner, Some((1, usize::MAX)));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert!(race_polls <= 2, "{race_polls} polls of the race");

        let polls = Arc::new(AtomicUsize::new(0));
        let inputs = std::iter::once(
            Box::pin(TwoStep(polls.clone())) as Pin<Box<dyn Future<Output = usize>>>
        )
        .chain(
            (1usize..)
                .map(|i| Box::pin(std::future::ready(i)) as Pin<Box<dyn Future<Output = usize>>>),
        );
        let mut s = pin!(wrangle_combinators::as_completed(inputs).limit(4));
        let mut order = Vec::new();
        while order.len() < 100 {
            let Some((index, _)) = s.next().await else {
                break;
            };
            order.push(index);
            if index == 0 {
                break;
            }
        }
        assert_eq!(
            order,
            [1, 0],
            "the two-step child waited behind later inputs"
        );
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    });
}

/// A timeout fires at its limit, not before, and the inner future has been dropped by the
/// time the caller sees the error.
pub fn timeout_elapses_and_drops_inner<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let (guard, dropped) = DropFlag::new();
        let inner = async {
            let _guard = guard;
            after(&rt, 60_000, ()).await
        };
        let start = rt.now();
        let err = wrangle_core::timeout(&rt, ms(20), inner).await.unwrap_err();
        let took = rt.now() - start;
        assert_eq!(err.to_string(), "deadline has elapsed");
        assert!(dropped.load(Ordering::SeqCst));
        assert!(took >= ms(20) && took <= ms(20) + H::SLACK, "took {took:?}");
    });
}

/// A future that is ready when polled wins, even with a zero timeout or a deadline in the
/// past; a zero timeout on a future that is not ready fails without waiting.
pub fn timeout_zero_lets_ready_future_win<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        assert_eq!(async { 7 }.timeout(&rt, Duration::ZERO).await, Ok(7));
        assert_eq!(
            std::future::ready(8)
                .timeout_at(&rt, rt.now() - ms(1))
                .await,
            Ok(8)
        );
        let start = rt.now();
        let late = wrangle_core::yield_now().timeout(&rt, Duration::ZERO).await;
        assert!(late.is_err());
        assert!(rt.now() - start <= H::SLACK);
    });
}

/// `Duration::MAX` means "never": no overflow, no panic, and the inner future completes.
pub fn timeout_duration_max_is_never<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let out = after(&rt, 5, "done").timeout(&rt, Duration::MAX).await;
        assert_eq!(out, Ok("done"));
        let t = wrangle_core::timeout(&rt, Duration::MAX, std::future::pending::<()>());
        assert_eq!(t.deadline(), None);
        let raced = futures_lite::future::or(async { t.await.is_ok() }, after(&rt, 5, false)).await;
        assert!(!raced, "a Duration::MAX timeout fired");
    });
}

/// The deadline is checked even when the inner future uses up the runtime's cooperative
/// budget on every poll (on tokio its sleeps then answer `Pending`, the timeout's own sleep
/// included): the timeout still fires on time.
pub fn timeout_fires_when_inner_exhausts_budget<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let past = rt.now();
        let polls = AtomicBool::new(false);
        let greedy = std::future::poll_fn(|cx| {
            polls.store(true, Ordering::SeqCst);
            // Each poll of a timer uses up a unit of a cooperative budget; 256 of them use up
            // tokio's (128). Past sleeps are ready where there is no budget.
            for _ in 0..256 {
                let _ = pin!(wrangle_core::sleep_until(&rt, past)).poll(cx);
            }
            Poll::<()>::Pending
        });
        let start = rt.now();
        let out = wrangle_core::timeout(&rt, ms(20), greedy).await;
        let took = rt.now() - start;
        assert!(out.is_err() && polls.load(Ordering::SeqCst));
        assert!(took >= ms(20) && took <= ms(20) + H::SLACK, "took {took:?}");
    });
}
