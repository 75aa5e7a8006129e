//! wrangle's tower layers in real parts: a hyper server and a hyper client on 127.0.0.1,
//! each behind a stack of `wrangle::tower` layers, under faults, on every real runtime.
//!
//! ```text
//! cargo run --example tower --features full                       # tokio, smol, async-std
//! cargo run --example tower --features full -- --runtime smol --scale 0.2
//! ```
//!
//! The **server** is hyper's HTTP/1 server on a current-thread tokio runtime in a thread of its
//! own. Its stack, outermost first:
//! - a rate limit per client (the `x-client` header; at most 3 at once, then 1 a second) that
//!   refuses at once: the server answers 429 with `Retry-After` (whole seconds, rounded up);
//! - load shedding over a concurrency limit of 8: a request beyond 8 in flight is answered
//!   503 at once instead of queueing.
//!
//! Its handler answers after 0.2 s and misbehaves on purpose: `/b/1` answers 429 with
//! `Retry-After: 1` once, `/c/2` answers 500 twice, `/d/1` hangs, `/f/*` takes 1 s.
//!
//! The **client** is hyper-util's pooled client. Its stack, outermost first: retry
//! (exponential backoff from 0.1 s, at most 3 retries, delays capped at 1 s, `Retry-After`
//! honoured through [`HttpStatus`]), a circuit breaker per host (3 consecutive 5xx or
//! timeouts open it for 5 s), a rate limit per host (0.5 s between two requests to a host),
//! a timeout of 1 s per attempt (inside the rate limit: waiting for a host's turn is not
//! part of an attempt's time). The client's runtime polls the stack; on smol and
//! async-std hyper's own future is wrapped in `async_compat::Compat` (tokio's sockets and
//! timers need a tokio context), as in examples/crawler.rs.
//!
//! Three phases, each with its figures checked (the example exits non-zero when one is off):
//! 1. **crawl**: nine URLs on four hosts, 3 at a time, through the client stack.
//! 2. **greedy client**: four requests at once from one client, with no client-side rate
//!    limit: the server refuses one with 429, the client's retry waits and succeeds.
//! 3. **burst**: twelve requests at once (no client stack) at the slow `/f/*`: eight are
//!    served, four shed with 503.
//!
//! Durations are scenario seconds scaled by `--scale` (default 0.1; the attempt timeout is
//! never below 250 ms of real time, so a loaded machine does not time out healthy requests). Real sockets need real time: there is no `sim` run (the
//! same stacks run exactly on virtual time in crates/wrangle-tower/tests/sim_stack.rs).

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Env, Report};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::RETRY_AFTER;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceBuilder, ServiceExt};
use wrangle::breaker::{BreakerState, CircuitBreaker, CircuitOpen};
use wrangle::rate::{KeyedRateLimiter, Quota, RateLimited};
use wrangle::retry::RetryPolicy;
use wrangle::tower::http::{HttpStatus, ServerErrors, clone_request};
use wrangle::tower::{
    BoxError, ConcurrencyLimitLayer, KeyedCircuitBreakerLayer, KeyedRateLimitLayer, LoadShedLayer,
    Overloaded, RetryError, RetryLayer, TimeoutLayer,
};
use wrangle::{Runtime, Timer};

/// The URLs of the crawl: host and page.
const URLS: [(&str, u32); 9] = [
    ("a", 1),
    ("a", 2),
    ("a", 3),
    ("b", 1),
    ("b", 2),
    ("b", 3),
    ("c", 1),
    ("c", 2),
    ("d", 1),
];

/// What the server counts.
#[derive(Default)]
struct Seen {
    /// Requests that reached the handler, per path.
    paths: Mutex<HashMap<String, u32>>,
    /// Answers by status, the server stack's refusals included.
    statuses: Mutex<HashMap<u16, u32>>,
    /// Hung requests whose client hung up.
    hung_up: AtomicU32,
}

impl Seen {
    fn handled(&self) -> u32 {
        self.paths
            .lock()
            .expect("no panics while held")
            .values()
            .sum()
    }

    fn status(&self, status: u16) -> u32 {
        let statuses = self.statuses.lock().expect("no panics while held");
        statuses.get(&status).copied().unwrap_or(0)
    }
}

/// Counts a hung request's call as it is dropped.
struct HungUp(Arc<Seen>);

impl Drop for HungUp {
    fn drop(&mut self) {
        self.0.hung_up.fetch_add(1, Ordering::SeqCst);
    }
}

/// The faulty handler, behind the server's stack.
async fn handle(
    request: Request<Incoming>,
    seen: Arc<Seen>,
    env_scale: f64,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let secs = |s: f64| Duration::from_secs_f64(s * env_scale);
    let path = request.uri().path().to_owned();
    let earlier = {
        let mut paths = seen.paths.lock().expect("no panics while held");
        let n = paths.entry(path.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    if path == "/d/1" {
        let _hung_up = HungUp(seen);
        std::future::pending::<()>().await;
    }
    // The server's own tokio timer: this handler runs on the server's runtime.
    let latency = if path.starts_with("/f/") { 1.0 } else { 0.2 };
    tokio::time::sleep(secs(latency)).await;
    let (status, retry_after) = match (path.as_str(), earlier) {
        ("/b/1", 0) => (StatusCode::TOO_MANY_REQUESTS, Some("1")),
        ("/c/2", 0 | 1) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        _ => (StatusCode::OK, None),
    };
    let mut response = Response::builder().status(status);
    if let Some(after) = retry_after {
        response = response.header(RETRY_AFTER, after);
    }
    Ok(response
        .body(Full::new(Bytes::from(format!("page {path}"))))
        .expect("a valid response"))
}

/// The server stack's refusals, as HTTP answers.
fn answer(outcome: Result<Response<Full<Bytes>>, BoxError>) -> Response<Full<Bytes>> {
    let refusal = |status: StatusCode, retry_after: Option<u64>| {
        let mut response = Response::builder().status(status);
        if let Some(secs) = retry_after {
            response = response.header(RETRY_AFTER, secs.to_string());
        }
        response
            .body(Full::new(Bytes::new()))
            .expect("a valid response")
    };
    match outcome {
        Ok(response) => response,
        Err(e) if e.is::<Overloaded>() => refusal(StatusCode::SERVICE_UNAVAILABLE, None),
        Err(e) => match e.downcast_ref::<RateLimited>() {
            // Whole seconds, rounded up: the header has no finer unit.
            Some(limited) => {
                let secs = limited.retry_after().as_secs_f64().ceil() as u64;
                refusal(StatusCode::TOO_MANY_REQUESTS, Some(secs))
            }
            None => refusal(StatusCode::INTERNAL_SERVER_ERROR, None),
        },
    }
}

/// The server (see `common::HttpServer`) behind its stack, and what it counts.
struct Server {
    http: common::HttpServer,
    seen: Arc<Seen>,
}

impl Server {
    fn start(env: &Env) -> std::io::Result<Self> {
        let seen = Arc::new(Seen::default());
        // The stack keeps time on the example's runtime handle (any runtime's clock can be
        // read from any thread); its layers never sleep here (refusing, shedding).
        let per_client = KeyedRateLimiter::new(
            env.rt.clone(),
            Quota::with_interval(env.secs(1.0))
                .and_then(|q| q.burst(3))
                .expect("a valid quota"),
        );
        let (counts, scale) = (seen.clone(), env.scale);
        let stack = ServiceBuilder::new()
            .layer(
                KeyedRateLimitLayer::new(per_client, |req: &Request<Incoming>| {
                    req.headers().get("x-client").cloned()
                })
                .reject(),
            )
            .layer(LoadShedLayer::new())
            .layer(ConcurrencyLimitLayer::new(8).expect("a valid limit"))
            .service(tower::service_fn(move |req| {
                handle(req, counts.clone(), scale)
            }));
        let counts = seen.clone();
        let http = common::HttpServer::start("tower-server", move |request| {
            let (stack, counts) = (stack.clone(), counts.clone());
            async move {
                let response = answer(stack.oneshot(request).await);
                let status = response.status().as_u16();
                let mut statuses = counts.statuses.lock().expect("no panics while held");
                *statuses.entry(status).or_insert(0) += 1;
                response
            }
        })?;
        Ok(Server { http, seen })
    }
}

/// The innermost client service: one request through hyper-util's pooled client, the body
/// read into a `String`. On smol and async-std inside async-compat's tokio context.
fn hyper_client(
    env: &Env,
    addr: SocketAddr,
    sent: Arc<AtomicU32>,
) -> impl Service<
    Request<String>,
    Response = Response<String>,
    Error = BoxError,
    Future = impl Future<Output = Result<Response<String>, BoxError>> + Send + 'static,
> + Clone
+ Send
+ 'static {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let on_tokio = env.name().starts_with("tokio");
    tower::service_fn(move |request: Request<String>| {
        let client = client.clone();
        sent.fetch_add(1, Ordering::SeqCst);
        async move {
            let send = async move {
                let (mut parts, body) = request.into_parts();
                parts.uri = format!("http://{addr}{}", parts.uri).parse()?;
                let request = Request::from_parts(parts, Full::new(Bytes::from(body)));
                let (parts, body) = client.request(request).await?.into_parts();
                let body = body.collect().await?.to_bytes();
                Ok::<_, BoxError>(Response::from_parts(
                    parts,
                    String::from_utf8_lossy(&body).into_owned(),
                ))
            };
            if on_tokio {
                send.await
            } else {
                async_compat::Compat::new(send).await
            }
        }
    })
}

fn get(path: &str, client: &str) -> Request<String> {
    Request::get(path)
        .header("x-client", client)
        .body(String::new())
        .expect("a valid request")
}

fn host(request: &Request<String>) -> String {
    request.uri().path().get(1..2).unwrap_or("").to_owned()
}

fn run(env: &Env, report: &mut Report) -> std::io::Result<()> {
    let rt = &env.rt;
    let server = Server::start(env)?;
    println!("  server listening on http://{}", server.http.addr);
    let sent = Arc::new(AtomicU32::new(0));
    let opened = Arc::new(AtomicU32::new(0));
    let attempt_timeout = env.secs(1.0).max(Duration::from_millis(250));
    let policy = RetryPolicy::builder()
        .exponential(env.secs(0.1), 2.0)
        .max_retries(3)
        .max_delay(env.secs(1.0))
        .build()
        .expect("a valid policy");
    let retry = RetryLayer::new(rt.clone(), policy)
        .classify(HttpStatus::new())
        .clone_request(clone_request::<String>);
    let (clock, cooldown, opens) = (rt.clone(), env.secs(5.0), opened.clone());
    let breakers = KeyedCircuitBreakerLayer::new(
        move |host: &String| {
            let (host, opens) = (host.clone(), opens.clone());
            CircuitBreaker::builder()
                .consecutive_failures(3)
                .cooldown(cooldown)
                .on_state_change(move |from, to| {
                    println!("  breaker of host {host}: {from:?} -> {to:?}");
                    if to == BreakerState::Open {
                        opens.fetch_add(1, Ordering::SeqCst);
                    }
                })
                .build(clock.clone())
                .expect("a valid breaker")
        },
        host,
    )
    .failure_if(ServerErrors);
    let per_host = KeyedRateLimiter::new(
        rt.clone(),
        Quota::with_interval(env.secs(0.5)).expect("a valid spacing"),
    );
    let client = ServiceBuilder::new()
        .layer(retry.clone())
        .layer(breakers)
        // The host's rate outside the timeout: waiting for the host's turn does not count
        // against an attempt's time.
        .layer(KeyedRateLimitLayer::new(per_host, host))
        .layer(TimeoutLayer::new(rt.clone(), attempt_timeout))
        .service(hyper_client(env, server.http.addr, sent.clone()));

    rt.block_on(async {
        // 1. The crawl.
        let begin = rt.now();
        let fetch = |host: &'static str, page: u32| {
            let client = client.clone();
            async move {
                let path = format!("/{host}/{page}");
                let outcome = client.oneshot(get(&path, &path)).await;
                match &outcome {
                    Ok(r) => println!("  GET /{host}/{page}: {}", r.status().as_u16()),
                    Err(e) => println!("  GET /{host}/{page}: {e}"),
                }
                outcome
            }
        };
        let pages = wrangle::gather(URLS.iter().map(|&(h, p)| fetch(h, p)))
            .limit(3)
            .await;
        let took = rt.now() - begin;
        let ok = pages
            .iter()
            .filter(|p| p.as_ref().is_ok_and(|r| r.status() == StatusCode::OK))
            .count();
        let refused_by_breaker = pages
            .iter()
            .filter_map(|p| p.as_ref().err())
            .filter_map(|e| e.downcast_ref::<RetryError>())
            .filter(|e| e.last_error().is_some_and(|l| l.is::<CircuitOpen>()))
            .count();
        println!(
            "  crawl: {ok} of {} pages, {} requests sent, {:.3} s",
            URLS.len(),
            sent.load(Ordering::SeqCst),
            env.scenario(took)
        );
        // a: 3; b: 429 then 200, and 2 more; c: 1, then 500, 500, 200; d/1: 3 timeouts open
        // d's breaker, which refuses the 4th attempt.
        report.equal(env, "crawl: pages fetched", 8, ok);
        report.equal(env, "crawl: requests sent", 14, sent.load(Ordering::SeqCst));
        report.equal(
            env,
            "crawl: requests the server handled",
            14,
            server.seen.handled(),
        );
        report.equal(
            env,
            "crawl: failed with the breaker open",
            1,
            refused_by_breaker,
        );
        report.equal(
            env,
            "crawl: breakers opened",
            1,
            opened.load(Ordering::SeqCst),
        );
        // Timed-out requests were dropped: hyper closes the connection, and the server's
        // hung call ends when it sees that.
        let waited = rt.now();
        while server.seen.hung_up.load(Ordering::SeqCst) < 3
            && rt.now() - waited < Duration::from_secs(1)
        {
            wrangle::sleep(rt, Duration::from_millis(5)).await;
        }
        report.equal(
            env,
            "crawl: hung requests whose client hung up",
            3,
            server.seen.hung_up.load(Ordering::SeqCst),
        );

        // 2. A greedy client: no client-side rate limit, four requests at once. The server
        // admits three (its burst), refuses the fourth with 429 (Retry-After: 1, capped at 1
        // scenario second by the policy: exactly when the client's next slot comes), and
        // admits the retry.
        let greedy_sent = Arc::new(AtomicU32::new(0));
        let greedy = ServiceBuilder::new()
            .layer(retry)
            .layer(TimeoutLayer::new(rt.clone(), attempt_timeout))
            .service(hyper_client(env, server.http.addr, greedy_sent.clone()));
        let refused_before = server.seen.status(429);
        let begin = rt.now();
        let calls = (1..=4).map(|page| {
            let call = greedy.clone().oneshot(get(&format!("/a/{page}"), "greedy"));
            async move { call.await.map(|r| r.status().as_u16()).unwrap_or(0) }
        });
        let statuses = wrangle::gather(calls).await;
        let took = rt.now() - begin;
        println!(
            "  greedy client: {statuses:?} in {:.3} s",
            env.scenario(took)
        );
        report.equal(env, "greedy: answers", vec![200; 4], statuses);
        report.equal(
            env,
            "greedy: requests sent",
            5,
            greedy_sent.load(Ordering::SeqCst),
        );
        report.equal(
            env,
            "greedy: refused by the server's rate limit",
            1,
            server.seen.status(429) - refused_before,
        );
        // The refused one: 1 s (the capped Retry-After), then an answer of 0.2 s.
        report.check(
            env,
            "greedy: took",
            ">= 1.20 s",
            format!("{:.3} s", env.scenario(took)),
            env.scenario(took) >= 1.2 * 0.98,
        );

        // 3. A burst of twelve at the slow /f/*, from twelve clients, with no client stack:
        // eight are served, four shed with 503 at once.
        let burst_sent = Arc::new(AtomicU32::new(0));
        let raw = hyper_client(env, server.http.addr, burst_sent.clone());
        let shed_before = server.seen.status(503);
        let burst = (1..=12).map(|i| {
            let raw = raw.clone();
            async move {
                raw.oneshot(get(&format!("/f/{i}"), &format!("burst-{i}")))
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        });
        let mut statuses = wrangle::gather(burst).await;
        statuses.sort_unstable();
        println!("  burst: {statuses:?}");
        report.equal(
            env,
            "burst: answers",
            [vec![200; 8], vec![503; 4]].concat(),
            statuses,
        );
        report.equal(
            env,
            "burst: shed by the server",
            4,
            server.seen.status(503) - shed_before,
        );
    });
    Ok(())
}

fn main() -> ExitCode {
    common::run_each("tower", 0.1, false, |env, report| {
        if let Err(e) = run(env, report) {
            report.check(env, "local server", "started", e, false);
        }
    })
}
