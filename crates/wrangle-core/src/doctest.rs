//! A deliberately naive runtime for wrangle-core's own unit tests and hidden doc set-up lines:
//! a thread per task and a thread per sleep. Not part of the API; use an adapter crate.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::{BlockOnError, Runtime, Spawn, SpawnError, Task, Timer, context};

/// A thread per task, a thread per sleep.
#[derive(Debug, Clone, Copy)]
pub struct ThreadPerTask;

/// A sleep that parks a helper thread until its deadline.
#[derive(Debug)]
pub struct ThreadSleep {
    deadline: Instant,
    state: Option<Arc<(AtomicBool, Mutex<Option<Waker>>)>>,
}

impl Future for ThreadSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let state = self
            .state
            .get_or_insert_with(|| {
                let state = Arc::new((AtomicBool::new(false), Mutex::new(None::<Waker>)));
                let theirs = state.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    theirs.0.store(true, Ordering::SeqCst);
                    if let Some(w) = theirs.1.lock().ok().and_then(|mut w| w.take()) {
                        w.wake();
                    }
                });
                state
            })
            .clone();
        if let Ok(mut w) = state.1.lock() {
            *w = Some(cx.waker().clone());
        }
        if state.0.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Timer for ThreadPerTask {
    type Sleep = ThreadSleep;
    fn sleep_until(&self, deadline: Instant) -> ThreadSleep {
        ThreadSleep {
            deadline,
            state: None,
        }
    }
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn random_u64(&self) -> u64 {
        fastrand::u64(..)
    }
}

impl Spawn for ThreadPerTask {
    fn try_spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (job, task) = crate::task::new(future);
        std::thread::spawn(move || block_on_thread(job));
        Ok(task)
    }
    fn try_spawn_blocking<F, T>(&self, f: F) -> Result<Task<T>, SpawnError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (job, task) = crate::task::new_blocking(f);
        std::thread::spawn(move || job.run());
        Ok(task)
    }
}

impl Runtime for ThreadPerTask {
    fn name(&self) -> &'static str {
        "thread-per-task"
    }
    fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, BlockOnError> {
        if context::is_driving() {
            return Err(BlockOnError::Nested);
        }
        let _driving = context::enter();
        Ok(block_on_thread(future))
    }
}

struct ThreadWaker(std::thread::Thread, AtomicBool);

impl std::task::Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.1.store(true, Ordering::SeqCst);
        self.0.unpark();
    }
}

fn block_on_thread<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let state = Arc::new(ThreadWaker(std::thread::current(), AtomicBool::new(false)));
    let waker = Waker::from(state.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        while !state.1.swap(false, Ordering::SeqCst) {
            std::thread::park();
        }
    }
}
