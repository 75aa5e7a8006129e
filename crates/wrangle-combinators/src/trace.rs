//! The span of the `tracing` feature for a group child. Without the feature the helper
//! returns the future as it is, so the default build carries none of it.
//!
//! Target: `wrangle::group`; level `DEBUG`.

use std::future::Future;
use std::sync::Arc;

/// `future` inside a span for a group child, named (`name`, and its index in spawn order
/// where the group knows it at spawn); just `future` without the feature.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
#[inline]
pub(crate) fn group_child<F: Future>(
    future: F,
    name: Option<&Arc<str>>,
    index: Option<usize>,
) -> impl Future<Output = F::Output> + use<F> {
    #[cfg(feature = "tracing")]
    {
        let span = tracing::debug_span!(
            target: "wrangle::group",
            "group_child",
            name = name.map_or("", |name| &**name),
            index = index.map(|i| i as u64),
        );
        tracing::Instrument::instrument(future, span)
    }
    #[cfg(not(feature = "tracing"))]
    future
}
