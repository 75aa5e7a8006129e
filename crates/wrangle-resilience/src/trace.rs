//! The spans of the `tracing` feature, in one place: a retry attempt, a rate-limit wait, a
//! breaker's state change. Without the feature every helper here is a no-op on a zero-sized
//! type, so the default build carries none of it.
//!
//! Targets: `wrangle::retry`, `wrangle::rate`, `wrangle::breaker`; level `DEBUG`.

use std::time::Duration;

/// A span that may be entered at each poll of what it covers, and closes when dropped.
#[derive(Debug, Default)]
pub(crate) struct Span {
    #[cfg(feature = "tracing")]
    inner: Option<tracing::Span>,
}

/// The guard of an entered [`Span`].
pub(crate) struct Entered<'a> {
    #[cfg(feature = "tracing")]
    _inner: Option<tracing::span::Entered<'a>>,
    #[cfg(not(feature = "tracing"))]
    _inner: std::marker::PhantomData<&'a ()>,
}

/// Leaving the span is the inner guard's drop; an explicit `Drop` so that ending an entry
/// early (`drop(entered)`) reads as what it is, with the feature on or off.
impl Drop for Entered<'_> {
    #[inline]
    fn drop(&mut self) {}
}

impl Span {
    /// A retry attempt: its number, and the delay waited before it (0 for the first).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    #[inline]
    pub(crate) fn attempt(number: u32, delay: Option<Duration>) -> Self {
        Self {
            #[cfg(feature = "tracing")]
            inner: Some(tracing::debug_span!(
                target: "wrangle::retry",
                "retry_attempt",
                attempt = number,
                delay_ms = delay.map_or(0, |d| d.as_millis() as u64),
                reason = tracing::field::Empty,
            )),
        }
    }

    /// A wait for a rate limiter's admission, `wait` long as booked.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    #[inline]
    pub(crate) fn rate_wait(wait: Duration) -> Self {
        Self {
            #[cfg(feature = "tracing")]
            inner: Some(tracing::debug_span!(
                target: "wrangle::rate",
                "rate_limit_wait",
                wait_ms = wait.as_millis() as u64,
            )),
        }
    }

    /// A circuit breaker's state change, `from` → `to`: a span around the change's event and
    /// the breaker's `on_state_change` hook, a child of the call that caused it.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    #[inline]
    pub(crate) fn breaker_transition(from: &dyn std::fmt::Debug, to: &dyn std::fmt::Debug) -> Self {
        Self {
            #[cfg(feature = "tracing")]
            inner: Some(tracing::debug_span!(
                target: "wrangle::breaker",
                "breaker_transition",
                from = ?from,
                to = ?to,
            )),
        }
    }

    /// Records why the attempt this span covers failed.
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    #[inline]
    pub(crate) fn failed(&self, reason: &'static str) {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.inner {
            span.record("reason", reason);
        }
    }

    /// Enters the span for the duration of a poll.
    #[inline]
    pub(crate) fn enter(&self) -> Entered<'_> {
        Entered {
            #[cfg(feature = "tracing")]
            _inner: self.inner.as_ref().map(tracing::Span::enter),
            #[cfg(not(feature = "tracing"))]
            _inner: std::marker::PhantomData,
        }
    }
}
