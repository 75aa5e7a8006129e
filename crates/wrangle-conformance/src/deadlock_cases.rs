//! S20 of `docs/scenarios.md`, the two-lock deadlock, and naming tasks at spawn — one function
//! per rule, on each runtime's own executor and clock. Re-exported from
//! [`cases`](crate::cases).
//!
//! A real runtime cannot see a deadlock: the program notices with a timeout, as asyncio's
//! does. The virtual-time runtime sees it the moment it is certain and names the tasks in it;
//! the cases branch on [`Runtime::name`] for that one difference.

use std::sync::Arc;
use std::time::Duration;

use async_lock::Mutex;
use wrangle_core::name::current_name;
use wrangle_core::{BlockOnError, Runtime, Spawn, Task, Timer, TimerExt};

use crate::Harness;

/// Each task's sleep while it holds its first lock (S20's 0.1 s).
const HOLD: Duration = Duration::from_millis(100);
/// The outer timeout of the asyncio form (S20's 1 s, scaled like the sleeps).
const OUTER: Duration = Duration::from_millis(500);

/// Spawns S20's tasks "A" and "B": each takes its first lock, sleeps [`HOLD`], then takes its
/// second. `same_order`: B takes the locks in A's order instead of the reverse.
fn two_lockers<R: Runtime + 'static>(rt: &R, same_order: bool) -> [Task<()>; 2] {
    let (one, two) = (Arc::new(Mutex::new(())), Arc::new(Mutex::new(())));
    let b_order = if same_order {
        [one.clone(), two.clone()]
    } else {
        [two.clone(), one.clone()]
    };
    [("A", [one, two]), ("B", b_order)].map(|(name, [first, second])| {
        let timer = rt.clone();
        rt.spawn_named(name, async move {
            assert_eq!(current_name().as_deref(), Some(name), "the name is current");
            let _held = first.lock().await;
            timer.sleep(HOLD).await;
            let _both = second.lock().await;
        })
    })
}

/// S20: A takes lock 1, sleeps 0.1 s and wants lock 2; B the reverse. On a real clock the
/// asyncio form — both gathered under an outer timeout (0.5 s here for asyncio's 1 s) —
/// reports the timeout at 0.5 s, and dropping the gather cancels both tasks. On virtual time,
/// with no outer timeout, the deadlock is reported at exactly 0.1 s, naming A and B.
pub fn two_locks_deadlock_is_seen<H: Harness>() {
    let rt = H::make();
    if rt.name() == "sim" {
        let start = rt.now();
        let outcome = rt.try_block_on(async {
            let [a, b] = two_lockers(&rt, false);
            a.await;
            b.await;
        });
        let Err(BlockOnError::Deadlock(deadlock)) = outcome else {
            panic!("expected a deadlock, got {outcome:?}");
        };
        assert_eq!(deadlock.at(), HOLD, "reported at 0.1 s of virtual time");
        assert_eq!(rt.now() - start, HOLD, "and not a moment later");
        assert!(deadlock.names().eq(["A", "B"]), "{deadlock:?}");
        assert_eq!(
            deadlock.to_string(),
            r#"deadlock at 100ms: tasks "A" and "B" wait on each other and no timer is pending"#
        );
    } else {
        rt.block_on(async {
            let start = rt.now();
            let outcome = rt
                .timeout(OUTER, wrangle_combinators::gather(two_lockers(&rt, false)))
                .await;
            let took = rt.now() - start;
            assert!(outcome.is_err(), "the outer timeout reports the deadlock");
            assert!(
                took >= OUTER && took <= OUTER + H::SLACK,
                "timed out after {took:?}, expected {OUTER:?} (+ {:?} slack)",
                H::SLACK
            );
        });
    }
    H::shutdown(&rt);
}

/// S20 with the locks taken in the same order: both tasks finish, the second 0.1 s after the
/// first, at 0.2 s (exactly, on virtual time).
pub fn two_locks_in_one_order_finish<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let start = rt.now();
        let [a, b] = two_lockers(&rt, true);
        a.await;
        b.await;
        let took = rt.now() - start;
        assert!(
            took >= 2 * HOLD && took <= 2 * HOLD + H::SLACK,
            "took {took:?}, expected {:?} (+ {:?} slack)",
            2 * HOLD,
            H::SLACK
        );
    });
    H::shutdown(&rt);
}

/// Spawns, on `spawner` (a borrowed runtime here), a task that returns its current name.
fn name_of_a_task_on<S: Spawn>(spawner: S, name: String) -> Task<Option<Arc<str>>> {
    spawner.spawn_named(name, async { current_name() })
}

/// A name given at spawn is current while the task runs, on every runtime, borrowed handles
/// included, and nowhere else.
pub fn spawn_named_is_current_inside_the_task<H: Harness>() {
    let rt = H::make();
    rt.block_on(async {
        let owned = rt.spawn_named("owned", async { current_name() });
        let borrowed = name_of_a_task_on(&rt, String::from(""));
        let unnamed = rt.spawn(async { current_name() });
        assert_eq!(owned.await.as_deref(), Some("owned"));
        assert_eq!(
            borrowed.await.as_deref(),
            Some(""),
            "an empty name is a name"
        );
        assert_eq!(unnamed.await, None);
        assert_eq!(current_name(), None);
    });
    H::shutdown(&rt);
}
