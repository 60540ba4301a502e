//! SigV4's spellings, written once: its header names, its percent-encoding set and lower-case
//! hex. (The verifier in `testing` keeps its own on purpose: it must not share the signer's
//! mistakes.)

use http::HeaderName;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

pub(crate) const X_AMZ_DATE: &str = "x-amz-date";
pub(crate) const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";
pub(crate) const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
// Built at compile time: `HeaderName::from_static` outside a `const` checks the name each call.
pub(crate) const X_AMZ_DATE_NAME: HeaderName = HeaderName::from_static(X_AMZ_DATE);
pub(crate) const X_AMZ_SECURITY_TOKEN_NAME: HeaderName =
    HeaderName::from_static(X_AMZ_SECURITY_TOKEN);
pub(crate) const X_AMZ_CONTENT_SHA256_NAME: HeaderName =
    HeaderName::from_static(X_AMZ_CONTENT_SHA256);

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is encoded: SigV4's
/// rule for a query key or value and a path segment (aws-smithy's set).
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A whole path: the same, `/` left alone.
pub(crate) const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// A SHA-256 (or any 32 bytes) in lower-case hex, into `out`, without allocating.
pub(crate) fn hex32<'b>(bytes: &[u8], out: &'b mut [u8; 64]) -> &'b str {
    for (i, b) in bytes.iter().take(32).enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 15)];
    }
    std::str::from_utf8(&out[..]).unwrap_or_default()
}

/// `bytes` in lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_both_forms_agree() {
        let bytes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37)).collect();
        let mut out = [0u8; 64];
        assert_eq!(hex32(&bytes, &mut out), hex(&bytes));
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }

    #[test]
    fn only_unreserved_characters_stay() {
        let encoded = percent_encoding::utf8_percent_encode("aZ09-_.~ /+=é", UNRESERVED);
        assert_eq!(encoded.to_string(), "aZ09-_.~%20%2F%2B%3D%C3%A9");
        let path = percent_encoding::utf8_percent_encode("/a b/c", UNRESERVED_AND_SLASH);
        assert_eq!(path.to_string(), "/a%20b/c");
    }
}
