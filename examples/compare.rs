//! `compare`: a quick, side-by-side comparison of wrangle with each runtime's own primitives and
//! the crates people use today, on every runtime, in under two minutes.
//!
//! ```text
//! cargo run --release --example compare --features full            # writes target/compare/
//! cargo run --release --example compare --features full -- --out DIR
//! ```
//!
//! It prints a markdown table of ratios (wrangle ÷ the other crate: below 1 means wrangle is
//! faster) — gather, as_completed, timeout, retry (against backon) and blocking offload
//! (against the `blocking` crate, and tokio's `spawn_blocking` on tokio) on every runtime, and
//! rate limiting (against governor) — and writes three SVG charts: the ratio per combinator and runtime, gather's cost per
//! item against N from 10 to 10^6, and the streaming gather's peak memory against N (measured
//! in child processes, so each figure starts from a fresh heap). Every figure is the median of
//! paired, alternating rounds; the criterion benchmarks in `benches/` are the careful version
//! (BENCHMARKS.md).
//!
//! backon's sleeper is the runtime's own timer (`tokio::time::sleep`, async-io's
//! `Timer::after` on smol, `async_std::task::sleep`), skipping zero delays as wrangle's retry
//! does; with the zero-delay policies here neither side arms a timer. The blocking rows drive
//! 20 000 no-op calls, at most 256 in flight, each side after a 700 ms pause so the threads
//! the previous side left behind have exited (`blocking` retires idle threads after 500 ms).

use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use backon::Retryable as _;
use futures_util::StreamExt as _;
use wrangle::{AnyRuntime, Runtime, Timer};

const ROUNDS: usize = 5;

/// A future that is pending once, then ready: the cheapest honest child.
async fn yield_once(i: u64) -> u64 {
    wrangle::yield_now().await;
    i
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `ours` and `theirs` alternately, `ROUNDS` times each; returns the medians of ns per
/// item and of the paired ratios.
fn paired(n: u64, ours: impl FnMut(), theirs: impl FnMut()) -> (f64, f64, f64) {
    paired_settled(n, Duration::ZERO, ours, theirs)
}

/// [`paired`], pausing `settle` before each timed run (not timed).
fn paired_settled(
    n: u64,
    settle: Duration,
    mut ours: impl FnMut(),
    mut theirs: impl FnMut(),
) -> (f64, f64, f64) {
    let per = |d: Duration| d.as_nanos() as f64 / n as f64;
    let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let time = |f: &mut dyn FnMut()| {
            std::thread::sleep(settle);
            let start = Instant::now();
            f();
            per(start.elapsed())
        };
        let (x, y) = if round % 2 == 0 {
            let x = time(&mut ours);
            (x, time(&mut theirs))
        } else {
            let y = time(&mut theirs);
            (time(&mut ours), y)
        };
        a.push(x);
        b.push(y);
        r.push(x / y);
    }
    (median(a), median(b), median(r))
}

struct Row {
    combinator: &'static str,
    runtime: &'static str,
    other: &'static str,
    ours: f64,
    theirs: f64,
    ratio: f64,
}

/// A future made fresh for each round, boxed so every runtime can run it; it may borrow what
/// the round's caller holds (a timer, a policy).
type MakeFuture<'a> = dyn FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>> + 'a;

/// One line of a chart: its name, its colour, its (x, y) points.
type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// The runtimes, each with a way to run a future to completion natively.
struct Rt {
    name: &'static str,
    rt: AnyRuntime,
    concrete: Concrete,
    native: Box<dyn Fn(&mut MakeFuture<'_>)>,
}

/// The runtime's own handle, for the rows that use its concrete timer.
enum Concrete {
    Tokio(wrangle::tokio::Tokio),
    Smol(wrangle::smol::Smol),
    AsyncStd(wrangle::async_std::AsyncStd),
}

fn runtimes() -> Vec<Rt> {
    let tokio_mt = wrangle::tokio::Tokio::new().expect("tokio starts");
    let tokio_ct = wrangle::tokio::Tokio::current_thread().expect("tokio starts");
    let smol = wrangle::smol::Smol::new().expect("smol starts");
    let async_std = wrangle::async_std::AsyncStd::new();
    vec![
        Rt {
            name: "tokio",
            rt: AnyRuntime::new(tokio_mt.clone()),
            concrete: Concrete::Tokio(tokio_mt.clone()),
            native: Box::new(move |f| tokio_mt.block_on(f())),
        },
        Rt {
            name: "tokio-current-thread",
            rt: AnyRuntime::new(tokio_ct.clone()),
            concrete: Concrete::Tokio(tokio_ct.clone()),
            native: Box::new(move |f| tokio_ct.block_on(f())),
        },
        Rt {
            name: "smol",
            rt: AnyRuntime::new(smol.clone()),
            concrete: Concrete::Smol(smol.clone()),
            native: Box::new(move |f| smol.block_on(f())),
        },
        Rt {
            name: "async-std",
            rt: AnyRuntime::new(async_std.clone()),
            concrete: Concrete::AsyncStd(async_std.clone()),
            native: Box::new(move |f| async_std.block_on(f())),
        },
    ]
}

/// backon's sleeper on tokio, skipping zero delays as wrangle's retry does.
async fn tokio_sleep(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// backon's sleeper on smol, skipping zero delays.
async fn async_io_sleep(delay: Duration) {
    if !delay.is_zero() {
        async_io::Timer::after(delay).await;
    }
}

/// backon's sleeper on async-std, skipping zero delays.
async fn async_std_sleep(delay: Duration) {
    if !delay.is_zero() {
        async_std::task::sleep(delay).await;
    }
}

async fn ok(i: u64) -> Result<u64, ()> {
    Ok(black_box(i))
}

/// Fails on the first two attempts of every call, then succeeds.
async fn flaky(attempt: u32, i: u64) -> Result<u64, &'static str> {
    if attempt < 3 {
        Err("transient")
    } else {
        Ok(black_box(i))
    }
}

/// wrangle's retry on `timer` against backon on `sleeper`: a call that succeeds at once
/// (200 000 calls), and one that fails twice then succeeds with zero delays (100 000 calls).
/// Each retry borrows the timer and the policy (`retry(timer, &policy, f)`): no handle clone.
fn retry_rows<T, S, Fut>(
    rows: &mut Vec<Row>,
    name: &'static str,
    run: &dyn Fn(&mut MakeFuture<'_>),
    timer: &T,
    sleeper: S,
) where
    T: Timer,
    S: Fn(Duration) -> Fut + Copy + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let policy = wrangle::retry::RetryPolicy::builder()
        .constant(Duration::ZERO)
        .max_retries(3)
        .build()
        .expect("valid policy");
    let policy = &policy;
    let backon_policy = backon::ConstantBuilder::default()
        .with_delay(Duration::ZERO)
        .with_max_times(3);
    for (combinator, m, fails) in [
        ("retry, first attempt ok", 200_000u64, false),
        ("retry, fails twice", 100_000, true),
    ] {
        let (ours, theirs, ratio) = paired(
            m,
            || {
                run(&mut || {
                    Box::pin(async move {
                        for i in 0..m {
                            let out = if fails {
                                wrangle::retry::retry(timer, policy, |a| flaky(a.number(), i))
                                    .await
                                    .ok()
                            } else {
                                wrangle::retry::retry(timer, policy, |_| ok(i)).await.ok()
                            };
                            black_box(out);
                        }
                    })
                })
            },
            || {
                run(&mut || {
                    Box::pin(async move {
                        for i in 0..m {
                            let out = if fails {
                                let mut attempt = 0;
                                let call = || {
                                    attempt += 1;
                                    flaky(attempt, i)
                                };
                                call.retry(backon_policy).sleep(sleeper).await.ok()
                            } else {
                                let call = || ok(i);
                                call.retry(backon_policy).sleep(sleeper).await.ok()
                            };
                            black_box(out);
                        }
                    })
                })
            },
        );
        rows.push(Row {
            combinator,
            runtime: name,
            other: "backon",
            ours,
            theirs,
            ratio,
        });
    }
}

/// Pause before each timed blocking run, so the threads the previous side left behind have
/// exited (`blocking` retires idle threads after 500 ms).
const SETTLE: Duration = Duration::from_millis(700);

/// 20 000 no-op calls, at most 256 in flight: wrangle's global pool against the `blocking`
/// crate's, and on tokio against the runtime's own `spawn_blocking`.
fn blocking_rows(rows: &mut Vec<Row>, r: &Rt) {
    let run = |f: &mut MakeFuture<'_>| (r.native)(f);
    let n = 20_000u64;
    let limit = 256;
    let wrangle_side = || {
        run(&mut || {
            Box::pin(async move {
                let calls = (0..n).map(|_| wrangle::blocking::unblock(|| black_box(())));
                black_box(wrangle::gather(calls).limit(limit).await.len());
            })
        })
    };
    let (ours, theirs, ratio) = paired_settled(n, SETTLE, wrangle_side, || {
        run(&mut || {
            Box::pin(async move {
                let calls = (0..n).map(|_| blocking::unblock(|| black_box(())));
                black_box(wrangle::gather(calls).limit(limit).await.len());
            })
        })
    });
    rows.push(Row {
        combinator: "blocking offload",
        runtime: r.name,
        other: "blocking::unblock",
        ours,
        theirs,
        ratio,
    });
    if matches!(r.concrete, Concrete::Tokio(_)) {
        let (ours, theirs, ratio) = paired_settled(n, SETTLE, wrangle_side, || {
            run(&mut || {
                Box::pin(async move {
                    let calls = (0..n).map(|_| async {
                        tokio::task::spawn_blocking(|| black_box(()))
                            .await
                            .expect("no panic")
                    });
                    black_box(wrangle::gather(calls).limit(limit).await.len());
                })
            })
        });
        rows.push(Row {
            combinator: "offload vs spawn_blocking",
            runtime: r.name,
            other: "tokio spawn_blocking",
            ours,
            theirs,
            ratio,
        });
    }
}

fn measure(rows: &mut Vec<Row>) {
    let limit = 64;
    for r in runtimes() {
        let run = |f: &mut MakeFuture<'_>| (r.native)(f);
        println!("measuring on {} ...", r.name);

        // gather of 50 000 yield-once futures at limit 64, against `buffered(64)`.
        let n = 50_000;
        let (ours, theirs, ratio) = paired(
            n,
            || {
                run(&mut || {
                    Box::pin(async move {
                        let out = wrangle::gather((0..n).map(yield_once)).limit(limit).await;
                        black_box(out);
                    })
                })
            },
            || {
                run(&mut || {
                    Box::pin(async move {
                        let out: Vec<u64> = futures_util::stream::iter((0..n).map(yield_once))
                            .buffered(64)
                            .collect()
                            .await;
                        black_box(out);
                    })
                })
            },
        );
        rows.push(Row {
            combinator: "gather (limit 64)",
            runtime: r.name,
            other: "futures-util buffered",
            ours,
            theirs,
            ratio,
        });

        // as_completed of 50 000 against FuturesUnordered.
        let (ours, theirs, ratio) = paired(
            n,
            || {
                run(&mut || {
                    Box::pin(async move {
                        let count = wrangle::as_completed((0..n).map(yield_once)).count().await;
                        black_box(count);
                    })
                })
            },
            || {
                run(&mut || {
                    Box::pin(async move {
                        let set: futures_util::stream::FuturesUnordered<_> =
                            (0..n).map(yield_once).collect();
                        black_box(futures_util::StreamExt::count(set).await);
                    })
                })
            },
        );
        rows.push(Row {
            combinator: "as_completed",
            runtime: r.name,
            other: "FuturesUnordered",
            ours,
            theirs,
            ratio,
        });

        // timeout around a ready future, against a bare await.
        let t = &r.rt;
        let m = 200_000;
        let (ours, theirs, _) = paired(
            m,
            || {
                t.block_on(async {
                    for i in 0..m {
                        black_box(
                            wrangle::timeout(t, Duration::from_secs(1), async move { i })
                                .await
                                .ok(),
                        );
                    }
                })
            },
            || {
                t.block_on(async {
                    for i in 0..m {
                        black_box(async move { i }.await);
                    }
                })
            },
        );
        rows.push(Row {
            combinator: "timeout, ready future",
            runtime: r.name,
            other: "bare await (ns added)",
            ours,
            theirs,
            ratio: ours - theirs,
        });

        // retry, against backon with a sleeper on the runtime's own timer.
        match &r.concrete {
            Concrete::Tokio(rt) => retry_rows(rows, r.name, &*r.native, rt, tokio_sleep),
            Concrete::Smol(rt) => retry_rows(rows, r.name, &*r.native, rt, async_io_sleep),
            Concrete::AsyncStd(rt) => retry_rows(rows, r.name, &*r.native, rt, async_std_sleep),
        }

        // Blocking offload: no-op calls through wrangle's pool and the others'.
        blocking_rows(rows, &r);
    }

    // Rate limiting is runtime-free here: an uncontended admission, against governor.
    let clock = wrangle::tokio::Tokio::current_thread().expect("tokio starts");
    let quota = wrangle::rate::Quota::per_second(1_000_000_000)
        .and_then(|q| q.burst(u32::MAX))
        .expect("valid quota");
    let ours_limiter = wrangle::rate::RateLimiter::new(clock, quota);
    let nz = std::num::NonZeroU32::new(u32::MAX).expect("non-zero");
    let governor = governor::RateLimiter::direct(governor::Quota::per_second(nz).allow_burst(nz));
    let m = 500_000;
    let (ours, theirs, ratio) = paired(
        m,
        || {
            for _ in 0..m {
                black_box(ours_limiter.try_acquire().is_ok());
            }
        },
        || {
            for _ in 0..m {
                black_box(governor.check().is_ok());
            }
        },
    );
    rows.push(Row {
        combinator: "rate limit, uncontended",
        runtime: "any",
        other: "governor",
        ours,
        theirs,
        ratio,
    });
}

/// gather's cost per item against N, on `futures_lite::future::block_on`.
fn cost_per_item() -> Vec<(u64, f64, f64)> {
    let limit = 64;
    let mut points = Vec::new();
    for n in [10u64, 100, 1_000, 10_000, 100_000, 1_000_000] {
        // Enough repetitions that small N is measured over at least ~100 000 items.
        let reps = (100_000 / n).max(1);
        let (ours, theirs, _) = paired(
            n * reps,
            || {
                for _ in 0..reps {
                    let out = futures_lite::future::block_on(
                        wrangle::gather((0..n).map(yield_once)).limit(limit),
                    );
                    black_box(out);
                }
            },
            || {
                for _ in 0..reps {
                    let out: Vec<u64> = futures_lite::future::block_on(
                        futures_util::stream::iter((0..n).map(yield_once))
                            .buffered(64)
                            .collect(),
                    );
                    black_box(out);
                }
            },
        );
        points.push((n, ours, theirs));
    }
    points
}

/// The child-process side of the memory chart: stream N items through `gather_stream` at
/// limit 1024 and print the process's peak resident memory.
fn child_stream(n: u64) {
    let sum = futures_lite::future::block_on(async {
        let source = futures_lite::stream::iter((0..n).map(yield_once));
        let mut out = std::pin::pin!(wrangle::gather_stream(source).limit(1024));
        let mut sum = 0u64;
        while let Some(v) = futures_util::StreamExt::next(&mut out).await {
            sum = sum.wrapping_add(v);
        }
        sum
    });
    black_box(sum);
    println!("{}", peak_rss_kib());
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn memory_against_n() -> Vec<(u64, f64)> {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(_) => return Vec::new(),
    };
    [1_000u64, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter_map(|n| {
            let out = std::process::Command::new(&exe)
                .args(["--child-stream", &n.to_string()])
                .output()
                .ok()?;
            let kib: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
            Some((n, kib))
        })
        .collect()
}

// ---- SVG, by hand: three small charts need no plotting crate. ----

fn svg(width: u32, height: u32, body: &str, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" \
         fill=\"white\"/>\n<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">{title}</text>\n{body}</svg>\n",
        width / 2
    )
}

fn ratio_chart(rows: &[Row]) -> String {
    let bars: Vec<&Row> = rows
        .iter()
        .filter(|r| r.ratio.is_finite() && r.ratio > 0.0 && r.combinator != "timeout, ready future")
        .collect();
    let (w, h, left, top, bottom) = (800u32, 60 + 24 * bars.len() as u32, 340.0, 40.0, 30.0);
    let max = bars.iter().map(|r| r.ratio).fold(1.2_f64, f64::max);
    let scale = (f64::from(w) - left - 40.0) / max;
    let mut body = String::new();
    for (i, r) in bars.iter().enumerate() {
        let y = top + 24.0 * i as f64;
        let color = if r.ratio <= 1.0 { "#3a7d44" } else { "#c0392b" };
        body += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} · {}</text>\n<rect x=\"{left}\" y=\"{}\" width=\"{:.1}\" height=\"16\" fill=\"{color}\"/>\n<text x=\"{:.1}\" y=\"{}\">{:.2}×</text>\n",
            left - 6.0,
            y + 12.0,
            r.combinator,
            r.runtime,
            y,
            r.ratio * scale,
            left + r.ratio * scale + 4.0,
            y + 12.0,
            r.ratio
        );
    }
    let x1 = left + scale;
    body += &format!(
        "<line x1=\"{x1:.1}\" y1=\"{top}\" x2=\"{x1:.1}\" y2=\"{:.1}\" stroke=\"black\" stroke-dasharray=\"4\"/>\n<text x=\"{x1:.1}\" y=\"{:.1}\" text-anchor=\"middle\">1× (parity)</text>\n",
        f64::from(h) - bottom,
        f64::from(h) - bottom + 14.0
    );
    svg(
        w,
        h,
        &body,
        "wrangle ÷ the other crate (shorter is faster; green: wrangle faster)",
    )
}

fn line_chart(title: &str, y_label: &str, series: &[Series<'_>]) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 380.0, 70.0, 150.0, 40.0, 50.0);
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.0.log10()))
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .collect();
    if xs.is_empty() {
        return svg(w as u32, h as u32, "", title);
    }
    let (x0, x1) = (
        xs.iter().copied().fold(f64::MAX, f64::min),
        xs.iter().copied().fold(f64::MIN, f64::max),
    );
    let y1 = ys.iter().copied().fold(0.0_f64, f64::max) * 1.1;
    let px = |x: f64| left + (x.log10() - x0) / (x1 - x0).max(1e-9) * (w - left - right);
    let py = |y: f64| h - bottom - y / y1.max(1e-9) * (h - top - bottom);
    let mut body = format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"black\"/>\n<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">{y_label}</text>\n<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">N (log scale)</text>\n",
        h - bottom,
        w - right,
        h - bottom,
        h - bottom,
        h / 2.0,
        h / 2.0,
        (left + w - right) / 2.0,
        h - 12.0
    );
    for (n, _) in series.first().map(|s| s.2.clone()).unwrap_or_default() {
        body += &format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{n}</text>\n",
            px(n),
            h - bottom + 16.0
        );
    }
    for k in 0..=4 {
        let y = y1 * f64::from(k) / 4.0;
        body += &format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{y:.0}</text>\n",
            left - 6.0,
            py(y) + 4.0
        );
    }
    for (i, (name, color, points)) in series.iter().enumerate() {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
            .collect();
        body += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n<text x=\"{}\" y=\"{}\" fill=\"{color}\">{name}</text>\n",
            path.join(" "),
            w - right + 10.0,
            top + 18.0 * i as f64 + 10.0
        );
    }
    svg(w as u32, h as u32, &body, title)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut out = PathBuf::from("target/compare");
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--child-stream", Some(n)) => {
                child_stream(n.parse().unwrap_or(1000));
                return ExitCode::SUCCESS;
            }
            ("--out", Some(dir)) => out = PathBuf::from(dir),
            _ => {
                eprintln!("usage: compare [--out DIR]");
                return ExitCode::FAILURE;
            }
        }
    }
    let start = Instant::now();
    let mut rows = Vec::new();
    measure(&mut rows);
    println!("measuring gather's cost per item against N ...");
    let cost = cost_per_item();
    println!("measuring the streaming gather's peak memory against N (child processes) ...");
    let memory = memory_against_n();

    println!(
        "\n| combinator | runtime | compared with | wrangle ns | other ns | wrangle ÷ other |"
    );
    println!("|---|---|---|---:|---:|---:|");
    for r in &rows {
        let theirs = if r.theirs.is_nan() {
            "—".to_owned()
        } else {
            format!("{:.1}", r.theirs)
        };
        let ratio = if r.ratio.is_nan() {
            "—".to_owned()
        } else if r.combinator.starts_with("timeout") {
            format!("+{:.1} ns", r.ratio)
        } else {
            format!("{:.2}×", r.ratio)
        };
        println!(
            "| {} | {} | {} | {:.1} | {theirs} | {ratio} |",
            r.combinator, r.runtime, r.other, r.ours
        );
    }
    println!("\n| N | gather ns/item | buffered ns/item |\n|---:|---:|---:|");
    for (n, a, b) in &cost {
        println!("| {n} | {a:.1} | {b:.1} |");
    }
    println!("\n| N | streaming gather peak RSS (KiB) |\n|---:|---:|");
    for (n, kib) in &memory {
        println!("| {n} | {kib:.0} |");
    }

    let charts = [
        ("ratios.svg", ratio_chart(&rows)),
        (
            "cost_per_item.svg",
            line_chart(
                "gather: ns per item against N (limit 64, block_on)",
                "ns per item",
                &[
                    (
                        "wrangle gather",
                        "#3a7d44",
                        cost.iter().map(|(n, a, _)| (*n as f64, *a)).collect(),
                    ),
                    (
                        "buffered(64)",
                        "#c0392b",
                        cost.iter().map(|(n, _, b)| (*n as f64, *b)).collect(),
                    ),
                ],
            ),
        ),
        (
            "memory.svg",
            line_chart(
                "streaming gather: peak RSS against N (limit 1024)",
                "peak RSS, KiB",
                &[(
                    "gather_stream",
                    "#3a7d44",
                    memory.iter().map(|(n, k)| (*n as f64, *k)).collect(),
                )],
            ),
        ),
    ];
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    for (name, body) in charts {
        let path = out.join(name);
        if let Err(e) = std::fs::write(&path, body) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    println!("done in {:.0} s", start.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}
