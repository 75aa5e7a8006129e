//! Blocking jobs: real threads, virtual-time sleeps, and the clock they hold.
#![allow(clippy::unwrap_used)] // a test should fail loudly on the unexpected

use std::sync::mpsc;
use std::time::{Duration, Instant};

use wrangle_core::{BlockOnError, JoinError, Runtime, Spawn, Timer, sleep};
use wrangle_sim::{Sim, run, try_run};

const SEC: Duration = Duration::from_secs(1);

/// A blocking job standing in for a one-second blocking call; returns the virtual time it
/// ended at.
fn slow_call(rt: &Sim) -> wrangle_core::Task<Duration> {
    let timer = rt.clone();
    rt.spawn_blocking(move || {
        timer.sleep_blocking(SEC);
        timer.elapsed()
    })
}

#[test]
fn concurrent_blocking_sleeps_overlap() {
    let wall = Instant::now();
    let ends = run(1, |rt| async move {
        let jobs = [slow_call(&rt), slow_call(&rt), slow_call(&rt)];
        let mut ends = Vec::new();
        for job in jobs {
            ends.push(job.await);
        }
        assert_eq!(rt.elapsed(), SEC);
        ends
    });
    assert_eq!(ends, [SEC; 3]);
    assert!(wall.elapsed() < 5 * SEC);
}

#[test]
fn sequential_blocking_sleeps_add_up() {
    let ends = run(2, |rt| async move {
        let mut ends = Vec::new();
        for _ in 0..3 {
            ends.push(slow_call(&rt).await);
        }
        assert_eq!(rt.elapsed(), 3 * SEC);
        ends
    });
    assert_eq!(ends, [SEC, 2 * SEC, 3 * SEC]);
}

#[test]
fn one_job_sleeping_three_times() {
    let steps = run(3, |rt| async move {
        let timer = rt.clone();
        rt.spawn_blocking(move || {
            (0..3)
                .map(|_| {
                    timer.sleep_blocking(SEC);
                    timer.elapsed()
                })
                .collect::<Vec<_>>()
        })
        .await
    });
    assert_eq!(steps, [SEC, 2 * SEC, 3 * SEC]);
}

#[test]
fn blocking_sleeps_and_task_sleeps_share_one_clock() {
    let (job_end, task_end) = run(4, |rt| async move {
        let job = slow_call(&rt);
        let timer = rt.clone();
        let task = rt.spawn(async move {
            sleep(&timer, Duration::from_millis(2500)).await;
            timer.elapsed()
        });
        (job.await, task.await)
    });
    assert_eq!(job_end, SEC);
    assert_eq!(task_end, Duration::from_millis(2500));
}

#[test]
fn a_job_doing_real_work_holds_the_clock_still() {
    let (seen_by_job, seen_by_task) = run(5, |rt| async move {
        let timer = rt.clone();
        let task = rt.spawn(async move {
            sleep(&timer, Duration::from_millis(1)).await;
            timer.elapsed()
        });
        let timer = rt.clone();
        let job = rt.spawn_blocking(move || {
            // Real work, long enough for the driver to have moved the clock if it could.
            std::thread::sleep(Duration::from_millis(100));
            timer.elapsed()
        });
        (job.await, task.await)
    });
    assert_eq!(seen_by_job, Duration::ZERO);
    assert_eq!(seen_by_task, Duration::from_millis(1));
}

#[test]
fn a_job_woken_from_sleep_holds_the_clock_while_it_works() {
    let (job_saw, task_end) = run(14, |rt| async move {
        let timer = rt.clone();
        let job = rt.spawn_blocking(move || {
            timer.sleep_blocking(SEC);
            // Real work after waking: the clock must not jump to the task's timer meanwhile.
            std::thread::sleep(Duration::from_millis(50));
            timer.elapsed()
        });
        let timer = rt.clone();
        let task = rt.spawn(async move {
            sleep(&timer, 2 * SEC).await;
            timer.elapsed()
        });
        (job.await, task.await)
    });
    assert_eq!(job_saw, SEC);
    assert_eq!(task_end, 2 * SEC);
}

#[test]
fn a_job_parked_for_good_does_not_stop_run() {
    let wall = Instant::now();
    let elapsed = run(6, |rt| async move {
        let timer = rt.clone();
        rt.spawn_blocking(move || timer.sleep_blocking(Duration::MAX))
            .detach();
        sleep(&rt, SEC).await;
        rt.elapsed()
    });
    assert_eq!(elapsed, SEC);
    assert!(wall.elapsed() < 5 * SEC);
}

#[test]
fn awaiting_a_job_parked_for_good_is_a_deadlock() {
    let outcome = try_run(7, |rt| async move {
        let timer = rt.clone();
        rt.spawn_blocking(move || timer.sleep_blocking(Duration::MAX))
            .await;
    });
    // The main future and the parked job.
    let Err(BlockOnError::Deadlock(deadlock)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((deadlock.stuck(), deadlock.parked_jobs()), (2, 1));
    assert_eq!(
        deadlock.to_string(),
        "deadlock at 0ns: the future passed to block_on waits for ever, 1 blocking job is \
         parked for good, and no timer is pending"
    );
}

#[test]
fn a_panicking_job_surfaces_at_the_await() {
    let outcome = run(8, |rt| async move {
        rt.spawn_blocking(|| -> u32 { panic!("blocking boom") })
            .join()
            .await
    });
    match outcome {
        Err(JoinError::Panicked(panic)) => assert_eq!(panic.message(), "blocking boom"),
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[test]
fn a_job_result_and_tasks_spawned_from_a_job() {
    let out = run(9, |rt| async move {
        let spawner = rt.clone();
        let inner = rt
            .spawn_blocking(move || {
                let timer = spawner.clone();
                spawner.spawn(async move {
                    sleep(&timer, SEC).await;
                    timer.elapsed()
                })
            })
            .await;
        inner.await
    });
    assert_eq!(out, SEC);
}

#[test]
fn sleep_blocking_from_another_thread_waits_for_the_driver() {
    let rt = Sim::new(10);
    let deadline = rt.now() + 5 * SEC;
    let (tx, rx) = mpsc::channel();
    let timer = rt.clone();
    std::thread::spawn(move || {
        timer.sleep_blocking_until(deadline);
        tx.send(timer.now()).unwrap();
    });
    // Nobody drives yet: the thread cannot wake.
    assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    rt.block_on(sleep(&rt, 10 * SEC));
    let woke_at = rx
        .recv_timeout(5 * SEC)
        .expect("the thread should have woken");
    assert!(woke_at >= deadline);
}

#[test]
fn sleep_blocking_on_the_driving_thread_panics_instead_of_hanging() {
    let outcome = run(11, |rt| async move {
        let timer = rt.clone();
        rt.spawn(async move { timer.sleep_blocking(SEC) })
            .join()
            .await
    });
    match outcome {
        Err(JoinError::Panicked(panic)) => {
            assert!(
                panic.message().contains("driving the simulation"),
                "{}",
                panic.message()
            );
        }
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[test]
fn a_job_may_drive_the_simulation_when_nobody_else_does() {
    let rt = Sim::new(12);
    let timer = rt.clone();
    let job = rt.spawn_blocking(move || {
        timer.block_on(async {
            sleep(&timer, SEC).await;
            timer.elapsed()
        })
    });
    assert_eq!(futures_lite::future::block_on(job), SEC);
}

#[test]
fn after_shutdown_spawn_blocking_is_refused() {
    let rt = Sim::new(13);
    rt.shutdown();
    assert!(rt.try_spawn_blocking(|| ()).is_err());
    let task = rt.spawn_blocking(|| ());
    assert!(
        futures_lite::future::block_on(task.join())
            .unwrap_err()
            .is_cancelled()
    );
}

#[test]
fn a_job_block_on_over_a_sim_sleep_ends_at_exactly_one_virtual_second() {
    // S17 on virtual time: a blocking job crosses back with the simulation's own block_on
    // while main is driving. Parked in that block_on, the job does not hold the clock.
    let (job_saw, main_saw) = run(15, |rt| async move {
        let timer = rt.clone();
        let job_saw = rt
            .spawn_blocking(move || {
                timer.block_on(async {
                    sleep(&timer, SEC).await;
                    timer.elapsed()
                })
            })
            .await;
        (job_saw, rt.elapsed())
    });
    assert_eq!((job_saw, main_saw), (SEC, SEC));
}

#[test]
fn a_job_submits_work_back_to_the_runtime_and_waits_for_it() {
    let out = run(16, |rt| async move {
        let spawner = rt.clone();
        let answer = rt
            .spawn_blocking(move || {
                let timer = spawner.clone();
                // Run by the driver, on virtual time; the job waits for it.
                let task = spawner.spawn(async move {
                    sleep(&timer, 2 * SEC).await;
                    6 * 7
                });
                spawner.block_on(task)
            })
            .await;
        (answer, rt.elapsed())
    });
    assert_eq!(out, (42, 2 * SEC));
}

#[test]
fn jobs_in_block_on_side_by_side_overlap_and_hold_the_clock_while_they_work() {
    let ends = run(17, |rt| async move {
        let job = |secs: u32| {
            let timer = rt.clone();
            rt.spawn_blocking(move || {
                timer.block_on(async {
                    sleep(&timer, secs * SEC).await;
                    // Real work between two virtual sleeps holds the clock still.
                    std::thread::sleep(Duration::from_millis(5));
                    sleep(&timer, SEC).await;
                    timer.elapsed()
                })
            })
        };
        let (a, b, c) = (job(1), job(2), job(3));
        let ticker = {
            let timer = rt.clone();
            rt.spawn(async move {
                sleep(&timer, 3 * SEC / 2).await;
                timer.elapsed()
            })
        };
        [a.await, b.await, c.await, ticker.await]
    });
    assert_eq!(ends, [2 * SEC, 3 * SEC, 4 * SEC, 3 * SEC / 2]);
}

#[test]
fn a_job_in_block_on_waiting_on_nothing_is_a_deadlock_not_a_hang() {
    let rt = Sim::new(18);
    let (tx, rx) = mpsc::channel();
    let outcome = rt.try_block_on(async {
        let timer = rt.clone();
        rt.spawn_blocking(move || {
            tx.send(timer.try_block_on(std::future::pending::<()>()))
                .unwrap();
        })
        .await;
    });
    // The main future and the job parked in its block_on.
    assert!(
        matches!(&outcome, Err(BlockOnError::Deadlock(d)) if d.stuck() == 2),
        "{outcome:?}"
    );
    // Once nobody drives, the job drives its own future, and finds it stuck too.
    let inner = rx.recv_timeout(5 * SEC).expect("the job should return");
    assert!(
        matches!(&inner, Err(BlockOnError::Deadlock(d)) if d.stuck() == 1),
        "{inner:?}"
    );
}

#[test]
fn a_job_in_block_on_is_told_of_shutdown() {
    let rt = Sim::new(19);
    let (tx, rx) = mpsc::channel();
    let stopper = rt.clone();
    rt.block_on(async {
        let timer = rt.clone();
        rt.spawn_blocking(move || {
            tx.send(timer.try_block_on(sleep(&timer, 10 * SEC)))
                .unwrap();
        })
        .detach();
        sleep(&rt, SEC).await;
        stopper.shutdown();
    });
    let inner = rx.recv_timeout(5 * SEC).expect("the job should return");
    assert_eq!(inner, Err(BlockOnError::Shutdown("sim")));
}
