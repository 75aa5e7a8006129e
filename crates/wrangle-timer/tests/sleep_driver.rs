//! The driver on real time, with a plain `block_on` (no runtime): a few smoke tests with
//! wide bounds, and the entry counts through the test hook.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_lite::future::block_on;
use wrangle::timer::{Sleep, stats};

#[test]
fn never_early_and_in_deadline_order() {
    let start = Instant::now();
    let deadlines: Vec<Instant> = (0..200)
        .map(|i| start + Duration::from_micros(((i * 7919) % 200) * 50))
        .collect();
    let done = block_on(async {
        let mut order = Vec::new();
        let sleeps = deadlines.iter().enumerate().map(|(i, &d)| async move {
            Sleep::at(d).await;
            assert!(Instant::now() >= d, "sleep {i} woke early");
            i
        });
        for i in wrangle::gather(sleeps).await {
            order.push(i);
        }
        order
    });
    assert_eq!(done.len(), 200);
}

#[test]
fn past_deadline_is_ready_at_once() {
    let now = Instant::now();
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(pin!(Sleep::at(now)).poll(&mut cx), Poll::Ready(()));
    let past = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
    assert_eq!(pin!(Sleep::at(past)).poll(&mut cx), Poll::Ready(()));
}

#[test]
fn far_deadline_never_completes_and_holds_no_entry() {
    let far = Instant::now() + Duration::from_secs(400 * 365 * 24 * 3600);
    let mut cx = Context::from_waker(Waker::noop());
    let mut sleep = pin!(Sleep::at(far));
    for _ in 0..3 {
        assert_eq!(sleep.as_mut().poll(&mut cx), Poll::Pending);
    }
    // A far but representable deadline is armed, and stays pending.
    let year = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut sleep = pin!(Sleep::at(year));
    assert_eq!(sleep.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(sleep.as_mut().poll(&mut cx), Poll::Pending);
}

#[test]
fn completes_after_its_deadline_when_polled_again() {
    let deadline = Instant::now() + Duration::from_millis(2);
    block_on(Sleep::at(deadline));
    assert!(Instant::now() >= deadline);
    // Debug says where it is.
    let s = Sleep::at(deadline);
    assert!(format!("{s:?}").contains("armed: false"));
}

#[test]
fn armed_and_dropped_sleeps_leave_nothing_behind() {
    let mut cx = Context::from_waker(Waker::noop());
    let far = Instant::now() + Duration::from_secs(3600);
    let n = if cfg!(miri) { 100 } else { 100_000 };
    // In sequence: one alive at a time.
    for i in 0..n {
        let mut sleep = pin!(Sleep::at(far + Duration::from_nanos(i)));
        assert_eq!(sleep.as_mut().poll(&mut cx), Poll::Pending);
    }
    // All alive at once, then dropped.
    let mut many: Vec<Sleep> = (0..n)
        .map(|i| Sleep::at(far - Duration::from_nanos(i)))
        .collect();
    for s in &mut many {
        assert_eq!(Pin::new(s).poll(&mut cx), Poll::Pending);
    }
    assert!(stats().armed >= n as usize);
    drop(many);
    // Other tests in this binary may hold sleeps of their own for a few milliseconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = stats();
        if s.entries == 0 && s.armed == 0 {
            assert!(s.capacity <= 64 * 3 * 1024, "capacity kept: {s:?}");
            break;
        }
        assert!(Instant::now() < deadline, "entries left behind: {s:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

use std::pin::Pin;
