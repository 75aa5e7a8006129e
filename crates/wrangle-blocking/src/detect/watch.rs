use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use super::{Config, SlowPoll};

pin_project! {
    /// Future for the [`Detector::watch`](super::Detector::watch) and
    /// [`Detector::watch_named`](super::Detector::watch_named) methods.
    ///
    /// # Examples
    ///
    /// ```
    /// let watched: wrangle::blocking::detect::Watch<_> =
    ///     wrangle::blocking::Detector::new().watch(async { 1 });
    /// assert_eq!(wrangle::blocking::block_on(watched), 1);
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Watch<F> {
        #[pin]
        future: F,
        // Boxed, so that a detector that is off adds one null pointer to the future and
        // nothing else.
        meta: Option<Box<Meta>>,
    }
}

/// What a report needs; only allocated when the detector is on.
struct Meta {
    config: Arc<Config>,
    name: Option<Cow<'static, str>>,
    location: &'static Location<'static>,
}

impl<F> Watch<F> {
    pub(super) fn new(
        future: F,
        config: Option<Arc<Config>>,
        name: impl FnOnce() -> Option<Cow<'static, str>>,
        location: &'static Location<'static>,
    ) -> Self {
        Self {
            future,
            meta: config.map(|config| {
                Box::new(Meta {
                    config,
                    name: name(),
                    location,
                })
            }),
        }
    }

    /// The name reports give, if any (`None` as well when the detector is off).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = wrangle::blocking::Detector::new().watch_named("db", async {});
    /// assert_eq!(f.name(), Some("db"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.meta.as_ref().and_then(|meta| meta.name.as_deref())
    }

    /// Where the future was watched (`None` when the detector is off).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = wrangle::blocking::Detector::new().watch(async {});
    /// assert_eq!(f.location().map(|l| l.line()), Some(line!() - 1));
    /// ```
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.meta.as_ref().map(|meta| meta.location)
    }

    /// The inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = wrangle::blocking::Detector::off().watch(std::future::ready(3));
    /// let _inner: &std::future::Ready<i32> = f.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut f = wrangle::blocking::Detector::off().watch(std::future::ready(3));
    /// let _inner: &mut std::future::Ready<i32> = f.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The inner future, unwatched.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = wrangle::blocking::Detector::new().watch(std::future::ready(3));
    /// assert_eq!(wrangle::blocking::block_on(f.into_inner()), 3);
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Watch<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(meta) = this.meta else {
            return this.future.poll(cx);
        };
        let start = Instant::now();
        let polled = this.future.poll(cx);
        let elapsed = start.elapsed();
        if elapsed >= meta.config.threshold {
            meta.config.report(&SlowPoll {
                name: meta.name.clone(),
                // Still inside the enclosing child's poll: its name is current.
                task: wrangle_core::name::current_name(),
                location: meta.location,
                elapsed,
                threshold: meta.config.threshold,
            });
        }
        polled
    }
}

impl<F> fmt::Debug for Watch<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("name", &self.name())
            .field("location", &self.location())
            .field("on", &self.meta.is_some())
            .finish_non_exhaustive()
    }
}
