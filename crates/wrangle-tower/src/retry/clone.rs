/// How a [`Retry`](super::Retry) copies a request before sending it, to have one for the next
/// attempt.
///
/// `None` means the request cannot be copied (a streaming body, say): it is sent once, and
/// its outcome is final, whatever the classifier says (an error ends the call as a
/// [`RetryError`](super::RetryError) with [`StopReason::Permanent`](wrangle_resilience::retry::StopReason::Permanent)).
/// The hook is asked once per attempt, before the attempt is sent (while the request still
/// exists), so a request that is retried `n` times is copied `n + 1` times, the last copy
/// unused unless another attempt is allowed.
///
/// Implemented by [`ByClone`] (for `Req: Clone`, the default), and closures
/// `Fn(&Req) -> Option<Req>`; with the `http` feature,
/// `http::clone_request` copies an `http::Request` whose body is
/// `Clone`.
///
/// # Examples
///
/// ```
/// use wrangle::tower::retry::CloneRequest;
///
/// // Only small requests are worth keeping a copy of.
/// let small = |req: &Vec<u8>| (req.len() <= 4).then(|| req.clone());
/// assert!(small.clone_request(&vec![1, 2]).is_some());
/// assert!(small.clone_request(&vec![0; 64]).is_none());
/// ```
pub trait CloneRequest<Req> {
    /// A copy of `request`, or `None` if it cannot be copied.
    fn clone_request(&self, request: &Req) -> Option<Req>;
}

impl<Req, F: Fn(&Req) -> Option<Req>> CloneRequest<Req> for F {
    #[inline]
    fn clone_request(&self, request: &Req) -> Option<Req> {
        self(request)
    }
}

/// The default [`CloneRequest`]: `Clone::clone`.
///
/// # Examples
///
/// ```
/// use wrangle::tower::retry::{ByClone, CloneRequest};
///
/// assert_eq!(ByClone.clone_request(&"GET /"), Some("GET /"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ByClone;

impl<Req: Clone> CloneRequest<Req> for ByClone {
    #[inline]
    fn clone_request(&self, request: &Req) -> Option<Req> {
        Some(request.clone())
    }
}
