use std::any::Any;
use std::fmt;
use std::io;
use std::sync::{Mutex, PoisonError};

/// Why a task produced no value.
///
/// New kinds of failure may be added: match with a `_` arm, or use
/// [`is_cancelled`](Self::is_cancelled) and [`is_panic`](Self::is_panic). Its `Display` is
/// `"task was cancelled"` or `"task panicked: {message}"`; it has no
/// [`source`](std::error::Error::source) (a panic payload is not an error).
///
/// # Examples
///
/// ```
/// use wrangle::{JoinError, Spawn};
///
/// wrangle::sim::run(1, |rt| async move {
///     let task = rt.spawn(std::future::pending::<()>());
///     task.abort();
///     let err: JoinError = task.join().await.unwrap_err();
///     assert!(err.is_cancelled());
///     assert_eq!(err.to_string(), "task was cancelled");
///
///     let failing = rt.spawn(async { panic!("boom") });
///     let err = failing.join().await.unwrap_err();
///     assert_eq!(err.to_string(), "task panicked: boom");
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum JoinError {
    /// The task was cancelled (aborted, its handle dropped, or its runtime shut down) before
    /// it finished.
    Cancelled,
    /// The task panicked; the payload is kept so it can be re-raised.
    Panicked(Panic),
}

impl JoinError {
    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }

    /// The panic payload, for [`std::panic::resume_unwind`], or the error back if the task
    /// was cancelled.
    ///
    /// # Errors
    ///
    /// `self` when the task was cancelled rather than panicked.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self {
            Self::Panicked(panic) => Ok(panic.into_payload()),
            Self::Cancelled => Err(self),
        }
    }

    /// The panic payload, for [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// When the task was cancelled rather than panicked; check [`is_panic`](Self::is_panic)
    /// first or use [`try_into_panic`](Self::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(_) => panic!("JoinError::into_panic called on a cancelled task"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cancelled => f.write_str("task was cancelled"),
            Self::Panicked(panic) => write!(f, "task panicked: {}", panic.message()),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    fn from(err: JoinError) -> Self {
        io::Error::other(err)
    }
}

/// The payload of a panic caught in a task, with its message when it had one.
///
/// It is `Sync` (the payload sits behind a lock) so that [`JoinError`] can travel inside
/// `Box<dyn Error + Send + Sync>`.
///
/// # Examples
///
/// ```
/// use wrangle::task::Panic;
///
/// let panic = Panic::new(Box::new("boom"));
/// assert_eq!(panic.message(), "boom");
/// let payload = panic.into_payload();
/// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
/// ```
pub struct Panic {
    // Boxed so that `JoinError`, and every `Result<T, JoinError>`, stays one word larger than
    // `T` at most.
    inner: Box<PanicInner>,
}

struct PanicInner {
    message: String,
    payload: Mutex<Box<dyn Any + Send + 'static>>,
}

impl Panic {
    /// Wraps a payload caught by [`std::panic::catch_unwind`].
    pub fn new(payload: Box<dyn Any + Send + 'static>) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "<non-string panic payload>".to_owned()
        };
        Self {
            inner: Box::new(PanicInner {
                message,
                payload: Mutex::new(payload),
            }),
        }
    }

    /// The panic message, or `<non-string panic payload>`.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The original payload, as `catch_unwind` returned it.
    pub fn into_payload(self) -> Box<dyn Any + Send + 'static> {
        self.inner
            .payload
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Re-raises the panic on the current thread.
    pub fn resume(self) -> ! {
        std::panic::resume_unwind(self.into_payload())
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Panic").field(&self.inner.message).finish()
    }
}
