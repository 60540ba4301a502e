//! Verifying presigned (query-signed) requests: the signature and its parameters are in the
//! query string (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature`, `X-Amz-Security-Token`), and the URL is valid
//! from `X-Amz-Date` for `X-Amz-Expires` seconds.
//!
//! The canonical request is computed with the same rules as for header-signed requests (path,
//! query, headers), with the query minus `X-Amz-Signature` (and minus the session token when
//! it is appended after signing), and with `UNSIGNED-PAYLOAD` as the payload hash for S3.

use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;

use super::{
    ALGORITHM, Authorization, Headers, PlusReading, Received, RejectReason, Rejection, Verifier,
    X_AMZ_CONTENT_SHA256, canonical_headers, canonical_path, canonical_query_of, canonical_s3_path,
    decode, display_bytes, is_unhashed_payload, redact_query, sha256_hex, shown, split_target,
};
use crate::auth::presign::MAX_PRESIGN_EXPIRY;
use crate::sigv4::settings::PresignSessionToken;
use crate::sigv4::settings::is_s3_like;

const SIGNATURE: &str = "X-Amz-Signature";
const SECURITY_TOKEN: &str = "X-Amz-Security-Token";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const REGION_SET: &str = "X-Amz-Region-Set";

/// Whether `request` carries its signature in the query rather than in `Authorization`.
pub(super) fn is_query_signed(request: &Received<'_>) -> bool {
    let has_authorization = request
        .headers
        .iter()
        .any(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"));
    !has_authorization
        && split_target(request.target).is_ok_and(|(_, query)| {
            query
                .split('&')
                .any(|piece| param_name(piece) == "X-Amz-Algorithm")
        })
}

fn param_name(piece: &str) -> String {
    let key = piece.split_once('=').map_or(piece, |(key, _)| key);
    String::from_utf8_lossy(&decode(key)).into_owned()
}

/// The signing parameters of a presigned query, decoded.
struct Params {
    algorithm: String,
    credential: String,
    date: String,
    expires: String,
    signed_headers: String,
    signature: String,
    /// As decoded, compared as bytes.
    token: Option<Vec<u8>>,
    /// SigV4a's `X-Amz-Region-Set`, as text (`Some("")` when it is not UTF-8).
    region_set: Option<String>,
}

impl Params {
    fn parse(query: &str) -> Result<Self, Rejection> {
        let mut found: [Option<Vec<u8>>; 8] = Default::default();
        const NAMES: [&str; 8] = [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            SIGNATURE,
            SECURITY_TOKEN,
            REGION_SET,
        ];
        for piece in query.split('&').filter(|p| !p.is_empty()) {
            let name = param_name(piece);
            let Some(slot) = NAMES.iter().position(|n| *n == name) else {
                continue;
            };
            let value = piece.split_once('=').map_or("", |(_, value)| value);
            if found[slot].replace(decode(value)).is_some() {
                return Err(malformed(format!("`{name}` appears more than once")));
            }
        }
        let [
            algorithm,
            credential,
            date,
            expires,
            signed_headers,
            signature,
            token,
            region_set,
        ] = found;
        // Text, or refused: a lossy decoding would sign a value the client never sent.
        let require = |value: Option<Vec<u8>>, name: &str| {
            let value = value.ok_or_else(|| malformed(format!("the query has no `{name}`")))?;
            String::from_utf8(value).map_err(|_| {
                malformed(format!("`{name}` percent-encodes bytes that are not UTF-8"))
            })
        };
        Ok(Self {
            algorithm: require(algorithm, NAMES[0])?,
            credential: require(credential, NAMES[1])?,
            date: require(date, NAMES[2])?,
            expires: require(expires, NAMES[3])?,
            signed_headers: require(signed_headers, NAMES[4])?,
            signature: require(signature, NAMES[5])?,
            token,
            region_set: region_set.map(|set| String::from_utf8(set).unwrap_or_default()),
        })
    }
}

fn malformed(detail: String) -> Rejection {
    Rejection::early(RejectReason::MalformedQuerySignature, detail)
}

/// What is computed from a presigned request before any check against the verifier.
struct Computed<'a> {
    auth: Authorization,
    params: Params,
    headers: Headers<'a>,
    time: SystemTime,
    expires: Duration,
    body_sha256: String,
    canonical_redacted: String,
    string_to_sign: String,
    /// The string-to-sign with the query's `+` read as a space, when the query has one.
    plus_as_space: Option<String>,
}

impl<'a> Computed<'a> {
    fn new(
        request: &Received<'a>,
        s3: bool,
        normalize_path: bool,
        token_placement: PresignSessionToken,
    ) -> Result<Self, Rejection> {
        let (path, query) = split_target(request.target)?;
        let params = Params::parse(query)?;
        #[cfg(feature = "sigv4a")]
        let sigv4a = params.algorithm == crate::sigv4::v4a::ALGORITHM;
        #[cfg(not(feature = "sigv4a"))]
        let sigv4a = false;
        if params.algorithm != ALGORITHM && !sigv4a {
            return Err(Rejection::early(
                RejectReason::UnsupportedAlgorithm,
                format!(
                    "X-Amz-Algorithm is `{}`; only `{ALGORITHM}` is supported",
                    shown(&params.algorithm)
                ),
            ));
        }
        // The same components as an Authorization header's, checked by the same parser.
        let auth = Authorization::parse(
            format!(
                "{} Credential={}, SignedHeaders={}, Signature={}",
                params.algorithm, params.credential, params.signed_headers, params.signature
            )
            .as_bytes(),
        )
        .map_err(|rejection| malformed(format!("in the query: {}", rejection.detail())))?;
        let time = crate::sigv4::amz_date::parse(&params.date).ok_or_else(|| {
            Rejection::early(
                RejectReason::MalformedDate,
                format!(
                    "X-Amz-Date `{}` is not a YYYYMMDD'T'HHMMSS'Z' timestamp",
                    shown(&params.date)
                ),
            )
        })?;
        let expires = params
            .expires
            .parse::<u64>()
            .ok()
            .filter(|s| params.expires.bytes().all(|b| b.is_ascii_digit()) && *s > 0)
            .map(Duration::from_secs)
            .filter(|e| *e <= MAX_PRESIGN_EXPIRY)
            .ok_or_else(|| {
                Rejection::early(
                    RejectReason::InvalidExpires,
                    format!(
                        "X-Amz-Expires `{}` is not a number of seconds from 1 to 604800 (7 days)",
                        shown(&params.expires)
                    ),
                )
            })?;

        let headers = Headers::new(request.headers);
        let body_sha256 = sha256_hex(request.body);
        let payload_hash = match headers.values(X_AMZ_CONTENT_SHA256) {
            [value] if auth.is_signed(X_AMZ_CONTENT_SHA256) => value.trim_ascii(),
            _ if s3 => UNSIGNED_PAYLOAD.as_bytes(),
            _ => body_sha256.as_bytes(),
        };

        let signed_query: Vec<&str> = query
            .split('&')
            .filter(|piece| {
                let name = param_name(piece);
                name != SIGNATURE
                    && !(name == SECURITY_TOKEN
                        && token_placement == PresignSessionToken::AppendedAfterSigning)
            })
            .collect();
        let signed_query = signed_query.join("&");
        let canonical_query = canonical_query_of(&signed_query, PlusReading::Literal);
        let canonical_uri = if s3 {
            canonical_s3_path(path)
        } else {
            canonical_path(path, normalize_path)
        };
        let head = |canonical_query: &str| {
            format!("{}\n{canonical_uri}\n{canonical_query}\n", request.method)
        };
        let (rest, shown_rest) = canonical_headers(&auth, &headers, payload_hash);
        let string_to_sign_of = |head: String| {
            let mut canonical = head.into_bytes();
            canonical.extend_from_slice(&rest);
            format!(
                "{}\n{}\n{}\n{}",
                auth.scope.algorithm(),
                params.date,
                auth.scope.as_string(),
                sha256_hex(&canonical)
            )
        };
        let string_to_sign = string_to_sign_of(head(&canonical_query));
        let redacted = head(&redact_query(&canonical_query)) + &shown_rest;
        // Services differ on a literal `+` in the query: a plus, or a space (form encoding).
        let plus_as_space = signed_query.contains('+').then(|| {
            string_to_sign_of(head(&canonical_query_of(&signed_query, PlusReading::Space)))
        });
        Ok(Self {
            auth,
            params,
            headers,
            time,
            expires,
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

impl Verifier {
    /// [`Verifier::verify`] for a request whose signature is in the query.
    pub(super) fn verify_query(&self, request: &Received<'_>) -> Result<(), Rejection> {
        let computed = Computed::new(
            request,
            is_s3_like(&self.service),
            self.normalize_path,
            self.presign_session_token,
        )?;
        let reject = |reason, detail: String| Err(computed.reject(reason, detail));
        let auth = &computed.auth;

        if let Err((reason, detail)) = self.check_scope(
            auth,
            &computed.params.date,
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            computed.params.region_set.as_deref(),
        ) {
            return reject(reason, detail);
        }
        match (
            self.credentials.session_token(),
            computed.params.token.as_deref(),
        ) {
            (Some(_), None) => {
                return reject(
                    RejectReason::MissingSessionToken,
                    "the credentials have a session token but the query has no \
                     X-Amz-Security-Token"
                        .into(),
                );
            }
            (Some(expected), Some(received)) if bool::from(received.ct_eq(expected.as_bytes())) => {
            }
            (Some(_), Some(_)) => {
                return reject(
                    RejectReason::SessionTokenMismatch,
                    "X-Amz-Security-Token is not the credentials' session token".into(),
                );
            }
            (None, None) => {}
            (None, Some(_)) => {
                return reject(
                    RejectReason::SessionTokenMismatch,
                    "the query carries an X-Amz-Security-Token but the credentials have no \
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
                    "`{}` is in X-Amz-SignedHeaders but the request has no such header",
                    shown(missing)
                ),
            );
        }

        let now = self.now.unwrap_or_else(SystemTime::now);
        let expired_at = computed.time + computed.expires;
        // `max_skew` is the caller's: no overflow panic for a huge one.
        if now
            .checked_add(self.max_skew)
            .is_some_and(|latest| computed.time > latest)
        {
            return reject(
                RejectReason::DateOutOfRange,
                format!(
                    "X-Amz-Date `{}` is more than {}s after the verifier's current time `{}`",
                    computed.params.date,
                    self.max_skew.as_secs(),
                    crate::sigv4::amz_date::format(now)
                ),
            );
        }
        if now > expired_at {
            return reject(
                RejectReason::Expired,
                format!(
                    "the URL was signed at `{}` for {} s and expired at `{}`, before the \
                     verifier's current time `{}`",
                    computed.params.date,
                    computed.expires.as_secs(),
                    crate::sigv4::amz_date::format(expired_at),
                    crate::sigv4::amz_date::format(now)
                ),
            );
        }
        if let [value] = computed.headers.values(X_AMZ_CONTENT_SHA256) {
            let value = value.trim_ascii();
            if auth.is_signed(X_AMZ_CONTENT_SHA256)
                && !is_unhashed_payload(value)
                && value != computed.body_sha256.as_bytes()
            {
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

        let matches = self.signature_check(auth, computed.time);
        let plus_as_space_matches = computed.plus_as_space.as_deref().is_some_and(&matches);
        if !matches(&computed.string_to_sign) && !plus_as_space_matches {
            return reject(
                RejectReason::SignatureMismatch,
                "X-Amz-Signature does not match the one computed from the request as received: \
                 compare the canonical request and string-to-sign below with the client's (a \
                 wrong secret key, a URL used with another method, or a URL, signed header or \
                 body changed after signing)"
                    .into(),
            );
        }
        Ok(())
    }
}
