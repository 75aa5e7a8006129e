//! Deadlines too far for tokio's timer mean "never", as `Duration::MAX` does, instead of a
//! panic inside tokio's time driver; on the real clock and on tokio's paused clock.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use wrangle_core::{Runtime, Timer};
use wrangle_tokio::Tokio;

/// The latest instant after `from` that the clock can represent.
fn far_instant(from: Instant) -> Instant {
    let mut far = from;
    let mut step = Duration::from_secs(1);
    while let Some(next) = far.checked_add(step) {
        far = next;
        step = step.saturating_mul(2);
    }
    while !step.is_zero() {
        if let Some(next) = far.checked_add(step) {
            far = next;
        }
        step /= 2;
    }
    far
}

async fn check(rt: &Tokio) {
    let now = rt.now();
    for far in [
        now + Duration::from_secs(u64::MAX / 4),
        far_instant(now),
        far_instant(now) - Duration::from_micros(500),
    ] {
        let raced = futures_lite::future::or(
            async {
                wrangle_core::sleep_until(rt, far).await;
                false
            },
            async {
                wrangle_core::sleep(rt, Duration::from_millis(5)).await;
                true
            },
        )
        .await;
        assert!(raced, "a sleep until {far:?} completed");
        assert_eq!(wrangle_core::timeout_at(rt, far, async { 7 }).await, Ok(7));
    }
    // Near deadlines still fire.
    let soon = rt.now() + Duration::from_millis(2);
    wrangle_core::sleep_until(rt, soon).await;
    assert!(rt.now() >= soon);
}

#[test]
fn far_deadlines_are_never_on_every_flavor() {
    for rt in [
        Tokio::multi_thread().unwrap(),
        Tokio::current_thread().unwrap(),
    ] {
        rt.block_on(check(&rt));
    }
}

#[test]
fn far_deadlines_are_never_on_paused_clock() {
    let native = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let rt = Tokio::from_handle(native.handle().clone());
    native.block_on(async {
        let start = rt.now();
        check(&rt).await;
        // The paused clock jumped to the short sleeps only, never to the far deadlines.
        assert!(rt.now() - start < Duration::from_secs(1));
    });
}
