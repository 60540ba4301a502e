//! What `StreamingBody::AwsChunked` does to a request around its signature: before, the
//! framing headers (the encoded `Content-Length` among them, so the decoded length must be
//! known now); after, the chain seeded with the signature just made, handed to the adapter
//! that wraps the body. A body in memory is signed with its hash as always, and gets the
//! checksum in a header when a trailer was asked for.

use aws_sigv4::http_request::SignableBody;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, HeaderName, HeaderValue};

use crate::error::{Error, ErrorKind};
use crate::sigv4::chunked::{Chain, Encoder, Framing, encoded_length};
use crate::sigv4::settings::{AwsChunked, SigningConfig, StreamingBody};
use crate::wire::{self, HttpRequest, Payload};

const X_AMZ_DECODED_CONTENT_LENGTH: HeaderName =
    HeaderName::from_static("x-amz-decoded-content-length");
const X_AMZ_TRAILER: HeaderName = HeaderName::from_static("x-amz-trailer");
const X_AMZ_SDK_CHECKSUM_ALGORITHM: HeaderName =
    HeaderName::from_static("x-amz-sdk-checksum-algorithm");

/// A request to be framed once it is signed.
#[derive(Debug)]
pub(crate) struct Plan {
    framing: Framing,
    chunk_size: usize,
    decoded: u64,
    encoded: u64,
}

impl Plan {
    /// The payload the request is signed with: aws-sigv4's own for the trailer modes, the
    /// marker as a precomputed hash for signed chunks without trailer (aws-sigv4 has no name
    /// for it; the AWS SDK signs it the same way).
    pub(crate) fn signable_body(&self) -> SignableBody<'static> {
        match self.framing {
            Framing::Signed => SignableBody::Precomputed(self.framing.content_sha256().to_owned()),
            Framing::SignedTrailer(_) => SignableBody::StreamingSignedPayloadTrailer,
            Framing::UnsignedTrailer(_) => SignableBody::StreamingUnsignedPayloadTrailer,
        }
    }
}

/// Before signing: for a stream under `AwsChunked` (and no SHA-256 of its own in
/// `x-amz-content-sha256`), the framing headers and the plan; for a body in memory under
/// `AwsChunked` with a trailer, the checksum header instead.
pub(crate) fn prepare(
    request: &mut impl HttpRequest,
    config: &SigningConfig,
    declared_sha256: bool,
) -> Result<Option<Plan>, Error> {
    let StreamingBody::AwsChunked(chunked) = config.streaming else {
        return Ok(None);
    };
    config.streaming.validate()?;
    if config.sigv4a_region_set().is_some() && matches!(request.payload(), Payload::Stream) {
        // SigV4a chains chunks with ECDSA signatures, which this framing does not make.
        return Err(Error::new(
            ErrorKind::StreamingBody,
            "aws-chunked uploads are signed with SigV4 only, not SigV4a: sign this upload \
             without the region set, or with another `StreamingBody`",
        ));
    }
    match request.payload() {
        Payload::Bytes(bytes) => {
            if let Some(alg) = chunked.framing().trailer() {
                let name = HeaderName::from_static(alg.header_name());
                if !request.headers().contains_key(&name) {
                    let value = HeaderValue::from_str(&alg.of(bytes))
                        .map_err(|_| Error::invalid_header_value(alg.header_name()))?;
                    let headers = request.headers_mut();
                    headers.insert(name, value);
                    headers.insert(
                        X_AMZ_SDK_CHECKSUM_ALGORITHM,
                        HeaderValue::from_static(alg.sdk_name()),
                    );
                }
            }
            Ok(None)
        }
        Payload::Stream if declared_sha256 => Ok(None),
        Payload::Stream => plan(request, chunked).map(Some),
    }
}

fn plan(request: &mut impl HttpRequest, chunked: AwsChunked) -> Result<Plan, Error> {
    let headers = request.headers();
    let encodings = headers.get_all(CONTENT_ENCODING);
    if encodings.iter().any(|value| {
        value.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|e| e.trim().eq_ignore_ascii_case("aws-chunked"))
        })
    }) {
        return Err(Error::new(
            ErrorKind::StreamingBody,
            "the request's Content-Encoding already lists aws-chunked: it was framed (signed) \
             before, and a stream can be framed only once; build the request again to sign it",
        ));
    }
    let decoded = match declared_length(headers, &X_AMZ_DECODED_CONTENT_LENGTH)? {
        Some(len) => len,
        None => match declared_length(headers, &CONTENT_LENGTH)? {
            Some(len) => len,
            None => request.body_len_hint().ok_or_else(|| {
                Error::new(
                    ErrorKind::StreamingBody,
                    "an aws-chunked upload needs the stream's length before the first byte is \
                     read (its Content-Length is sent first), and this stream does not say it: \
                     set `Content-Length` or `x-amz-decoded-content-length` to its length in \
                     bytes, or give it an exact size hint (`StreamingBody::Buffer` reads a \
                     stream of unknown length into memory instead)",
                )
            })?,
        },
    };
    let framing = chunked.framing();
    let chunk_size = chunked.size();
    let encoded = encoded_length(framing, decoded, chunk_size).ok_or_else(|| {
        Error::new(
            ErrorKind::StreamingBody,
            format!("a body of {decoded} bytes is too large to frame as aws-chunked"),
        )
    })?;
    let headers = request.headers_mut();
    headers.append(CONTENT_ENCODING, HeaderValue::from_static("aws-chunked"));
    headers.insert(X_AMZ_DECODED_CONTENT_LENGTH, HeaderValue::from(decoded));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(encoded));
    match framing.trailer() {
        Some(alg) => {
            headers.insert(X_AMZ_TRAILER, HeaderValue::from_static(alg.header_name()));
            headers.insert(
                X_AMZ_SDK_CHECKSUM_ALGORITHM,
                HeaderValue::from_static(alg.sdk_name()),
            );
        }
        None => {
            headers.remove(X_AMZ_TRAILER);
        }
    }
    Ok(Plan {
        framing,
        chunk_size,
        decoded,
        encoded,
    })
}

/// A length header the app set: one value, a number.
fn declared_length(headers: &http::HeaderMap, name: &HeaderName) -> Result<Option<u64>, Error> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    match (
        value.to_str().ok().and_then(|v| v.trim().parse().ok()),
        values.next(),
    ) {
        (Some(len), None) => Ok(Some(len)),
        _ => Err(Error::new(
            ErrorKind::StreamingBody,
            format!(
                "`{name}` must be one length in bytes for an aws-chunked upload; the request's \
                 is not"
            ),
        )),
    }
}

/// After signing: the encoder, its chain seeded with the signature in `authorization`, for
/// the adapter to wrap the body with.
pub(crate) fn framing(
    request: &impl HttpRequest,
    plan: Plan,
    secret: &str,
    region: &str,
    config: &SigningConfig,
    time: std::time::SystemTime,
) -> Result<wire::Framing, Error> {
    let lost = || {
        Error::new(
            ErrorKind::Signing,
            "the signature just made could not be read back to seed the aws-chunked chain",
        )
    };
    let headers = request.headers();
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(lost)?;
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(lost)?;
    let seed = authorization
        .rsplit_once("Signature=")
        .map(|(_, s)| s.trim())
        .ok_or_else(lost)?;
    let scope = authorization
        .split_once("Credential=")
        .and_then(|(_, rest)| rest.split_once(','))
        .and_then(|(credential, _)| credential.split_once('/'))
        .map(|(_, scope)| scope)
        .ok_or_else(lost)?;
    let date: [u8; 8] = amz_date
        .as_bytes()
        .get(..8)
        .and_then(|d| d.try_into().ok())
        .ok_or_else(lost)?;
    let key = config
        .signing_keys
        .key(secret, &date, region, &config.service, time)
        .ok_or_else(lost)?;
    let chain = Chain::new(key, amz_date, scope, seed);
    let encoder = match plan.framing {
        Framing::Signed => Encoder::signed(chain, None),
        Framing::SignedTrailer(alg) => Encoder::signed(chain, Some(alg)),
        Framing::UnsignedTrailer(alg) => Encoder::unsigned_trailer(alg),
    };
    tracing::debug!(
        framing = plan.framing.content_sha256(),
        chunk_size = plan.chunk_size,
        decoded_length = plan.decoded,
        encoded_length = plan.encoded,
        "sending the body as aws-chunked"
    );
    Ok(wire::Framing {
        frames: Box::new(encoder),
        chunk_size: plan.chunk_size,
        decoded: plan.decoded,
        encoded: plan.encoded,
    })
}
