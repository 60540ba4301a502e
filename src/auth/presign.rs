//! Presigned URLs: the SigV4 signature goes into the query string, so that a browser or another
//! process can use the URL without credentials (S3 downloads and uploads, API Gateway WebSocket
//! APIs with IAM auth, AWS IoT Core MQTT over WebSocket).
//!
//! The URL is the request's, canonicalised as for header signing ([`uri::canonicalize`]), with
//! the signing parameters appended in botocore's order (`X-Amz-Algorithm`, `X-Amz-Credential`,
//! `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Security-Token`,
//! `X-Amz-Signature`), so the result is byte for byte what `SigV4QueryAuth` /
//! `S3SigV4QueryAuth` produce. The maths is `aws-sigv4`'s.

use std::time::{Duration, SystemTime};

use crate::auth::sigv4::SigV4;
use crate::error::{Error, ErrorKind};
use crate::sigv4::log;
use crate::sigv4::settings::{PresignSessionToken, SigningConfig, StreamingBody};
use crate::sigv4::sign;
use crate::sigv4::uri;
use crate::wire::{Payload, RequestParts};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SessionTokenMode, SignableBody, SignableRequest, SignatureLocation};
use aws_smithy_runtime_api::client::identity::Identity;

/// The longest a presigned URL can be valid for: 7 days (SigV4's limit).
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The query parameters a presigned URL carries; earlier copies are removed before signing.
const PRESIGN_PARAMS: [&str; 8] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
    // SigV4a's: a URL that brings its own would widen (or break) the signature.
    "X-Amz-Region-Set",
];

impl SigV4 {
    /// The presigned URL of `request` (see [`AwsAuth::presign`](crate::AwsAuth::presign)),
    /// within the scope.
    pub(crate) async fn presign(
        &self,
        request: &impl RequestParts,
        scope: &crate::policy::scope::Scope,
        expires_in: Duration,
    ) -> Result<url::Url, Error> {
        let sigv4 = self;
        let expires_in = check_expires_in(expires_in)?;
        // A presigned URL carries a signature (and the session token) to whoever holds it:
        // the scope applies, and a pass-through setting does not make one unsigned.
        let web = matches!(request.url().scheme(), "http" | "https" | "ws" | "wss");
        if web && !scope.allows(request.url()) {
            return Err(scope.refusal(request.url()));
        }
        let resolved = sigv4.resolver.resolve().await?;
        crate::bedrock::check_endpoint_region(
            request.url(),
            &resolved.region,
            crate::bedrock::RegionOrigin::Signing,
        )?;
        // A clock outside 1970..=9999 is named as the cause before the credentials' expiry is
        // judged by it.
        crate::sigv4::amz_date::check(
            sigv4
                .skew
                .apply(sigv4.resolver.time().now(), request.url())
                .0,
        )?;
        let credentials = resolved.cache.get().await?;
        let (time, _) = sigv4.skew.apply(sigv4.resolver.time().now(), request.url());
        let expires_in = cap_to_credentials(expires_in, credentials.expiry(), time)?;
        let url = presign_request(
            request,
            &credentials,
            &resolved.region,
            time,
            expires_in,
            &sigv4.config,
        )?;
        // Judged again as it will be used: canonicalising may have rewritten the path.
        if web && !scope.allows(&url) {
            return Err(scope.refusal(&url));
        }
        Ok(url)
    }
}

pub(crate) fn presign_unsupported() -> Error {
    Error::new(
        ErrorKind::PresignUnsupported,
        "this AwsAuth sends a Bedrock API key as a bearer token, which has no presigned form: \
         presign with SigV4 credentials instead (an AwsAuth without `.bearer_token(...)`, \
         `.bearer_token_provider(...)` or AWS_BEARER_TOKEN_BEDROCK)",
    )
}

/// Whole seconds between 1 s and 7 days.
fn check_expires_in(expires_in: Duration) -> Result<Duration, Error> {
    let whole = Duration::from_secs(expires_in.as_secs());
    if whole.is_zero() || whole > MAX_PRESIGN_EXPIRY {
        return Err(Error::new(
            ErrorKind::InvalidExpiry,
            format!(
                "a presigned URL must expire between 1 second and 7 days (604800 s) after it is \
                 signed, not {:?}: pass an `expires_in` in that range",
                expires_in
            ),
        ));
    }
    Ok(whole)
}

/// Shortens `expires_in` to the credentials' remaining lifetime, with a warning.
fn cap_to_credentials(
    expires_in: Duration,
    credentials_expiry: Option<SystemTime>,
    now: SystemTime,
) -> Result<Duration, Error> {
    let Some(expiry) = credentials_expiry else {
        return Ok(expires_in);
    };
    let remaining = Duration::from_secs(expiry.duration_since(now).unwrap_or_default().as_secs());
    if remaining.is_zero() {
        return Err(Error::new(
            ErrorKind::InvalidExpiry,
            "the AWS credentials expire in less than a second, so no presigned URL made with them \
             would work: renew them (for SSO, run `aws sso login`) and presign again",
        ));
    }
    if remaining < expires_in {
        tracing::warn!(
            requested_secs = expires_in.as_secs(),
            effective_secs = remaining.as_secs(),
            "the presigned URL expires when the credentials that signed it do, in {} s instead of \
             the {} s asked for (X-Amz-Expires={}): presign with longer-lived credentials for a \
             longer lifetime",
            remaining.as_secs(),
            expires_in.as_secs(),
            remaining.as_secs()
        );
        return Ok(remaining);
    }
    Ok(expires_in)
}

/// The presigned URL of `request`: a pure function of the request, the credentials, the time,
/// the lifetime (already validated) and the settings.
pub(crate) fn presign_request(
    request: &impl RequestParts,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    expires_in: Duration,
    config: &SigningConfig,
) -> Result<url::Url, Error> {
    // aws-sigv4 panics formatting a date past 9999.
    crate::sigv4::amz_date::check(time)?;
    let mut url = request.url().clone();
    let websocket = websocket_as_http(&mut url)?;
    sign::check_url(&url)?;
    if !url.username().is_empty() || url.password().is_some() {
        // A client would send it as `Authorization: Basic`, which a presigned request must not
        // carry, and the URL is meant to be handed to others.
        return Err(Error::invalid_url(
            "a presigned URL cannot carry user info (`user:password@`): remove it from the URL",
        ));
    }
    remove_presign_params(&mut url);
    uri::canonicalize(&mut url, config.s3)?;

    let body = if config.s3 {
        SignableBody::UnsignedPayload
    } else {
        match request.payload() {
            Payload::Bytes(bytes) => SignableBody::Bytes(bytes),
            Payload::Stream if config.streaming == StreamingBody::UnsignedPayload => {
                SignableBody::UnsignedPayload
            }
            Payload::Stream => return Err(Error::streaming_body()),
        }
    };
    let headers = signed_headers(request, config)?;

    let mut settings = config.settings.clone();
    settings.signature_location = SignatureLocation::QueryParams;
    // Never None: aws-sigv4 panics when presigning without an expiry.
    settings.expires_in = Some(expires_in);
    settings.session_token_mode = match config.presign_session_token {
        PresignSessionToken::Signed => SessionTokenMode::Include,
        PresignSessionToken::AppendedAfterSigning => SessionTokenMode::Exclude,
    };
    let identity = Identity::from(credentials.clone());
    let params = sign::signing_params(&identity, region, time, config, settings)?;
    let signing_uri = sign::signing_uri(&url);
    let signable = SignableRequest::new(
        request.method().as_str(),
        signing_uri.as_ref(),
        headers.iter().copied(),
        body,
    )
    .map_err(sign::signing_error)?;
    // aws-sigv4's trace events show the presigned canonical query, session token included:
    // they never reach the app's subscriber. With DEBUG on, the canonical request is captured
    // to be logged redacted.
    let debug = tracing::enabled!(tracing::Level::DEBUG);
    let (signed, canonical_request) = if debug {
        log::capture(|| aws_sigv4::http_request::sign(signable, &params))
    } else {
        let signed = log::silenced(|| aws_sigv4::http_request::sign(signable, &params));
        (signed, None)
    };
    let (instructions, signature) = signed.map_err(sign::signing_error)?.into_parts();
    let (_, signing_params) = instructions.into_parts();
    let value_of = |name: &str| {
        signing_params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    };

    let mut query = url.query().unwrap_or_default().to_owned();
    let mut push = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri::encode_component(value));
    };
    let token = value_of("X-Amz-Security-Token");
    for name in &PRESIGN_PARAMS[..5] {
        push(name, value_of(name).unwrap_or_default());
    }
    if let Some(region_set) = value_of("X-Amz-Region-Set") {
        push("X-Amz-Region-Set", region_set);
    }
    let token_signed = config.presign_session_token == PresignSessionToken::Signed;
    if let (Some(token), true) = (token, token_signed) {
        push("X-Amz-Security-Token", token);
    }
    push(
        "X-Amz-Signature",
        value_of("X-Amz-Signature").unwrap_or_default(),
    );
    if let (Some(token), false) = (token, token_signed) {
        push("X-Amz-Security-Token", token);
    }
    url.set_query(Some(&query));
    if debug {
        let (canonical_request, string_to_sign) = log::describe_captured(
            canonical_request.as_deref(),
            &headers,
            &log::SignedRequest {
                credentials,
                region,
                service: &config.service,
                region_set: config.sigv4a_region_set(),
                time,
                signature: &signature,
            },
        );
        tracing::debug!(
            method = %request.method(),
            url = %log::RedactedUrl(&url),
            service = %config.service.escape_debug(),
            // SigV4a's scope names its region set, not the region.
            region = %config.sigv4a_region_set().unwrap_or(region).escape_debug(),
            canonical_request = %canonical_request,
            string_to_sign = %string_to_sign,
            "presigned a URL with SigV4"
        );
    }
    if let Some(scheme) = websocket {
        // Between special schemes: cannot fail.
        let _ = url.set_scheme(scheme);
    }
    Ok(url)
}

/// `ws:` and `wss:` are signed as the HTTP request of their handshake; returns the scheme to
/// put back.
fn websocket_as_http(url: &mut url::Url) -> Result<Option<&'static str>, Error> {
    let (http, ws) = match url.scheme() {
        "ws" => ("http", "ws"),
        "wss" => ("https", "wss"),
        _ => return Ok(None),
    };
    url.set_scheme(http)
        .map_err(|()| Error::invalid_url("cannot presign this WebSocket URL"))?;
    Ok(Some(ws))
}

/// Removes the signing parameters of an earlier presigning, so that presigning again replaces
/// them rather than signing them.
fn remove_presign_params(url: &mut url::Url) {
    let Some(query) = url.query() else { return };
    let is_presign_param = |piece: &str| {
        let key = piece.split_once('=').map_or(piece, |(key, _)| key);
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        PRESIGN_PARAMS
            .iter()
            .any(|param| param.eq_ignore_ascii_case(&key))
    };
    if !query.split('&').any(is_presign_param) {
        return;
    }
    let kept: Vec<&str> = query.split('&').filter(|p| !is_presign_param(p)).collect();
    let kept = kept.join("&");
    url.set_query(if kept.is_empty() { None } else { Some(&kept) });
}

/// The request's headers that the signature covers, as aws-sigv4 wants them.
fn signed_headers<'a>(
    request: &'a impl RequestParts,
    config: &SigningConfig,
) -> Result<Vec<(&'a str, &'a str)>, Error> {
    let mut headers = Vec::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        if config.headers.is_signed(name) && !sign::SIGNATURE_HEADERS.contains(name) {
            let value = value
                .to_str()
                .map_err(|_| Error::invalid_header_value(name.as_str()))?;
            headers.push((name.as_str(), value));
        }
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_whole_seconds_between_one_second_and_seven_days() {
        for ok in [1, 60, 604_800] {
            assert_eq!(
                check_expires_in(Duration::from_secs(ok)).unwrap(),
                Duration::from_secs(ok)
            );
        }
        assert_eq!(
            check_expires_in(Duration::from_millis(1_999)).unwrap(),
            Duration::from_secs(1)
        );
        for bad in [
            Duration::ZERO,
            Duration::from_millis(999),
            Duration::from_secs(604_801),
            Duration::MAX,
        ] {
            let err = check_expires_in(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidExpiry);
            assert!(
                err.to_string().contains("between 1 second and 7 days"),
                "{err}"
            );
        }
    }

    #[test]
    fn expiry_is_capped_at_the_credentials_expiry() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(cap_to_credentials(hour, None, now).unwrap(), hour);
        assert_eq!(
            cap_to_credentials(hour, Some(now + 2 * hour), now).unwrap(),
            hour
        );
        assert_eq!(
            cap_to_credentials(hour, Some(now + Duration::from_millis(600_500)), now).unwrap(),
            Duration::from_secs(600)
        );
        for dead in [now + Duration::from_millis(999), now, now - hour] {
            let err = cap_to_credentials(hour, Some(dead), now).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidExpiry);
            assert!(err.to_string().contains("renew them"), "{err}");
        }
    }

    #[test]
    fn earlier_signing_parameters_are_removed() {
        let cases = [
            ("https://h/k?a=1", "https://h/k?a=1"),
            (
                "https://h/k?a=1&X-Amz-Signature=abc&x-amz-date=1&X-Amz-Expires&b=2",
                "https://h/k?a=1&b=2",
            ),
            ("https://h/k?X%2DAmz%2DCredential=x", "https://h/k"),
            ("https://h/k?X-Amz-Meta=1", "https://h/k?X-Amz-Meta=1"),
        ];
        for (input, expected) in cases {
            let mut url = url::Url::parse(input).unwrap();
            remove_presign_params(&mut url);
            assert_eq!(url.as_str(), expected, "{input}");
        }
    }

    #[test]
    fn websocket_schemes_are_signed_as_http() {
        let mut url = url::Url::parse("wss://h.example/prod").unwrap();
        assert_eq!(websocket_as_http(&mut url).unwrap(), Some("wss"));
        assert_eq!(url.as_str(), "https://h.example/prod");
        let mut url = url::Url::parse("ws://h.example:8080/").unwrap();
        assert_eq!(websocket_as_http(&mut url).unwrap(), Some("ws"));
        assert_eq!(url.as_str(), "http://h.example:8080/");
        let mut url = url::Url::parse("https://h.example/").unwrap();
        assert_eq!(websocket_as_http(&mut url).unwrap(), None);
    }
}
