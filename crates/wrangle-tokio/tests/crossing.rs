//! Crossing into sync code on tokio: `block_on` inside a native tokio task is refused with
//! wrangle's error, and keeps working on blocking threads and under `Runtime::enter()`.
#![allow(clippy::unwrap_used)]

use std::panic::AssertUnwindSafe;

use wrangle_core::{BlockOnError, Runtime};
use wrangle_tokio::Tokio;

fn native_multi() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn block_on_in_native_tokio_task_is_refused() {
    for rt in [
        Tokio::multi_thread().unwrap(),
        Tokio::current_thread().unwrap(),
    ] {
        let native = native_multi();
        let inner = rt.clone();
        let outcome = native.block_on(native.spawn(async move {
            let err = inner.try_block_on(async { 1 });
            let panicked =
                std::panic::catch_unwind(AssertUnwindSafe(|| inner.block_on(async { 2 })));
            (err, panicked.map_err(|p| panic_message(&*p)))
        }));
        let (err, panicked) = outcome.unwrap();
        assert_eq!(err, Err(BlockOnError::Nested), "{}", rt.name());
        let message = panicked.expect_err("block_on panics where try_block_on errs");
        assert!(
            message.contains("already driving"),
            "{}: {message}",
            rt.name()
        );
    }
}

#[test]
fn block_on_in_task_of_its_own_native_runtime_is_refused() {
    let native = native_multi();
    let rt = Tokio::from_handle(native.handle().clone());
    let inner = rt.clone();
    let err = native
        .block_on(native.spawn(async move { inner.try_block_on(async { 1 }) }))
        .unwrap();
    assert_eq!(err, Err(BlockOnError::Nested));
}

#[test]
fn block_on_in_native_current_thread_block_on_is_refused() {
    let native = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let rt = Tokio::multi_thread().unwrap();
    let err = native.block_on(async { rt.try_block_on(async { 1 }) });
    assert_eq!(err, Err(BlockOnError::Nested));
}

#[test]
fn block_on_works_on_native_spawn_blocking_thread() {
    let native = native_multi();
    for rt in [
        Tokio::multi_thread().unwrap(),
        Tokio::current_thread().unwrap(),
        Tokio::from_handle(native.handle().clone()),
    ] {
        let inner = rt.clone();
        let value = native
            .block_on(native.spawn_blocking(move || {
                inner.try_block_on(async {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    3
                })
            }))
            .unwrap();
        assert_eq!(value, Ok(3), "{}", rt.name());
    }
}

#[test]
fn block_on_works_on_adapter_spawn_blocking_thread() {
    use wrangle_core::Spawn;
    let rt = Tokio::multi_thread().unwrap();
    let inner = rt.clone();
    let value = rt.block_on(rt.spawn_blocking(move || inner.try_block_on(async { 4 })));
    assert_eq!(value, Ok(4));
}

#[test]
fn block_on_works_under_runtime_enter() {
    let native = native_multi();
    let _entered = native.enter();
    for rt in [
        Tokio::multi_thread().unwrap(),
        Tokio::from_handle(native.handle().clone()),
    ] {
        assert_eq!(rt.try_block_on(async { 5 }), Ok(5), "{}", rt.name());
    }
}
