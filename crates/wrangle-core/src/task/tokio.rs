//! tokio's `JoinHandle` inside a [`Task`](crate::Task) (feature `tokio`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::task::JoinHandle;

use super::{AbortHandle, Abortable, JoinError, Panic};

pub(super) fn poll_join<T>(
    handle: &mut JoinHandle<T>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, JoinError>> {
    Pin::new(handle).poll(cx).map(|outcome| {
        outcome.map_err(|err| match err.try_into_panic() {
            Ok(payload) => JoinError::Panicked(Panic::new(payload)),
            Err(_) => JoinError::Cancelled,
        })
    })
}

struct TokioAbort(tokio::task::AbortHandle);

impl Abortable for TokioAbort {
    fn abort(&self) {
        self.0.abort();
    }
    fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

pub(super) fn abort_handle<T>(handle: &JoinHandle<T>) -> AbortHandle {
    AbortHandle::new(Arc::new(TokioAbort(handle.abort_handle())))
}
