//! The harnesses of the runtimes in this workspace.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::{Harness, TimerFootprint};

/// wrangle-timer's driver, shared by the smol and async-std harnesses (and the whole process).
fn wrangle_timer_footprint() -> Option<TimerFootprint> {
    let stats = wrangle_timer::stats();
    Some(TimerFootprint {
        entries: stats.entries,
        capacity: stats.capacity,
        exact: false,
    })
}

/// Real clocks on a shared machine: timers may fire this late before a case fails.
const REAL_SLACK: Duration = Duration::from_secs(2);
/// Shutdown grace for the runtimes the suite builds: short, so cases that leave a blocking
/// call behind do not slow the suite.
const GRACE: Duration = Duration::from_millis(200);
/// smol's grace bounds only the wait for its workers to finish the poll they are in, which no
/// case keeps busy for long, so its harness keeps the adapter's default (1 s): a shutdown that
/// waited for its own worker would then take the whole second, and
/// `shutdown_inside_own_task_returns_promptly` would see it.
const SMOL_GRACE: Duration = Duration::from_secs(1);

/// tokio, multi-thread flavor, two workers.
#[derive(Debug)]
pub struct TokioMultiThread;

impl Harness for TokioMultiThread {
    type Rt = wrangle_tokio::Tokio;
    const SLACK: Duration = REAL_SLACK;
    fn make() -> Self::Rt {
        wrangle_tokio::TokioBuilder::multi_thread()
            .worker_threads(2)
            .shutdown_grace(GRACE)
            .build()
            .expect("tokio multi-thread runtime starts")
    }
    fn shutdown(rt: &Self::Rt) {
        rt.shutdown();
    }
}

/// tokio, current-thread flavor.
#[derive(Debug)]
pub struct TokioCurrentThread;

impl Harness for TokioCurrentThread {
    type Rt = wrangle_tokio::Tokio;
    const SLACK: Duration = REAL_SLACK;
    fn make() -> Self::Rt {
        wrangle_tokio::TokioBuilder::current_thread()
            .shutdown_grace(GRACE)
            .build()
            .expect("tokio current-thread runtime starts")
    }
    fn shutdown(rt: &Self::Rt) {
        rt.shutdown();
    }
}

/// smol (async-executor, async-io, blocking), two workers.
#[derive(Debug)]
pub struct SmolHarness;

impl Harness for SmolHarness {
    type Rt = wrangle_smol::Smol;
    const SLACK: Duration = REAL_SLACK;
    fn make() -> Self::Rt {
        wrangle_smol::SmolBuilder::new()
            .worker_threads(2)
            .shutdown_grace(SMOL_GRACE)
            .build()
            .expect("smol runtime starts")
    }
    fn shutdown(rt: &Self::Rt) {
        rt.shutdown();
    }
    fn timer_footprint(_: &Self::Rt) -> Option<TimerFootprint> {
        wrangle_timer_footprint()
    }
}

/// async-std's global runtime (legacy).
#[derive(Debug)]
pub struct AsyncStdHarness;

impl Harness for AsyncStdHarness {
    type Rt = wrangle_async_std::AsyncStd;
    const SLACK: Duration = REAL_SLACK;
    fn make() -> Self::Rt {
        wrangle_async_std::AsyncStd::new()
    }
    fn shutdown(rt: &Self::Rt) {
        rt.shutdown();
    }
    fn timer_footprint(_: &Self::Rt) -> Option<TimerFootprint> {
        wrangle_timer_footprint()
    }
}

/// wrangle-sim: virtual time, so every timing figure is exact (no slack).
#[derive(Debug)]
pub struct SimHarness;

impl Harness for SimHarness {
    type Rt = wrangle_sim::Sim;
    const SLACK: Duration = Duration::ZERO;
    fn make() -> Self::Rt {
        wrangle_sim::Sim::new(0x5EED)
    }
    fn shutdown(rt: &Self::Rt) {
        rt.shutdown();
    }
    fn timer_footprint(rt: &Self::Rt) -> Option<TimerFootprint> {
        let (entries, capacity) = rt.timer_footprint();
        Some(TimerFootprint {
            entries,
            capacity,
            exact: true,
        })
    }
}

/// smol on an executor the application built and runs on two threads of its own, wrapped
/// with `Smol::from_executor`. Shutting it down is the application's part too: the harness
/// stops its threads and drops its executor, which drops the tasks left in it.
#[derive(Debug)]
pub struct SmolWrapped;

/// An application's executor and the threads that run it.
struct App {
    executor: Arc<async_executor::Executor<'static>>,
    stop: async_channel::Sender<()>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// The executors [`SmolWrapped`] made and has not shut down yet.
static APPS: Mutex<Vec<App>> = Mutex::new(Vec::new());

impl Harness for SmolWrapped {
    type Rt = wrangle_smol::Smol;
    const SLACK: Duration = REAL_SLACK;
    fn make() -> Self::Rt {
        let executor = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..2)
            .map(|i| {
                let (executor, stopped) = (executor.clone(), stopped.clone());
                std::thread::Builder::new()
                    .name(format!("app-executor-{i}"))
                    .spawn(move || {
                        async_io::block_on(executor.run(async { stopped.recv().await.ok() }));
                    })
                    .expect("the application's executor thread starts")
            })
            .collect();
        APPS.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(App {
                executor: executor.clone(),
                stop,
                threads,
            });
        wrangle_smol::Smol::from_executor(executor)
    }
    fn shutdown(rt: &Self::Rt) {
        let executor = rt.executor();
        rt.shutdown();
        let Some(executor) = executor else { return };
        let app = {
            let mut apps = APPS.lock().unwrap_or_else(PoisonError::into_inner);
            let at = apps
                .iter()
                .position(|a| Arc::ptr_eq(&a.executor, &executor));
            at.map(|at| apps.swap_remove(at))
        };
        drop(executor);
        let Some(app) = app else { return };
        app.stop.close();
        let current = std::thread::current().id();
        for thread in app.threads {
            // Called from one of the executor's own tasks: that thread leaves once the task's
            // poll returns, and drops the executor then if it holds the last reference.
            if thread.thread().id() != current {
                let _ = thread.join();
            }
        }
    }
}
