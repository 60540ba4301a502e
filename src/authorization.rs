//! Rules that hold for every way of authenticating: where credentials may go (the scope), and
//! what to do with an `Authorization` header the app set itself.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::{Error, ErrorKind};
use crate::scope::Scope;

/// Decided once, by the builder.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) scope: Scope,
    pub(crate) replace_authorization: bool,
    pub(crate) max_redirects: usize,
}

/// Refuses a request whose `Authorization` the app set, unless the builder allows replacing
/// it: overwriting an app's own credentials silently would hide a bug. A SigV4 signature (an
/// earlier attempt's, maybe with credentials since rotated) or `our_bearer` (this setup's
/// bearer header) is this crate's own and is replaced.
pub(crate) fn check_existing(
    headers: &HeaderMap,
    policy: &Policy,
    our_bearer: Option<&[u8]>,
) -> Result<(), Error> {
    if policy.replace_authorization {
        return Ok(());
    }
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(());
    };
    let value = value.as_bytes();
    if value.starts_with(b"AWS4-HMAC-SHA256 ") || our_bearer == Some(value) {
        return Ok(());
    }
    let scheme = value
        .split(|b| *b == b' ')
        .next()
        .and_then(|s| std::str::from_utf8(s).ok())
        .filter(|s| s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or("?");
    Err(Error::new(
        ErrorKind::AuthorizationPresent,
        format!(
            "the request already carries an `Authorization: {scheme} …` header that this crate \
             did not write, and signing would overwrite it; nothing was sent. Remove it, send \
             this request without AWS auth with `RequestOptions::new().skip_auth(true)`, or let \
             the crate replace it with `.replace_authorization(true)` on the builder"
        ),
    ))
}
