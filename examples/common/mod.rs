//! What every example shares: the `--runtime` and `--scale` flags, the runtime a run is on
//! (with sim's virtual clock when it is `sim`), and the report that checks the figures and
//! prints the summary table.
//!
//! Each example includes this file with `mod common;` and uses the part it needs.
#![allow(dead_code)] // each example uses a different part of it

use std::fmt::{Debug, Display};
use std::process::ExitCode;
use std::time::Duration;

use wrangle::{AnyRuntime, Runtime, Spawn};

/// The runtimes `--runtime all` runs on, in this order.
pub(crate) const RUNTIMES: [&str; 5] =
    ["tokio", "tokio-current-thread", "smol", "async-std", "sim"];

/// A runtime to run a scenario on, and how its durations are scaled.
#[derive(Clone)]
pub(crate) struct Env {
    /// The runtime, picked at run time.
    pub(crate) rt: AnyRuntime,
    /// Under virtual time, the sim itself: a blocking call parks in its clock instead of the
    /// OS's.
    pub(crate) sim: Option<wrangle::sim::Sim>,
    /// One scenario second takes `scale` real seconds (1 under sim: virtual time is free).
    pub(crate) scale: f64,
}

impl Env {
    /// The runtime's name, as the table shows it.
    pub(crate) fn name(&self) -> &'static str {
        self.rt.name()
    }

    /// Whether figures are exact (virtual time) or real, with scheduling noise.
    pub(crate) fn exact(&self) -> bool {
        self.sim.is_some()
    }

    /// `seconds` of scenario time, scaled to what this run waits.
    pub(crate) fn secs(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds * self.scale)
    }

    /// A measured duration in scenario seconds.
    pub(crate) fn scenario(&self, took: Duration) -> f64 {
        took.as_secs_f64() / self.scale
    }

    /// One blocking call of a scenario, e.g. `fetch_product`: the thread sleeps.
    pub(crate) fn blocking_call(&self, call: Duration) {
        match &self.sim {
            Some(sim) => sim.sleep_blocking(call),
            None => std::thread::sleep(call),
        }
    }

    /// Offloads one blocking call to the runtime's blocking pool.
    pub(crate) fn offload(&self, call: Duration) -> wrangle::Task<()> {
        let env = self.clone();
        self.rt.spawn_blocking(move || env.blocking_call(call))
    }
}

/// What the command line asked for.
#[derive(Debug)]
pub(crate) struct Args {
    /// `--runtime`: one name of [`RUNTIMES`], or `all`.
    pub(crate) runtime: String,
    /// `--scale`: real seconds per scenario second on the real runtimes.
    pub(crate) scale: f64,
}

impl Args {
    /// Parses `--runtime R` and `--scale F`; prints the usage and fails on anything else.
    ///
    /// Also starts `tracing` output when `RUST_LOG` is set ([`init_tracing`]).
    pub(crate) fn parse(example: &str, default_scale: f64) -> Result<Self, ExitCode> {
        Self::parse_with(example, default_scale, &[]).map(|(args, _)| args)
    }

    /// [`parse`](Self::parse), also accepting the example's own flags without a value
    /// (`flags`, e.g. `--until-ctrl-c`): returns those that were given.
    pub(crate) fn parse_with(
        example: &str,
        default_scale: f64,
        flags: &[&'static str],
    ) -> Result<(Self, Vec<&'static str>), ExitCode> {
        init_tracing();
        let own: String = flags.iter().map(|f| format!(" [{f}]")).collect();
        let usage = format!(
            "usage: {example} [--runtime {}|all] [--scale F]{own}\n  \
             --scale F: one scenario second takes F real seconds (default {default_scale}); \
             under sim time is virtual and exact\n  \
             RUST_LOG=wrangle=debug,info (for example) prints tracing events to stderr",
            RUNTIMES.join("|")
        );
        let mut out = Args {
            runtime: "all".to_owned(),
            scale: default_scale,
        };
        let mut given = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if let Some(flag) = flags.iter().find(|f| **f == arg) {
                given.push(*flag);
                continue;
            }
            match (arg.as_str(), args.next()) {
                ("--runtime", Some(v)) => out.runtime = v,
                ("--scale", Some(v)) => match v.parse::<f64>() {
                    Ok(s) if s > 0.0 && s <= 10.0 => out.scale = s,
                    _ => {
                        eprintln!("--scale takes a number in (0, 10], got {v:?}");
                        return Err(ExitCode::FAILURE);
                    }
                },
                _ => {
                    eprintln!("{usage}");
                    return Err(ExitCode::FAILURE);
                }
            }
        }
        tracing::debug!(?out, ?given, "{example}: arguments");
        Ok((out, given))
    }

    /// The runtimes asked for; `sim` is left out of `all` (and refused) when `with_sim` is
    /// false, as for examples on real sockets.
    pub(crate) fn runtimes(&self, with_sim: bool) -> Result<Vec<Env>, ExitCode> {
        let names: Vec<&str> = if self.runtime == "all" {
            RUNTIMES
                .into_iter()
                .filter(|r| with_sim || *r != "sim")
                .collect()
        } else {
            vec![self.runtime.as_str()]
        };
        names
            .into_iter()
            .map(|name| {
                runtime(name, with_sim, self.scale).map_err(|e| {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                })
            })
            .collect()
    }
}

/// The whole `main` of an example: parses the flags, then runs `scenarios` on each runtime
/// asked for (with `sim` unless `with_sim` is false), and prints the checked figures.
pub(crate) fn run_each(
    example: &str,
    default_scale: f64,
    with_sim: bool,
    mut scenarios: impl FnMut(&Env, &mut Report),
) -> ExitCode {
    let args = match Args::parse(example, default_scale) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let envs = match args.runtimes(with_sim) {
        Ok(envs) => envs,
        Err(code) => return code,
    };
    let mut report = Report::default();
    for env in &envs {
        println!("\non {} (1 scenario second = {} s):", env.name(), env.scale);
        scenarios(env, &mut report);
    }
    report.finish()
}

/// Prints `tracing` events to stderr when `RUST_LOG` is set, filtered as it says: a
/// comma-separated list of `target=level` and a bare default level, e.g.
/// `RUST_LOG=wrangle=debug,info` (wrangle's retry, breaker and blocking-detector events at
/// debug, the examples' own at info). Nothing is printed when it is unset.
pub(crate) fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let Ok(spec) = std::env::var("RUST_LOG") else {
        return;
    };
    match spec.parse::<tracing_subscriber::filter::Targets>() {
        Ok(filter) => {
            let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
            // A second call in one process (never in the examples) keeps the first.
            let _ = tracing_subscriber::registry()
                .with(layer)
                .with(filter)
                .try_init();
        }
        Err(e) => eprintln!("RUST_LOG={spec:?} is not a filter ({e}); no tracing output"),
    }
}

/// A progress bar of `len` steps for work that takes more than a moment on a real runtime.
///
/// It draws on stderr only when stderr is a terminal (so logs and CI stay clean), and never
/// under sim, where the work is instant. Print through [`ProgressBar::println`] while it is
/// on screen, and finish it with `finish_and_clear`.
///
/// [`ProgressBar::println`]: indicatif::ProgressBar::println
pub(crate) fn progress(env: &Env, len: u64, what: &str) -> indicatif::ProgressBar {
    if env.exact() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template(
        "  {prefix} [{bar:30.cyan/blue}] {pos}/{len} {msg} ({elapsed})",
    )
    .expect("the template is valid")
    .progress_chars("=> ");
    indicatif::ProgressBar::new(len)
        .with_style(style)
        .with_prefix(format!("{what} on {}", env.name()))
}

/// Prints `line` above `bar` while it is on screen, or plainly when it is hidden (not a
/// terminal, or sim), where `ProgressBar::println` would print nothing.
pub(crate) fn say(bar: &indicatif::ProgressBar, line: impl AsRef<str>) {
    if bar.is_hidden() {
        println!("{}", line.as_ref());
    } else {
        bar.println(line);
    }
}

/// Builds one runtime by name.
pub(crate) fn runtime(name: &str, with_sim: bool, scale: f64) -> Result<Env, String> {
    let real = |rt: AnyRuntime| Env {
        rt,
        sim: None,
        scale,
    };
    let io = |e: std::io::Error| format!("cannot start {name}: {e}");
    Ok(match name {
        "tokio" => real(AnyRuntime::new(wrangle::tokio::Tokio::new().map_err(io)?)),
        "tokio-current-thread" => real(AnyRuntime::new(
            wrangle::tokio::Tokio::current_thread().map_err(io)?,
        )),
        "smol" => real(AnyRuntime::new(wrangle::smol::Smol::new().map_err(io)?)),
        "async-std" => real(AnyRuntime::new(wrangle::async_std::AsyncStd::new())),
        "sim" if with_sim => {
            let sim = wrangle::sim::Sim::new(1);
            Env {
                rt: AnyRuntime::new(sim.clone()),
                sim: Some(sim),
                scale: 1.0,
            }
        }
        "sim" => return Err("this example needs real sockets: sim is not available".to_owned()),
        other => {
            return Err(format!(
                "unknown runtime {other:?}: use {} or all",
                RUNTIMES.join(", ")
            ));
        }
    })
}

/// One checked figure.
struct Row {
    runtime: &'static str,
    figure: String,
    expected: String,
    measured: String,
    ok: bool,
}

/// The figures of a run, each checked; prints the summary table and gives the exit code.
#[derive(Default)]
pub(crate) struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// Records a figure that was checked by the caller.
    pub(crate) fn check(
        &mut self,
        env: &Env,
        figure: &str,
        expected: impl Display,
        measured: impl Display,
        ok: bool,
    ) -> bool {
        tracing::info!(runtime = env.name(), figure, %expected, %measured, ok, "checked");
        if !ok {
            eprintln!(
                "  OFF on {}: {figure}: expected {expected}, measured {measured}",
                env.name()
            );
        }
        self.rows.push(Row {
            runtime: env.name(),
            figure: figure.to_owned(),
            expected: expected.to_string(),
            measured: measured.to_string(),
            ok,
        });
        ok
    }

    /// A figure that must be the same on every runtime: counts, orders, outcomes.
    pub(crate) fn equal<T: Debug + PartialEq>(
        &mut self,
        env: &Env,
        figure: &str,
        expected: T,
        measured: T,
    ) -> bool {
        let ok = expected == measured;
        self.check(
            env,
            figure,
            format!("{expected:?}"),
            format!("{measured:?}"),
            ok,
        )
    }

    /// A figure that must not exceed a bound, e.g. the peak number in flight.
    pub(crate) fn at_most<T: Display + PartialOrd>(
        &mut self,
        env: &Env,
        figure: &str,
        bound: T,
        measured: T,
    ) -> bool {
        let ok = measured <= bound;
        self.check(env, figure, format!("<= {bound}"), measured, ok)
    }

    /// A duration, given in scenario seconds: exact under sim (to the microsecond, as the
    /// durations are built from `f64` seconds); on a real runtime never early
    /// and late by at most a quarter plus 30 ms of real time (scheduling noise on a busy
    /// machine).
    pub(crate) fn took(&mut self, env: &Env, figure: &str, expected: f64, took: Duration) -> bool {
        let measured = env.scenario(took);
        let ok = if env.exact() {
            (measured - expected).abs() < 1e-6
        } else {
            measured >= expected * 0.98 - 1e-3 && measured <= expected * 1.25 + 0.03 / env.scale
        };
        self.check(
            env,
            figure,
            format!("{expected:.2} s"),
            format!("{measured:.3} s"),
            ok,
        )
    }

    /// Prints the table and says whether every figure was as expected.
    pub(crate) fn finish(self) -> ExitCode {
        println!("\n| runtime | figure | expected | measured | check |");
        println!("|---|---|---:|---:|---|");
        let mut off = 0;
        for r in &self.rows {
            off += usize::from(!r.ok);
            let check = if r.ok { "ok" } else { "OFF" };
            println!(
                "| {} | {} | {} | {} | {check} |",
                r.runtime, r.figure, r.expected, r.measured
            );
        }
        if off > 0 {
            eprintln!("\n{off} of {} figure(s) off", self.rows.len());
            return ExitCode::FAILURE;
        }
        println!("\nevery figure as expected ({} checked)", self.rows.len());
        ExitCode::SUCCESS
    }
}

/// Counts the drops of what it guards: a stand-in for a call's cleanup.
#[derive(Debug)]
pub(crate) struct Cleanup(pub(crate) std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// An HTTP/1 server for the examples that talk real HTTP (crawler.rs, tower.rs): hyper's
/// server on an ephemeral port of 127.0.0.1, on a current-thread tokio runtime in a thread of
/// its own, so it serves the same way whichever runtime its clients run on. Each request is
/// answered by `handler`. Dropping it stops that runtime, and every connection with it (hung
/// ones too).
pub(crate) struct HttpServer {
    pub(crate) addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpServer {
    pub(crate) fn start<H, Fut>(name: &str, handler: H) -> std::io::Result<Self>
    where
        H: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + 'static,
        Fut: std::future::Future<Output = hyper::Response<http_body_util::Full<hyper::body::Bytes>>>
            + Send
            + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let accept = async {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    loop {
                        let (stream, _) = listener.accept().await?;
                        let handler = handler.clone();
                        let service = hyper::service::service_fn(move |request| {
                            let answer = handler(request);
                            async move { Ok::<_, std::convert::Infallible>(answer.await) }
                        });
                        tokio::spawn(async move {
                            // A failed connection is the client's business (it hung up).
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                };
                rt.block_on(async {
                    let stopped = async {
                        let _ = stopped.await;
                        Ok::<(), std::io::Error>(())
                    };
                    if let Err(e) = futures_lite::future::or(accept, stopped).await {
                        eprintln!("  server: {e}");
                    }
                });
                // `rt` drops here, and every connection task with it.
            })?;
        Ok(HttpServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
