//! The DEBUG log of a signed request: the canonical request exactly as `aws-sigv4` computed
//! it (from its own TRACE event, session token redacted), and the string-to-sign derived from
//! it, checked against the signature before it is logged, so the log can never disagree with
//! what was signed.
//!
//! Nothing here runs unless DEBUG is enabled for this crate.

use std::cell::RefCell;
use std::fmt;
use std::sync::OnceLock;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use sha2::{Digest, Sha256};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

thread_local! {
    static CAPTURED: RefCell<Option<String>> = const { RefCell::new(None) };
}

const FIELD: &str = "canonical_request";

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
/// traced, redacted; `None` where tracing's TRACE level is compiled out.
pub(crate) fn capture<R>(sign: impl FnOnce() -> R) -> (R, Option<String>) {
    static DISPATCH: OnceLock<Dispatch> = OnceLock::new();
    let dispatch = DISPATCH.get_or_init(|| Dispatch::new(Capture));
    CAPTURED.with(|c| c.borrow_mut().take());
    let out = tracing::dispatcher::with_default(dispatch, sign);
    (out, CAPTURED.with(|c| c.borrow_mut().take()))
}

/// What was signed, for the DEBUG event.
pub(crate) struct SignedRequest<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    pub(crate) time: SystemTime,
    pub(crate) signature: &'a str,
}

/// The string-to-sign of `canonical_redacted` (with the session token put back in for the
/// hash), if it gives `signed.signature`.
pub(crate) fn string_to_sign(
    canonical_redacted: &str,
    signed: &SignedRequest<'_>,
) -> Option<String> {
    let canonical = match signed.credentials.session_token() {
        Some(token) => canonical_redacted
            .lines()
            .map(|line| match line.strip_prefix("x-amz-security-token:") {
                Some(_) => format!("x-amz-security-token:{token}"),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        None => canonical_redacted.to_owned(),
    };
    let amz_date = crate::amz_date::format(signed.time);
    let hash = Sha256::digest(canonical.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
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

/// The canonical request and string-to-sign as the DEBUG event shows them: the captured
/// canonical request (with its query's session token redacted when `redact_query`, for
/// presigned URLs) and the string-to-sign derived from it, or why either is unavailable.
pub(crate) fn describe(
    canonical_request: Option<&str>,
    signed: &SignedRequest<'_>,
    redact_query: bool,
) -> (String, String) {
    let Some(canonical) = canonical_request else {
        return (
            "(unavailable: tracing's TRACE level is compiled out)".into(),
            "(unavailable)".into(),
        );
    };
    let string_to_sign =
        string_to_sign(canonical, signed).unwrap_or_else(|| "(unavailable)".into());
    let canonical = if redact_query {
        redact_canonical_query(canonical)
    } else {
        canonical.to_owned()
    };
    (canonical, string_to_sign)
}

/// `url` with the value of its `X-Amz-Security-Token` replaced by a placeholder, for logs.
pub(crate) fn redact_url(url: &url::Url) -> String {
    match url.query() {
        Some(query) => format!(
            "{}?{}",
            &url[..url::Position::AfterPath],
            redact_query(query)
        ),
        None => url.to_string(),
    }
}

/// A canonical request with the session token in its query (the third line) redacted.
fn redact_canonical_query(canonical: &str) -> String {
    canonical
        .split('\n')
        .enumerate()
        .map(|(i, line)| {
            if i == 2 {
                redact_query(line)
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A query (or `path?query`) with the value of `X-Amz-Security-Token` replaced by a
/// placeholder.
pub(crate) fn redact_query(query: &str) -> String {
    let (prefix, query) = match query.split_once('?') {
        Some((path, query)) => (Some(path), query),
        None if query.starts_with('/') => return query.to_owned(),
        None => (None, query),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|piece| match piece.split_once('=') {
            Some((key, value))
                if key.eq_ignore_ascii_case("X-Amz-Security-Token") && !value.is_empty() =>
            {
                format!("{key}=** redacted (length={}) **", value.len())
            }
            _ => piece.to_owned(),
        })
        .collect();
    match prefix {
        Some(path) => format!("{path}?{}", pairs.join("&")),
        None => pairs.join("&"),
    }
}
