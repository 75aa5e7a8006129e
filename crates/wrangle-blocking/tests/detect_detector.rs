//! The blocking detector: reports through `tracing` and the hook, names and locations,
//! threshold, and nothing when off.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_lite::future::block_on;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use wrangle_blocking::{Detector, SlowPoll};

/// One event: its target, level and fields.
type Captured = (String, Level, Vec<(String, String)>);

/// A subscriber that keeps every event.
#[derive(Default, Clone)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        self.0.lock().expect("capture lock").push((
            event.metadata().target().to_owned(),
            *event.metadata().level(),
            fields.0,
        ));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

async fn block_for(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
fn a_slow_poll_is_a_tracing_warning_with_name_and_location() {
    let capture = Capture::default();
    let detector = Detector::new().threshold(Duration::from_millis(20));
    let line = line!() + 2;
    tracing::subscriber::with_default(capture.clone(), || {
        block_on(detector.watch_named("csv-import", block_for(30)));
        block_on(detector.watch(async {})); // fast: not reported
    });
    let events = capture.0.lock().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let (target, level, fields) = &events[0];
    assert_eq!(target, "wrangle_blocking::detect");
    assert_eq!(*level, Level::WARN);
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("task"), "\"csv-import\"");
    assert_eq!(get("spawned_at"), format!("{}:{line}:27", file!()));
    assert!(get("poll_ms").parse::<u64>().unwrap() >= 30);
    assert_eq!(get("threshold_ms"), "20");
    assert!(get("message").contains("blocked its thread"), "{fields:?}");
}

#[test]
fn the_hook_sees_every_slow_poll_and_only_those() {
    let reports: Arc<Mutex<Vec<SlowPoll>>> = Arc::default();
    let seen = reports.clone();
    let detector = Detector::new()
        .threshold(Duration::from_millis(20))
        .tracing(false)
        .on_slow_poll(move |slow| seen.lock().unwrap().push(slow.clone()));
    // Two slow polls in one future (it yields in between), one fast future.
    block_on(detector.watch(async {
        block_for(25).await;
        futures_lite::future::yield_now().await;
        block_for(25).await;
    }));
    block_on(detector.watch(async { futures_lite::future::yield_now().await }));
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 2);
    assert!(
        reports
            .iter()
            .all(|r| r.elapsed() >= Duration::from_millis(25))
    );
    assert!(reports.iter().all(|r| r.name().is_none()));
}

#[test]
fn the_default_threshold_is_a_hundred_milliseconds() {
    let count = Arc::new(Mutex::new(0));
    let seen = count.clone();
    let detector = Detector::new()
        .tracing(false)
        .on_slow_poll(move |_| *seen.lock().unwrap() += 1);
    block_on(detector.watch(block_for(30)));
    assert_eq!(*count.lock().unwrap(), 0);
    block_on(detector.watch(block_for(110)));
    assert_eq!(*count.lock().unwrap(), 1);
}

#[test]
fn off_reports_nothing() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        block_on(Detector::off().watch(block_for(120)));
    });
    assert!(capture.0.lock().unwrap().is_empty());
}

#[test]
fn the_wrapper_passes_outputs_and_drops_through() {
    let detector = Detector::new();
    let watched = detector.watch_named(String::from("x"), async { 5 });
    assert_eq!(watched.name(), Some("x"));
    assert!(format!("{watched:?}").starts_with("Watch { name: Some(\"x\")"));
    assert_eq!(block_on(watched), 5);
}

#[test]
fn configuring_a_clone_keeps_the_hook_and_leaves_the_original_alone() {
    let count = Arc::new(Mutex::new(0));
    let seen = count.clone();
    let original = Detector::new()
        .tracing(false)
        .on_slow_poll(move |_| *seen.lock().unwrap() += 1);
    let strict = original.clone().threshold(Duration::from_millis(5));
    assert_eq!(original.threshold_value(), Some(Duration::from_millis(100)));
    block_on(strict.watch(block_for(15)));
    assert_eq!(*count.lock().unwrap(), 1);
    block_on(original.watch(block_for(15)));
    assert_eq!(*count.lock().unwrap(), 1);
}
