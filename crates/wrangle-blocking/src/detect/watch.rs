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
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Watch<F> {
        #[pin]
        future: F,
        config: Option<Arc<Config>>,
        name: Option<Cow<'static, str>>,
        location: &'static Location<'static>,
    }
}

impl<F> Watch<F> {
    pub(super) fn new(
        future: F,
        config: Option<Arc<Config>>,
        name: Option<Cow<'static, str>>,
        location: &'static Location<'static>,
    ) -> Self {
        Self {
            future,
            config,
            name,
            location,
        }
    }

    /// The name reports give, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = wrangle_blocking::Detector::new().watch_named("db", async {});
    /// assert_eq!(f.name(), Some("db"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the future was watched.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = wrangle_blocking::Detector::new().watch(async {});
    /// assert_eq!(f.location().line(), line!() - 1);
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = wrangle_blocking::Detector::off().watch(std::future::ready(3));
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
    /// let mut f = wrangle_blocking::Detector::off().watch(std::future::ready(3));
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
    /// let f = wrangle_blocking::Detector::new().watch(std::future::ready(3));
    /// assert_eq!(futures_lite::future::block_on(f.into_inner()), 3);
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Watch<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(config) = this.config else {
            return this.future.poll(cx);
        };
        let start = Instant::now();
        let polled = this.future.poll(cx);
        let elapsed = start.elapsed();
        if elapsed >= config.threshold {
            config.report(&SlowPoll {
                name: this.name.clone(),
                location: this.location,
                elapsed,
                threshold: config.threshold,
            });
        }
        polled
    }
}

impl<F> fmt::Debug for Watch<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("name", &self.name)
            .field("location", &self.location)
            .field("on", &self.config.is_some())
            .finish_non_exhaustive()
    }
}
