//! Following redirects in the middleware, so that each hop is signed afresh for its own URL
//! when it is in scope, and carries no credential when it is not. reqwest's own redirect
//! following happens after the middleware ran: it never re-signs, and it forwards
//! `x-amz-security-token` to another host. `AwsAuth::client` turns it off.
//!
//! A redirect never adds credentials: a hop is authenticated only when the request that
//! started the chain was and every hop so far stayed in scope (the caller keeps that state).
//! A hop that leaves the scope loses every header that could carry a secret: `authorization`,
//! every `x-amz-*` (session token, SSE-C keys, metadata), cookies and proxy credentials.

use http::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING, WWW_AUTHENTICATE,
};
use http::{Method, StatusCode};

use crate::policy::scope::Scope;
use crate::sigv4::sign::SIGNATURE_HEADERS;
use crate::wire::{HttpResponse, Resend};

/// The request to send for a redirect `response` to `previous` (a copy of the request sent),
/// or `None` when `response` is not a redirect that can be followed.
///
/// 303 (and 301/302 after a POST) becomes a GET without a body; 307 and 308 keep method and
/// body. The crate's own signature headers (`signed`) are removed, to be written afresh;
/// on a redirect to another origin, `authorization`, `cookie`, `proxy-authorization` and
/// `www-authenticate` are removed too, as browsers and reqwest do; on a redirect out of
/// `scope`, every `x-amz-*` header as well.
pub(crate) fn next_request<R: Resend>(
    mut previous: R,
    response: &impl HttpResponse,
    signed: bool,
    scope: &Scope,
) -> Option<R> {
    let status = response.status();
    if !matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    ) {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let mut target = previous.url().join(location).ok()?;
    if !matches!(target.scheme(), "http" | "https") {
        return None;
    }
    // A Location's userinfo is neither signed nor sent as credentials; kept, it would reach
    // the HTTP client's logs (and a proxy's request line).
    let _ = target.set_password(None);
    let _ = target.set_username("");
    let same_origin = target.origin() == previous.url().origin();
    let in_scope = scope.allows(&target);
    let to_get = status == StatusCode::SEE_OTHER && *previous.method() != Method::HEAD
        || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
            && *previous.method() == Method::POST;

    let headers = previous.headers_mut();
    headers.remove(HOST);
    if signed {
        for name in &SIGNATURE_HEADERS {
            headers.remove(name);
        }
    }
    if !same_origin || !in_scope {
        for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, WWW_AUTHENTICATE] {
            headers.remove(name);
        }
    }
    if !in_scope {
        let amz: Vec<_> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("x-amz-"))
            .cloned()
            .collect();
        for name in amz {
            headers.remove(name);
        }
    }
    if to_get {
        for name in [
            CONTENT_TYPE,
            CONTENT_LENGTH,
            CONTENT_ENCODING,
            TRANSFER_ENCODING,
        ] {
            headers.remove(name);
        }
        *previous.method_mut() = Method::GET;
        previous.remove_body();
    }
    tracing::debug!(%status, to = %crate::sigv4::log::RedactedUrl(&target), in_scope, "following a redirect");
    *previous.url_mut() = target;
    Some(previous)
}

/// A redirect of a request whose body was a stream cannot be followed: the body is gone. Says
/// so, since the app gets the redirect response instead of the next hop's.
pub(crate) fn note_unreplayable(response: &impl HttpResponse) {
    let status = response.status();
    if status.is_redirection() && response.headers().contains_key(http::header::LOCATION) {
        tracing::warn!(
            %status,
            "not following the redirect: the request body was a stream, which cannot be sent \
             again; the redirect response is returned to the app"
        );
    }
}
