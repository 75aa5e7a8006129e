//! The `tracing` feature's spans, as a subscriber sees them: one request, retried once, whose
//! group child, retry attempts, rate-limit wait and blocking calls form one tree under the
//! request's span. A capturing subscriber records each span's parent and fields.
#![cfg(all(feature = "tracing", feature = "sim"))]
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Instrument, Metadata, Subscriber};
use wrangle::group::TaskGroup;
use wrangle::rate::{Quota, RateLimiter};
use wrangle::retry::{RetryPolicy, retry};

#[derive(Debug)]
struct SpanInfo {
    name: &'static str,
    parent: Option<u64>,
    fields: BTreeMap<&'static str, String>,
}

/// Records every span: its name, its parent (explicit, or the innermost span entered on the
/// creating thread) and its fields, recorded values included.
#[derive(Default)]
struct Capture {
    next: AtomicU64,
    spans: Mutex<HashMap<u64, SpanInfo>>,
    entered: Mutex<HashMap<ThreadId, Vec<u64>>>,
}

struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let parent = if let Some(parent) = attrs.parent() {
            Some(parent.into_u64())
        } else if attrs.is_contextual() {
            let entered = self.entered.lock().unwrap();
            entered
                .get(&std::thread::current().id())
                .and_then(|stack| stack.last().copied())
        } else {
            None
        };
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let name = attrs.metadata().name();
        self.spans.lock().unwrap().insert(
            id,
            SpanInfo {
                name,
                parent,
                fields,
            },
        );
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(info) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut info.fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, span: &Id) {
        let mut entered = self.entered.lock().unwrap();
        entered
            .entry(std::thread::current().id())
            .or_default()
            .push(span.into_u64());
    }
    fn exit(&self, span: &Id) {
        let mut entered = self.entered.lock().unwrap();
        if let Some(stack) = entered.get_mut(&std::thread::current().id())
            && let Some(at) = stack.iter().rposition(|id| *id == span.into_u64())
        {
            stack.remove(at);
        }
    }
}

impl Capture {
    /// The tree under the span named `root`, one span a line, children in creation order.
    fn tree(&self, root: &str) -> String {
        let spans = self.spans.lock().unwrap();
        let mut ids: Vec<_> = spans.keys().copied().collect();
        ids.sort_unstable();
        let root = ids
            .iter()
            .copied()
            .find(|id| spans[id].name == root)
            .unwrap();
        let mut out = String::new();
        fn walk(
            spans: &HashMap<u64, SpanInfo>,
            ids: &[u64],
            id: u64,
            depth: usize,
            out: &mut String,
        ) {
            let info = &spans[&id];
            let fields: Vec<_> = info
                .fields
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            writeln!(
                out,
                "{}{} {}",
                "  ".repeat(depth),
                info.name,
                fields.join(" ")
            )
            .unwrap();
            for child in ids.iter().filter(|c| spans[c].parent == Some(id)) {
                walk(spans, ids, *child, depth + 1, out);
            }
        }
        walk(&spans, &ids, root, 0, &mut out);
        out
    }
}

#[test]
fn one_retried_request_forms_one_span_tree() {
    let capture = Arc::new(Capture::default());
    let dispatch = tracing::Dispatch::from(capture.clone());
    tracing::dispatcher::with_default(&dispatch, || {
        wrangle::sim::run(1, |rt| {
            let request = tracing::info_span!("request", id = 7);
            async move {
                let policy = RetryPolicy::builder()
                    .constant(Duration::from_millis(50))
                    .max_retries(3)
                    .build()
                    .unwrap();
                let limiter = RateLimiter::new(rt.clone(), Quota::per_second(5).unwrap());
                let mut group = TaskGroup::new(&rt);
                let clock = rt.clone();
                group.spawn_named("fetch", async move {
                    retry(&clock, &policy, |attempt| {
                        let (clock, limiter) = (clock.clone(), limiter.clone());
                        async move {
                            limiter.acquire().await;
                            let body = wrangle::blocking::unblock_on(&clock, || "body").await;
                            if attempt.number() == 1 {
                                Err("503")
                            } else {
                                Ok(body)
                            }
                        }
                    })
                    .await
                });
                let out = group.join().await.unwrap();
                assert_eq!(out, ["body"]);
                // Attempt 2 after 50 ms, admitted at the limiter's next turn, 200 ms.
                assert_eq!(rt.elapsed(), Duration::from_millis(200));
            }
            .instrument(request)
        });
    });
    assert_eq!(
        capture.tree("request"),
        "\
request id=7
  group_child index=0 name=\"fetch\"
    retry_attempt attempt=1 delay_ms=0 reason=\"error\"
      blocking_call 
    retry_attempt attempt=2 delay_ms=50
      rate_limit_wait wait_ms=150
      blocking_call 
"
    );
}

/// A breaker's state changes are spans of their own, under the call that caused them: the
/// failure that trips it (closed → open), and after the cooldown the trial (open →
/// half-open) and its success (half-open → closed).
#[test]
fn breaker_transitions_are_spans_under_the_call() {
    use wrangle::breaker::CircuitBreaker;
    let capture = Arc::new(Capture::default());
    let dispatch = tracing::Dispatch::from(capture.clone());
    tracing::dispatcher::with_default(&dispatch, || {
        wrangle::sim::run(1, |rt| {
            let request = tracing::info_span!("request", id = 9);
            async move {
                let breaker = CircuitBreaker::builder()
                    .consecutive_failures(1)
                    .cooldown(Duration::from_secs(5))
                    .build(rt.clone())
                    .unwrap();
                let failed = breaker.call(async { Err::<(), _>("down") }).await;
                assert!(failed.is_err());
                wrangle::sleep(&rt, Duration::from_secs(5)).await;
                let ok = breaker.call(async { Ok::<_, &str>(1) }).await;
                assert_eq!(ok.ok(), Some(1));
            }
            .instrument(request)
        });
    });
    assert_eq!(
        capture.tree("request"),
        "\
request id=9
  breaker_transition from=Closed to=Open
  breaker_transition from=Open to=HalfOpen
  breaker_transition from=HalfOpen to=Closed
"
    );
}
