//! Checking SigV4 signatures the way an AWS service does, for tests.
//!
//! A [`Verifier`] takes a request as it was received — method, request target exactly as on the
//! wire, headers, body — and recomputes its canonical request, string-to-sign and signature
//! from the credentials, region and signing name the service would use. It checks everything a
//! service checks: the credential scope, which headers are signed, the session token, the
//! body's hash, the clock skew, and (in constant time) the signature.
//!
//! It is written independently of [`aws_sigv4`]'s canonicalisation, so it is a second opinion on
//! the signer, not a copy of it; only the HMAC chain is `aws-sigv4`'s.
//!
//! With feature `sigv4a` it verifies SigV4a (`AWS4-ECDSA-P256-SHA256`) too: the request's
//! signed region set (`x-amz-region-set`, or `X-Amz-Region-Set` when presigned) must include
//! the verifier's region, and the ECDSA signature is checked with the public key derived from
//! the secret and the access key id (aws-sigv4's derivation, `p256`'s ECDSA). When a request is refused,
//! the [`Rejection`] says which check failed and shows the canonical request and string-to-sign
//! the verifier computed, to compare with what the client signed.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use aws_credential_types::Credentials;
//! use reqwest_aws_auth::verify::{ReceivedRequest, RejectReason, Verifier};
//!
//! let credentials =
//!     Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "test");
//! let verifier = Verifier::new(credentials, "us-east-1", "service")
//!     // 2015-08-30T12:36:00Z, when this request was signed
//!     .now(UNIX_EPOCH + Duration::from_secs(1_440_938_160));
//! let authorization = "AWS4-HMAC-SHA256 \
//!     Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
//!     SignedHeaders=host;x-amz-date, \
//!     Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
//! let request = ReceivedRequest {
//!     method: "GET",
//!     target: "/",
//!     headers: &[
//!         ("host", "example.amazonaws.com"),
//!         ("x-amz-date", "20150830T123600Z"),
//!         ("authorization", authorization),
//!     ],
//!     body: b"",
//! };
//! verifier.verify(&request)?;
//!
//! // The same request, received with another path: refused, with the verifier's workings.
//! let tampered = ReceivedRequest { target: "/other", ..request };
//! let rejection = verifier.verify(&tampered).unwrap_err();
//! assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
//! assert!(rejection.canonical_request().unwrap().starts_with("GET\n/other\n"));
//! println!("{rejection}"); // reason, canonical request and string-to-sign
//! # Ok::<(), reqwest_aws_auth::verify::Rejection>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use sha2::{Digest, Sha256};

use crate::sigv4::log::redact_query;
use crate::sigv4::settings::PresignSessionToken;
use crate::sigv4::settings::is_s3_like;
use subtle::ConstantTimeEq;

mod chunked;
mod query;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const TERMINATOR: &str = "aws4_request";
const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
const X_AMZ_REGION_SET: &str = "x-amz-region-set";
const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(5 * 60);
/// Headers whose values are shown redacted: credentials and keys a request may carry, signed
/// or not (`Authorization` itself, when a client lists it in `SignedHeaders`).
const SECRET_HEADERS: [&str; 7] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    X_AMZ_SECURITY_TOKEN,
    "x-api-key",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS
        .iter()
        .any(|secret| name.trim().eq_ignore_ascii_case(secret))
}

/// A request as a server received it, in plain parts.
///
/// `target` is the request target exactly as it was on the wire (`/path?query`, still
/// percent-encoded); the verifier canonicalises it itself, as a service does. `headers` lists
/// every header line as received (names in any case; a header sent several times appears
/// several times, in order), including `host`, `x-amz-date` and `authorization`.
#[derive(Clone, Copy)]
pub struct ReceivedRequest<'a> {
    /// The method, such as `GET` (used as given: methods are case-sensitive).
    pub method: &'a str,
    /// The request target as on the wire: `/path?query` (the absolute form
    /// `https://host/path?query` is accepted too).
    pub target: &'a str,
    /// The headers as received, as `(name, value)` pairs.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body as received.
    pub body: &'a [u8],
}

impl fmt::Debug for ReceivedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if is_secret_header(name) {
                    (*name, "** redacted **")
                } else {
                    (*name, *value)
                }
            })
            .collect();
        f.debug_struct("ReceivedRequest")
            .field("method", &self.method)
            .field("target", &redact_query(self.target))
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Verifies SigV4 header signatures as an AWS service would, for one set of credentials, one
/// region and one signing name.
///
/// Path rules follow the signing name: for `s3`, `s3-object-lambda` and `s3express` the path is
/// taken as the object key (decoded once, encoded once, never normalised); for every other
/// service it is normalised (RFC 3986 dot segments removed, empty segments collapsed) and
/// percent-encoded a second time. See [`verify`](Self::verify) for every check made.
#[derive(Clone)]
pub struct Verifier {
    credentials: Credentials,
    region: String,
    service: String,
    max_skew: Duration,
    now: Option<SystemTime>,
    normalize_path: bool,
    presign_session_token: PresignSessionToken,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("access_key_id", &self.credentials.access_key_id())
            .field(
                "session_token",
                &self.credentials.session_token().map(|_| "** redacted **"),
            )
            .field("region", &self.region)
            .field("service", &self.service)
            .field("max_skew", &self.max_skew)
            .field("now", &self.now)
            .field("normalize_path", &self.normalize_path)
            .field("presign_session_token", &self.presign_session_token)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for requests signed with `credentials` (the secret key, and the session token
    /// if they have one, which the request must then carry) for `region` and the signing name
    /// `service`. The clock skew allowed is 5 minutes, against the system clock.
    pub fn new(
        credentials: Credentials,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        let service = service.into();
        Self {
            credentials,
            region: region.into(),
            normalize_path: !is_s3_like(&service),
            service,
            max_skew: DEFAULT_MAX_SKEW,
            now: None,
            presign_session_token: PresignSessionToken::default(),
        }
    }

    /// How far `x-amz-date` may be from the current time, either way (default 5 minutes).
    pub fn max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// Use this as the current time instead of the system clock, to verify requests signed at
    /// a fixed time (fixtures, `StaticTimeSource`).
    pub fn now(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Whether to normalise the path (remove `.` and `..` segments, collapse empty segments)
    /// before encoding it again. On by default, off for S3 signing names; turn it off for a
    /// client that signs paths as they are (botocore and `aws-sigv4` normalise them). The path
    /// of a service other than S3 is percent-encoded a second time either way.
    pub fn normalize_path(mut self, normalize: bool) -> Self {
        self.normalize_path = normalize;
        self
    }

    /// For presigned URLs: whether the session token is part of the signed query (the
    /// default) or appended after signing (AWS IoT Core), as
    /// [`AwsAuthBuilder::presign_session_token`](crate::AwsAuthBuilder::presign_session_token)
    /// sets it on the signing side.
    pub fn presign_session_token(mut self, placement: PresignSessionToken) -> Self {
        self.presign_session_token = placement;
        self
    }

    /// Verifies `request`'s SigV4 `Authorization` header, or, for a request without one whose
    /// query carries `X-Amz-Algorithm`, its presigned query (see below).
    ///
    /// Checked, in this order (the first failure is the [`RejectReason`]):
    /// - the request target is a valid origin-form target;
    /// - one `Authorization` header, `AWS4-HMAC-SHA256 Credential=.../.../.../.../aws4_request,
    ///   SignedHeaders=..., Signature=...`, with `SignedHeaders` sorted and lowercase;
    /// - one `x-amz-date`, in `YYYYMMDD'T'HHMMSS'Z'` form;
    /// - the scope: the credentials' access key id, the date of `x-amz-date`, this region,
    ///   this signing name, `aws4_request`;
    /// - `host` and `x-amz-date` are signed;
    /// - the session token: when the credentials have one, `x-amz-security-token` is present,
    ///   signed and equal to it; when they have none, it is absent;
    /// - every header named in `SignedHeaders` is present;
    /// - `x-amz-date` is within the skew window of the current time;
    /// - `x-amz-content-sha256`, when present, is signed and is the body's SHA-256 (or
    ///   `UNSIGNED-PAYLOAD` / `STREAMING-...`); S3 signing names require it;
    /// - the signature, recomputed from the canonical request, matches (compared in constant
    ///   time).
    ///
    /// A presigned (query-signed) request is checked the same way, with the signing values
    /// taken from the query: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
    /// `X-Amz-Expires`, `X-Amz-SignedHeaders` and `X-Amz-Signature` present once each and well
    /// formed ([`RejectReason::MalformedQuerySignature`]), `X-Amz-Expires` between 1 and 604800
    /// seconds ([`RejectReason::InvalidExpires`]), the scope, `host` signed, the session token
    /// in `X-Amz-Security-Token`, the signed headers present, `X-Amz-Date` not after the
    /// current time plus the allowed skew ([`RejectReason::DateOutOfRange`]) and the URL not
    /// expired ([`RejectReason::Expired`]), then the signature. The canonical query is the
    /// query without `X-Amz-Signature` (and without the session token when it is
    /// [appended after signing](Self::presign_session_token)); the payload hash is
    /// `UNSIGNED-PAYLOAD` for S3 signing names and the body's SHA-256 otherwise.
    pub fn verify(&self, request: &ReceivedRequest<'_>) -> Result<(), Rejection> {
        let headers: Vec<(&str, &[u8])> = request
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_bytes()))
            .collect();
        self.verify_received(&Received {
            method: request.method,
            target: request.target,
            headers: &headers,
            body: request.body,
        })
    }

    /// [`verify`](Self::verify) for header values as bytes: what a server received may not be
    /// UTF-8, and the signature covers the bytes, not a decoding of them.
    pub(crate) fn verify_received(&self, request: &Received<'_>) -> Result<(), Rejection> {
        if query::is_query_signed(request) {
            return self.verify_query(request);
        }
        let computed = Computed::new(request, is_s3_like(&self.service), self.normalize_path)?;
        let reject = |reason, detail: String| Err(computed.reject(reason, detail));
        let auth = &computed.auth;

        let region_set = match computed.headers.values(X_AMZ_REGION_SET) {
            [] => None,
            [value] => Some(display_bytes(value.trim_ascii())),
            _ => Some(String::new()),
        };
        if let Err((reason, detail)) = self.check_scope(
            auth,
            &computed.amz_date,
            "x-amz-date",
            "SignedHeaders",
            region_set.as_deref(),
        ) {
            return reject(reason, detail);
        }
        if !auth.is_signed(X_AMZ_DATE) {
            return reject(
                RejectReason::DateNotSigned,
                format!(
                    "`x-amz-date` is not in SignedHeaders=`{}`",
                    shown(&auth.signed_headers)
                ),
            );
        }

        let tokens = computed.headers.values(X_AMZ_SECURITY_TOKEN);
        match (self.credentials.session_token(), tokens) {
            (Some(_), []) => {
                return reject(
                    RejectReason::MissingSessionToken,
                    "the credentials have a session token but the request has no \
                     x-amz-security-token header"
                        .into(),
                );
            }
            (Some(_), _) if !auth.is_signed(X_AMZ_SECURITY_TOKEN) => {
                return reject(
                    RejectReason::SessionTokenNotSigned,
                    format!(
                        "x-amz-security-token is sent but not in SignedHeaders=`{}`",
                        shown(&auth.signed_headers)
                    ),
                );
            }
            (Some(expected), [received]) if bool::from(received.ct_eq(expected.as_bytes())) => {}
            (Some(_), _) => {
                return reject(
                    RejectReason::SessionTokenMismatch,
                    "x-amz-security-token is not the credentials' session token".into(),
                );
            }
            (None, []) => {}
            (None, _) => {
                return reject(
                    RejectReason::SessionTokenMismatch,
                    "the request carries an x-amz-security-token but the credentials have no \
                     session token"
                        .into(),
                );
            }
        }

        if let Some(missing) = auth
            .signed_header_names()
            .find(|name| computed.headers.values(name).is_empty())
        {
            return reject(
                RejectReason::MissingSignedHeader,
                format!(
                    "`{}` is in SignedHeaders but the request has no such header",
                    shown(missing)
                ),
            );
        }

        let now = self.now.unwrap_or_else(SystemTime::now);
        let skew = match now.duration_since(computed.time) {
            Ok(behind) => behind,
            Err(ahead) => ahead.duration(),
        };
        if skew > self.max_skew {
            let when = if computed.time < now {
                "before"
            } else {
                "after"
            };
            return reject(
                RejectReason::DateOutOfRange,
                format!(
                    "x-amz-date `{}` is {}s {when} the verifier's current time `{}`, more than \
                     the {}s allowed",
                    computed.amz_date,
                    skew.as_secs(),
                    crate::sigv4::amz_date::format(now),
                    self.max_skew.as_secs()
                ),
            );
        }

        match computed.headers.values(X_AMZ_CONTENT_SHA256) {
            [] if is_s3_like(&self.service) => {
                return reject(
                    RejectReason::MissingContentSha256,
                    format!(
                        "`{}` requests must carry x-amz-content-sha256",
                        self.service
                    ),
                );
            }
            [] => {}
            [value] => {
                if !auth.is_signed(X_AMZ_CONTENT_SHA256) {
                    return reject(
                        RejectReason::ContentSha256NotSigned,
                        format!(
                            "x-amz-content-sha256 is sent but not in SignedHeaders=`{}`",
                            shown(&auth.signed_headers)
                        ),
                    );
                }
                let value = value.trim_ascii();
                if !is_unhashed_payload(value) && value != computed.body_sha256.as_bytes() {
                    return reject(
                        RejectReason::BodyHashMismatch,
                        format!(
                            "x-amz-content-sha256 is `{}` but the body received ({} bytes) \
                             hashes to `{}`",
                            shown(&display_bytes(value)),
                            request.body.len(),
                            computed.body_sha256
                        ),
                    );
                }
            }
            _ => {
                return reject(
                    RejectReason::BodyHashMismatch,
                    "x-amz-content-sha256 is sent more than once".into(),
                );
            }
        }

        let matches = self.signature_check(auth, computed.time);
        // An aws-chunked body is checked once the seed signature holds.
        let body = || {
            let content_sha256 = match computed.headers.values(X_AMZ_CONTENT_SHA256) {
                [value] if value.trim_ascii().starts_with(b"STREAMING-") => {
                    String::from_utf8_lossy(value.trim_ascii())
                }
                _ => return Ok(()),
            };
            if auth.scope.sigv4a {
                return Err(computed.reject(
                    RejectReason::BodyHashMismatch,
                    "aws-chunked bodies are checked for SigV4 only, not SigV4a".into(),
                ));
            }
            let signing_key = aws_sigv4::sign::v4::generate_signing_key(
                self.credentials.secret_access_key(),
                computed.time,
                &self.region,
                &self.service,
            );
            let Ok(key) = <[u8; 32]>::try_from(signing_key.as_ref()) else {
                return Err(computed.reject(
                    RejectReason::SignatureMismatch,
                    "the signing key is not 32 bytes".into(),
                ));
            };
            let scope = auth.scope.as_string();
            let seed = chunked::Seed {
                key,
                amz_date: &computed.amz_date,
                scope: &scope,
                signature: &auth.signature,
            };
            chunked::check(
                &seed,
                &content_sha256,
                |name| computed.headers.values(name),
                request.body,
            )
            .map_err(|(reason, detail)| computed.reject(reason, detail))
        };
        if matches(&computed.string_to_sign) {
            return body();
        }
        if let Some(plus_as_space) = &computed.plus_as_space {
            if matches(plus_as_space) {
                return body();
            }
            return reject(
                RejectReason::SignatureMismatch,
                "the signature does not match the one computed from the request as received, \
                 with the query's `+` read as a literal plus (shown below) or as a space: \
                 compare the canonical request and string-to-sign below with the client's \
                 (a wrong secret key, or a request changed after signing)"
                    .into(),
            );
        }
        reject(
            RejectReason::SignatureMismatch,
            "the signature does not match the one computed from the request as received: \
             compare the canonical request and string-to-sign below with the client's \
             (a wrong secret key, or a request changed after signing)"
                .into(),
        )
    }
}

impl Verifier {
    /// The checks both signature forms (header and query) share: the credential scope (access
    /// key id, the date of `date`, region, signing name, terminator) and a signed `host`.
    /// `date_name` and `signed_headers_name` name the fields as the form spells them.
    fn check_scope(
        &self,
        auth: &Authorization,
        date: &str,
        date_name: &str,
        signed_headers_name: &str,
        region_set: Option<&str>,
    ) -> Result<(), (RejectReason, String)> {
        let scope = &auth.scope;
        if scope.access_key_id != self.credentials.access_key_id() {
            return Err((
                RejectReason::WrongAccessKey,
                format!(
                    "signed with access key id `{}`, expected `{}`",
                    shown(&scope.access_key_id),
                    self.credentials.access_key_id()
                ),
            ));
        }
        if date.get(..8) != Some(scope.date.as_str()) {
            return Err((
                RejectReason::WrongScopeDate,
                format!(
                    "the scope's date `{}` is not the date of {date_name} `{}`",
                    shown(&scope.date),
                    shown(date)
                ),
            ));
        }
        if scope.sigv4a {
            self.check_region_set(auth, region_set, date_name, signed_headers_name)?;
        } else if scope.region != self.region {
            return Err((
                RejectReason::WrongRegion,
                format!(
                    "signed for region `{}`, expected `{}`",
                    shown(&scope.region),
                    self.region
                ),
            ));
        }
        if scope.service != self.service {
            return Err((
                RejectReason::WrongService,
                format!(
                    "signed for service `{}`, expected `{}`",
                    shown(&scope.service),
                    self.service
                ),
            ));
        }
        if scope.terminator != TERMINATOR {
            return Err((
                RejectReason::WrongScopeTerminator,
                format!(
                    "the scope ends in `{}`, expected `{TERMINATOR}`",
                    shown(&scope.terminator)
                ),
            ));
        }
        if !auth.is_signed("host") {
            return Err((
                RejectReason::HostNotSigned,
                format!(
                    "`host` is not in {signed_headers_name}=`{}`",
                    shown(&auth.signed_headers)
                ),
            ));
        }
        Ok(())
    }
}

impl Verifier {
    /// SigV4a: the region set, sent once and signed, includes the verifier's region.
    fn check_region_set(
        &self,
        auth: &Authorization,
        region_set: Option<&str>,
        date_name: &str,
        signed_headers_name: &str,
    ) -> Result<(), (RejectReason, String)> {
        // Named as the form spells it: the header, or the query parameter.
        let (name, signed) = if date_name == "x-amz-date" {
            (X_AMZ_REGION_SET, auth.is_signed(X_AMZ_REGION_SET))
        } else {
            ("X-Amz-Region-Set", true)
        };
        let wrong = |detail: String| Err((RejectReason::WrongRegion, detail));
        let Some(set) = region_set else {
            return wrong(format!(
                "the request is signed with SigV4a but has no {name}: the region set it is \
                 valid in"
            ));
        };
        if set.is_empty() {
            return wrong(format!("{name} is empty or sent more than once"));
        }
        if !signed {
            return wrong(format!(
                "{name} is sent but not in {signed_headers_name}=`{}`",
                shown(&auth.signed_headers)
            ));
        }
        if !region_set_contains(set, &self.region) {
            return wrong(format!(
                "signed with SigV4a for the region set `{}`, which does not include `{}`",
                shown(set),
                self.region
            ));
        }
        Ok(())
    }

    /// Whether a signature of `auth`'s algorithm over a string to sign is `auth.signature`
    /// with the verifier's credentials: an HMAC compared in constant time (SigV4), or an
    /// ECDSA signature checked with the public key derived from the secret (SigV4a).
    fn signature_check<'a>(
        &'a self,
        auth: &'a Authorization,
        time: SystemTime,
    ) -> impl Fn(&str) -> bool + 'a {
        #[cfg(feature = "sigv4a")]
        let public_key = auth
            .scope
            .sigv4a
            .then(|| crate::sigv4::v4a::public_key(&self.credentials));
        let signing_key = (!auth.scope.sigv4a).then(|| {
            aws_sigv4::sign::v4::generate_signing_key(
                self.credentials.secret_access_key(),
                time,
                &self.region,
                &self.service,
            )
        });
        move |string_to_sign: &str| {
            #[cfg(feature = "sigv4a")]
            if let Some(key) = &public_key {
                return crate::sigv4::v4a::verify(key, string_to_sign.as_bytes(), &auth.signature)
                    .is_ok();
            }
            let Some(signing_key) = &signing_key else {
                return false;
            };
            let signature = aws_sigv4::sign::v4::calculate_signature(
                signing_key.as_ref(),
                string_to_sign.as_bytes(),
            );
            bool::from(signature.as_bytes().ct_eq(auth.signature.as_bytes()))
        }
    }
}

#[cfg(feature = "sigv4a")]
fn region_set_contains(set: &str, region: &str) -> bool {
    crate::sigv4::region_set::contains(set, region)
}

#[cfg(not(feature = "sigv4a"))]
fn region_set_contains(_: &str, _: &str) -> bool {
    false
}

/// Why a [`Verifier`] refused a request.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// The request target is not a valid origin-form target (it must start with `/` and hold
    /// only visible ASCII).
    MalformedTarget,
    /// There is no `Authorization` header.
    MissingAuthorization,
    /// The `Authorization` header is not a well-formed SigV4 header (or is sent twice).
    MalformedAuthorization,
    /// The `Authorization` header uses another algorithm than `AWS4-HMAC-SHA256` (or, with
    /// feature `sigv4a`, SigV4a's `AWS4-ECDSA-P256-SHA256`).
    UnsupportedAlgorithm,
    /// There is no `x-amz-date` header.
    MissingDate,
    /// `x-amz-date` is not a `YYYYMMDD'T'HHMMSS'Z'` timestamp (or is sent twice).
    MalformedDate,
    /// The scope's access key id is not the credentials'.
    WrongAccessKey,
    /// The scope's date is not the date of `x-amz-date`.
    WrongScopeDate,
    /// The scope's region is not the verifier's; or, for SigV4a, the signed region set does
    /// not include it (or is missing, unsigned, or sent twice).
    WrongRegion,
    /// The scope's signing name is not the verifier's.
    WrongService,
    /// The scope does not end in `aws4_request`.
    WrongScopeTerminator,
    /// `host` is not among the signed headers.
    HostNotSigned,
    /// `x-amz-date` is not among the signed headers.
    DateNotSigned,
    /// The credentials have a session token and the request carries none.
    MissingSessionToken,
    /// `x-amz-security-token` is not the credentials' session token (or is sent while the
    /// credentials have none).
    SessionTokenMismatch,
    /// `x-amz-security-token` is sent but not signed.
    SessionTokenNotSigned,
    /// A header named in `SignedHeaders` is not in the request.
    MissingSignedHeader,
    /// `x-amz-date` is further from the current time than the allowed skew.
    DateOutOfRange,
    /// An S3 request has no `x-amz-content-sha256` header.
    MissingContentSha256,
    /// `x-amz-content-sha256` is sent but not signed.
    ContentSha256NotSigned,
    /// `x-amz-content-sha256` is not the SHA-256 of the body received.
    BodyHashMismatch,
    /// The signature is not the one computed from the request: a wrong secret key, or the
    /// request (method, path, query, a signed header, the body) changed after signing.
    SignatureMismatch,
    /// A presigned URL's signing parameters are missing, repeated or malformed
    /// (`X-Amz-Credential`, `X-Amz-SignedHeaders`, `X-Amz-Signature`, ...).
    MalformedQuerySignature,
    /// A presigned URL's `X-Amz-Expires` is not a number of seconds from 1 to 604800 (7 days).
    InvalidExpires,
    /// A presigned URL is used after `X-Amz-Date` + `X-Amz-Expires`.
    Expired,
}

impl RejectReason {
    fn describe(self) -> &'static str {
        match self {
            Self::MalformedTarget => "malformed request target",
            Self::MissingAuthorization => "no Authorization header",
            Self::MalformedAuthorization => "malformed Authorization header",
            Self::UnsupportedAlgorithm => "unsupported signing algorithm",
            Self::MissingDate => "no x-amz-date header",
            Self::MalformedDate => "malformed x-amz-date",
            Self::WrongAccessKey => "wrong access key id",
            Self::WrongScopeDate => "wrong date in the credential scope",
            Self::WrongRegion => "wrong region in the credential scope",
            Self::WrongService => "wrong service in the credential scope",
            Self::WrongScopeTerminator => "credential scope does not end in aws4_request",
            Self::HostNotSigned => "host is not signed",
            Self::DateNotSigned => "x-amz-date is not signed",
            Self::MissingSessionToken => "missing session token",
            Self::SessionTokenMismatch => "wrong session token",
            Self::SessionTokenNotSigned => "session token is not signed",
            Self::MissingSignedHeader => "a signed header is missing",
            Self::DateOutOfRange => "x-amz-date is outside the allowed clock skew",
            Self::MissingContentSha256 => "missing x-amz-content-sha256",
            Self::ContentSha256NotSigned => "x-amz-content-sha256 is not signed",
            Self::BodyHashMismatch => "body does not match x-amz-content-sha256",
            Self::SignatureMismatch => "signature mismatch",
            Self::MalformedQuerySignature => "malformed presigned query",
            Self::InvalidExpires => "invalid X-Amz-Expires",
            Self::Expired => "presigned URL expired",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// A refused request: which check failed, why, and the canonical request and string-to-sign
/// the verifier computed (when it got that far).
///
/// `Display` prints all of it, ready for a test failure message. The values of
/// `x-amz-security-token` (header, or query parameter) and of the other headers that carry
/// secrets (`authorization`, `proxy-authorization`, `cookie`, `x-api-key`, SSE-C keys) are
/// redacted in the canonical request shown, as `aws-sigv4` does when it logs one, so the hash
/// in the string-to-sign is that of the unredacted text. No secret key, session token or
/// `Authorization` text appears in `Display` or `Debug`; values quoted from the request are
/// cut to 100 characters. Bytes that are not UTF-8 are shown as `\xFF`.
#[derive(Clone, Debug)]
pub struct Rejection {
    reason: RejectReason,
    detail: String,
    canonical_request: Option<String>,
    string_to_sign: Option<String>,
}

impl Rejection {
    fn early(reason: RejectReason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
            canonical_request: None,
            string_to_sign: None,
        }
    }

    /// Which check failed.
    pub fn reason(&self) -> RejectReason {
        self.reason
    }

    /// What exactly differs, in a sentence.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The canonical request computed from the request received, with the session token
    /// redacted; `None` when the request was refused before it could be computed (no or a
    /// malformed `Authorization` or `x-amz-date`, a malformed target).
    pub fn canonical_request(&self) -> Option<&str> {
        self.canonical_request.as_deref()
    }

    /// The string-to-sign computed from the request received; `None` when the canonical request
    /// is.
    pub fn string_to_sign(&self) -> Option<&str> {
        self.string_to_sign.as_deref()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigV4 verification failed: {}: {}",
            self.reason, self.detail
        )?;
        if let Some(canonical_request) = &self.canonical_request {
            write!(f, "\n\ncanonical request:\n{canonical_request}")?;
        }
        if let Some(string_to_sign) = &self.string_to_sign {
            write!(f, "\n\nstring to sign:\n{string_to_sign}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejection {}

/// `x-amz-content-sha256` values that stand for a body not hashed into the signature.
fn is_unhashed_payload(value: &[u8]) -> bool {
    value == b"UNSIGNED-PAYLOAD" || value.starts_with(b"STREAMING-")
}

/// A request as received, with header values as the bytes on the wire.
pub(crate) struct Received<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    pub(crate) headers: &'a [(&'a str, &'a [u8])],
    pub(crate) body: &'a [u8],
}

/// Text from a request, for a message: at most `SHOWN_CHARS` characters (a received value can
/// be megabytes long), escaped so that it cannot start a new log line.
fn shown(text: &str) -> String {
    const SHOWN_CHARS: usize = 100;
    match text.char_indices().nth(SHOWN_CHARS) {
        None => text.escape_debug().to_string(),
        Some((end, _)) => format!(
            "{}... ({} bytes in all)",
            text[..end].escape_debug(),
            text.len()
        ),
    }
}

/// Bytes as text for display, each byte that is not UTF-8 written `\xFF`: a lossy decoding
/// would show bytes that differ as the same text.
fn display_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    push_display(bytes, &mut out);
    out
}

fn push_display(bytes: &[u8], out: &mut String) {
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
}

/// Everything computed from the request before any check against the verifier's settings.
struct Computed<'a> {
    auth: Authorization,
    headers: Headers<'a>,
    amz_date: String,
    time: SystemTime,
    body_sha256: String,
    canonical_redacted: String,
    string_to_sign: String,
    /// The string-to-sign with the query's `+` read as a space, when the query has one.
    plus_as_space: Option<String>,
}

impl<'a> Computed<'a> {
    fn new(request: &Received<'a>, s3: bool, normalize_path: bool) -> Result<Self, Rejection> {
        let (path, query) = split_target(request.target)?;
        let headers = Headers::new(request.headers);
        let auth = match headers.values("authorization") {
            [] => {
                return Err(Rejection::early(
                    RejectReason::MissingAuthorization,
                    "the request has no Authorization header",
                ));
            }
            [value] => Authorization::parse(value)?,
            _ => {
                return Err(Rejection::early(
                    RejectReason::MalformedAuthorization,
                    "the Authorization header is sent more than once",
                ));
            }
        };
        let amz_date = match headers.values(X_AMZ_DATE) {
            [] => {
                return Err(Rejection::early(
                    RejectReason::MissingDate,
                    "the request has no x-amz-date header",
                ));
            }
            [value] => display_bytes(value.trim_ascii()),
            _ => {
                return Err(Rejection::early(
                    RejectReason::MalformedDate,
                    "x-amz-date is sent more than once",
                ));
            }
        };
        let time = crate::sigv4::amz_date::parse(&amz_date).ok_or_else(|| {
            Rejection::early(
                RejectReason::MalformedDate,
                format!(
                    "x-amz-date `{}` is not a YYYYMMDD'T'HHMMSS'Z' timestamp",
                    shown(&amz_date)
                ),
            )
        })?;

        let body_sha256 = sha256_hex(request.body);
        let payload_hash = match headers.values(X_AMZ_CONTENT_SHA256) {
            [value] => value.trim_ascii(),
            _ => body_sha256.as_bytes(),
        };

        let canonical_uri = if s3 {
            canonical_s3_path(path)
        } else {
            canonical_path(path, normalize_path)
        };
        let canonical_query = canonical_query_of(query, PlusReading::Literal);
        let head = |canonical_query: &str| {
            format!("{}\n{canonical_uri}\n{canonical_query}\n", request.method)
        };
        let mut redacted = head(&redact_query(&canonical_query));
        let (rest, shown_rest) = canonical_headers(&auth, &headers, payload_hash);
        redacted.push_str(&shown_rest);

        let string_to_sign_of = |head: String| {
            let mut canonical = head.into_bytes();
            canonical.extend_from_slice(&rest);
            format!(
                "{}\n{amz_date}\n{}\n{}",
                auth.scope.algorithm(),
                auth.scope.as_string(),
                sha256_hex(&canonical)
            )
        };
        let string_to_sign = string_to_sign_of(head(&canonical_query));
        // Services differ on a literal `+` in the query: a plus, or a space (form encoding).
        let plus_as_space = query
            .contains('+')
            .then(|| string_to_sign_of(head(&canonical_query_of(query, PlusReading::Space))));
        Ok(Self {
            auth,
            headers,
            amz_date,
            time,
            body_sha256,
            canonical_redacted: redacted,
            string_to_sign,
            plus_as_space,
        })
    }

    fn reject(&self, reason: RejectReason, detail: String) -> Rejection {
        Rejection {
            reason,
            detail,
            canonical_request: Some(self.canonical_redacted.clone()),
            string_to_sign: Some(self.string_to_sign.clone()),
        }
    }
}

/// The canonical request after its query line: the signed headers, their names and the
/// payload hash, as the bytes that are hashed, and as shown (secret values redacted, bytes
/// that are not UTF-8 escaped).
fn canonical_headers(
    auth: &Authorization,
    headers: &Headers<'_>,
    payload_hash: &[u8],
) -> (Vec<u8>, String) {
    let mut rest = Vec::new();
    let mut shown = String::new();
    for name in auth.signed_header_names() {
        let start = rest.len() + name.len() + 1;
        rest.extend_from_slice(name.as_bytes());
        rest.push(b':');
        headers.canonical_value(name, &mut rest);
        shown.push_str(name);
        shown.push(':');
        if is_secret_header(name) {
            shown.push_str(&format!("** redacted (length={}) **", rest.len() - start));
        } else {
            push_display(&rest[start..], &mut shown);
        }
        rest.push(b'\n');
        shown.push('\n');
    }
    for part in [b"\n", auth.signed_headers.as_bytes(), b"\n", payload_hash] {
        rest.extend_from_slice(part);
    }
    shown.push('\n');
    shown.push_str(&auth.signed_headers);
    shown.push('\n');
    push_display(payload_hash, &mut shown);
    (rest, shown)
}

/// The received headers by lowercased name, each name's values in the order received. Looked
/// up once per signed name, so the cost stays linear in the size of the request.
struct Headers<'a>(HashMap<String, Vec<&'a [u8]>>);

impl<'a> Headers<'a> {
    fn new(headers: &[(&str, &'a [u8])]) -> Self {
        let mut by_name: HashMap<String, Vec<&'a [u8]>> = HashMap::with_capacity(headers.len());
        for (name, value) in headers {
            by_name
                .entry(name.trim().to_ascii_lowercase())
                .or_default()
                .push(value);
        }
        Self(by_name)
    }

    fn values(&self, name: &str) -> &[&'a [u8]] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    /// Every value of `name`, each trimmed with sequential spaces collapsed, joined with `,`.
    fn canonical_value(&self, name: &str, out: &mut Vec<u8>) {
        for (i, value) in self.values(name).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            trim_all(value, out);
        }
    }
}

/// Leading and trailing spaces and tabs removed (an HTTP parser drops them, RFC 9110 §5.5),
/// each run of spaces and tabs inside collapsed to one space (SigV4's rule as botocore, the
/// JavaScript SDK and AWS services apply it). Any other byte is kept as received.
fn trim_all(value: &[u8], out: &mut Vec<u8>) {
    let words = value.split(|b| matches!(b, b' ' | b'\t'));
    for (i, word) in words.filter(|w| !w.is_empty()).enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
}

/// The parts of a SigV4 `Authorization` header.
struct Authorization {
    scope: Scope,
    signed_headers: String,
    signature: String,
}

struct Scope {
    access_key_id: String,
    date: String,
    /// Empty for SigV4a, whose scope names no region.
    region: String,
    service: String,
    terminator: String,
    sigv4a: bool,
}

impl Scope {
    fn as_string(&self) -> String {
        if self.sigv4a {
            return format!("{}/{}/{}", self.date, self.service, self.terminator);
        }
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }

    fn algorithm(&self) -> &'static str {
        #[cfg(feature = "sigv4a")]
        if self.sigv4a {
            return crate::sigv4::v4a::ALGORITHM;
        }
        ALGORITHM
    }
}

impl Authorization {
    /// Parses the header's value. Its text is never put in a message: a client that sends a
    /// bearer key, or a key where a SigV4 component belongs, would see it logged. Messages name
    /// the part that is wrong instead.
    fn parse(value: &[u8]) -> Result<Self, Rejection> {
        let malformed =
            |detail: String| Rejection::early(RejectReason::MalformedAuthorization, detail);
        let Ok(value) = std::str::from_utf8(value) else {
            return Err(malformed(
                "the Authorization header holds bytes that are not ASCII, so it is not \
                 `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`"
                    .into(),
            ));
        };
        let value = value.trim();
        let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
        #[cfg(feature = "sigv4a")]
        let sigv4a = algorithm == crate::sigv4::v4a::ALGORITHM;
        #[cfg(not(feature = "sigv4a"))]
        let sigv4a = false;
        if algorithm != ALGORITHM && !sigv4a {
            return Err(not_sigv4(value, algorithm));
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for (i, component) in rest.split(',').enumerate() {
            let component = component.trim();
            let Some((key, value)) = component.split_once('=') else {
                return Err(malformed(format!(
                    "component {} after `{ALGORITHM}` ({} bytes) is not `Key=value`; expected \
                     `Credential=..., SignedHeaders=..., Signature=...`",
                    i + 1,
                    component.len()
                )));
            };
            let slot = match key {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => {
                    return Err(malformed(format!(
                        "component {} is neither Credential, SignedHeaders nor Signature",
                        i + 1
                    )));
                }
            };
            if slot.replace(value).is_some() {
                return Err(malformed(format!("`{key}` appears twice")));
            }
        }
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            return Err(malformed(
                "Credential, SignedHeaders and Signature are all required".into(),
            ));
        };
        let mut parts: Vec<&str> = credential.split('/').collect();
        if sigv4a {
            if parts.len() != 4 {
                return Err(malformed(format!(
                    "Credential has {} parts separated by `/`, not 4: \
                     access-key-id/date/service/aws4_request (a SigV4a scope names no region)",
                    parts.len()
                )));
            }
            // Checked against the region set instead; a placeholder keeps one parser.
            parts.insert(2, "*");
        }
        let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
            return Err(malformed(format!(
                "Credential has {} parts separated by `/`, not 5: \
                 access-key-id/date/region/service/aws4_request",
                parts.len()
            )));
        };
        if let Some(empty) = [access_key_id, date, region, service, terminator]
            .iter()
            .position(|p| p.is_empty())
        {
            let part = ["access key id", "date", "region", "service", "terminator"][empty];
            return Err(malformed(format!("Credential has an empty {part}")));
        }
        check_signed_headers(signed_headers).map_err(|why| {
            malformed(format!(
                "SignedHeaders is not a sorted list of distinct lowercase header names \
                 separated by `;`: {why}"
            ))
        })?;
        #[cfg(feature = "sigv4a")]
        if sigv4a && !crate::sigv4::v4a::is_signature_shaped(signature) {
            return Err(malformed(
                "Signature is not lowercase hex digits of a DER-encoded ECDSA signature".into(),
            ));
        }
        if !sigv4a
            && (signature.len() != 64
                || !signature
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        {
            return Err(malformed("Signature is not 64 lowercase hex digits".into()));
        }
        Ok(Self {
            scope: Scope {
                access_key_id: (*access_key_id).to_owned(),
                date: (*date).to_owned(),
                region: if sigv4a {
                    String::new()
                } else {
                    (*region).to_owned()
                },
                service: (*service).to_owned(),
                terminator: (*terminator).to_owned(),
                sigv4a,
            },
            signed_headers: signed_headers.to_owned(),
            signature: signature.to_owned(),
        })
    }

    fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';')
    }

    fn is_signed(&self, name: &str) -> bool {
        self.signed_header_names().any(|n| n == name)
    }
}

/// Why an `Authorization` value whose first word is `algorithm` is not SigV4, without its text.
fn not_sigv4(value: &str, algorithm: &str) -> Rejection {
    const SIGV4A: &str = "AWS4-ECDSA-P256-SHA256";
    if algorithm == SIGV4A {
        return Rejection::early(
            RejectReason::UnsupportedAlgorithm,
            format!("the algorithm is `{SIGV4A}` (SigV4a); only `{ALGORITHM}` is supported"),
        );
    }
    if algorithm.starts_with("AWS4-") {
        return Rejection::early(
            RejectReason::UnsupportedAlgorithm,
            format!("the algorithm is not `{ALGORITHM}`, the only one supported"),
        );
    }
    let scheme = value.split([' ', '\t']).next().unwrap_or_default();
    let what = if scheme.eq_ignore_ascii_case("bearer") {
        "holds a bearer token (`Bearer ...`), not a SigV4 signature (`BearerMatcher` checks \
         bearer tokens)"
            .to_owned()
    } else if !value.contains([' ', '\t']) {
        format!(
            "is a single word of {} bytes (a raw key or token?), not a SigV4 signature",
            value.len()
        )
    } else {
        "does not start with the scheme `AWS4-HMAC-SHA256`".to_owned()
    };
    Rejection::early(
        RejectReason::MalformedAuthorization,
        format!(
            "the Authorization header {what}: expected `{ALGORITHM} Credential=..., \
             SignedHeaders=..., Signature=...`"
        ),
    )
}

/// Checks `SignedHeaders`, saying which rule a name breaks by its position, not its text.
fn check_signed_headers(signed_headers: &str) -> Result<(), String> {
    let mut previous: Option<&str> = None;
    for (i, name) in signed_headers.split(';').enumerate() {
        let n = i + 1;
        if name.is_empty() {
            return Err(format!("name {n} is empty"));
        }
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("name {n} has an uppercase letter"));
        }
        if !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("name {n} has a byte that is not visible ASCII"));
        }
        if previous.is_some_and(|previous| previous >= name) {
            return Err(format!("name {n} does not sort after name {i}"));
        }
        previous = Some(name);
    }
    Ok(())
}

/// Splits an origin-form (or absolute-form) target into path and query.
fn split_target(target: &str) -> Result<(&str, &str), Rejection> {
    let malformed = |why: &str| {
        Rejection::early(
            RejectReason::MalformedTarget,
            format!(
                "request target `{}`: {why}",
                redact_query(target).escape_debug()
            ),
        )
    };
    if let Some(bad) = target.bytes().find(|b| !b.is_ascii_graphic() || *b == b'#') {
        return Err(malformed(&format!(
            "byte 0x{bad:02X} cannot appear in a request target on the wire (percent-encode it)"
        )));
    }
    let origin = match target.find("://") {
        Some(scheme_end) if !target.starts_with('/') => {
            let after = &target[scheme_end + 3..];
            match after.find(['/', '?']) {
                Some(i) if after[i..].starts_with('/') => &after[i..],
                Some(i) => &after[i..], // `https://host?query`: the path is empty
                None => "",
            }
        }
        _ => target,
    };
    if !(origin.is_empty() || origin.starts_with('/') || origin.starts_with('?')) {
        return Err(malformed("it must start with `/`"));
    }
    Ok(origin.split_once('?').unwrap_or((origin, "")))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes every byte but SigV4's unreserved ones (and `/` when `keep_slash`), with
/// uppercase hex.
fn encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as it is.
fn decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// S3: the path is the object key, encoded once. It is decoded and encoded again, segment by
/// segment, so that every unambiguous way of writing the same key gives the same result; it is
/// never normalised (`a//b/../c` is a valid key).
fn canonical_s3_path(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    let mut out = String::with_capacity(path.len() + 8);
    // `%2F` is a `/` of the key, and `/` is never encoded.
    encode(&decode(path), true, &mut out);
    out
}

/// Other services: dot segments removed and empty segments collapsed (when `normalize`), then
/// the path as received is percent-encoded again (so `%2F` becomes `%252F`).
fn canonical_path(path: &str, normalize: bool) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let normalized = if normalize {
        remove_dot_segments(path)
    } else {
        path.to_owned()
    };
    let mut out = String::with_capacity(normalized.len() + 8);
    encode(normalized.as_bytes(), true, &mut out);
    out
}

/// RFC 3986 §5.2.4 on an absolute path, with empty segments dropped too; a trailing slash is
/// kept.
fn remove_dot_segments(path: &str) -> String {
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
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if out.is_empty() || trailing {
        out.push('/');
    }
    out
}

/// How a literal `+` in a received query is read.
#[derive(Clone, Copy)]
enum PlusReading {
    /// A plus sign (RFC 3986; what most AWS services and `aws-sigv4`'s own tests do).
    Literal,
    /// A space (`application/x-www-form-urlencoded`; what this crate's signer writes `+` as).
    Space,
}

/// Split on `&`, split each piece at its first `=`, percent-decode (reading `+` as `plus`
/// says), encode again with the SigV4 set, sort by key then value.
fn canonical_query_of(query: &str, plus: PlusReading) -> String {
    let decode = |s: &str| match plus {
        PlusReading::Literal => decode(s),
        PlusReading::Space => decode(&s.replace('+', " ")),
    };
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            let mut k = String::with_capacity(key.len());
            let mut v = String::with_capacity(value.len());
            encode(&decode(key), false, &mut k);
            encode(&decode(value), false, &mut v);
            (k, v)
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(query.len() + 8);
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&key);
        out.push('=');
        out.push_str(&value);
    }
    out
}

/// Replaces the value of every `X-Amz-Security-Token` pair of a query (or of a target's query)
/// with a placeholder, for display.
fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical_query_of_literal(query: &str) -> String {
        canonical_query_of(query, PlusReading::Literal)
    }

    #[test]
    fn paths_are_canonicalised_per_service_rules() {
        assert_eq!(canonical_path("//example//", true), "/example/");
        assert_eq!(canonical_path("/example/..", true), "/");
        assert_eq!(canonical_path("/a/./b/../c/", true), "/a/c/");
        assert_eq!(canonical_path("/./", true), "/");
        assert_eq!(canonical_path("", true), "/");
        assert_eq!(canonical_path("/a%2Fb:c", true), "/a%252Fb%3Ac");
        assert_eq!(canonical_path("//example//", false), "//example//");
        assert_eq!(canonical_s3_path("/a%2fb/c:d//../e"), "/a/b/c%3Ad//../e");
        assert_eq!(canonical_s3_path("/caf%C3%A9%7E"), "/caf%C3%A9~");
        assert_eq!(canonical_s3_path(""), "/");
    }

    #[test]
    fn queries_are_decoded_encoded_and_sorted() {
        assert_eq!(canonical_query_of_literal(""), "");
        assert_eq!(canonical_query_of_literal("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query_of_literal("flag&x="), "flag=&x=");
        assert_eq!(canonical_query_of_literal("k=a+b%2b%7e"), "k=a%2Bb%2B~");
        assert_eq!(canonical_query_of_literal("k=v=w&&"), "k=v%3Dw");
        assert_eq!(canonical_query_of_literal("%zz=1%"), "%25zz=1%25");
    }

    #[test]
    fn query_tokens_are_redacted_for_display() {
        assert_eq!(
            redact_query("a=1&X-Amz-Security-Token=secret&b"),
            "a=1&X-Amz-Security-Token=** redacted (length=6) **&b"
        );
        assert_eq!(
            redact_query("/p?x-amz-security-token=abc"),
            "/p?x-amz-security-token=** redacted (length=3) **"
        );
        assert_eq!(redact_query("/p/a=b"), "/p/a=b");
        let rejection = split_target("/p q?X-Amz-Security-Token=secret").unwrap_err();
        assert_eq!(rejection.reason(), RejectReason::MalformedTarget);
        assert!(!rejection.to_string().contains("secret"), "{rejection}");
    }

    #[test]
    fn header_values_are_trimmed_and_spaces_collapsed() {
        let trimmed = |value: &[u8]| {
            let mut out = Vec::new();
            trim_all(value, &mut out);
            out
        };
        assert_eq!(trimmed(b"  a   b  c "), b"a b c");
        assert_eq!(trimmed(b"a\tb"), b"a b");
        assert_eq!(trimmed(b"a \t\t b"), b"a b");
        assert_eq!(trimmed(b"\t a \t"), b"a");
        assert_eq!(trimmed(b" caf\xFF  \xC3 "), b"caf\xFF \xC3");
    }
}
