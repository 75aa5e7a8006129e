//! The driver thread's life: started by the first armed sleep, kept while a `Driver` is held,
//! gone once none is and no sleep is armed. One test in its own process, since the driver is
//! process-wide. Real time, generous bounds.

use std::time::{Duration, Instant};

use futures_lite::future::block_on;
use wrangle::timer::{Driver, Sleep, stats};

fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn thread_starts_lazily_and_exits_with_the_last_driver() {
    let driver = Driver::new();
    assert!(!stats().thread_running, "no sleep armed yet: no thread");
    block_on(Sleep::at(Instant::now() + Duration::from_millis(1)));
    assert!(stats().thread_running);
    std::thread::sleep(Duration::from_millis(20));
    assert!(stats().thread_running, "a held Driver keeps the thread");
    let second = driver.clone();
    drop(driver);
    std::thread::sleep(Duration::from_millis(20));
    assert!(stats().thread_running, "one Driver is still held");
    drop(second);
    wait_for("the thread exits", || !stats().thread_running);
    // A later sleep starts it again, and without a Driver it exits once idle.
    let deadline = Instant::now() + Duration::from_millis(1);
    block_on(Sleep::at(deadline));
    assert!(Instant::now() >= deadline);
    wait_for("the thread exits again", || !stats().thread_running);
    // A sleep an hour away, armed then dropped, does not keep the thread for the hour.
    let driver = Driver::new();
    let mut sleep = Box::pin(Sleep::at(Instant::now() + Duration::from_secs(3600)));
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    assert!(std::future::Future::poll(sleep.as_mut(), &mut cx).is_pending());
    assert!(stats().thread_running);
    drop(driver);
    // Let the thread see the last handle go while the sleep is still armed.
    std::thread::sleep(Duration::from_millis(50));
    assert!(stats().thread_running, "an armed sleep keeps the thread");
    drop(sleep);
    wait_for("the thread exits within its idle check", || {
        !stats().thread_running
    });
}
