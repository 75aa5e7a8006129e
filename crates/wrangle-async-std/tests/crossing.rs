//! Crossing into sync code on async-std: `block_on` inside a native async-std task is refused
//! with wrangle's error, and keeps working on blocking threads.
#![allow(clippy::unwrap_used)]

use wrangle_async_std::AsyncStd;
use wrangle_core::{BlockOnError, Runtime};

#[test]
fn block_on_in_native_async_std_task_is_refused() {
    let rt = AsyncStd::new();
    let inner = rt.clone();
    let err = async_std::task::block_on(async_std::task::spawn(async move {
        inner.try_block_on(async { 1 })
    }));
    assert_eq!(err, Err(BlockOnError::Nested));
    let err = async_std::task::block_on(async { rt.try_block_on(async { 2 }) });
    assert_eq!(err, Err(BlockOnError::Nested));
}

#[test]
fn block_on_works_on_native_spawn_blocking_thread() {
    let rt = AsyncStd::new();
    let inner = rt.clone();
    let value = async_std::task::block_on(async_std::task::spawn_blocking(move || {
        inner.try_block_on(async { 3 })
    }));
    assert_eq!(value, Ok(3));
    assert_eq!(rt.try_block_on(async { 4 }), Ok(4));
}
