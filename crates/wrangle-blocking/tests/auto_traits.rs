//! The auto traits of every public type and future.

use wrangle_blocking::detect::Watch;
use wrangle_blocking::limiter::Acquire;
use wrangle_blocking::pool::Builder;
use wrangle_blocking::{
    BlockingPool, ConfigError, Detector, FromThreadError, Limiter, Offload, Permit, PoolMetrics,
    SlowPoll, Submit, Unblock,
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
    send::<Acquire>();
    sync::<Acquire>();
    unpin::<Acquire>();
    send::<Watch<std::future::Ready<u32>>>();
    sync::<Watch<std::future::Ready<u32>>>();
    unpin::<Watch<std::future::Ready<u32>>>();
}

#[test]
fn handles_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<BlockingPool>();
    both::<Builder>();
    both::<Offload>();
    both::<Limiter>();
    both::<Permit>();
    both::<Detector>();
    both::<SlowPoll>();
    both::<PoolMetrics>();
    both::<ConfigError>();
    both::<FromThreadError>();
}
