//! HTTP classification (feature `http`): which responses a [`Retry`](crate::Retry) retries
//! and after how long, which ones a breaker counts as failures, and copies of requests.
//!
//! | Item | What it is |
//! |---|---|
//! | [`HttpStatus`] | retry 429 and 503 after `Retry-After`, and 408, 500, 502, 504 after the backoff |
//! | [`retry_after`] | a `Retry-After` value, in seconds or as an HTTP-date; malformed is `None` |
//! | [`ServerErrors`] | a breaker failure rule: 5xx responses |
//! | [`clone_request`] | a copy of an `http::Request` whose body is `Clone` (extensions are not copied) |

use std::time::{Duration, SystemTime};

use http::header::RETRY_AFTER;
use http::{HeaderValue, Request, Response, StatusCode};
use wrangle_resilience::retry::Classification;

use crate::breaker::IsFailure;
use crate::retry::Classifier;

/// Retry classification by status code.
///
/// - 429 Too Many Requests and 503 Service Unavailable: retried after their `Retry-After`
///   ([`retry_after`]: seconds or an HTTP-date), capped by the policy's maximum delay; without
///   one, or with a malformed one (ignored, not an error), after the policy's backoff.
/// - 408, 500, 502, 504: retried after the backoff.
/// - Anything else is accepted and returned.
///
/// An HTTP-date is measured against the wall clock, [`SystemTime::now`] unless
/// [`wall_clock`](HttpStatus::wall_clock) gives another (a fixed one in tests: `wrangle-sim`'s
/// clock is virtual, the date in a header is not).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wrangle::retry::Classification;
/// use wrangle::tower::http::HttpStatus;
/// use wrangle::tower::retry::Classifier;
///
/// let response = |status: u16, after: &str| {
///     http::Response::builder().status(status).header("retry-after", after).body(()).unwrap()
/// };
/// let c = HttpStatus::new();
/// assert_eq!(c.response(&response(429, "3")), Some(Classification::RetryAfter(Duration::from_secs(3))));
/// assert_eq!(c.response(&response(503, "soon")), Some(Classification::Transient));
/// assert_eq!(c.response(&response(500, "3")), Some(Classification::Transient));
/// assert_eq!(c.response(&response(404, "3")), None);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HttpStatus {
    now: fn() -> SystemTime,
}

impl HttpStatus {
    /// The classification, dates against [`SystemTime::now`].
    ///
    /// # Examples
    ///
    /// ```
    /// use wrangle::retry::Classification;
    /// use wrangle::tower::http::HttpStatus;
    /// use wrangle::tower::retry::Classifier;
    ///
    /// let ok = http::Response::builder().status(200).body(()).unwrap();
    /// assert_eq!(HttpStatus::new().response(&ok), None::<Classification>);
    /// ```
    pub fn new() -> Self {
        Self {
            now: SystemTime::now,
        }
    }

    /// Measure HTTP-dates against `now` instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use wrangle::retry::Classification;
    /// use wrangle::tower::http::HttpStatus;
    /// use wrangle::tower::retry::Classifier;
    ///
    /// fn fixed() -> SystemTime { UNIX_EPOCH + Duration::from_secs(1_445_412_470) } // 07:27:50 GMT
    /// let busy = http::Response::builder()
    ///     .status(503)
    ///     .header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")
    ///     .body(())
    ///     .unwrap();
    /// let c = HttpStatus::new().wall_clock(fixed);
    /// assert_eq!(c.response(&busy), Some(Classification::RetryAfter(Duration::from_secs(10))));
    /// ```
    pub fn wall_clock(self, now: fn() -> SystemTime) -> Self {
        Self { now }
    }
}

impl Default for HttpStatus {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> Classifier<Response<B>> for HttpStatus {
    fn response(&self, response: &Response<B>) -> Option<Classification> {
        match response.status() {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => Some(match response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| retry_after(v, (self.now)()))
            {
                Some(after) => Classification::RetryAfter(after),
                None => Classification::Transient,
            }),
            StatusCode::REQUEST_TIMEOUT
            | StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT => Some(Classification::Transient),
            _ => None,
        }
    }
}

/// The delay a `Retry-After` value asks for: delay-seconds (`"120"`), or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`, and the obsolete forms) measured from `now`, zero when
/// it has passed. `None` for anything else (a negative or fractional number, a malformed
/// date, bytes that are not text).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use http::HeaderValue;
/// use wrangle::tower::http::retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470); // Wed, 21 Oct 2015 07:27:50 GMT
/// assert_eq!(retry_after(&HeaderValue::from_static("120"), now), Some(Duration::from_secs(120)));
/// let date = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
/// assert_eq!(retry_after(&date, now), Some(Duration::from_secs(10)));
/// assert_eq!(retry_after(&HeaderValue::from_static("-1"), now), None);
/// assert_eq!(retry_after(&HeaderValue::from_static("tomorrow"), now), None);
/// ```
pub fn retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: delay-seconds. Too many to count is a delay longer than any cap.
        return Some(text.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A breaker failure rule: 5xx responses count as failures (a 4xx is the caller's problem,
/// and a 429 a sign of life).
///
/// # Examples
///
/// ```
/// use wrangle::tower::breaker::IsFailure;
/// use wrangle::tower::http::ServerErrors;
///
/// let response = |status: u16| http::Response::builder().status(status).body(()).unwrap();
/// assert!(ServerErrors.is_failure(&response(502)));
/// assert!(!ServerErrors.is_failure(&response(429)));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerErrors;

impl<B> IsFailure<Response<B>> for ServerErrors {
    #[inline]
    fn is_failure(&self, response: &Response<B>) -> bool {
        response.status().is_server_error()
    }
}

/// A copy of `request` (method, URI, version, headers and body) for a
/// [`RetryLayer::clone_request`](crate::RetryLayer::clone_request) hook. Extensions are not
/// copied (they need not be `Clone`). A body that is not `Clone` (hyper's `Incoming`, a
/// stream) cannot be copied: give such requests a hook that returns `None`, or buffer them.
///
/// # Examples
///
/// ```
/// use wrangle::tower::http::clone_request;
///
/// let req = http::Request::post("http://127.0.0.1/").header("x-id", "7").body("order").unwrap();
/// let copy = clone_request(&req).unwrap();
/// assert_eq!((copy.method(), copy.uri(), copy.headers()["x-id"].as_bytes(), *copy.body()),
///            (req.method(), req.uri(), &b"7"[..], "order"));
/// ```
pub fn clone_request<B: Clone>(request: &Request<B>) -> Option<Request<B>> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    Some(copy)
}
