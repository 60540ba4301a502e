//! Puts a request's query (and, for S3, its path) into SigV4's canonical percent-encoding
//! before signing, so that the bytes on the wire are the bytes the signature covers whichever
//! canonicalisation the server runs.
//!
//! - **Query.** Servers, botocore and `aws-sigv4` disagree on ambiguous queries: a literal `+`
//!   (space, or plus?), `a=b=c`, `%7e` against `~`. The query is read as
//!   `application/x-www-form-urlencoded`, the way `reqwest`'s `.query()` and `url`'s
//!   `query_pairs_mut()` write it (`+` is a space, a literal plus is `%2B`), and written back
//!   with every byte outside `A-Z a-z 0-9 - _ . ~` percent-encoded (uppercase hex). Pair order
//!   is kept, empty pieces (`&&`) are dropped, and a key without `=` stays without one (S3's
//!   `?uploads`).
//! - **Path, non-S3 services.** Left exactly as it is: the server URI-encodes the raw path once
//!   more, and `aws-sigv4`'s double-encoding mode computes the same thing from the same bytes.
//!   Literal `@`, `:` and friends stay literal (API Gateway's `/@connections/` routes on them).
//! - **Path, S3.** S3 decodes the path (the object key) and encodes it again before comparing,
//!   leaving `/` literal, so the path is decoded and re-encoded byte for byte (as botocore sends
//!   keys), and an encoded slash (`%2F`, which names the same key) is sent as `/`;
//!   `aws-sigv4`'s single-encoding mode then signs exactly that.

use percent_encoding::{AsciiSet, percent_decode, percent_encode};

use crate::sigv4::encoding::{UNRESERVED, UNRESERVED_AND_SLASH};

use crate::error::Error;

/// Everything but SigV4's unreserved characters is encoded.
const SIGV4_ENCODE: &AsciiSet = UNRESERVED;

/// An S3 path: the same, but `/` separates the key's parts and is never encoded.
const S3_PATH_ENCODE: &AsciiSet = UNRESERVED_AND_SLASH;

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Rewrites `url`'s query (and for S3 its path) into canonical form, in place, when they are
/// not already.
pub(crate) fn canonicalize(url: &mut url::Url, s3: bool) -> Result<(), Error> {
    if s3 && !is_canonical_path(url.path()) {
        let path = canonical_path(url.path());
        url.set_path(&path);
    }
    if let Some(query) = url.query()
        && !is_canonical_query(query)
    {
        let query = canonical_query(query)?;
        url.set_query(if query.is_empty() { None } else { Some(&query) });
    }
    Ok(())
}

/// `%XX` with uppercase hex whose byte is not unreserved (else it should be written literally).
fn canonical_escape(bytes: &[u8]) -> bool {
    match bytes {
        [b'%', h, l, ..] => {
            let upper_hex = |c: &u8| c.is_ascii_digit() || (b'A'..=b'F').contains(c);
            if !(upper_hex(h) && upper_hex(l)) {
                return false;
            }
            let value = u8::from_str_radix(std::str::from_utf8(&[*h, *l]).unwrap_or("zz"), 16);
            matches!(value, Ok(v) if !is_unreserved(v))
        }
        _ => false,
    }
}

fn is_canonical_component(s: &str, extra: &[u8]) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if is_unreserved(b) || extra.contains(&b) {
            i += 1;
        } else if canonical_escape(&bytes[i..]) {
            i += 3;
        } else {
            return false;
        }
    }
    true
}

/// Canonical S3 path: canonical escapes, and no `%2F` (S3 reads it as `/`).
fn is_canonical_path(path: &str) -> bool {
    is_canonical_component(path, b"/") && !path.contains("%2F")
}

/// Canonical when every piece is non-empty, has canonical escapes, and decodes to UTF-8.
fn is_canonical_query(query: &str) -> bool {
    !query.is_empty()
        && query.split('&').all(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            !key.is_empty()
                && is_canonical_component(key, b"")
                && is_canonical_component(value, b"")
                && decodes_to_utf8(key)
                && decodes_to_utf8(value)
        })
}

fn decodes_to_utf8(s: &str) -> bool {
    !s.contains('%')
        || std::str::from_utf8(&percent_decode(s.as_bytes()).collect::<Vec<u8>>()).is_ok()
}

fn canonical_path(path: &str) -> String {
    let decoded: Vec<u8> = percent_decode(path.as_bytes()).collect();
    let mut out = String::with_capacity(path.len() + 8);
    out.extend(percent_encode(&decoded, S3_PATH_ENCODE));
    out
}

/// `value` with every byte outside SigV4's unreserved set percent-encoded (uppercase hex).
pub(crate) fn encode_component(value: &str) -> String {
    percent_encode(value.as_bytes(), SIGV4_ENCODE).to_string()
}

fn push_encoded(out: &mut String, bytes: &[u8]) {
    out.extend(percent_encode(bytes, SIGV4_ENCODE));
}

/// Decodes like `form_urlencoded` (what `aws-sigv4` applies when it canonicalises the query),
/// but refuses bytes that are not UTF-8 instead of replacing them, which would sign a value
/// other than the one sent.
fn canonical_query(query: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(query.len() + 8);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((key, value)) => {
                push_form_component(&mut out, key, pair)?;
                out.push('=');
                push_form_component(&mut out, value, pair)?;
            }
            None => push_form_component(&mut out, pair, pair)?,
        }
    }
    Ok(out)
}

fn push_form_component(out: &mut String, raw: &str, pair: &str) -> Result<(), Error> {
    let plus_as_space: Vec<u8> = raw
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    let decoded: Vec<u8> = percent_decode(&plus_as_space).collect();
    if std::str::from_utf8(&decoded).is_err() {
        return Err(Error::invalid_url(format!(
            "query parameter `{pair}` percent-encodes bytes that are not UTF-8, which SigV4 \
             signers cannot sign faithfully: send the value base64- or hex-encoded instead"
        )));
    }
    push_encoded(out, &decoded);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon_s3(input: &str) -> String {
        let mut url = url::Url::parse(input).unwrap();
        canonicalize(&mut url, true).unwrap();
        url.as_str().to_owned()
    }

    fn canon(input: &str) -> String {
        let mut url = url::Url::parse(input).unwrap();
        canonicalize(&mut url, false).unwrap();
        url.as_str().to_owned()
    }

    #[test]
    fn non_s3_paths_are_left_as_they_are() {
        for input in [
            "https://h/model/anthropic.claude-3:0/invoke",
            "https://h/test/@connections/JBDvjfGEIAMCERw%3D",
            "https://h/a%7eb%41",
            "https://h/a+b(c)",
        ] {
            assert_eq!(canon(input), input);
        }
    }

    #[test]
    fn s3_paths_are_encoded_once_with_the_sigv4_set() {
        let cases = [
            ("https://h/v1/responses", "https://h/v1/responses"),
            (
                "https://h/model/anthropic.claude-3:0/invoke",
                "https://h/model/anthropic.claude-3%3A0/invoke",
            ),
            (
                "https://h/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Afoo%2Fbar/invoke",
                "https://h/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Afoo/bar/invoke",
            ),
            ("https://h/a%7eb%41", "https://h/a~bA"),
            ("https://h/a%2fb", "https://h/a/b"),
            (
                "https://h/bucket/dir%2Fsub%2ffile",
                "https://h/bucket/dir/sub/file",
            ),
            ("https://h/a b(c)!*'", "https://h/a%20b%28c%29%21%2A%27"),
            ("https://h/caf%C3%A9/ሴ", "https://h/caf%C3%A9/%E1%88%B4"),
            ("https://h/a+b", "https://h/a%2Bb"),
            ("https://h/%zz", "https://h/%25zz"),
            ("https://h//double//", "https://h//double//"),
            ("https://h/%FF", "https://h/%FF"),
        ];
        for (input, expected) in cases {
            assert_eq!(canon_s3(input), expected, "{input}");
        }
    }

    #[test]
    fn queries_are_form_decoded_and_encoded_canonically() {
        let cases = [
            ("https://h/?a=1&b=2", "https://h/?a=1&b=2"),
            ("https://h/?q=a+b", "https://h/?q=a%20b"),
            ("https://h/?q=a%2Bb", "https://h/?q=a%2Bb"),
            ("https://h/?flag", "https://h/?flag"),
            ("https://h/?a=&b", "https://h/?a=&b"),
            ("https://h/?a%3ab", "https://h/?a%3Ab"),
            ("https://h/?a=1&&b=2&", "https://h/?a=1&b=2"),
            ("https://h/?k=v=w", "https://h/?k=v%3Dw"),
            ("https://h/?k=%7e%41", "https://h/?k=~A"),
            ("https://h/?k=a%2fb", "https://h/?k=a%2Fb"),
            ("https://h/?z=1&a=2&z=0", "https://h/?z=1&a=2&z=0"),
            ("https://h/?k=caf%C3%A9", "https://h/?k=caf%C3%A9"),
            ("https://h/?k=é", "https://h/?k=%C3%A9"),
            ("https://h/?", "https://h/"),
            ("https://h/?&", "https://h/"),
            ("https://h/?k=%zz", "https://h/?k=%25zz"),
        ];
        for (input, expected) in cases {
            assert_eq!(canon(input), expected, "{input}");
        }
    }

    #[test]
    fn non_utf8_query_bytes_are_refused() {
        let mut url = url::Url::parse("https://h/?k=%FF").unwrap();
        let err = canonicalize(&mut url, false).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidUrl);
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn canonical_input_is_recognised_without_rewriting() {
        assert!(is_canonical_path("/v1/chat/completions"));
        assert!(is_canonical_path("/a%3Ab"));
        assert!(!is_canonical_path("/a%2Fb"));
        assert!(!is_canonical_path("/a:b"));
        assert!(!is_canonical_path("/a%3ab"));
        assert!(!is_canonical_path("/a%41"));
        assert!(is_canonical_query("a=1&b=%20"));
        assert!(!is_canonical_query("a=1&&b=2"));
        assert!(is_canonical_query("uploads"));
        assert!(!is_canonical_query("a%3a"));
        assert!(!is_canonical_query("a=b=c"));
        assert!(!is_canonical_query("a=%FF"));
    }
}
