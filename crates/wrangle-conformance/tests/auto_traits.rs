//! The adapters' public types are `Send`, `Sync` and `Unpin` where a user needs them to be
//! (the runtimes themselves and their sleeps are checked by the suite's `auto_traits` case).

fn send_sync<T: Send + Sync>() {}
fn send_sync_unpin<T: Send + Sync + Unpin>() {}

#[test]
fn adapter_types() {
    send_sync_unpin::<wrangle_tokio::TokioBuilder>();
    send_sync_unpin::<wrangle_tokio::NoRuntime>();
    send_sync::<wrangle_tokio::TokioSleep>();
    send_sync_unpin::<wrangle_smol::SmolBuilder>();
    send_sync_unpin::<wrangle_smol::AsyncIoSleep>();
    send_sync_unpin::<wrangle_timer::Sleep>();
    send_sync_unpin::<wrangle_timer::Driver>();
    send_sync_unpin::<wrangle_async_std::AsyncStd>();
    send_sync_unpin::<wrangle_sim::Sim>();
    send_sync_unpin::<wrangle_sim::SimSleep>();
    send_sync_unpin::<wrangle_core::task::Panic>();
    send_sync_unpin::<wrangle_core::context::Driven<std::future::Ready<u8>>>();
}
