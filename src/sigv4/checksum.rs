//! S3's flexible checksums, computed while a body streams.
//!
//! S3 checks the value it is sent against the bytes it stored and refuses the upload on a
//! mismatch (`BadDigest`), so a checksum protects an upload whose payload is not signed, and
//! catches corruption between the client's memory and S3's disk when it is. The CRCs use the
//! crates aws-smithy-checksums used before it moved to `crc-fast` (`crc32fast`, `crc32c`,
//! `crc64fast-nvme`), the digests RustCrypto's `sha1` and `sha2`. A server checking with a
//! different implementation (s3s uses `crc-fast`) is then a second opinion, not the same code.

use base64::Engine as _;
use sha1::Digest as _;

/// A checksum S3 verifies for an upload: sent as a trailer after an aws-chunked body
/// ([`AwsChunked::trailer`](crate::AwsChunked::trailer),
/// [`AwsChunked::unsigned_trailer`](crate::AwsChunked::unsigned_trailer)), or in a header for a
/// body that is bytes. Off unless asked for: many S3-compatible services refuse the headers.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, as zlib): `x-amz-checksum-crc32`.
    Crc32,
    /// CRC-32C (Castagnoli): `x-amz-checksum-crc32c`.
    Crc32c,
    /// CRC-64/NVME, S3's default for new objects: `x-amz-checksum-crc64nvme`.
    Crc64Nvme,
    /// SHA-1: `x-amz-checksum-sha1`.
    Sha1,
    /// SHA-256: `x-amz-checksum-sha256`.
    Sha256,
}

impl ChecksumAlgorithm {
    #[cfg(any(test, feature = "verify"))]
    /// Every algorithm, for the verifier and tests.
    pub(crate) const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The header (or trailer) that carries the value, lower case as it is signed.
    pub(crate) fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The value of `x-amz-sdk-checksum-algorithm`, as the AWS SDKs write it.
    pub(crate) fn sdk_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    #[cfg(any(test, feature = "verify"))]
    /// The algorithm `x-amz-sdk-checksum-algorithm` or a trailer name stands for, any case.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        let name = name.strip_prefix("x-amz-checksum-").unwrap_or(name);
        Self::ALL
            .into_iter()
            .find(|alg| alg.sdk_name().eq_ignore_ascii_case(name))
    }

    /// How many base64 characters the value has: the aws-chunked `Content-Length` is decided
    /// before the first byte is read, so the trailer's length must be known without its value.
    pub(crate) fn encoded_len(self) -> usize {
        let raw: usize = match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        };
        raw.div_ceil(3) * 4
    }

    /// A checksum over nothing yet.
    pub(crate) fn start(self) -> Checksum {
        Checksum(match self {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => State::Crc64Nvme(crc64fast_nvme::Digest::new()),
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        })
    }

    /// The checksum of `bytes`, base64 as S3 expects it.
    pub(crate) fn of(self, bytes: &[u8]) -> String {
        let mut checksum = self.start();
        checksum.update(bytes);
        checksum.finish()
    }
}

/// A checksum being computed, one piece of the body at a time.
#[derive(Clone)]
pub(crate) struct Checksum(State);

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl std::fmt::Debug for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checksum { .. }")
    }
}

impl Checksum {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            State::Crc32(h) => h.update(bytes),
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, bytes),
            State::Crc64Nvme(h) => h.write(bytes),
            State::Sha1(h) => h.update(bytes),
            State::Sha256(h) => h.update(bytes),
        }
    }

    /// The value, base64 of the big-endian bytes (S3's form).
    pub(crate) fn finish(self) -> String {
        let engine = &base64::engine::general_purpose::STANDARD;
        match self.0 {
            State::Crc32(h) => engine.encode(h.finalize().to_be_bytes()),
            State::Crc32c(crc) => engine.encode(crc.to_be_bytes()),
            State::Crc64Nvme(h) => engine.encode(h.sum64().to_be_bytes()),
            State::Sha1(h) => engine.encode(h.finalize()),
            State::Sha256(h) => engine.encode(h.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The catalogue check values ("123456789") of each CRC, and the FIPS test vector "abc"
    /// for the digests: a wrong polynomial, reflection or byte order changes them.
    #[test]
    fn known_answers() {
        let cases: [(ChecksumAlgorithm, &[u8], Vec<u8>); 5] = [
            (
                ChecksumAlgorithm::Crc32,
                b"123456789",
                0xCBF4_3926u32.to_be_bytes().to_vec(),
            ),
            (
                ChecksumAlgorithm::Crc32c,
                b"123456789",
                0xE306_9283u32.to_be_bytes().to_vec(),
            ),
            (
                ChecksumAlgorithm::Crc64Nvme,
                b"123456789",
                0xAE8B_1486_0A79_9888u64.to_be_bytes().to_vec(),
            ),
            (
                ChecksumAlgorithm::Sha1,
                b"abc",
                vec![
                    0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78,
                    0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d,
                ],
            ),
            (
                ChecksumAlgorithm::Sha256,
                b"abc",
                vec![
                    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d,
                    0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10,
                    0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
                ],
            ),
        ];
        for (alg, input, expected) in cases {
            let value = alg.of(input);
            assert_eq!(value, b64(&expected), "{alg:?}");
            assert_eq!(value.len(), alg.encoded_len(), "{alg:?}");
        }
    }

    /// The value in S3's trailer example (sigv4-streaming-trailers): CRC-32C of 65 KiB of `a`.
    #[test]
    fn s3_docs_trailer_value() {
        assert_eq!(ChecksumAlgorithm::Crc32c.of(&[b'a'; 66_560]), "sOO8/Q==");
    }

    /// Fed in pieces of any size, the value is the value of the whole.
    #[test]
    fn pieces_give_the_value_of_the_whole() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for alg in ChecksumAlgorithm::ALL {
            let whole = alg.of(&data);
            for piece in [1, 7, 4096, 65_536] {
                let mut checksum = alg.start();
                data.chunks(piece).for_each(|p| checksum.update(p));
                assert_eq!(checksum.finish(), whole, "{alg:?} in pieces of {piece}");
            }
            assert_eq!(alg.of(b"").len(), alg.encoded_len());
        }
    }

    #[test]
    fn names_round_trip() {
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::from_name(alg.sdk_name()), Some(alg));
            assert_eq!(ChecksumAlgorithm::from_name(alg.header_name()), Some(alg));
            let lower = alg.sdk_name().to_ascii_lowercase();
            assert_eq!(ChecksumAlgorithm::from_name(&lower), Some(alg));
        }
        assert_eq!(ChecksumAlgorithm::from_name("md5"), None);
        assert_eq!(ChecksumAlgorithm::from_name(""), None);
    }
}
