//! SigV4 header signing built in the crate: the canonical request, the string to sign and the
//! signature headers, so that the derived signing key can be cached
//! ([`SigningKeyCache`](crate::sigv4::key::SigningKeyCache)). The key is aws-sigv4's own
//! ([`generate_signing_key`](aws_sigv4::sign::v4::generate_signing_key), through the cache,
//! which also keeps it as a keyed HMAC); the signature is the HMAC-SHA256 of the string to sign
//! with it, as aws-sigv4's `calculate_signature` computes it.
//!
//! The output is byte for byte what `aws_sigv4::http_request::sign` returns for the same input
//! (checked by `canonical/differential.rs` on AWS's suite, the botocore fixtures and random
//! requests).
//! [`sign_fast`] covers the inputs this crate sends, and answers `None` for anything outside
//! them (a URI or header that aws-sigv4 might parse or refuse differently, a setting this
//! module does not implement); the caller then signs with aws-sigv4 itself, so every error
//! stays aws-sigv4's.
//!
//! Nothing is allocated for the canonical request: it is fed to SHA-256 piece by piece.

use std::borrow::Cow;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody, SignatureLocation,
    SigningSettings, UriPathNormalizationMode,
};
use bytes::Bytes;
use hmac::Mac;
use http::{HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, utf8_percent_encode};

use crate::sigv4::encoding::{
    UNRESERVED, UNRESERVED_AND_SLASH, X_AMZ_CONTENT_SHA256, X_AMZ_CONTENT_SHA256_NAME, X_AMZ_DATE,
    X_AMZ_DATE_NAME, X_AMZ_SECURITY_TOKEN, X_AMZ_SECURITY_TOKEN_NAME, hex32 as hex,
};
use sha2::{Digest, Sha256};

use crate::sigv4::key::SigningKeyCache;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// SHA-256 of no bytes (the body of most `GET`s), not computed again for each request.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Longer URIs are left to aws-sigv4 (`http::Uri` refuses URIs of 64 KiB and more).
const MAX_URI_LEN: usize = 32 * 1024;

/// A query key or value.
const QUERY_SET: &AsciiSet = UNRESERVED;
/// A path, double-encoding mode.
const PATH_SET: &AsciiSet = UNRESERVED_AND_SLASH;

/// The request to sign, as `sign.rs` hands it to aws-sigv4.
pub(crate) struct Request<'r, 'a> {
    pub(crate) method: &'r str,
    /// Absolute `http(s)` URI, already in encoded form (no user info, no fragment).
    pub(crate) uri: &'r str,
    /// The headers to sign; sorted in place (stably, by name).
    pub(crate) headers: &'r mut [(&'a str, &'a str)],
    pub(crate) body: &'r SignableBody<'r>,
}

/// Who signs, where, when and how.
pub(crate) struct Signer<'a> {
    pub(crate) credentials: &'a Credentials,
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    pub(crate) time: SystemTime,
    pub(crate) settings: &'a SigningSettings,
    pub(crate) cache: &'a SigningKeyCache,
}

/// One header to add to the request, as aws-sigv4's `Header` (name, value, sensitive).
pub(crate) struct SignatureHeader {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
    pub(crate) sensitive: bool,
}

/// The headers aws-sigv4 would return, in its order: `x-amz-date`, `authorization`,
/// `x-amz-content-sha256` (as configured), `x-amz-security-token` (session credentials).
pub(crate) struct SignatureHeaders([Option<SignatureHeader>; 4]);

impl IntoIterator for SignatureHeaders {
    type Item = SignatureHeader;
    type IntoIter = std::iter::Flatten<std::array::IntoIter<Option<SignatureHeader>, 4>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().flatten()
    }
}

/// The canonical request and string-to-sign a signature was made from, for the DEBUG event.
pub(crate) struct Trace {
    pub(crate) canonical_request: String,
    pub(crate) string_to_sign: String,
}

/// [`sign_fast`] with the signing name, settings and key cache of `config`.
pub(crate) fn sign_configured(
    request: Request<'_, '_>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    config: &crate::sigv4::settings::SigningConfig,
) -> Option<SignatureHeaders> {
    sign_configured_traced(request, credentials, region, time, config, None)
}

/// [`sign_configured`], also filling `trace` when given (DEBUG is on), so that the log shows
/// what this signer signed rather than what another would.
pub(crate) fn sign_configured_traced(
    request: Request<'_, '_>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    config: &crate::sigv4::settings::SigningConfig,
    trace: Option<&mut Option<Trace>>,
) -> Option<SignatureHeaders> {
    let signer = Signer {
        credentials,
        region,
        service: &config.service,
        time,
        settings: &config.settings,
        cache: &config.signing_keys,
    };
    sign_fast_traced(request, &signer, trace)
}

/// Signs `request` with SigV4 in the `authorization` header; `None` when the request or the
/// settings are outside what this module reproduces exactly (sign with aws-sigv4 then).
#[cfg(test)]
pub(crate) fn sign_fast(request: Request<'_, '_>, signer: &Signer<'_>) -> Option<SignatureHeaders> {
    sign_fast_traced(request, signer, None)
}

fn sign_fast_traced(
    request: Request<'_, '_>,
    signer: &Signer<'_>,
    trace: Option<&mut Option<Trace>>,
) -> Option<SignatureHeaders> {
    let settings = signer.settings;
    if settings.signature_location != SignatureLocation::Headers
        || settings.session_token_mode != SessionTokenMode::Include
        || settings.session_token_name_override.is_some()
        || settings.excluded_headers.is_some()
    {
        return None;
    }
    let credentials = signer.credentials;
    let token = credentials.session_token();
    // Checked and copied once per credentials (see `SigningKeyCache::token_header`).
    let token_header = match token {
        Some(_) => Some(signer.cache.token_header(credentials, is_plain_value)?),
        None => None,
    };

    let mut hex_hash = [0u8; 64];
    let payload_hash: &str = match request.body {
        SignableBody::Bytes([]) => EMPTY_SHA256,
        SignableBody::Bytes(data) => hex(&Sha256::digest(data), &mut hex_hash),
        SignableBody::UnsignedPayload => UNSIGNED_PAYLOAD,
        SignableBody::Precomputed(digest) if is_plain_value(digest) => digest,
        SignableBody::StreamingSignedPayloadTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        SignableBody::StreamingUnsignedPayloadTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        _ => return None,
    };
    let stamp = Stamp::new(signer.time)?;
    let send_sha256 = match settings.payload_checksum_kind {
        PayloadChecksumKind::XAmzSha256 => true,
        PayloadChecksumKind::NoHeader => false,
        _ => return None,
    };

    // `authorization` is written as it goes: the signed-headers list is part of it, and of
    // the canonical request.
    // The fixed text and signature (about 150 bytes), the names it adds to the signed
    // headers (up to 60), and the request's own names.
    let mut authorization = String::with_capacity(
        224 + credentials.access_key_id().len()
            + signer.region.len()
            + signer.service.len()
            + request.headers.len() * 24,
    );
    authorization.push_str(ALGORITHM);
    authorization.push_str(" Credential=");
    authorization.push_str(credentials.access_key_id());
    authorization.push('/');
    let scope_start = authorization.len();
    push_scope(&mut authorization, &stamp, signer.region, signer.service);
    let scope_end = authorization.len();
    authorization.push_str(", SignedHeaders=");

    let mut hasher = Sha256::new();
    let extras = Extras {
        date: stamp.date_time_str(),
        token,
        content_sha256: send_sha256.then_some(payload_hash),
    };
    // Written out only for the log; otherwise straight into the hash.
    let mut text = Vec::new();
    if trace.is_some() {
        canonical_request(
            &mut text,
            &mut authorization,
            request,
            &extras,
            settings,
            payload_hash,
        )?;
        hasher.update(&text);
    } else {
        canonical_request(
            &mut hasher,
            &mut authorization,
            request,
            &extras,
            settings,
            payload_hash,
        )?;
    }
    let mut hashed_creq = [0u8; 64];
    let hashed_creq = hex(&hasher.finalize(), &mut hashed_creq);

    let mut string_to_sign = String::with_capacity(160 + scope_end - scope_start);
    string_to_sign.push_str(ALGORITHM);
    string_to_sign.push('\n');
    string_to_sign.push_str(stamp.date_time_str());
    string_to_sign.push('\n');
    string_to_sign.push_str(&authorization[scope_start..scope_end]);
    string_to_sign.push('\n');
    string_to_sign.push_str(hashed_creq);

    // aws-sigv4's `calculate_signature` (HMAC-SHA256 of the string to sign, lower-case hex),
    // with the key's HMAC pads hashed once per day instead of once per request; the
    // differential tests prove the signatures byte-equal.
    let mut mac = signer.cache.mac(
        credentials.secret_access_key(),
        &stamp.date,
        signer.region,
        signer.service,
        signer.time,
    )?;
    mac.update(string_to_sign.as_bytes());
    let mut hex_out = [0u8; 64];
    authorization.push_str(", Signature=");
    authorization.push_str(hex(&mac.finalize().into_bytes(), &mut hex_out));
    if let Some(trace) = trace {
        *trace = Some(Trace {
            // ASCII: every header value was checked to be plain text above.
            canonical_request: String::from_utf8_lossy(&text).into_owned(),
            string_to_sign,
        });
    }

    let header = |name, value, sensitive| {
        Some(SignatureHeader {
            name,
            value,
            sensitive,
        })
    };
    Some(SignatureHeaders([
        header(
            X_AMZ_DATE_NAME,
            HeaderValue::from_bytes(&stamp.date_time).ok()?,
            false,
        ),
        header(
            http::header::AUTHORIZATION,
            HeaderValue::from_maybe_shared(Bytes::from(authorization)).ok()?,
            false,
        ),
        if send_sha256 {
            header(
                X_AMZ_CONTENT_SHA256_NAME,
                HeaderValue::from_str(payload_hash).ok()?,
                false,
            )
        } else {
            None
        },
        token_header.and_then(|value| header(X_AMZ_SECURITY_TOKEN_NAME, value, true)),
    ]))
}

/// Where the canonical request goes: SHA-256 when signing, a buffer in tests.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
    fn put_str(&mut self, s: &str) {
        self.put(s.as_bytes());
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The headers aws-sigv4 adds to the canonical request besides `host`.
pub(crate) struct Extras<'a> {
    pub(crate) date: &'a str,
    pub(crate) token: Option<&'a str>,
    pub(crate) content_sha256: Option<&'a str>,
}

/// Writes the canonical request to `sink`, and appends its signed-headers list to
/// `signed_headers`.
/// `None`: outside what this module reproduces.
pub(crate) fn canonical_request(
    sink: &mut impl Sink,
    signed_headers: &mut String,
    request: Request<'_, '_>,
    extras: &Extras<'_>,
    settings: &SigningSettings,
    payload_hash: &str,
) -> Option<()> {
    let uri = parse_uri(request.uri)?;
    let headers = request.headers;
    let list_start = signed_headers.len();
    if !headers
        .iter()
        .all(|(name, value)| is_header_name(name) && is_plain_value(value))
    {
        return None;
    }

    sink.put_str(request.method);
    sink.put(b"\n");
    write_path(sink, uri.path, settings)?;
    sink.put(b"\n");
    write_query(sink, uri.query);
    sink.put(b"\n");

    // The request's headers, less those aws-sigv4 replaces, merged in name order with those
    // it adds. A name that occurs more than once is one line, its values joined by `,` in
    // request order (hence the stable sort).
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let replaced = |name: &str| {
        name == X_AMZ_DATE
            || (extras.token.is_some() && name == X_AMZ_SECURITY_TOKEN)
            || (extras.content_sha256.is_some() && name == X_AMZ_CONTENT_SHA256)
    };
    let has_host = headers.iter().any(|(name, _)| *name == "host");
    // Sorted by name.
    let added: [Option<(&str, &str)>; 4] = [
        (!has_host).then_some(("host", uri.host_header())),
        extras.content_sha256.map(|v| (X_AMZ_CONTENT_SHA256, v)),
        Some((X_AMZ_DATE, extras.date)),
        extras.token.map(|v| (X_AMZ_SECURITY_TOKEN, v)),
    ];
    let mut own = headers
        .iter()
        .filter(|(name, _)| !replaced(name))
        .map(|(name, value)| (*name, trim_all(value)))
        .peekable();
    let mut added = added.into_iter().flatten().peekable();
    let mut previous: Option<&str> = None;
    loop {
        let take_own = match (own.peek(), added.peek()) {
            (Some(o), Some(a)) => o.0 < a.0,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let (name, value) = if take_own {
            own.next()?
        } else {
            added.next().map(|(n, v)| (n, Cow::Borrowed(v)))?
        };
        if previous == Some(name) {
            sink.put(b",");
        } else {
            if previous.is_some() {
                sink.put(b"\n");
                signed_headers.push(';');
            }
            sink.put_str(name);
            sink.put(b":");
            signed_headers.push_str(name);
            previous = Some(name);
        }
        sink.put_str(&value);
    }
    sink.put(b"\n\n");
    sink.put_str(&signed_headers[list_start..]);
    sink.put(b"\n");
    sink.put_str(payload_hash);
    Some(())
}

/// `yyyymmdd` and `yyyymmddThhmmssZ` of a time, UTC, as aws-sigv4 formats them.
struct Stamp {
    date: [u8; 8],
    date_time: [u8; 16],
}

impl Stamp {
    fn new(time: SystemTime) -> Option<Self> {
        // Not `OffsetDateTime::from`: it panics past 9999, and `SystemTime` goes further.
        let t = crate::sigv4::amz_date::check(time).ok()?;
        let year = u32::try_from(t.year()).ok()?;
        let mut date_time = *b"00000000T000000Z";
        let mut put = |at: usize, value: u32, width: usize| {
            let mut v = value;
            for i in (at..at + width).rev() {
                date_time[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, year, 4);
        put(4, u32::from(u8::from(t.month())), 2);
        put(6, u32::from(t.day()), 2);
        put(9, u32::from(t.hour()), 2);
        put(11, u32::from(t.minute()), 2);
        put(13, u32::from(t.second()), 2);
        let mut date = [0u8; 8];
        date.copy_from_slice(&date_time[..8]);
        Some(Self { date, date_time })
    }

    fn date_str(&self) -> &str {
        std::str::from_utf8(&self.date).unwrap_or_default()
    }

    fn date_time_str(&self) -> &str {
        std::str::from_utf8(&self.date_time).unwrap_or_default()
    }
}

fn push_scope(out: &mut String, stamp: &Stamp, region: &str, service: &str) {
    out.push_str(stamp.date_str());
    out.push('/');
    out.push_str(region);
    out.push('/');
    out.push_str(service);
    out.push_str("/aws4_request");
}

/// A header value that `http` accepts as it is: visible ASCII, space and tab.
fn is_plain_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// A lower-case header name (aws-sigv4 lower-cases names; those reaching here already are).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// aws-sigv4's header value canonicalisation: spaces (only spaces) trimmed at both ends, and
/// each run of spaces inside collapsed to one.
fn trim_all(value: &str) -> Cow<'_, str> {
    let value = value.trim_matches(' ');
    if !value.contains("  ") {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut last_space = false;
    for c in value.chars() {
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
    }
    Cow::Owned(out)
}

struct Uri<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    query: Option<&'a str>,
}

impl Uri<'_> {
    /// `host` as aws-sigv4 signs it: the authority, less a port that is the scheme's default.
    fn host_header(&self) -> &str {
        let (host, port) = match self.authority.strip_prefix('[') {
            Some(_) => {
                let end = self.authority.find(']').map_or(0, |i| i + 1);
                let port = self.authority[end..].strip_prefix(':');
                (&self.authority[..end], port)
            }
            None => match self.authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (self.authority, None),
            },
        };
        match (self.scheme, port) {
            ("http", Some("80")) | ("https", Some("443")) => host,
            _ => self.authority,
        }
    }
}

/// Splits an absolute `http(s)` URI made only of characters that every URI parser reads the
/// same way; `None` for anything else.
fn parse_uri(uri: &str) -> Option<Uri<'_>> {
    if uri.len() > MAX_URI_LEN {
        return None;
    }
    let (scheme, rest) = if let Some(rest) = uri.strip_prefix("https://") {
        ("https", rest)
    } else {
        ("http", uri.strip_prefix("http://")?)
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    if !is_authority(authority) {
        return None;
    }
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    if !path.bytes().all(is_pchar_or_slash) || !query.unwrap_or("").bytes().all(is_query_byte) {
        return None;
    }
    Some(Uri {
        scheme,
        authority,
        path: if path.is_empty() { "/" } else { path },
        query,
    })
}

fn is_pchar_or_slash(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
                | b'%'
        )
}

fn is_query_byte(b: u8) -> bool {
    is_pchar_or_slash(b) || b == b'?'
}

/// A registered name or IPv4 address with an optional port, or a bracketed IPv6 address with
/// an optional port. No user info, no percent-encoding.
fn is_authority(authority: &str) -> bool {
    let (host_ok, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((address, after)) = inner.split_once(']') else {
            return false;
        };
        let address_ok = !address.is_empty()
            && address
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (address_ok, port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        (host_ok, port)
    };
    host_ok
        && port.is_none_or(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok()
        })
}

fn write_path(sink: &mut impl Sink, path: &str, settings: &SigningSettings) -> Option<()> {
    let path = match settings.uri_path_normalization_mode {
        UriPathNormalizationMode::Enabled => normalize_path(path),
        UriPathNormalizationMode::Disabled => Cow::Borrowed(path),
        _ => return None,
    };
    match settings.percent_encoding_mode {
        PercentEncodingMode::Double => {
            for piece in utf8_percent_encode(&path, PATH_SET) {
                sink.put_str(piece);
            }
        }
        PercentEncodingMode::Single => sink.put_str(&path),
        _ => return None,
    }
    Some(())
}

/// RFC 3986 §5.2.4 dot-segment removal as SigV4 does it: empty and `.` segments dropped, `..`
/// drops the one before, a leading `/` always, a trailing one kept.
fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    let path = if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    };
    if !path.contains('.') && !path.contains("//") {
        return path;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    let trailing = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|end| path.ends_with(end));
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    Cow::Owned(out)
}

fn is_unreserved(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

fn encode_query_part(part: Cow<'_, str>) -> Cow<'_, str> {
    if is_unreserved(&part) {
        part
    } else {
        Cow::Owned(utf8_percent_encode(&part, QUERY_SET).to_string())
    }
}

/// The query read as `application/x-www-form-urlencoded`, each key and value encoded with
/// SigV4's set, pairs sorted by encoded key then value, `k=v` joined by `&`.
fn write_query(sink: &mut impl Sink, query: Option<&str>) {
    let Some(query) = query else { return };
    let pairs = || url::form_urlencoded::parse(query.as_bytes());
    // Most queries (this crate's own canonical form) are already sorted and need no encoding:
    // write them as they are read, with nothing allocated.
    let mut in_order = true;
    let mut previous: Option<(Cow<'_, str>, Cow<'_, str>)> = None;
    for (key, value) in pairs() {
        if !is_unreserved(&key) || !is_unreserved(&value) {
            in_order = false;
            break;
        }
        if previous
            .as_ref()
            .is_some_and(|(k, v)| (k.as_ref(), v.as_ref()) > (key.as_ref(), value.as_ref()))
        {
            in_order = false;
            break;
        }
        previous = Some((key, value));
    }
    let mut write = |i: usize, key: &str, value: &str| {
        if i > 0 {
            sink.put(b"&");
        }
        sink.put_str(key);
        sink.put(b"=");
        sink.put_str(value);
    };
    if in_order {
        for (i, (key, value)) in pairs().enumerate() {
            write(i, &key, &value);
        }
    } else {
        let mut encoded: Vec<(Cow<'_, str>, Cow<'_, str>)> = pairs()
            .map(|(k, v)| (encode_query_part(k), encode_query_part(v)))
            .collect();
        encoded.sort();
        for (i, (key, value)) in encoded.iter().enumerate() {
            write(i, key, value);
        }
    }
}

/// Byte-equality with aws-sigv4 over the official suite and generated requests.
#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_body_hash_is_sha256_of_nothing() {
        let mut out = [0u8; 64];
        assert_eq!(EMPTY_SHA256, hex(&Sha256::digest(b""), &mut out));
    }

    #[test]
    fn stamps_like_aws_sigv4() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        let stamp = Stamp::new(t).unwrap();
        assert_eq!(stamp.date_time_str(), "20150830T123600Z");
        assert_eq!(stamp.date_str(), "20150830");
        let epoch = Stamp::new(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(epoch.date_time_str(), "19700101T000000Z");
        let last = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
        assert_eq!(
            Stamp::new(last).unwrap().date_time_str(),
            "99991231T235959Z"
        );
        // Past 9999 and before 1970: no stamp (`OffsetDateTime::from` would panic past 9999).
        assert!(Stamp::new(last + std::time::Duration::from_secs(1)).is_none());
        assert!(Stamp::new(SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(1)).is_none());
    }

    #[test]
    fn paths_normalise_as_rfc_3986_says() {
        for (input, expected) in [
            ("", "/"),
            ("/", "/"),
            ("a", "/a"),
            ("/a/b", "/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/../a", "/a"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("//a//b//", "/a/b/"),
            ("/a.b/c", "/a.b/c"),
            ("/..", "/"),
        ] {
            assert_eq!(normalize_path(input), expected, "{input:?}");
        }
    }

    #[test]
    fn uris_outside_the_plain_subset_are_left_to_aws_sigv4() {
        for uri in [
            "ftp://host/",
            "https://user@host/",
            "https://host:/",
            "https://host:99999/",
            "https://ho%73t/",
            "https://host/a b",
            "https://host/a\"b",
            "https://host/é",
            "https://host/?a={b}",
            "https://[::1/",
            "https:///path",
        ] {
            assert!(parse_uri(uri).is_none(), "{uri}");
        }
        let uri = parse_uri("https://[::1]:443?x=1").unwrap();
        assert_eq!(
            (uri.path, uri.query, uri.host_header()),
            ("/", Some("x=1"), "[::1]")
        );
        let uri = parse_uri("http://h.example:443/p").unwrap();
        assert_eq!(uri.host_header(), "h.example:443");
        let uri = parse_uri("http://h.example:80/p").unwrap();
        assert_eq!(uri.host_header(), "h.example");
    }

    #[test]
    fn header_values_trim_only_spaces() {
        assert_eq!(trim_all("  a   b  "), "a b");
        assert_eq!(trim_all("\ta  b\t"), "\ta b\t");
        assert_eq!(trim_all("a\t\tb"), "a\t\tb");
    }
}
