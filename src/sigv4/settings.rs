//! The settings the builder decides once and the request path reads: plain data, no I/O.

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SigningSettings, UriPathNormalizationMode,
};

use crate::sigv4::headers::HeaderPolicy;

/// Signing names that follow S3's rules: the path is encoded once and not normalised, and the
/// payload hash header is always sent.
pub(crate) fn is_s3_like(service: &str) -> bool {
    matches!(service, "s3" | "s3-object-lambda" | "s3express")
}

/// How the payload is represented in the signature when the body is a stream.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamingBody {
    /// Refuse to sign, with [`ErrorKind::StreamingBody`](crate::ErrorKind::StreamingBody).
    /// Nothing is ever sent unsigned by accident. (Under any setting, a stream whose SHA-256
    /// the app put in `x-amz-content-sha256`, as 64 lower-case hex digits, is signed with it.)
    #[default]
    Reject,
    /// Read the stream into memory (up to `max_bytes`, else
    /// [`ErrorKind::BodyTooLarge`](crate::ErrorKind::BodyTooLarge)) and sign its hash.
    Buffer {
        /// The largest body that will be buffered.
        max_bytes: usize,
    },
    /// Sign with `UNSIGNED-PAYLOAD` and send the stream as it is. Only some services accept
    /// this (S3 does; most others answer 403).
    UnsignedPayload,
}

/// Everything about signing that is decided once, when the middleware is built.
#[derive(Clone, Debug)]
pub(crate) struct SigningConfig {
    pub(crate) service: String,
    pub(crate) settings: SigningSettings,
    pub(crate) headers: HeaderPolicy,
    pub(crate) streaming: StreamingBody,
    pub(crate) s3: bool,
    /// As the builder asked (S3 sends the header whatever this says).
    pub(crate) content_sha256: bool,
    /// Where presigned URLs put the session token (header signing always signs it).
    pub(crate) presign_session_token: PresignSessionToken,
    /// Sign with the crate's canonical request and a cached signing key (`canonical.rs`);
    /// `false`: with aws-sigv4's `http_request::sign` for every request. Same bytes either way.
    pub(crate) fast_signing: bool,
    /// The derived signing keys, shared by clones.
    pub(crate) signing_keys: crate::sigv4::key::SigningKeyCache,
}

impl SigningConfig {
    pub(crate) fn new(
        service: String,
        content_sha256: bool,
        headers: HeaderPolicy,
        streaming: StreamingBody,
    ) -> Self {
        let mut settings = SigningSettings::default();
        // Exclusion is decided by `HeaderPolicy` before headers reach aws-sigv4, which can only
        // match exact names.
        settings.excluded_headers = None;
        settings.payload_checksum_kind = if content_sha256 || is_s3_like(&service) {
            PayloadChecksumKind::XAmzSha256
        } else {
            PayloadChecksumKind::NoHeader
        };
        let s3 = is_s3_like(&service);
        if s3 {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        Self {
            service,
            settings,
            headers,
            streaming,
            s3,
            content_sha256,
            presign_session_token: Default::default(),
            fast_signing: true,
            signing_keys: Default::default(),
        }
    }
}

/// Where a presigned URL carries the session token of temporary credentials. Set with
/// [`AwsAuthBuilder::presign_session_token`](crate::AwsAuthBuilder::presign_session_token).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PresignSessionToken {
    /// `X-Amz-Security-Token` is part of the signed query, before `X-Amz-Signature`: what S3,
    /// API Gateway and most services expect, and what botocore does.
    #[default]
    Signed,
    /// `X-Amz-Security-Token` is left out of the signature and appended after
    /// `X-Amz-Signature`: what AWS IoT Core expects for MQTT over WebSocket
    /// (signing name `iotdevicegateway`).
    AppendedAfterSigning,
}
