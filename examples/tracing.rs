//! One slow request followed through its spans, with the `tracing` feature on: the request's
//! span holds a named group child, which holds one span per retry attempt (its number, the
//! delay before it, why it failed), each holding its rate-limit wait and its blocking call;
//! and the blocked-thread detector's warning names the group child it caught.
//!
//! ```text
//! RUST_LOG=wrangle=debug,wrangle_blocking=warn,tracing=info \
//!     cargo run --example tracing --features full,tracing -- --runtime sim
//! ```
//!
//! Without `RUST_LOG` it prints with `wrangle=debug,wrangle_blocking=warn,tracing=info`. Span
//! lines show `request{id=7}:group_child{index=0 name="fetch"}:retry_attempt{attempt=2
//! delay_ms=50}: ...`, and each span's close reports its busy and idle time. The program
//! checks its own figures (two attempts; on sim exactly 200 ms) and exits non-zero if one is
//! off.

use std::process::ExitCode;
use std::time::Duration;

use tracing::Instrument as _;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use wrangle::blocking::Detector;
use wrangle::group::TaskGroup;
use wrangle::rate::{Quota, RateLimiter};
use wrangle::retry::{RetryPolicy, retry};
use wrangle::{AnyRuntime, Runtime, Timer};

/// The request: a group child "fetch" that retries a call, each attempt waiting for the rate
/// limiter (5 a second) and making one blocking call; the first attempt fails (and blocks
/// its thread for 30 ms, which the detector reports). Returns the attempts made.
async fn request<R: Runtime + 'static>(rt: &R) -> u32 {
    let policy = RetryPolicy::builder()
        .constant(Duration::from_millis(50))
        .max_retries(3)
        .build()
        .expect("a valid policy");
    let limiter = RateLimiter::new(rt.clone(), Quota::per_second(5).expect("a valid quota"));
    let detector = Detector::new().threshold(Duration::from_millis(20));
    let mut group = TaskGroup::new(rt);
    let (clock, timer) = (rt.clone(), rt.clone());
    group.spawn_named(
        "fetch",
        detector.watch(async move {
            let attempts = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
            let counted = attempts.clone();
            let body = retry(&timer, &policy, move |attempt| {
                let (clock, limiter) = (clock.clone(), limiter.clone());
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    limiter.acquire().await;
                    let body = wrangle::blocking::unblock_on(&clock, || "body").await;
                    if attempt.number() == 1 {
                        // A mistake the detector catches: blocking the async thread.
                        std::thread::sleep(Duration::from_millis(30));
                        tracing::info!("upstream said 503");
                        Err("503")
                    } else {
                        Ok(body)
                    }
                }
            })
            .await;
            body.map(|_| attempts.load(std::sync::atomic::Ordering::SeqCst))
        }),
    );
    let attempts = group.join().await.expect("the request succeeds");
    attempts[0]
}

fn main() -> ExitCode {
    let spec = std::env::var("RUST_LOG")
        .unwrap_or_else(|_| "wrangle=debug,wrangle_blocking=warn,tracing=info".to_owned());
    let filter = match spec.parse::<tracing_subscriber::filter::Targets>() {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("RUST_LOG={spec:?} is not a filter: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_span_events(FmtSpan::CLOSE),
        )
        .with(filter)
        .init();

    // `--runtime R` (default: every runtime); `--scale` is accepted for examples/smoke.sh
    // and ignored: the figures are already small.
    let mut runtime = "all".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--runtime", Some(v)) => runtime = v,
            ("--scale", Some(_)) => {}
            _ => {
                eprintln!("usage: tracing [--runtime tokio|smol|async-std|sim|all]");
                return ExitCode::FAILURE;
            }
        }
    }
    let names: Vec<&str> = match runtime.as_str() {
        "all" => vec!["sim", "tokio", "smol", "async-std"],
        one => vec![one],
    };
    let mut ok = true;
    for name in names {
        let rt = match name {
            "sim" => AnyRuntime::new(wrangle::sim::Sim::new(7)),
            "tokio" => AnyRuntime::new(wrangle::tokio::Tokio::new().expect("tokio starts")),
            "smol" => AnyRuntime::new(wrangle::smol::Smol::new().expect("smol starts")),
            "async-std" => AnyRuntime::new(wrangle::async_std::AsyncStd::new()),
            other => {
                eprintln!("unknown runtime {other:?}");
                return ExitCode::FAILURE;
            }
        };
        let start = rt.now();
        let attempts = rt.block_on(request(&rt).instrument(tracing::info_span!("request", id = 7)));
        let took = rt.now() - start;
        // Attempt 2 after 50 ms, admitted at the limiter's next turn: 200 ms (exactly, on sim).
        let timing_ok = if name == "sim" {
            took == Duration::from_millis(200)
        } else {
            took >= Duration::from_millis(200) && took < Duration::from_secs(5)
        };
        println!("{name}: {attempts} attempts in {took:?}");
        if attempts != 2 || !timing_ok {
            println!("{name}: FAILED (expected 2 attempts in 200 ms)");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
