//! What the DEBUG events show of a signed request, and what they never show.
//!
//! A debug event carries the canonical request and string-to-sign of the signer that made the
//! signature: the crate's own canonicaliser hands them over as it signs, and aws-sigv4's are
//! taken from its TRACE event (in a subscriber of our own) and checked against the signature,
//! so the log can never disagree with what was signed. Before anything is logged, every secret
//! value is replaced by `** redacted (length=N) **`: the session token, SSE-C keys and other
//! credential headers of the canonical request, and in a URL or query the session token, a
//! presigned URL's signature and credential, and userinfo. Everything else stays, so the
//! canonical request can still be compared with a server's to debug a 403.
//!
//! aws-sigv4's own TRACE events show the request as it was handed over, URL query and SSE-C
//! headers included: every call into it runs in [`capture`] or [`silenced`], so they never
//! reach the app's subscriber.
//!
//! Nothing here runs unless DEBUG is enabled for this crate (or, for [`silenced`], some
//! subscriber takes TRACE events).

use std::cell::RefCell;
use std::fmt;
use std::sync::OnceLock;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use sha2::{Digest, Sha256};
use tracing::field::{Field, Visit};
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

thread_local! {
    static CAPTURED: RefCell<Option<String>> = const { RefCell::new(None) };
}

const FIELD: &str = "canonical_request";

/// How aws-sigv4 (and this crate) show a value left out of a log.
const REDACTED_PREFIX: &str = "** redacted (length=";

/// Query keys whose values are secrets, compared without case after percent-decoding (a
/// server decodes them too): the session token, a presigned URL's signature and credential,
/// and SSE-C keys.
const SECRET_QUERY_KEYS: [&str; 5] = [
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

/// Header names whose values are secrets, as they appear (lower case) in a canonical request.
const SECRET_HEADERS: [&str; 8] = [
    "authorization",
    "proxy-authorization",
    "x-amz-security-token",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

/// Takes `aws-sigv4`'s canonical-request event and nothing else.
struct Capture;

fn is_canonical_request_event(meta: &Metadata<'_>) -> bool {
    meta.is_event()
        && meta.target().starts_with("aws_sigv4")
        && meta.fields().field(FIELD).is_some()
}

impl Subscriber for Capture {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_canonical_request_event(meta) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        is_canonical_request_event(meta)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        struct Take;
        impl Visit for Take {
            fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
                if field.name() == FIELD {
                    CAPTURED.with(|c| *c.borrow_mut() = Some(format!("{value:?}")));
                }
            }
        }
        event.record(&mut Take);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Runs `sign` (an `aws_sigv4::http_request::sign` call) and returns the canonical request it
/// traced (with aws-sigv4's redactions); `None` where tracing's TRACE level is compiled out.
/// No other event of aws-sigv4's reaches any subscriber.
pub(crate) fn capture<R>(sign: impl FnOnce() -> R) -> (R, Option<String>) {
    static DISPATCH: OnceLock<Dispatch> = OnceLock::new();
    let dispatch = DISPATCH.get_or_init(|| Dispatch::new(Capture));
    CAPTURED.with(|c| c.borrow_mut().take());
    let out = tracing::dispatcher::with_default(dispatch, sign);
    (out, CAPTURED.with(|c| c.borrow_mut().take()))
}

/// Runs `sign` (a call into aws-sigv4) where no subscriber sees its events. Free when no
/// subscriber takes TRACE events (aws-sigv4 logs at TRACE only): then none could.
pub(crate) fn silenced<R>(sign: impl FnOnce() -> R) -> R {
    if STATIC_MAX_LEVEL < LevelFilter::TRACE || LevelFilter::current() < LevelFilter::TRACE {
        return sign();
    }
    // `none()` is not registered with the callsites, unlike a new `Dispatch`: nothing global
    // is rebuilt per request.
    tracing::dispatcher::with_default(&Dispatch::none(), sign)
}

/// What was signed, to check a canonical request against.
pub(crate) struct SignedRequest<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    /// SigV4a's region set; `None` for SigV4 (always, without feature `sigv4a`).
    #[cfg_attr(not(feature = "sigv4a"), allow(dead_code))]
    pub(crate) region_set: Option<&'a str>,
    pub(crate) time: SystemTime,
    pub(crate) signature: &'a str,
}

/// The canonical request and string-to-sign a DEBUG event shows for an aws-sigv4 signature:
/// the canonical request it traced (`captured`) with the values it redacted put back (from
/// `headers`, the signed headers as handed to it, and the credentials), its string-to-sign if
/// that gives the signature, and then every secret redacted by this module's rules.
pub(crate) fn describe_captured(
    captured: Option<&str>,
    headers: &[(&str, &str)],
    signed: &SignedRequest<'_>,
) -> (String, String) {
    let canonical = captured.map(|c| unredact(c, signed.credentials.session_token(), headers));
    let string_to_sign = canonical.as_deref().and_then(|c| string_to_sign(c, signed));
    describe(canonical.as_deref(), string_to_sign)
}

/// aws-sigv4's canonical request (`captured`, with its sensitive header values redacted) with
/// those values put back: the session token from `token`, the others from `headers`.
fn unredact(captured: &str, token: Option<&str>, headers: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(captured.len() + token.map_or(0, str::len));
    for (i, line) in captured.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let redacted = (i > 2)
            .then(|| line.split_once(':'))
            .flatten()
            .filter(|(_, value)| value.starts_with(REDACTED_PREFIX));
        let Some((name, _)) = redacted else {
            out.push_str(line);
            continue;
        };
        out.push_str(name);
        out.push(':');
        if name == "x-amz-security-token"
            && let Some(token) = token
        {
            out.push_str(token);
            continue;
        }
        // Several values of one name are one line, joined by `,` in request order.
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        out.push_str(&values.join(","));
    }
    out
}

/// The string-to-sign of `canonical` (unredacted), if it gives `signed.signature`.
fn string_to_sign(canonical: &str, signed: &SignedRequest<'_>) -> Option<String> {
    let amz_date = crate::sigv4::amz_date::format(signed.time);
    let hash = Sha256::digest(canonical.as_bytes());
    let hex = crate::sigv4::encoding::hex(&hash);
    #[cfg(feature = "sigv4a")]
    if signed.region_set.is_some() {
        use crate::sigv4::v4a;
        let string_to_sign = v4a::string_to_sign(&amz_date, signed.service, &hex);
        let key = v4a::public_key(signed.credentials);
        let verified = v4a::verify(&key, string_to_sign.as_bytes(), signed.signature).is_ok();
        return verified.then_some(string_to_sign);
    }
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}/{}/{}/aws4_request\n{hex}",
        &amz_date[..8],
        signed.region,
        signed.service
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(
        signed.credentials.secret_access_key(),
        signed.time,
        signed.region,
        signed.service,
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    (signature == signed.signature).then_some(string_to_sign)
}

/// The canonical request and string-to-sign as a DEBUG event shows them: `canonical`
/// (unredacted) with its secrets redacted, and `string_to_sign`; or why either is unavailable.
pub(crate) fn describe(
    canonical: Option<&str>,
    string_to_sign: Option<String>,
) -> (String, String) {
    match canonical {
        Some(canonical) => (
            redact_canonical(canonical),
            string_to_sign.unwrap_or_else(|| "(unavailable)".into()),
        ),
        None => (
            "(unavailable: tracing's TRACE level is compiled out)".into(),
            "(unavailable)".into(),
        ),
    }
}

/// Shows a URL as a log may: no userinfo, secrets of the query redacted, no fragment.
pub(crate) struct RedactedUrl<'a>(pub(crate) &'a url::Url);

impl fmt::Display for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        f.write_str(&url[..url::Position::AfterScheme])?;
        f.write_str("://")?;
        if !url.username().is_empty() || url.password().is_some() {
            f.write_str("** redacted userinfo **@")?;
        }
        f.write_str(&url[url::Position::BeforeHost..url::Position::AfterPath])?;
        if let Some(query) = url.query() {
            f.write_str("?")?;
            f.write_str(&redact_query(query))?;
        }
        Ok(())
    }
}

/// A canonical request with the values of its secret headers and query parameters redacted.
fn redact_canonical(canonical: &str) -> String {
    let mut out = String::with_capacity(canonical.len());
    let mut in_headers = true;
    for (i, line) in canonical.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match i {
            2 => out.push_str(&redact_query(line)),
            0 | 1 => out.push_str(line),
            _ if line.is_empty() => {
                in_headers = false;
            }
            _ => match line.split_once(':') {
                Some((name, value))
                    if in_headers
                        && is_secret_header(name)
                        && !value.starts_with(REDACTED_PREFIX) =>
                {
                    out.push_str(name);
                    out.push(':');
                    push_redacted(&mut out, value.len());
                }
                _ => out.push_str(line),
            },
        }
    }
    out
}

/// Whether the values of header `name` are secrets (credentials, session tokens, SSE-C keys).
pub(crate) fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

fn push_redacted(out: &mut String, len: usize) {
    use fmt::Write as _;
    let _ = write!(out, "{REDACTED_PREFIX}{len}) **");
}

fn is_secret_query_key(key: &str) -> bool {
    let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
    SECRET_QUERY_KEYS
        .iter()
        .any(|secret| secret.eq_ignore_ascii_case(&key))
}

/// A query (or `path?query`) with the values of its secret parameters (the session token, a
/// presigned URL's signature and credential, SSE-C keys) replaced by a placeholder.
pub(crate) fn redact_query(query: &str) -> String {
    let (prefix, query) = match query.split_once('?') {
        Some((path, query)) => (Some(path), query),
        None if query.starts_with('/') => return query.to_owned(),
        None => (None, query),
    };
    let mut out = String::with_capacity(query.len() + prefix.map_or(0, |p| p.len() + 1));
    if let Some(path) = prefix {
        out.push_str(path);
        out.push('?');
    }
    for (i, piece) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match piece.split_once('=') {
            Some((key, value)) if !value.is_empty() && is_secret_query_key(key) => {
                out.push_str(key);
                out.push('=');
                push_redacted(&mut out, value.len());
            }
            _ => out.push_str(piece),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_userinfo_and_query_secrets_in_any_case() {
        let url = url::Url::parse(
            "https://user:pw@h.example:8443/p/a?x=1&x-amz-security-token=tok&X-AMZ-SIGNATURE=sig\
             &X%2DAmz%2DCredential=cred&x-amz-server-side-encryption-customer-key=k&e=#frag",
        )
        .unwrap();
        assert_eq!(
            RedactedUrl(&url).to_string(),
            "https://** redacted userinfo **@h.example:8443/p/a?x=1\
             &x-amz-security-token=** redacted (length=3) **\
             &X-AMZ-SIGNATURE=** redacted (length=3) **\
             &X%2DAmz%2DCredential=** redacted (length=4) **\
             &x-amz-server-side-encryption-customer-key=** redacted (length=1) **&e="
        );
        let plain = url::Url::parse("http://127.0.0.1:9/x?a=1").unwrap();
        assert_eq!(RedactedUrl(&plain).to_string(), "http://127.0.0.1:9/x?a=1");
    }

    #[test]
    fn canonical_requests_keep_all_but_secret_values() {
        let canonical = "PUT\n/b/k\nX-Amz-Credential=AKID%2Fx&X-Amz-Signature=abcd&a=1\n\
                         content-type:text/plain\n\
                         x-amz-copy-source-server-side-encryption-customer-key:c2VjcmV0\n\
                         x-amz-security-token:** redacted (length=5) **\n\
                         x-amz-server-side-encryption-customer-key:a2V5\n\
                         x-amz-server-side-encryption-customer-key-md5:bWQ1\n\n\
                         content-type;x-amz-copy-source-server-side-encryption-customer-key;\
                         x-amz-security-token;x-amz-server-side-encryption-customer-key;\
                         x-amz-server-side-encryption-customer-key-md5\nUNSIGNED-PAYLOAD";
        let shown = redact_canonical(canonical);
        assert_eq!(
            shown,
            "PUT\n/b/k\nX-Amz-Credential=** redacted (length=8) **\
             &X-Amz-Signature=** redacted (length=4) **&a=1\n\
             content-type:text/plain\n\
             x-amz-copy-source-server-side-encryption-customer-key:** redacted (length=8) **\n\
             x-amz-security-token:** redacted (length=5) **\n\
             x-amz-server-side-encryption-customer-key:** redacted (length=4) **\n\
             x-amz-server-side-encryption-customer-key-md5:bWQ1\n\n\
             content-type;x-amz-copy-source-server-side-encryption-customer-key;\
             x-amz-security-token;x-amz-server-side-encryption-customer-key;\
             x-amz-server-side-encryption-customer-key-md5\nUNSIGNED-PAYLOAD"
        );
    }

    #[test]
    fn aws_sigv4_redactions_are_put_back_for_the_check() {
        let captured = "GET\n/\n\nhost:h\nx-amz-security-token:** redacted (length=3) **\n\
                        x-amz-server-side-encryption-customer-key:** redacted (length=2) **\n\n\
                        host;x-amz-security-token;x-amz-server-side-encryption-customer-key\nh";
        let headers = [("x-amz-server-side-encryption-customer-key", "k1")];
        assert_eq!(
            unredact(captured, Some("tok"), &headers),
            "GET\n/\n\nhost:h\nx-amz-security-token:tok\n\
             x-amz-server-side-encryption-customer-key:k1\n\n\
             host;x-amz-security-token;x-amz-server-side-encryption-customer-key\nh"
        );
    }
}
