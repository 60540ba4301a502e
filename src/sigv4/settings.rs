//! The settings the builder decides once and the request path reads: plain data, no I/O.

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SigningSettings, UriPathNormalizationMode,
};

use crate::sigv4::checksum::ChecksumAlgorithm;
use crate::sigv4::chunked::{DEFAULT_CHUNK_SIZE, Framing, MIN_CHUNK_SIZE};
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
    /// Send the stream as S3's `aws-chunked` encoding, framed in chunks as it is read, each
    /// signed in a chain that starts from the request's signature, optionally ending with a
    /// checksum trailer (see [`AwsChunked`]). Memory holds one chunk, whatever the size. The
    /// stream's length must be known before it is read: `Content-Length`,
    /// `x-amz-decoded-content-length` or an exact size hint, else
    /// [`ErrorKind::StreamingBody`](crate::ErrorKind::StreamingBody). S3 (and S3-compatible
    /// services that implement SigV4 streaming) only. A body in memory is signed with its hash
    /// as usual, and gets the checksum in an `x-amz-checksum-*` header when a trailer is asked
    /// for.
    AwsChunked(AwsChunked),
}

impl StreamingBody {
    /// Refuses settings S3 would refuse on the first upload, when they are given.
    pub(crate) fn validate(self) -> Result<(), crate::Error> {
        match self {
            StreamingBody::AwsChunked(chunked) if chunked.chunk_size < MIN_CHUNK_SIZE => {
                Err(crate::Error::invalid_config(format!(
                    "`AwsChunked::chunk_size({})` is below the {MIN_CHUNK_SIZE} bytes S3 requires \
                     of every chunk but the last: pass {MIN_CHUNK_SIZE} or more (the default is \
                     {DEFAULT_CHUNK_SIZE})",
                    chunked.chunk_size
                )))
            }
            _ => Ok(()),
        }
    }
}

/// How [`StreamingBody::AwsChunked`] frames a stream: which payload S3 is told to expect and
/// the size of its chunks.
///
/// | constructor | `x-amz-content-sha256` | what protects the payload |
/// | --- | --- | --- |
/// | [`signed()`](Self::signed) | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` | every chunk's signature |
/// | [`signed().trailer(alg)`](Self::trailer) | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` | every chunk's signature, and a signed checksum trailer |
/// | [`unsigned_trailer(alg)`](Self::unsigned_trailer) | `STREAMING-UNSIGNED-PAYLOAD-TRAILER` | the checksum trailer alone (not signed; use over HTTPS) |
///
/// Signed chunks cost a SHA-256 of the data (the same as hashing a buffered body); the
/// unsigned mode costs only the checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsChunked {
    signed: bool,
    checksum: Option<ChecksumAlgorithm>,
    chunk_size: usize,
}

impl AwsChunked {
    /// Every chunk signed, no trailer (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`).
    pub fn signed() -> Self {
        Self {
            signed: true,
            checksum: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }

    /// Ends the body with a trailer carrying `checksum` of the data, computed while it
    /// streams, which S3 checks against what it stored. On [`signed()`](Self::signed) the
    /// trailer is signed too (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`).
    pub fn trailer(mut self, checksum: ChecksumAlgorithm) -> Self {
        self.checksum = Some(checksum);
        self
    }

    /// Chunks not signed, ended by a `checksum` trailer that is not signed either
    /// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`): what the AWS SDKs send over HTTPS. The
    /// request itself is signed as always.
    pub fn unsigned_trailer(checksum: ChecksumAlgorithm) -> Self {
        Self {
            signed: false,
            checksum: Some(checksum),
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }

    /// The size of every chunk but the last, in bytes: 64 KiB by default, at least 8 KiB (S3
    /// refuses smaller ones; a smaller size is refused with
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig)). Memory holds one chunk.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes;
        self
    }

    pub(crate) fn framing(self) -> Framing {
        match (self.signed, self.checksum) {
            (true, None) => Framing::Signed,
            (true, Some(alg)) => Framing::SignedTrailer(alg),
            (false, Some(alg)) => Framing::UnsignedTrailer(alg),
            // `unsigned_trailer` always names a checksum.
            (false, None) => Framing::Signed,
        }
    }

    pub(crate) fn size(self) -> usize {
        self.chunk_size
    }
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
    /// Sign with SigV4a for this set of regions instead of SigV4 for one.
    #[cfg(feature = "sigv4a")]
    pub(crate) region_set: Option<crate::sigv4::region_set::RegionSet>,
}

impl SigningConfig {
    /// The region set, when requests are signed with SigV4a.
    pub(crate) fn sigv4a_region_set(&self) -> Option<&str> {
        #[cfg(feature = "sigv4a")]
        return self.region_set.as_ref().map(|set| set.as_str());
        #[cfg(not(feature = "sigv4a"))]
        None
    }

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
            #[cfg(feature = "sigv4a")]
            region_set: None,
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
