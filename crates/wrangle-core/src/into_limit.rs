//! [`IntoLimit`]: what a concurrency cap accepts.

use std::num::NonZeroUsize;

/// A concurrency cap: at most this many at once.
///
/// Every `.limit(..)` in wrangle takes one, so both a plain number and a [`NonZeroUsize`] read
/// naturally: `.limit(8)` for a cap written in the code, `.limit(n)` with `n: NonZeroUsize` for
/// a cap that comes from configuration (checked once, where it is read, and never panics).
///
/// # Panics
///
/// A plain `usize` of 0 panics at once, where the cap is set, with "a concurrency limit must
/// be at least 1": a cap of zero is a programmer error that would otherwise hang, the way
/// `slice::chunks(0)` panics. Use [`NonZeroUsize`] for caps that come from outside the
/// program.
///
/// # Examples
///
/// ```
/// use std::num::NonZeroUsize;
/// use wrangle::IntoLimit;
///
/// assert_eq!(8.into_limit().get(), 8);
/// let configured = NonZeroUsize::new(3).expect("validated where the configuration is read");
/// assert_eq!(configured.into_limit().get(), 3);
/// assert!(std::panic::catch_unwind(|| 0.into_limit()).is_err());
///
/// // What every `.limit(..)` does with its argument: a literal needs no annotation.
/// fn cap(limit: impl IntoLimit) -> usize {
///     limit.into_limit().get()
/// }
/// assert_eq!(cap(8), 8);
/// assert_eq!(cap(configured), 3);
/// ```
pub trait IntoLimit: sealed::Sealed {
    /// The cap as a non-zero count.
    ///
    /// # Panics
    ///
    /// On a plain `0`; see the [trait docs](IntoLimit).
    fn into_limit(self) -> NonZeroUsize;
}

impl IntoLimit for usize {
    #[track_caller]
    fn into_limit(self) -> NonZeroUsize {
        match NonZeroUsize::new(self) {
            Some(limit) => limit,
            None => panic!(
                "a concurrency limit must be at least 1 (got 0); pass a NonZeroUsize for a \
                 limit that comes from configuration"
            ),
        }
    }
}

impl IntoLimit for NonZeroUsize {
    fn into_limit(self) -> NonZeroUsize {
        self
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for usize {}
    impl Sealed for std::num::NonZeroUsize {}
}
