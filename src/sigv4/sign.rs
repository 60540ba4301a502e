//! SigV4 header signing of a request: a pure function of the request, the credentials, the
//! time and the settings. The maths is `aws-sigv4`'s.

use std::borrow::Cow;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest};
use aws_smithy_runtime_api::client::identity::Identity;
use http::HeaderValue;
use http::header::{AUTHORIZATION, HeaderName};

use crate::error::{Error, ErrorKind};
use crate::sigv4::chunked_request;
use crate::sigv4::headers::HeaderPolicy;
use crate::sigv4::log;
use crate::sigv4::settings::{SigningConfig, StreamingBody};
use crate::sigv4::uri;
use crate::wire::{HttpRequest, Payload};

pub(crate) use crate::sigv4::encoding::{X_AMZ_CONTENT_SHA256, X_AMZ_DATE, X_AMZ_SECURITY_TOKEN};

/// Headers this crate writes; an earlier signature's copies are removed before signing again.
/// `authorization` first: bearer mode removes the rest. (Names, not strings: a removal by
/// string parses the name first, which was most of its cost.)
pub(crate) const SIGNATURE_HEADERS: [HeaderName; 4] = [
    AUTHORIZATION,
    HeaderName::from_static(X_AMZ_DATE),
    HeaderName::from_static(X_AMZ_SECURITY_TOKEN),
    HeaderName::from_static(X_AMZ_CONTENT_SHA256),
];

/// Removes every value of each of `names` from `headers`. The names are looked for first:
/// most requests carry none of them, and a removal hashes its name even when it is absent.
pub(crate) fn remove_headers(headers: &mut http::HeaderMap, names: &[HeaderName]) {
    if headers.keys().any(|name| names.contains(name)) {
        for name in names {
            headers.remove(name);
        }
    }
}

/// Signs `request` in place: canonicalises its URL, replaces any earlier signature headers and
/// adds `authorization`, `x-amz-date` and, as configured, `x-amz-security-token` and
/// `x-amz-content-sha256`.
///
/// A streaming body must have been buffered already if the configuration says so; here it is
/// signed as `UNSIGNED-PAYLOAD`, framed as aws-chunked (the framing headers set before
/// signing, the body wrapped after, from the signature), or refused.
///
/// The URL must have passed the guard (`check_url`): aws-sigv4 panics on one without a host.
pub(crate) fn sign_request(
    request: &mut impl HttpRequest,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    config: &SigningConfig,
    payload_sha256: Option<&str>,
) -> Result<(), Error> {
    let declared = matches!(request.payload(), Payload::Stream)
        && declared_sha256(request.headers()).is_some();
    let chunked = chunked_request::prepare(request, config, declared)?;
    sign_headers(
        request,
        credentials,
        region,
        time,
        config,
        payload_sha256,
        chunked.as_ref(),
    )?;
    if let Some(plan) = chunked {
        let framing = chunked_request::framing(
            request,
            plan,
            credentials.secret_access_key(),
            region,
            config,
            time,
        )?;
        request.frame_body(framing)?;
    }
    Ok(())
}

/// [`sign_request`] but the body: `chunked` when the stream is to be framed as aws-chunked.
fn sign_headers(
    request: &mut impl HttpRequest,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
    config: &SigningConfig,
    payload_sha256: Option<&str>,
    chunked: Option<&chunked_request::Plan>,
) -> Result<(), Error> {
    // Both paths below (and aws-sigv4 itself) format the date, which panics past 9999.
    crate::sigv4::amz_date::check(time)?;
    uri::canonicalize(request.url_mut(), config.s3)?;
    // A stream cannot be hashed here, but an app that hashed it beforehand (a file read twice)
    // says so in `x-amz-content-sha256`: that hash is signed, and the service checks the body
    // against it.
    let declared_sha256 = match request.payload() {
        Payload::Stream => declared_sha256(request.headers()),
        Payload::Bytes(_) => None,
    };
    remove_headers(request.headers_mut(), &SIGNATURE_HEADERS);
    normalize_header_values(request.headers_mut(), &config.headers);

    let body = match (request.payload(), payload_sha256, declared_sha256) {
        (Payload::Bytes(_), Some(sha256), _) => SignableBody::Precomputed(sha256.to_owned()),
        (Payload::Bytes(bytes), None, _) => SignableBody::Bytes(bytes),
        (Payload::Stream, _, Some(sha256)) => SignableBody::Precomputed(sha256),
        (Payload::Stream, _, None) if let Some(plan) = chunked => plan.signable_body(),
        (Payload::Stream, _, None) if config.streaming == StreamingBody::UnsignedPayload => {
            SignableBody::UnsignedPayload
        }
        (Payload::Stream, _, None) => return Err(Error::streaming_body()),
    };

    let mut headers = Vec::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        if config.headers.is_signed(name) {
            let value = value
                .to_str()
                .map_err(|_| Error::invalid_header_value(name.as_str()))?;
            headers.push((name.as_str(), value));
        }
    }

    let url = request.url();
    let uri = signing_uri(url);
    let debug = tracing::enabled!(tracing::Level::DEBUG);
    // The crate's own signer is SigV4's only: SigV4a goes through aws-sigv4.
    if config.fast_signing && config.sigv4a_region_set().is_none() {
        let fast = crate::sigv4::canonical::Request {
            method: request.method().as_str(),
            uri: &uri,
            headers: &mut headers,
            body: &body,
        };
        // With DEBUG on, the same signer runs and hands over what it signed.
        let mut trace = None;
        let signed = if debug {
            crate::sigv4::canonical::sign_configured_traced(
                fast,
                credentials,
                region,
                time,
                config,
                Some(&mut trace),
            )
        } else {
            crate::sigv4::canonical::sign_configured(fast, credentials, region, time, config)
        };
        if let Some(signed) = signed {
            if let Some(trace) = trace {
                let (canonical_request, string_to_sign) =
                    log::describe(Some(&trace.canonical_request), Some(trace.string_to_sign));
                debug_event(request, region, config, &canonical_request, &string_to_sign);
            }
            request.headers_mut().reserve(4);
            for header in signed {
                let name = header.name;
                let mut value = header.value;
                value.set_sensitive(header.sensitive || is_secret_header(&name));
                request.headers_mut().insert(name, value);
            }
            return Ok(());
        }
    }
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.iter().copied(),
        body,
    )
    .map_err(signing_error)?;

    let identity = Identity::from(credentials.clone());
    let params = signing_params(&identity, region, time, config, config.settings.clone())?;
    // aws-sigv4's TRACE events show the URL (a presigned URL's token and signature) and the
    // SSE-C headers: they never reach the app's subscriber.
    let (output, canonical_request) = if debug {
        log::capture(|| aws_sigv4::http_request::sign(signable, &params))
    } else {
        let output = log::silenced(|| aws_sigv4::http_request::sign(signable, &params));
        (output, None)
    };
    let (instructions, signature) = output.map_err(signing_error)?.into_parts();
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
        debug_event(request, region, config, &canonical_request, &string_to_sign);
    }

    let (new_headers, _) = instructions.into_parts();
    for header in new_headers {
        let mut value = HeaderValue::from_str(header.value())
            .map_err(|_| Error::invalid_header_value(header.name()))?;
        let name = HeaderName::from_static(header.name());
        value.set_sensitive(header.sensitive() || is_secret_header(&name));
        request.headers_mut().insert(name, value);
    }
    Ok(())
}

/// aws-sigv4's parameters: SigV4 for `region`, or SigV4a for the configured region set.
pub(crate) fn signing_params<'a>(
    identity: &'a Identity,
    region: &'a str,
    time: SystemTime,
    config: &'a SigningConfig,
    settings: aws_sigv4::http_request::SigningSettings,
) -> Result<aws_sigv4::http_request::SigningParams<'a>, Error> {
    #[cfg(feature = "sigv4a")]
    if let Some(region_set) = config.sigv4a_region_set() {
        return Ok(aws_sigv4::sign::v4a::SigningParams::builder()
            .identity(identity)
            .region_set(region_set)
            .name(&config.service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(signing_error)?
            .into());
    }
    Ok(aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(&config.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(signing_error)?
        .into())
}

/// Puts every signed header value in the one form all readers agree on: no spaces or tabs
/// around it (a server strips them, RFC 9110 §5.5, while aws-sigv4 trims only spaces), and
/// each run of spaces and tabs inside collapsed to one space (aws-sigv4 collapses only spaces;
/// botocore, the JavaScript SDK and several servers collapse tabs too). The value is sent as
/// it is signed, so no server can canonicalise it differently.
fn normalize_header_values(headers: &mut http::HeaderMap, policy: &HeaderPolicy) {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    for (name, value) in headers.iter_mut() {
        let bytes = value.as_bytes();
        let needs_work = bytes.first().is_some_and(is_ws)
            || bytes.last().is_some_and(is_ws)
            || bytes
                .windows(2)
                .any(|w| is_ws(&w[0]) && (w[0] == b'\t' || is_ws(&w[1])));
        if !needs_work || !policy.is_signed(name) {
            continue;
        }
        let mut out = Vec::with_capacity(bytes.len());
        for word in bytes.split(is_ws).filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(word);
        }
        if let Ok(mut normalized) = HeaderValue::from_bytes(&out) {
            normalized.set_sensitive(value.is_sensitive());
            *value = normalized;
        }
    }
}

/// The one `x-amz-content-sha256` value, when it is a SHA-256 in lower-case hex (not
/// `UNSIGNED-PAYLOAD` or a streaming marker, which the builder's settings decide).
fn declared_sha256(headers: &http::HeaderMap) -> Option<String> {
    let mut values = headers.get_all(X_AMZ_CONTENT_SHA256).iter();
    let value = values.next()?.to_str().ok()?;
    let is_hash = value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (is_hash && values.next().is_none()).then(|| value.to_owned())
}

/// The DEBUG event of a signed request, secrets redacted (see [`signing_log`]).
fn debug_event(
    request: &impl HttpRequest,
    region: &str,
    config: &SigningConfig,
    canonical_request: &str,
    string_to_sign: &str,
) {
    tracing::debug!(
        method = %request.method(),
        url = %log::RedactedUrl(request.url()),
        service = %config.service.escape_debug(),
        // SigV4a's scope names its region set, not the region.
        region = %config.sigv4a_region_set().unwrap_or(region).escape_debug(),
        canonical_request = %canonical_request,
        string_to_sign = %string_to_sign,
        "signed request with SigV4"
    );
}

fn is_secret_header(name: &HeaderName) -> bool {
    name == AUTHORIZATION || name.as_str() == X_AMZ_SECURITY_TOKEN
}

/// aws-sigv4 panics on a URI without authority: the guard (`policy::guard::admit`) refuses
/// such URLs once per hop, before anything is signed, and presigning before it signs.
pub(crate) fn check_url(url: &url::Url) -> Result<(), Error> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_url(format!(
            "cannot sign a `{}:` URL: only http and https requests can be signed",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_url(
            "cannot sign a URL without a host: give the request an absolute http(s) URL",
        ));
    }
    Ok(())
}

/// The URI as it goes on the wire: no fragment, no user info (reqwest moves it to a header).
pub(crate) fn signing_uri(url: &url::Url) -> Cow<'_, str> {
    if url.username().is_empty() && url.password().is_none() {
        Cow::Borrowed(&url[..url::Position::AfterQuery])
    } else {
        Cow::Owned(format!(
            "{}://{}{}",
            url.scheme(),
            &url[url::Position::BeforeHost..url::Position::AfterPort],
            &url[url::Position::BeforePath..url::Position::AfterQuery]
        ))
    }
}

pub(crate) fn signing_error(err: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(
        ErrorKind::Signing,
        format!("aws-sigv4 could not sign the request: {err}"),
    )
    .with_source(err)
}
