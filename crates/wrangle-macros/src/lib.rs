//! The `#[wrangle::test]` attribute: one async test body on every runtime wrangle supports,
//! with sim seeds printed for replay.
//!
//! Use it through the facade, as `#[wrangle::test]`; this crate is an implementation detail of
//! `wrangle`, and its expansion names `::wrangle` paths, so the crate that holds the tests
//! depends on `wrangle` under that name (usually as a dev-dependency, with the runtime
//! features the tests should run on).
//!
//! | Item | What it is |
//! |---|---|
//! | [`test`] | `#[wrangle::test]`, `#[wrangle::test(runtimes = [..], seeds = N)]` |
//!
//! See [`test`] for what it expands to, how it picks runtimes, and how sim seeds are chosen,
//! reported and replayed.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod expand;

use proc_macro::TokenStream;

/// Runs one async test body on every runtime the `wrangle` facade is built with.
///
/// Put it on an `async fn` that takes the runtime as its one parameter, or no parameter at
/// all. The parameter has one of two forms:
///
/// - generic, `rt: impl wrangle::Runtime` or `rt: R` with `R: wrangle::Runtime`: each test
///   instantiates the function with its concrete runtime (`wrangle::tokio::Tokio`,
///   `wrangle::smol::Smol`, `wrangle::async_std::AsyncStd`, `wrangle::sim::Sim`), so the body
///   spawns and sleeps on it directly and costs nothing per spawn beyond the runtime's own;
/// - `rt: wrangle::AnyRuntime`: one non-generic body for every runtime (simpler to write
///   helpers for, and compiled once), whose spawns and sleeps go through the object-safe
///   `DynRuntime`, one box per spawn and per sleep.
///
/// The body returns `()` or a `Result<(), E>` with `E: Debug` (an `Err` fails the test, as
/// with `#[test]`).
///
/// ```
/// use std::time::Duration;
/// use wrangle::{AnyRuntime, Spawn, TimerExt};
///
/// #[wrangle::test]
/// async fn tasks_and_timers(rt: AnyRuntime) {
///     let start = wrangle::Timer::now(&rt);
///     let nap = rt.sleep(Duration::from_millis(20));
///     let task = rt.spawn(async move {
///         nap.await;
///         6 * 7
///     });
///     assert_eq!(task.await, 42);
///     assert!(wrangle::Timer::now(&rt) - start >= Duration::from_millis(20));
/// }
///
/// // The concrete runtime in each test: no box per spawn.
/// #[wrangle::test]
/// async fn many_tasks(rt: impl wrangle::Runtime) {
///     let tasks: Vec<_> = (0..100u64).map(|i| rt.spawn(async move { i })).collect();
///     let mut sum = 0;
///     for task in tasks {
///         sum += task.await;
///     }
///     assert_eq!(sum, 4950);
/// }
///
/// #[wrangle::test(runtimes = [sim, smol])]
/// async fn on_two_runtimes(rt: AnyRuntime) -> Result<(), std::io::Error> {
///     rt.spawn(async { Ok(()) }).await
/// }
///
/// // 100 schedules on virtual time; a failure names its seed.
/// #[wrangle::test(runtimes = [sim], seeds = 100)]
/// async fn schedule_independent(rt: AnyRuntime) {
///     let a = rt.spawn(async { 1 });
///     let b = rt.spawn(async { 2 });
///     assert_eq!(a.await + b.await, 3);
/// }
/// # fn main() {}
/// ```
///
/// # What it expands to
///
/// The function stays as it is, and a module of the same name holds one `#[test]` per
/// runtime, so `cargo test tasks_and_timers` runs them all and the test list reads:
///
/// ```text
/// tasks_and_timers::tokio
/// tasks_and_timers::tokio_current_thread
/// tasks_and_timers::smol
/// tasks_and_timers::async_std
/// tasks_and_timers::sim
/// ```
///
/// Each test builds its own runtime — tokio multi-thread (a worker per core), tokio
/// current-thread, smol (a worker per core), async-std's global runtime, or a fresh
/// `wrangle::sim::Sim` per seed — runs the body on it with `block_on`, and shuts the runtime
/// down when the body returns or panics. That is all it adds: a test costs building its
/// runtime once plus what the body does. In the generic form the body gets the concrete
/// runtime and runs as it would by hand; in the `AnyRuntime` form, each spawn and each sleep
/// costs one boxing more (`benches/test_attr.rs` measures both).
///
/// `#[ignore]` and `#[should_panic]` on the function go to every generated test; `#[cfg(..)]`
/// applies to the function and the module; other attributes stay on the function.
///
/// # Which runtimes
///
/// Without `runtimes`, the tests are those of the runtimes the **facade** is built with:
/// `wrangle`'s features `tokio` (two tests, multi-thread and current-thread), `smol`,
/// `async-std` and `sim`, whichever the dependency graph turns on. The choice is made by
/// `wrangle` itself, not by the features of the crate the test is in: each generated test is
/// wrapped in a hidden `macro_rules!` of the facade that is defined once with the runtime
/// (passing the test through) and once without it (dropping it), so every subset of features
/// works, and the attribute costs nothing for a runtime that is off. With no runtime feature
/// on at all, the attribute is a compile error that says so.
///
/// `runtimes = [..]` picks a set among `tokio`, `tokio_current_thread`, `smol`, `async_std`
/// and `sim`. A runtime named there whose feature is off is a compile error, not a test that
/// silently does not run.
///
/// # Seeds on sim
///
/// On sim the body runs with seed `WRANGLE_SEED` from the environment (decimal, or hex with
/// `0x`) when it is set, and otherwise with a fixed default, `0x5EED`, so a test run is
/// reproducible by default. `seeds = N` runs the body on N simulations seeded `0x5EED`,
/// `0x5EED + 1`, … (schedule exploration: sim's scheduling order and random draws follow the
/// seed); `WRANGLE_SEED` still replaces them with the one seed given.
///
/// When the body fails on sim (a panic, an `Err`, or a deadlock that sim reports), the test
/// prints the seed and the exact command that replays it, then fails with the original panic:
///
/// ```text
/// wrangle::test: `schedule_independent::sim` failed on wrangle-sim with seed 24302 (run 14 of 100)
/// replay it with: WRANGLE_SEED=24302 cargo test -p my-crate -- --exact schedule_independent::sim
/// ```
///
/// # Compile errors
///
/// Mistakes in the attribute are compile errors that point at the mistake. An unknown runtime:
///
/// ```compile_fail
/// #[wrangle::test(runtimes = [tokyo])] // unknown runtime `tokyo`; expected one of `tokio`, ...
/// async fn t(rt: wrangle::AnyRuntime) {}
/// # fn main() {}
/// ```
///
/// An unknown argument:
///
/// ```compile_fail
/// #[wrangle::test(seed = 3)] // unknown argument `seed`; expected `runtimes = [..]` or `seeds = N`
/// async fn t(rt: wrangle::AnyRuntime) {}
/// # fn main() {}
/// ```
///
/// No seeds at all:
///
/// ```compile_fail
/// #[wrangle::test(seeds = 0)] // `seeds` must be at least 1
/// async fn t(rt: wrangle::AnyRuntime) {}
/// # fn main() {}
/// ```
///
/// Seeds for a set without sim:
///
/// ```compile_fail
/// #[wrangle::test(runtimes = [smol], seeds = 10)] // `seeds` applies to sim, which `runtimes` leaves out
/// async fn t(rt: wrangle::AnyRuntime) {}
/// # fn main() {}
/// ```
///
/// A function that is not `async`:
///
/// ```compile_fail
/// #[wrangle::test] // #[wrangle::test] runs an `async fn`
/// fn t(rt: wrangle::AnyRuntime) {}
/// # fn main() {}
/// ```
///
/// More than the one parameter:
///
/// ```compile_fail
/// #[wrangle::test] // #[wrangle::test] functions take at most one parameter, the runtime
/// async fn t(rt: wrangle::AnyRuntime, n: u32) {}
/// # fn main() {}
/// ```
///
/// A parameter of another type than `AnyRuntime`, `impl Runtime` or a type parameter (the
/// error, at the parameter's type, lists the accepted forms), in every build, not only under
/// `cargo test`:
///
/// ```compile_fail
/// #[wrangle::test]
/// async fn t(rt: wrangle::sim::Sim) {}
/// # fn main() {}
/// ```
///
/// A body that returns something else than `()` or a `Result<(), E>` with `E: Debug`:
///
/// ```compile_fail
/// #[wrangle::test]
/// async fn t(rt: wrangle::AnyRuntime) -> u32 { 7 }
/// # fn main() {}
/// ```
///
/// Each of the attribute's own errors, with its message, is also checked by this crate's unit
/// tests.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::test(attr.into(), item.into()).into()
}
