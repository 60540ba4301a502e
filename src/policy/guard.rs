//! The one guard every hop passes, on the final request, whichever way it is authenticated:
//! a URL that can be signed, where credentials may go (the scope, the `Host` header), what to
//! do with an `Authorization` header the app set itself, and the Bedrock endpoint's region.

use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderValue};
use url::Url;

use crate::bedrock::endpoints::{RegionOrigin, check_endpoint_region};
use crate::error::{Error, ErrorKind};
use crate::policy::scope::{OutsideScope, Scope};
use crate::sigv4::sign;
use crate::wire::RequestParts;

/// Decided once, by the builder.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) scope: Scope,
    pub(crate) replace_authorization: bool,
    pub(crate) max_redirects: usize,
    /// Remove a client's `x-api-key` before signing or attaching the key (the model presets).
    pub(crate) remove_api_key: bool,
    /// `anthropic-workspace-id`, set on every authenticated request (Claude Platform).
    pub(crate) workspace_id: Option<HeaderValue>,
}

impl Policy {
    /// What the presets change on a request they authenticate, before it is signed: an
    /// Anthropic client's own key (`x-api-key`, a placeholder or a real key found in the
    /// environment) must not reach AWS, and Claude Platform bills the configured workspace.
    pub(crate) fn edit_headers(&self, headers: &mut HeaderMap) {
        if self.remove_api_key {
            headers.remove(X_API_KEY);
        }
        if let Some(workspace) = &self.workspace_id {
            headers.insert(ANTHROPIC_WORKSPACE_ID, workspace.clone());
        }
    }
}

const X_API_KEY: http::HeaderName = http::HeaderName::from_static("x-api-key");
const ANTHROPIC_WORKSPACE_ID: http::HeaderName =
    http::HeaderName::from_static("anthropic-workspace-id");

/// What the guard decided for one hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// In scope: sign it, or attach the key.
    Authenticate,
    /// Outside the scope, to pass through untouched.
    PassThrough,
}

/// The checks every hop passes before anything is attached to it, whichever way it is
/// authenticated: a URL that can be signed, the scope (judged on the URL and on any `Host`
/// header, which is what gets signed and what servers route on), the `Authorization` rule,
/// and the endpoint's region: a Bedrock host of another region than each of `regions` (what
/// the request is signed for, or what its key was issued in) is refused. `our_bearer` is this
/// setup's own bearer header, which may be replaced. This is the only place these are judged.
pub(crate) fn admit<'r>(
    request: &impl RequestParts,
    policy: &Policy,
    our_bearer: Option<&[u8]>,
    regions: impl IntoIterator<Item = (&'r str, RegionOrigin)>,
) -> Result<Admission, Error> {
    let url = request.url();
    sign::check_url(url)?;
    if !policy.scope.allows(url) {
        return match policy.scope.outside {
            OutsideScope::PassThrough => Ok(Admission::PassThrough),
            OutsideScope::Refuse => Err(policy.scope.refusal(url)),
        };
    }
    check_host_header(request.headers(), url)?;
    check_existing(request.headers(), policy, our_bearer)?;
    for (region, origin) in regions {
        check_endpoint_region(url, region, origin)?;
    }
    Ok(Admission::Authenticate)
}

/// A `Host` header must name the URL's own host and port, once: the signature covers it, and
/// S3, gateways and load balancers route on it, so a different one would send credentials
/// where the scope never looked.
fn check_host_header(headers: &HeaderMap, url: &Url) -> Result<(), Error> {
    let mut values = headers.get_all(HOST).iter();
    let Some(value) = values.next() else {
        return Ok(());
    };
    if values.next().is_some() {
        return Err(host_mismatch(
            "carries more than one `Host` header".to_owned(),
        ));
    }
    let matches = value
        .to_str()
        .ok()
        .filter(|v| !v.is_empty() && !v.contains(['/', '\\', '@', '?', '#', ' ', '\t']))
        .and_then(|v| Url::parse(&format!("{}://{v}/", url.scheme())).ok())
        .is_some_and(|parsed| {
            let host = |u: &Url| {
                u.host_str()
                    .map(|h| h.strip_suffix('.').unwrap_or(h).to_owned())
            };
            host(&parsed) == host(url)
                && parsed.port_or_known_default() == url.port_or_known_default()
        });
    if matches {
        return Ok(());
    }
    Err(host_mismatch(format!(
        "carries a `Host` header ({:?}) that names another host than its URL (`{}`)",
        String::from_utf8_lossy(value.as_bytes()),
        url.host_str().unwrap_or_default()
    )))
}

fn host_mismatch(what: String) -> Error {
    Error::new(
        ErrorKind::HostMismatch,
        format!(
            "the request {what}: the signature would cover a host the scope never judged, so \
             nothing was signed or sent. Remove the `Host` header (the URL's host is sent), or put \
             the host you mean in the URL"
        ),
    )
}

/// Refuses a request whose `Authorization` the app set, unless the builder allows replacing
/// it: overwriting an app's own credentials silently would hide a bug. A single SigV4 (or
/// SigV4a) signature (an earlier attempt's, maybe with credentials since rotated) or `our_bearer`
/// (this setup's bearer header) is this crate's own and is replaced; every value is looked at,
/// so a second one the app added is never dropped unseen.
pub(crate) fn check_existing(
    headers: &HeaderMap,
    policy: &Policy,
    our_bearer: Option<&[u8]>,
) -> Result<(), Error> {
    if policy.replace_authorization {
        return Ok(());
    }
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(first) = values.next() else {
        return Ok(());
    };
    let second = values.next();
    let ours = |value: &HeaderValue| {
        let value = value.as_bytes();
        value.starts_with(b"AWS4-HMAC-SHA256 ")
            || (cfg!(feature = "sigv4a") && value.starts_with(b"AWS4-ECDSA-P256-SHA256 "))
            || our_bearer == Some(value)
    };
    let foreign = match second {
        None if ours(first) => return Ok(()),
        None => first,
        Some(second) => {
            if ours(first) {
                second
            } else {
                first
            }
        }
    };
    let scheme = foreign
        .as_bytes()
        .split(|b| *b == b' ')
        .next()
        .and_then(|s| std::str::from_utf8(s).ok())
        .filter(|s| s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or("?");
    let count = if second.is_some() {
        "more than one `Authorization` header, among them "
    } else {
        "an "
    };
    Err(Error::new(
        ErrorKind::AuthorizationPresent,
        format!(
            "the request already carries {count}`Authorization: {scheme} …` header that this \
             crate did not write, and signing would overwrite it; nothing was sent. Remove it, \
             send this request without AWS auth with `RequestOptions::new().skip_auth(true)`, or \
             let the crate replace it with `.replace_authorization(true)` on the builder"
        ),
    ))
}
