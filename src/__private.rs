//! What `#[wrangle::test]` expands to calls. Not a public API: it may change in any release.
//!
//! The attribute (in `wrangle-macros`) cannot see which runtimes this crate was built with:
//! a `cfg(feature = "..")` in its expansion would test the features of the crate the test is
//! in. So each generated test goes through one of the `if_*` macros below, which are defined
//! here, under this crate's features: with the runtime, they pass the test through; without
//! it, they drop it (`optional`, the attribute without `runtimes`) or stop the build with a
//! message (`required`, a runtime named in `runtimes = [..]`).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::ops::RangeInclusive;

#[cfg(any(
    feature = "tokio",
    feature = "smol",
    feature = "async-std",
    feature = "sim"
))]
use wrangle_core::AnyRuntime;

/// The seed a sim test runs with when `WRANGLE_SEED` is not set (the first of `seeds = N`).
pub const DEFAULT_SEED: u64 = 0x5EED;

/// The environment variable that picks the seed of sim tests.
pub const SEED_VAR: &str = "WRANGLE_SEED";

/// Where a generated test is: enough to print the command that runs it alone.
#[derive(Clone, Copy, Debug)]
pub struct TestId {
    module: &'static str,
    name: &'static str,
    package: Option<&'static str>,
    krate: Option<&'static str>,
}

impl TestId {
    /// `module` is `module_path!()` inside the generated module, `name` the generated test,
    /// `package` and `krate` the `CARGO_PKG_NAME` and `CARGO_CRATE_NAME` of the test's crate.
    ///
    /// ```
    /// let id = wrangle::__private::TestId::new("my_tests::holds", "sim", Some("my-app"), Some("my_tests"));
    /// assert_eq!(id.path(), "holds::sim");
    /// ```
    pub const fn new(
        module: &'static str,
        name: &'static str,
        package: Option<&'static str>,
        krate: Option<&'static str>,
    ) -> Self {
        Self {
            module,
            name,
            package,
            krate,
        }
    }

    /// The test's path as the test harness lists it: the module path without the crate's
    /// name, then the test's name.
    pub fn path(&self) -> String {
        match self.module.split_once("::") {
            Some((_, inner)) => format!("{inner}::{}", self.name),
            None => self.name.to_owned(),
        }
    }

    /// The command that runs this test alone with `seed`: `--test <file>` for an integration
    /// test (its crate is not named after the package), none for a unit test.
    ///
    /// ```
    /// let id = wrangle::__private::TestId::new("cases::holds", "sim", Some("app"), Some("cases"));
    /// assert_eq!(
    ///     id.replay_command(7),
    ///     "WRANGLE_SEED=7 cargo test -p app --test cases -- --exact holds::sim"
    /// );
    /// ```
    pub fn replay_command(&self, seed: u64) -> String {
        let mut command = format!("{SEED_VAR}={seed} cargo test");
        if let Some(package) = self.package {
            command.push_str(" -p ");
            command.push_str(package);
        }
        if let (Some(krate), Some(package)) = (self.krate, self.package)
            && krate != package.replace('-', "_")
        {
            command.push_str(" --test ");
            command.push_str(krate);
        }
        command.push_str(" -- --exact ");
        command.push_str(&self.path());
        command
    }
}

/// What a test body may return: `()`, or `Result<(), E>` whose `Err` fails the test.
#[diagnostic::on_unimplemented(
    message = "a #[wrangle::test] function returns `()` or `Result<(), E>` with `E: Debug`, not `{Self}`"
)]
pub trait Outcome {
    /// Panics on a failure.
    fn check(self);
}

impl Outcome for () {
    fn check(self) {}
}

impl<E: fmt::Debug> Outcome for Result<(), E> {
    #[track_caller]
    fn check(self) {
        if let Err(err) = self {
            panic!("the test returned an error: {err:?}");
        }
    }
}

/// The type of a `#[wrangle::test]` function's runtime parameter in the `AnyRuntime` form:
/// only [`AnyRuntime`](crate::AnyRuntime) (the generic form, `impl Runtime` or `R: Runtime`, goes elsewhere).
#[diagnostic::on_unimplemented(
    message = "a #[wrangle::test] function takes `rt: wrangle::AnyRuntime`, `rt: impl wrangle::Runtime` \
               or `rt: R` with `R: wrangle::Runtime`, not `{Self}`",
    label = "the runtime parameter's type",
    note = "the generic forms get the concrete runtime (`wrangle::tokio::Tokio`, `wrangle::smol::Smol`, ...), one test per runtime"
)]
pub trait RuntimeParam {
    /// The parameter, from the runtime the test runs on.
    fn from_any(rt: wrangle_core::AnyRuntime) -> Self;
}

impl RuntimeParam for wrangle_core::AnyRuntime {
    fn from_any(rt: wrangle_core::AnyRuntime) -> Self {
        rt
    }
}

/// `rt` as the body's parameter type, which must be [`AnyRuntime`](wrangle_core::AnyRuntime).
pub fn runtime_param<T: RuntimeParam>(rt: wrangle_core::AnyRuntime) -> T {
    T::from_any(rt)
}

/// The body's future with its output checked: an `Err` becomes a panic.
///
/// ```
/// # #[cfg(feature = "sim")] {
/// let ok = wrangle::__private::checked(async { Ok::<(), String>(()) });
/// wrangle::sim::run(1, |_rt| ok);
/// # }
/// ```
pub async fn checked<Fut>(body: Fut)
where
    Fut: Future,
    Fut::Output: Outcome,
{
    body.await.check();
}

/// Shuts a runtime down when the test ends, a panic included.
#[cfg(any(feature = "tokio", feature = "smol", feature = "async-std"))]
struct ShutdownOnDrop<F: FnMut()>(F);

#[cfg(any(feature = "tokio", feature = "smol", feature = "async-std"))]
impl<F: FnMut()> Drop for ShutdownOnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

#[cfg(any(feature = "tokio", feature = "smol"))]
fn start_failed(runtime: &str, err: std::io::Error) -> ! {
    panic!("wrangle::test: the {runtime} runtime did not start: {err}")
}

/// The helpers of one runtime: `$with` hands the body the concrete runtime (the generic form,
/// `rt: impl Runtime`: no box per spawn or sleep), `$any` an [`AnyRuntime`] over it.
macro_rules! helpers {
    ($feature:literal, $rt:ty, $start:expr, $any:ident, $with:ident, $what:literal) => {
        #[doc = concat!("The body on ", $what, ", seen as an [`AnyRuntime`].")]
        #[cfg(feature = $feature)]
        pub fn $any<F, Fut>(body: F)
        where
            F: FnOnce(AnyRuntime) -> Fut,
            Fut: Future,
            Fut::Output: Outcome,
        {
            $with(|rt| body(AnyRuntime::new(rt)));
        }

        #[doc = concat!("The body on ", $what, ", as the concrete runtime.")]
        #[cfg(feature = $feature)]
        pub fn $with<F, Fut>(body: F)
        where
            F: FnOnce($rt) -> Fut,
            Fut: Future,
            Fut::Output: Outcome,
        {
            use wrangle_core::Runtime as _;

            let rt: $rt = $start;
            let _shutdown = ShutdownOnDrop(|| rt.shutdown());
            rt.block_on(body(rt.clone())).check();
        }
    };
}

helpers!(
    "tokio",
    crate::tokio::Tokio,
    crate::tokio::Tokio::multi_thread().unwrap_or_else(|e| start_failed("tokio", e)),
    tokio,
    tokio_with,
    "a new tokio multi-thread runtime (a worker per core)"
);
helpers!(
    "tokio",
    crate::tokio::Tokio,
    crate::tokio::Tokio::current_thread()
        .unwrap_or_else(|e| start_failed("tokio current-thread", e)),
    tokio_current_thread,
    tokio_current_thread_with,
    "a new tokio current-thread runtime"
);
helpers!(
    "smol",
    crate::smol::Smol,
    crate::smol::Smol::new().unwrap_or_else(|e| start_failed("smol", e)),
    smol,
    smol_with,
    "a new smol runtime (a worker per core)"
);
helpers!(
    "async-std",
    crate::async_std::AsyncStd,
    crate::async_std::AsyncStd::new(),
    async_std,
    async_std_with,
    "async-std's global runtime, through a new handle (shut down at the end, which cancels \
     the tasks spawned through it)"
);

/// The seeds a sim test runs with: `WRANGLE_SEED` alone when it is set (`var`), otherwise
/// `count` seeds from [`DEFAULT_SEED`] up.
///
/// ```
/// use wrangle::__private::{DEFAULT_SEED, seed_plan};
///
/// assert_eq!(seed_plan(None, 3), DEFAULT_SEED..=DEFAULT_SEED + 2);
/// assert_eq!(seed_plan(Some("42"), 100), 42..=42);
/// assert_eq!(seed_plan(Some("0x2a"), 1), 42..=42);
/// ```
///
/// # Panics
///
/// When `var` is not a `u64` in decimal or `0x` hex, or `count` is 0.
pub fn seed_plan(var: Option<&str>, count: u64) -> RangeInclusive<u64> {
    assert!(count >= 1, "wrangle::test: `seeds` must be at least 1");
    match var {
        Some(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            match parsed {
                Ok(seed) => seed..=seed,
                Err(_) => panic!(
                    "wrangle::test: {SEED_VAR} must be a u64, in decimal or 0x hex; it is `{text}`"
                ),
            }
        }
        None => DEFAULT_SEED..=DEFAULT_SEED.saturating_add(count - 1),
    }
}

/// A sim run that failed: its seed, which run it was, and the panic.
pub struct SimFailure {
    /// The seed the failing run had.
    pub seed: u64,
    /// Which run failed, from 1.
    pub run: u64,
    /// How many runs were planned.
    pub runs: u64,
    /// The panic, to re-raise with [`std::panic::resume_unwind`].
    pub payload: Box<dyn Any + Send>,
}

impl SimFailure {
    /// The panic's message, when it has one.
    pub fn message(&self) -> Option<&str> {
        self.payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| self.payload.downcast_ref::<String>().map(String::as_str))
    }

    /// What the test prints: the seed, and the command that replays it.
    ///
    /// ```
    /// use wrangle::__private::{SimFailure, TestId};
    ///
    /// let id = TestId::new("app::holds", "sim", Some("app"), Some("app"));
    /// let failure = SimFailure { seed: 24302, run: 14, runs: 100, payload: Box::new("boom") };
    /// assert_eq!(
    ///     failure.report(&id),
    ///     "wrangle::test: `holds::sim` failed on wrangle-sim with seed 24302 (run 14 of 100)\n\
    ///      replay it with: WRANGLE_SEED=24302 cargo test -p app -- --exact holds::sim"
    /// );
    /// ```
    pub fn report(&self, test: &TestId) -> String {
        let runs = if self.runs > 1 {
            format!(" (run {} of {})", self.run, self.runs)
        } else {
            String::new()
        };
        format!(
            "wrangle::test: `{}` failed on wrangle-sim with seed {}{runs}\nreplay it with: {}",
            test.path(),
            self.seed,
            test.replay_command(self.seed),
        )
    }
}

impl fmt::Debug for SimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimFailure")
            .field("seed", &self.seed)
            .field("run", &self.run)
            .field("runs", &self.runs)
            .field("message", &self.message())
            .finish()
    }
}

/// Runs the body on a new simulation per seed, in order, and stops at the first failure.
///
/// ```
/// # #[cfg(feature = "sim")] {
/// use wrangle::Timer;
/// use wrangle::__private::try_sim;
///
/// // Fails on the first seed whose first random draw is even.
/// let failure = try_sim(1..=64, |rt| async move {
///     assert!(rt.random_u64() % 2 == 1, "an even draw");
/// })
/// .unwrap_err();
/// assert_eq!(failure.message(), Some("an even draw"));
/// assert_eq!(wrangle::sim::Sim::new(failure.seed).random_u64() % 2, 0);
/// # }
/// ```
///
/// # Errors
///
/// The first failing run, as a [`SimFailure`].
#[cfg(feature = "sim")]
pub fn try_sim<F, Fut>(seeds: RangeInclusive<u64>, mut body: F) -> Result<(), SimFailure>
where
    F: FnMut(AnyRuntime) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    try_sim_with(seeds, |sim| body(AnyRuntime::new(sim)))
}

/// [`try_sim`] with the body handed the concrete [`Sim`](crate::sim::Sim): the same seeds,
/// in the same order, with the same report.
///
/// # Errors
///
/// The first failing run, as a [`SimFailure`].
#[cfg(feature = "sim")]
pub fn try_sim_with<F, Fut>(seeds: RangeInclusive<u64>, mut body: F) -> Result<(), SimFailure>
where
    F: FnMut(crate::sim::Sim) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let runs = seeds.end().saturating_sub(*seeds.start()).saturating_add(1);
    for (run, seed) in (1..).zip(seeds) {
        let body = &mut body;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::sim::run(seed, body).check();
        }));
        if let Err(payload) = outcome {
            return Err(SimFailure {
                seed,
                run,
                runs,
                payload,
            });
        }
    }
    Ok(())
}

/// The body on sim, with the seeds of [`seed_plan`] (`WRANGLE_SEED`, or `count` seeds); on a
/// failure, prints [`SimFailure::report`] and re-raises the panic.
#[cfg(feature = "sim")]
pub fn sim<F, Fut>(test: &TestId, count: u64, mut body: F)
where
    F: FnMut(AnyRuntime) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    sim_with(test, count, |sim| body(AnyRuntime::new(sim)));
}

/// [`sim`] with the body handed the concrete [`Sim`](crate::sim::Sim): the same seeds and
/// the same report.
#[cfg(feature = "sim")]
pub fn sim_with<F, Fut>(test: &TestId, count: u64, body: F)
where
    F: FnMut(crate::sim::Sim) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let var = std::env::var(SEED_VAR).ok();
    if let Err(failure) = try_sim_with(seed_plan(var.as_deref(), count), body) {
        eprintln!("{}", failure.report(test));
        std::panic::resume_unwind(failure.payload);
    }
}

// The gates. Each is defined twice, with and without its feature; `pub use` below gives them
// their paths in this module.

#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_tokio {
    (required $($test:tt)*) => { $($test)* };
    (optional $($test:tt)*) => { $($test)* };
}

#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_tokio {
    (required $($test:tt)*) => {
        ::core::compile_error!(
            "#[wrangle::test]: this runtime needs wrangle's feature `tokio`, which is off; \
             turn it on: wrangle = { version = \"0.2\", features = [\"tokio\"] }"
        );
    };
    (optional $($test:tt)*) => {};
}

#[cfg(feature = "smol")]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_smol {
    (required $($test:tt)*) => { $($test)* };
    (optional $($test:tt)*) => { $($test)* };
}

#[cfg(not(feature = "smol"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_smol {
    (required $($test:tt)*) => {
        ::core::compile_error!(
            "#[wrangle::test]: this runtime needs wrangle's feature `smol`, which is off; \
             turn it on: wrangle = { version = \"0.2\", features = [\"smol\"] }"
        );
    };
    (optional $($test:tt)*) => {};
}

#[cfg(feature = "async-std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_async_std {
    (required $($test:tt)*) => { $($test)* };
    (optional $($test:tt)*) => { $($test)* };
}

#[cfg(not(feature = "async-std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_async_std {
    (required $($test:tt)*) => {
        ::core::compile_error!(
            "#[wrangle::test]: this runtime needs wrangle's feature `async-std`, which is off; \
             turn it on: wrangle = { version = \"0.2\", features = [\"async-std\"] }"
        );
    };
    (optional $($test:tt)*) => {};
}

#[cfg(feature = "sim")]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_sim {
    (required $($test:tt)*) => { $($test)* };
    (optional $($test:tt)*) => { $($test)* };
}

#[cfg(not(feature = "sim"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_if_sim {
    (required $($test:tt)*) => {
        ::core::compile_error!(
            "#[wrangle::test]: this runtime needs wrangle's feature `sim`, which is off; \
             turn it on: wrangle = { version = \"0.2\", features = [\"sim\"] }"
        );
    };
    (optional $($test:tt)*) => {};
}

/// A test on every runtime, with none: a compile error that says so.
#[cfg(any(
    feature = "tokio",
    feature = "smol",
    feature = "async-std",
    feature = "sim"
))]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_any_runtime {
    () => {};
}

#[cfg(not(any(
    feature = "tokio",
    feature = "smol",
    feature = "async-std",
    feature = "sim"
)))]
#[doc(hidden)]
#[macro_export]
macro_rules! __wrangle_any_runtime {
    () => {
        ::core::compile_error!(
            "#[wrangle::test]: wrangle is built with no runtime, so there is nothing to run \
             the test on; turn on one of its features `tokio`, `smol`, `async-std`, `sim`"
        );
    };
}

pub use crate::__wrangle_any_runtime as any_runtime;
pub use crate::__wrangle_if_async_std as if_async_std;
pub use crate::__wrangle_if_sim as if_sim;
pub use crate::__wrangle_if_smol as if_smol;
pub use crate::__wrangle_if_tokio as if_tokio;
