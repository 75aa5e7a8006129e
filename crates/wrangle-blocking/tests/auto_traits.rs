//! The auto traits of every public type and future.

use wrangle_blocking::call_limit::AcquireCall;
use wrangle_blocking::detect::Watch;
use wrangle_blocking::pool::PoolBuilder;
use wrangle_blocking::{
    BlockingPool, CallLimit, CallPermit, ConfigError, Detector, FromThreadError, Offload,
    PoolMetrics, SlowPoll, Submit, Unblock,
};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn is_static<T: 'static>() {}

#[test]
fn futures_are_send_unpin_and_static() {
    send::<Unblock<u32>>();
    unpin::<Unblock<u32>>();
    is_static::<Unblock<u32>>();
    send::<Submit<u32>>();
    unpin::<Submit<u32>>();
    send::<AcquireCall>();
    sync::<AcquireCall>();
    unpin::<AcquireCall>();
    send::<Watch<std::future::Ready<u32>>>();
    sync::<Watch<std::future::Ready<u32>>>();
    unpin::<Watch<std::future::Ready<u32>>>();
}

#[test]
fn handles_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<BlockingPool>();
    both::<PoolBuilder>();
    both::<Offload>();
    both::<CallLimit>();
    both::<CallPermit>();
    both::<Detector>();
    both::<SlowPoll>();
    both::<PoolMetrics>();
    both::<ConfigError>();
    both::<FromThreadError>();
}
