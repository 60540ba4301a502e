//! SigV4a's own parts: its names, its string to sign, and checking its signature.
//!
//! The canonical request is SigV4's, with the region set signed as `x-amz-region-set`; the
//! scope names no region, and the signature is ECDSA P-256 over the SHA-256 of the string to
//! sign, with a key derived from the secret and the access key id. Signing is aws-sigv4's.
//! Checking (for the signing log and the verifier) uses aws-sigv4's key derivation, pinned to
//! the official suite's `public-key.json` by `tests/sigv4a_suite.rs`, and `p256`'s ECDSA.

use aws_credential_types::Credentials;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};

/// The algorithm name of SigV4a, in `Authorization` and `X-Amz-Algorithm`.
pub(crate) const ALGORITHM: &str = "AWS4-ECDSA-P256-SHA256";

/// The string to sign of a canonical request whose SHA-256 is `canonical_sha256` (hex).
pub(crate) fn string_to_sign(amz_date: &str, service: &str, canonical_sha256: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{}/{service}/aws4_request\n{canonical_sha256}",
        &amz_date[..8]
    )
}

/// The public half of the SigV4a key of `credentials`.
pub(crate) fn public_key(credentials: &Credentials) -> VerifyingKey {
    let private = aws_sigv4::sign::v4a::generate_signing_key(
        credentials.access_key_id(),
        credentials.secret_access_key(),
    );
    // The derivation retries until the scalar is in range, so it is always a valid key.
    let signing = p256::ecdsa::SigningKey::from_slice(private.as_ref())
        .expect("aws-sigv4 derives a valid P-256 private key");
    *signing.verifying_key()
}

/// Why a SigV4a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureFault {
    /// Not hex digits.
    NotHex,
    /// Hex, but not a DER `SEQUENCE { INTEGER r, INTEGER s }` with `r` and `s` in range.
    NotDer,
    /// Well formed, but not a signature of the string to sign by this key.
    Mismatch,
}

/// Checks the hex DER `signature` over `string_to_sign` with `key`.
pub(crate) fn verify(
    key: &VerifyingKey,
    string_to_sign: &[u8],
    signature: &str,
) -> Result<(), SignatureFault> {
    let der = decode_hex(signature).ok_or(SignatureFault::NotHex)?;
    let signature = parse_der(&der).ok_or(SignatureFault::NotDer)?;
    key.verify(string_to_sign, &signature)
        .map_err(|_| SignatureFault::Mismatch)
}

/// Whether `signature` has the shape of a SigV4a signature: hex, at most the length of a DER
/// P-256 signature. (What it decodes to is checked when it is verified.)
pub(crate) fn is_signature_shaped(signature: &str) -> bool {
    // 2 + (2 + 33) * 2 bytes at most: a SEQUENCE of two INTEGERs with a leading zero each.
    const MAX_DER_HEX: usize = 2 * 72;
    !signature.is_empty()
        && signature.len() <= MAX_DER_HEX
        && signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !is_signature_shaped(text) || !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// A strict DER ECDSA signature: short-form lengths, minimal positive INTEGERs, nothing after.
fn parse_der(der: &[u8]) -> Option<Signature> {
    let [0x30, length, body @ ..] = der else {
        return None;
    };
    if usize::from(*length) != body.len() {
        return None;
    }
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut r_bytes = [0u8; 32];
    let mut s_bytes = [0u8; 32];
    r_bytes[32 - r.len()..].copy_from_slice(r);
    s_bytes[32 - s.len()..].copy_from_slice(s);
    // Zero, or at or above the group order, is refused here.
    Signature::from_scalars(r_bytes, s_bytes).ok()
}

/// One DER INTEGER at the start of `input`: its magnitude (leading zero removed, at most 32
/// bytes) and what follows it.
fn der_integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let [0x02, length, rest @ ..] = input else {
        return None;
    };
    let length = usize::from(*length);
    if length == 0 || length > 33 || rest.len() < length {
        return None;
    }
    let (value, rest) = rest.split_at(length);
    let magnitude = match value {
        // Negative numbers are not scalars.
        [first, ..] if first & 0x80 != 0 => return None,
        // A leading zero only where the next byte would read as negative.
        [0, second, ..] if second & 0x80 == 0 => return None,
        [0, tail @ ..] if !tail.is_empty() => tail,
        _ => value,
    };
    (magnitude.len() <= 32).then_some((magnitude, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        )
    }

    // A string to sign of the suite's shape; the hash is any 64 hex digits.
    const STRING_TO_SIGN: &str = "AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n\
        20150830/service/aws4_request\n\
        9caf3a6e3e1b1ea9b2e8a8e6b1d4bfe8c1b3b4f2e4b0e3d5b6f3c8e7c8c1f5d0";

    fn sign(string_to_sign: &str) -> String {
        let key = aws_sigv4::sign::v4a::generate_signing_key(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        );
        aws_sigv4::sign::v4a::calculate_signature(key, string_to_sign.as_bytes())
    }

    #[test]
    fn a_signature_verifies_only_over_what_was_signed() {
        let key = public_key(&credentials());
        let signature = sign(STRING_TO_SIGN);
        assert_eq!(verify(&key, STRING_TO_SIGN.as_bytes(), &signature), Ok(()));
        let other = STRING_TO_SIGN.replace("service", "servicf");
        assert_eq!(
            verify(&key, other.as_bytes(), &signature),
            Err(SignatureFault::Mismatch)
        );
        let other_key = public_key(&Credentials::new("AKIDOTHER", "x", None, None, "test"));
        assert_eq!(
            verify(&other_key, STRING_TO_SIGN.as_bytes(), &signature),
            Err(SignatureFault::Mismatch)
        );
    }

    #[test]
    fn malformed_signatures_are_named() {
        let key = public_key(&credentials());
        let good = sign(STRING_TO_SIGN);
        let sts = STRING_TO_SIGN.as_bytes();
        assert_eq!(verify(&key, sts, ""), Err(SignatureFault::NotHex));
        assert_eq!(verify(&key, sts, "zz"), Err(SignatureFault::NotHex));
        assert_eq!(
            verify(&key, sts, &good.to_uppercase()),
            Err(SignatureFault::NotHex)
        );
        assert_eq!(verify(&key, sts, &good[1..]), Err(SignatureFault::NotHex));
        assert_eq!(
            verify(&key, sts, &"ab".repeat(80)),
            Err(SignatureFault::NotHex)
        );
        // Hex, not DER: a SigV4 HMAC signature where a SigV4a one belongs.
        assert_eq!(
            verify(&key, sts, &"5f".repeat(32)),
            Err(SignatureFault::NotDer)
        );
        // Trailing bytes, and a length that lies.
        assert_eq!(
            verify(&key, sts, &format!("{good}00")),
            Err(SignatureFault::NotDer)
        );
        let lying = format!("30ff{}", &good[4..]);
        assert_eq!(verify(&key, sts, &lying), Err(SignatureFault::NotDer));
        // r = 0.
        assert_eq!(
            verify(&key, sts, "3006020100020101"),
            Err(SignatureFault::NotDer)
        );
    }
}
