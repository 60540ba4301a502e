//! aws-chunked: S3's framing for bodies signed while they stream ("sigv4-streaming" and
//! "sigv4-streaming-trailers" in the S3 API reference). Pure: bytes in, bytes out, no I/O.
//!
//! The request itself is signed with a placeholder payload hash (`STREAMING-…`); its
//! signature is the seed of a chain in which each chunk's signature covers the chunk's SHA-256
//! and the signature before it, so no chunk can be changed, dropped or reordered without
//! breaking every signature after it. A final empty chunk closes the chain, and in the trailer
//! modes trailing headers follow it (a checksum computed while streaming), signed as the last
//! link or, in the unsigned mode, not at all.
//!
//! Every chunk but the last has the same size, so the encoded length is known from the
//! decoded one before the first byte is read: `Content-Length` is sent up front, and memory
//! holds one chunk, never the body.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::checksum::{Checksum, ChecksumAlgorithm};

/// 64 KiB, as the AWS SDKs chunk.
pub(crate) const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
/// S3 refuses chunks smaller than 8 KiB, except the last.
pub(crate) const MIN_CHUNK_SIZE: usize = 8 * 1024;

const SIGNATURE_PREFIX: &[u8] = b";chunk-signature=";
const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";
/// Hex of SHA-256 over nothing: the "previous header hash" every chunk string-to-sign carries
/// (chunks have no headers of their own).
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const CRLF: &[u8] = b"\r\n";

/// How the chunks are framed and what is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: every chunk and the checksum trailer signed.
    SignedTrailer(ChecksumAlgorithm),
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks; the checksum trailer is what
    /// protects the payload.
    UnsignedTrailer(ChecksumAlgorithm),
}

impl Framing {
    /// The payload hash of the seed request (`x-amz-content-sha256`).
    pub(crate) fn content_sha256(self) -> &'static str {
        match self {
            Framing::Signed => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Framing::SignedTrailer(_) => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            Framing::UnsignedTrailer(_) => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }
    }

    #[cfg(any(test, feature = "verify"))]
    /// The framing a payload hash announces (the checksum comes from `x-amz-trailer`).
    pub(crate) fn from_content_sha256(
        value: &str,
        trailer: Option<ChecksumAlgorithm>,
    ) -> Option<Self> {
        match (value, trailer) {
            ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", None) => Some(Framing::Signed),
            ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", Some(alg)) => {
                Some(Framing::SignedTrailer(alg))
            }
            ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", Some(alg)) => {
                Some(Framing::UnsignedTrailer(alg))
            }
            _ => None,
        }
    }

    pub(crate) fn is_signed(self) -> bool {
        !matches!(self, Framing::UnsignedTrailer(_))
    }

    /// The checksum sent as a trailer, if any.
    pub(crate) fn trailer(self) -> Option<ChecksumAlgorithm> {
        match self {
            Framing::Signed => None,
            Framing::SignedTrailer(alg) | Framing::UnsignedTrailer(alg) => Some(alg),
        }
    }

    /// Bytes of framing around one chunk of `len` bytes (its data not counted).
    fn chunk_overhead(self, len: u64) -> u64 {
        let size = hex_digits(len);
        let signature = if self.is_signed() {
            SIGNATURE_PREFIX.len() as u64 + 64
        } else {
            0
        };
        size + signature + 2 * CRLF.len() as u64
    }

    /// Bytes after the last data chunk: the empty chunk, the trailer, the end.
    fn end_len(self) -> u64 {
        // "0" + signature + CRLF
        let last = self.chunk_overhead(0) - CRLF.len() as u64;
        let trailer = match self.trailer() {
            None => 0,
            Some(alg) => {
                let value = (alg.header_name().len() + 1 + alg.encoded_len() + CRLF.len()) as u64;
                let signature = if self.is_signed() {
                    (TRAILER_SIGNATURE.len() + 1 + 64 + CRLF.len()) as u64
                } else {
                    0
                };
                value + signature
            }
        };
        last + trailer + CRLF.len() as u64
    }
}

fn hex_digits(mut n: u64) -> u64 {
    let mut digits = 1;
    while n >= 16 {
        n /= 16;
        digits += 1;
    }
    digits
}

/// The `Content-Length` of `decoded` bytes framed in chunks of `chunk_size`; `None` when it
/// does not fit in a `u64` (or `chunk_size` is zero).
pub(crate) fn encoded_length(framing: Framing, decoded: u64, chunk_size: usize) -> Option<u64> {
    let chunk_size = u64::try_from(chunk_size).ok().filter(|&n| n > 0)?;
    let full = decoded / chunk_size;
    let rest = decoded % chunk_size;
    let mut total = full.checked_mul(framing.chunk_overhead(chunk_size))?;
    if rest > 0 {
        total = total.checked_add(framing.chunk_overhead(rest))?;
    }
    total.checked_add(decoded)?.checked_add(framing.end_len())
}

/// The chain of signatures that starts from the seed request's. Holds the derived signing key
/// (good for one day, region and service), never the secret; its `Debug` shows neither.
#[derive(Clone)]
pub(crate) struct Chain {
    key: [u8; 32],
    /// `AWS4-HMAC-SHA256-PAYLOAD\n<amz-date>\n<scope>\n`, the same for every chunk.
    amz_date: Box<str>,
    scope: Box<str>,
    previous: String,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl Chain {
    /// A chain from `seed` (the request's signature), for the request's `amz_date`
    /// (`yyyymmddThhmmssZ`) and `scope` (`yyyymmdd/region/service/aws4_request`).
    pub(crate) fn new(key: [u8; 32], amz_date: &str, scope: &str, seed: &str) -> Self {
        Self {
            key,
            amz_date: amz_date.into(),
            scope: scope.into(),
            previous: seed.to_owned(),
        }
    }

    /// The signature of the chunk whose SHA-256 is `digest`, which the next link chains from.
    pub(crate) fn sign_chunk(&mut self, digest: &[u8; 32]) -> &str {
        let mut hex_buf = [0u8; 64];
        let chunk_hash = hex(digest, &mut hex_buf);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{chunk_hash}",
            self.amz_date, self.scope, self.previous
        );
        self.previous =
            aws_sigv4::sign::v4::calculate_signature(self.key, string_to_sign.as_bytes());
        &self.previous
    }

    /// The signature of the trailing headers, given in their canonical form
    /// ([`canonical_trailers`]).
    pub(crate) fn sign_trailer(&mut self, canonical: &[u8]) -> &str {
        let mut hex_buf = [0u8; 64];
        let trailer_hash = hex(&Sha256::digest(canonical).into(), &mut hex_buf);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{trailer_hash}",
            self.amz_date, self.scope, self.previous
        );
        self.previous =
            aws_sigv4::sign::v4::calculate_signature(self.key, string_to_sign.as_bytes());
        &self.previous
    }
}

/// Trailing headers as they are signed: `name:value\n`, names lower case and sorted, values
/// trimmed (what aws-sigv4's `sign_trailer` and S3 compute).
pub(crate) fn canonical_trailers<'a>(
    trailers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<u8> {
    let mut sorted: Vec<(String, &str)> = trailers
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
        .collect();
    sorted.sort();
    let mut out = Vec::new();
    for (name, value) in sorted {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Frames a body chunk by chunk: the caller hands over each chunk's data and sends, in order,
/// what [`Encoder::chunk`] returns, the data itself, and at the end what [`Encoder::finish`]
/// returns. The data is never copied.
#[derive(Debug)]
pub(crate) struct Encoder {
    framing: Framing,
    chain: Option<Chain>,
    checksum: Option<Checksum>,
    /// A chunk's data went out: its closing CRLF leads whatever comes next.
    open: bool,
}

impl Encoder {
    /// An encoder for a signed framing, chaining from the request's signature.
    pub(crate) fn signed(chain: Chain, trailer: Option<ChecksumAlgorithm>) -> Self {
        let framing = match trailer {
            None => Framing::Signed,
            Some(alg) => Framing::SignedTrailer(alg),
        };
        Self {
            framing,
            chain: Some(chain),
            checksum: trailer.map(ChecksumAlgorithm::start),
            open: false,
        }
    }

    /// An encoder for unsigned chunks with a checksum trailer.
    pub(crate) fn unsigned_trailer(alg: ChecksumAlgorithm) -> Self {
        Self {
            framing: Framing::UnsignedTrailer(alg),
            chain: None,
            checksum: Some(alg.start()),
            open: false,
        }
    }

    #[cfg(test)]
    pub(crate) fn framing(&self) -> Framing {
        self.framing
    }

    /// What goes on the wire before the chunk made of `pieces` (one chunk, not empty): the
    /// previous chunk's CRLF, the size and, when signed, the signature.
    #[cfg(test)]
    pub(crate) fn chunk(&mut self, pieces: &[Bytes]) -> Bytes {
        self.chunk_hashed(pieces, None)
    }

    /// [`Encoder::chunk`], given the chunk's SHA-256 when it was computed elsewhere (on
    /// another thread, while the previous chunk was sent).
    pub(crate) fn chunk_hashed(&mut self, pieces: &[Bytes], sha256: Option<[u8; 32]>) -> Bytes {
        let len: usize = pieces.iter().map(Bytes::len).sum();
        if let Some(checksum) = &mut self.checksum {
            pieces.iter().for_each(|piece| checksum.update(piece));
        }
        let signature = self.chain.as_mut().map(|chain| {
            let digest = sha256.unwrap_or_else(|| sha256_of(pieces));
            chain.sign_chunk(&digest).to_owned()
        });
        let mut out = BytesMut::with_capacity(2 + 16 + SIGNATURE_PREFIX.len() + 64 + 2);
        self.put_header(&mut out, len as u64, signature.as_deref());
        self.open = true;
        out.freeze()
    }

    /// What goes on the wire after the last chunk: the final empty chunk, the trailer (signed
    /// or not as the framing says) and the end of the body.
    pub(crate) fn finish(&mut self) -> Bytes {
        let signature = self
            .chain
            .as_mut()
            .map(|chain| chain.sign_chunk(&Sha256::digest(b"").into()).to_owned());
        let mut out = BytesMut::with_capacity(256);
        self.put_header(&mut out, 0, signature.as_deref());
        self.open = false;
        if let (Some(alg), Some(checksum)) = (self.framing.trailer(), self.checksum.take()) {
            let value = checksum.finish();
            put_trailer(&mut out, alg.header_name(), &value);
            if let Some(chain) = &mut self.chain {
                let canonical = canonical_trailers([(alg.header_name(), value.as_str())]);
                put_trailer(&mut out, TRAILER_SIGNATURE, chain.sign_trailer(&canonical));
            }
        }
        out.put_slice(CRLF);
        out.freeze()
    }

    fn put_header(&self, out: &mut BytesMut, len: u64, signature: Option<&str>) {
        if self.open {
            out.put_slice(CRLF);
        }
        out.put_slice(format!("{len:x}").as_bytes());
        if let Some(signature) = signature {
            out.put_slice(SIGNATURE_PREFIX);
            out.put_slice(signature.as_bytes());
        }
        out.put_slice(CRLF);
    }
}

/// The SHA-256 of a chunk given in pieces.
pub(crate) fn sha256_of(pieces: &[Bytes]) -> [u8; 32] {
    let mut sha = Sha256::new();
    pieces.iter().for_each(|piece| sha.update(piece));
    sha.finalize().into()
}

impl crate::wire::Frames for Encoder {
    fn hashes_chunks(&self) -> bool {
        self.chain.is_some()
    }
    fn chunk(&mut self, pieces: &[Bytes], sha256: Option<[u8; 32]>) -> Bytes {
        Encoder::chunk_hashed(self, pieces, sha256)
    }
    fn finish(&mut self) -> Bytes {
        Encoder::finish(self)
    }
}

fn put_trailer(out: &mut BytesMut, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_u8(b':');
    out.put_slice(value.as_bytes());
    out.put_slice(CRLF);
}

fn hex<'b>(bytes: &[u8; 32], out: &'b mut [u8; 64]) -> &'b str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(out).unwrap_or_default()
}

#[cfg(any(test, feature = "verify"))]
/// A body read back from its framing, for verifiers: where each chunk's data lies, the
/// signature it claims, and the trailers. Checks the framing only, not the signatures.
#[derive(Debug, Default)]
pub(crate) struct Decoded<'a> {
    /// Each chunk's data (the final empty one included) and its claimed signature.
    pub(crate) chunks: Vec<(std::ops::Range<usize>, Option<&'a str>)>,
    /// Trailing headers but the signature, as sent.
    pub(crate) trailers: Vec<(&'a str, &'a str)>,
    pub(crate) trailer_signature: Option<&'a str>,
}
#[cfg(any(test, feature = "verify"))]
impl Decoded<'_> {
    /// The decoded body: every chunk's data in order.
    pub(crate) fn data(&self, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.chunks
            .iter()
            .for_each(|(range, _)| out.extend_from_slice(&body[range.clone()]));
        out
    }
}

#[cfg(any(test, feature = "verify"))]
/// Reads `body` as aws-chunked in `framing`. The error names the first place the framing
/// breaks (chunk numbers count from 1).
pub(crate) fn decode(body: &[u8], framing: Framing) -> Result<Decoded<'_>, String> {
    let mut decoded = Decoded::default();
    let mut at = 0;
    loop {
        let number = decoded.chunks.len() + 1;
        let line_end = find_crlf(body, at)
            .ok_or_else(|| format!("chunk {number}: no size line (the body ends)"))?;
        let line = std::str::from_utf8(&body[at..line_end])
            .map_err(|_| format!("chunk {number}: the size line is not text"))?;
        let (size, signature) = match line.split_once(';') {
            Some((size, ext)) => {
                let signature = ext
                    .strip_prefix("chunk-signature=")
                    .ok_or_else(|| format!("chunk {number}: unknown chunk extension {ext:?}"))?;
                (size, Some(signature))
            }
            None => (line, None),
        };
        match (framing.is_signed(), signature) {
            (true, None) => return Err(format!("chunk {number}: no chunk-signature")),
            (false, Some(_)) => {
                return Err(format!(
                    "chunk {number}: a chunk-signature in an unsigned body"
                ));
            }
            _ => {}
        }
        let size = usize::from_str_radix(size, 16)
            .ok()
            .filter(|_| !size.is_empty() && size.len() <= 16)
            .ok_or_else(|| format!("chunk {number}: size {size:?} is not hex"))?;
        let start = line_end + CRLF.len();
        let end = start
            .checked_add(size)
            .filter(|&end| end <= body.len())
            .ok_or_else(|| {
                format!("chunk {number}: {size} bytes announced, the body ends first")
            })?;
        decoded.chunks.push((start..end, signature));
        if size == 0 {
            at = start;
            break;
        }
        if body.get(end..end + CRLF.len()) != Some(CRLF) {
            return Err(format!("chunk {number}: no CRLF after its {size} bytes"));
        }
        at = end + CRLF.len();
    }
    // Trailing headers, one a line, until the empty line that ends the body.
    loop {
        let line_end = find_crlf(body, at).ok_or("the body does not end with an empty line")?;
        let line = std::str::from_utf8(&body[at..line_end])
            .map_err(|_| "a trailer line is not text".to_owned())?;
        at = line_end + CRLF.len();
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("trailer line {line:?} has no ':'"))?;
        if name.eq_ignore_ascii_case(TRAILER_SIGNATURE) {
            decoded.trailer_signature = Some(value.trim());
        } else {
            decoded.trailers.push((name, value));
        }
    }
    if at != body.len() {
        return Err(format!(
            "{} bytes after the end of the body",
            body.len() - at
        ));
    }
    Ok(decoded)
}
#[cfg(any(test, feature = "verify"))]
fn find_crlf(body: &[u8], from: usize) -> Option<usize> {
    body.get(from..)?
        .windows(2)
        .position(|w| w == CRLF)
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    //! The golden vectors are the S3 API reference's worked examples, "Signature Calculations
    //! for the Authorization Header: Transferring Payload in Multiple Chunks" (sigv4-streaming)
    //! and "…Including Trailing Headers" (sigv4-streaming-trailers): 65 KiB of `a` in a chunk of
    //! 64 KiB and one of 1 KiB, signed on 2013-05-24 in us-east-1 for s3 with the docs' example
    //! key. The same values are asserted by s3s (`http/aws_chunked_stream.rs`), MinIO and
    //! aws-c-auth (`tests/sigv4_signing_tests.c`).
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const AMZ_DATE: &str = "20130524T000000Z";
    const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";

    const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    const CHUNKS: [&str; 3] = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];
    const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    const TRAILER_CHUNKS: [&str; 3] = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];
    const TRAILER_SIGNATURE_VALUE: &str =
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

    fn key() -> [u8; 32] {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_369_353_600);
        let key = aws_sigv4::sign::v4::generate_signing_key(SECRET, time, "us-east-1", "s3");
        key.as_ref().try_into().unwrap()
    }

    /// Runs `encoder` over `data` in chunks of `chunk_size`, as the body wrapper does.
    fn encode(mut encoder: Encoder, data: &[u8], chunk_size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(chunk_size) {
            // Several pieces per chunk: the wrapper hands over the body's frames as they came.
            let pieces: Vec<Bytes> = chunk.chunks(1000).map(Bytes::copy_from_slice).collect();
            out.extend_from_slice(&encoder.chunk(&pieces));
            pieces.iter().for_each(|p| out.extend_from_slice(p));
        }
        out.extend_from_slice(&encoder.finish());
        out
    }

    /// The docs' body, written out from their text.
    fn documented_body(signatures: [&str; 3], trailer: &str) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(format!("10000;chunk-signature={}\r\n", signatures[0]).as_bytes());
        body.extend_from_slice(&[b'a'; 65_536]);
        body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", signatures[1]).as_bytes());
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", signatures[2]).as_bytes());
        body.extend_from_slice(trailer.as_bytes());
        body.extend_from_slice(b"\r\n");
        body
    }

    #[test]
    fn s3_docs_signed_chunks_byte_for_byte() {
        let data = [b'a'; 66_560];
        let encoder = Encoder::signed(Chain::new(key(), AMZ_DATE, SCOPE, SEED), None);
        let body = encode(encoder, &data, DEFAULT_CHUNK_SIZE);
        assert_eq!(body, documented_body(CHUNKS, ""));
        // The docs' Content-Length.
        assert_eq!(body.len(), 66_824);
        assert_eq!(
            encoded_length(Framing::Signed, 66_560, DEFAULT_CHUNK_SIZE),
            Some(66_824)
        );
    }

    #[test]
    fn s3_docs_signed_trailer_byte_for_byte() {
        let data = [b'a'; 66_560];
        let chain = Chain::new(key(), AMZ_DATE, SCOPE, TRAILER_SEED);
        let encoder = Encoder::signed(chain, Some(ChecksumAlgorithm::Crc32c));
        let body = encode(encoder, &data, DEFAULT_CHUNK_SIZE);
        let trailer = format!(
            "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIGNATURE_VALUE}\r\n"
        );
        assert_eq!(body, documented_body(TRAILER_CHUNKS, &trailer));
        let framing = Framing::SignedTrailer(ChecksumAlgorithm::Crc32c);
        assert_eq!(
            encoded_length(framing, 66_560, DEFAULT_CHUNK_SIZE),
            Some(body.len() as u64)
        );
    }

    /// The seeds themselves come from the request signer; aws-sigv4 given the docs' request
    /// reproduces them, which pins the canonical requests the vectors stand on.
    #[test]
    fn s3_docs_seed_signatures() {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let credentials = aws_credential_types::Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            SECRET,
            None,
            None,
            "docs",
        );
        let identity = credentials.into();
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_369_353_600);
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signed = |headers: &[(&str, &str)], body: SignableBody<'_>| {
            let request = SignableRequest::new(
                "PUT",
                "https://s3.amazonaws.com/examplebucket/chunkObject.txt",
                headers.iter().copied(),
                body,
            )
            .unwrap();
            sign(request, &params).unwrap().signature().to_owned()
        };
        let common = [
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", AMZ_DATE),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
        ];
        let mut plain = common.to_vec();
        plain.push(("content-length", "66824"));
        let body = SignableBody::Precomputed(Framing::Signed.content_sha256().to_owned());
        assert_eq!(signed(&plain, body), SEED);
        let mut trailer = common.to_vec();
        trailer.push(("x-amz-trailer", "x-amz-checksum-crc32c"));
        assert_eq!(
            signed(&trailer, SignableBody::StreamingSignedPayloadTrailer),
            TRAILER_SEED
        );
    }

    /// Against aws-sigv4's own `sign_chunk` and `sign_trailer` (which derive the key anew
    /// each time) over chunk sizes the docs do not cover, the last chunk short or full.
    #[test]
    fn chain_matches_aws_sigv4_primitives() {
        let credentials = aws_credential_types::Credentials::new("AKID", SECRET, None, None, "t");
        let identity = credentials.into();
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_369_353_600);
        let params = aws_sigv4::sign::v4::SigningParams::<()>::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(time)
            .settings(())
            .build()
            .unwrap();
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 253) as u8).collect();
        for (len, chunk_size) in [
            (0, 8192),
            (1, 8192),
            (8191, 8192),
            (8192, 8192),
            (40_000, 9000),
        ] {
            let data = &data[..len];
            let mut encoder = Encoder::signed(
                Chain::new(key(), AMZ_DATE, SCOPE, SEED),
                Some(ChecksumAlgorithm::Sha256),
            );
            let mut expected = SEED.to_owned();
            let mut body = Vec::new();
            for chunk in data.chunks(chunk_size) {
                expected = aws_sigv4::sign::v4::sign_chunk(
                    &Bytes::copy_from_slice(chunk),
                    &expected,
                    &params,
                )
                .unwrap()
                .signature()
                .to_owned();
                let header = encoder.chunk(&[Bytes::copy_from_slice(chunk)]);
                assert!(header.ends_with(format!("chunk-signature={expected}\r\n").as_bytes()));
                body.extend_from_slice(&header);
                body.extend_from_slice(chunk);
            }
            expected = aws_sigv4::sign::v4::sign_chunk(&Bytes::new(), &expected, &params)
                .unwrap()
                .signature()
                .to_owned();
            let mut headers = aws_smithy_runtime_api::http::Headers::new();
            headers.insert("x-amz-checksum-sha256", ChecksumAlgorithm::Sha256.of(data));
            let trailer_signature = aws_sigv4::sign::v4::sign_trailer(&headers, &expected, &params)
                .unwrap()
                .signature()
                .to_owned();
            let end = encoder.finish();
            let end = std::str::from_utf8(&end).unwrap();
            assert!(
                end.contains(&format!("0;chunk-signature={expected}\r\n")),
                "{len}"
            );
            assert!(
                end.ends_with(&format!(
                    "x-amz-trailer-signature:{trailer_signature}\r\n\r\n"
                )),
                "{len}"
            );
            body.extend_from_slice(end.as_bytes());
            let framing = Framing::SignedTrailer(ChecksumAlgorithm::Sha256);
            assert_eq!(
                encoded_length(framing, len as u64, chunk_size),
                Some(body.len() as u64)
            );
        }
    }

    /// Encoded lengths agree with what the encoder writes, for every framing and checksum and
    /// sizes around the chunk boundary; the decoder reads back the data and the trailer.
    #[test]
    fn length_and_round_trip_every_framing() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let chain = || Chain::new(key(), AMZ_DATE, SCOPE, SEED);
        for chunk_size in [MIN_CHUNK_SIZE, DEFAULT_CHUNK_SIZE] {
            for len in [0, 1, chunk_size - 1, chunk_size, chunk_size + 1, 70_000] {
                let data = &data[..len];
                let mut framings = vec![Framing::Signed];
                for alg in ChecksumAlgorithm::ALL {
                    framings.push(Framing::SignedTrailer(alg));
                    framings.push(Framing::UnsignedTrailer(alg));
                }
                for framing in framings {
                    let encoder = match framing {
                        Framing::Signed => Encoder::signed(chain(), None),
                        Framing::SignedTrailer(alg) => Encoder::signed(chain(), Some(alg)),
                        Framing::UnsignedTrailer(alg) => Encoder::unsigned_trailer(alg),
                    };
                    assert_eq!(encoder.framing(), framing);
                    let body = encode(encoder, data, chunk_size);
                    let what = format!("{framing:?}, {len} bytes in chunks of {chunk_size}");
                    assert_eq!(
                        encoded_length(framing, len as u64, chunk_size),
                        Some(body.len() as u64),
                        "{what}"
                    );
                    let decoded = decode(&body, framing).expect(&what);
                    assert_eq!(decoded.data(&body), data, "{what}");
                    assert_eq!(decoded.chunks.len(), len.div_ceil(chunk_size) + 1, "{what}");
                    match framing.trailer() {
                        None => assert!(decoded.trailers.is_empty(), "{what}"),
                        Some(alg) => {
                            let value = alg.of(data);
                            assert_eq!(
                                decoded.trailers,
                                [(alg.header_name(), value.as_str())],
                                "{what}"
                            );
                        }
                    }
                    assert_eq!(
                        decoded.trailer_signature.is_some(),
                        matches!(framing, Framing::SignedTrailer(_)),
                        "{what}"
                    );
                }
            }
        }
    }

    #[test]
    fn unsigned_trailer_wire_format() {
        let mut encoder = Encoder::unsigned_trailer(ChecksumAlgorithm::Crc32);
        let mut body = encoder.chunk(&[Bytes::from_static(b"hello")]).to_vec();
        body.extend_from_slice(b"hello");
        body.extend_from_slice(&encoder.finish());
        let crc = ChecksumAlgorithm::Crc32.of(b"hello");
        assert_eq!(
            body,
            format!("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n").into_bytes()
        );
    }

    #[test]
    fn decode_names_the_first_broken_chunk() {
        let body = documented_body(CHUNKS, "");
        let cut = &body[..body.len() - 200];
        let err = decode(cut, Framing::Signed).unwrap_err();
        assert!(err.starts_with("chunk 2:"), "{err}");
        let mut unsigned = b"5\r\nhello\r\n".to_vec();
        assert!(
            decode(&unsigned, Framing::Signed)
                .unwrap_err()
                .starts_with("chunk 1: no chunk-signature")
        );
        unsigned.extend_from_slice(b"zz\r\n");
        let err = decode(
            &unsigned,
            Framing::UnsignedTrailer(ChecksumAlgorithm::Crc32),
        )
        .unwrap_err();
        assert!(err.starts_with("chunk 2: size"), "{err}");
        let mut extra = documented_body(CHUNKS, "");
        extra.extend_from_slice(b"x");
        assert!(
            decode(&extra, Framing::Signed)
                .unwrap_err()
                .contains("after the end")
        );
    }

    #[test]
    fn lengths_that_do_not_fit_are_none() {
        assert_eq!(
            encoded_length(Framing::Signed, u64::MAX, DEFAULT_CHUNK_SIZE),
            None
        );
        assert_eq!(encoded_length(Framing::Signed, 1, 0), None);
    }

    #[test]
    fn chain_debug_hides_the_key() {
        let chain = Chain::new([0xab; 32], AMZ_DATE, SCOPE, SEED);
        let debug = format!("{chain:?}");
        assert!(!debug.contains("ab, ") && !debug.contains("171"), "{debug}");
    }
}
