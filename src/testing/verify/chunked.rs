//! aws-chunked bodies, as S3 checks them once the seed signature (the request's own) holds:
//! the framing, every chunk signature in the chain, the trailer signature, the checksum
//! trailer against the data, and `x-amz-decoded-content-length`. A rejection names the first
//! chunk or trailer that fails.

use subtle::ConstantTimeEq;

use super::RejectReason;
use crate::sigv4::checksum::ChecksumAlgorithm;
use crate::sigv4::chunked::{Chain, Framing, canonical_trailers, decode};

/// What the chain starts from: the verified request's signature, and what it was signed with.
pub(super) struct Seed<'a> {
    pub(super) key: [u8; 32],
    pub(super) amz_date: &'a str,
    pub(super) scope: &'a str,
    pub(super) signature: &'a str,
}

/// Checks the aws-chunked `body` of a request whose `x-amz-content-sha256` is
/// `content_sha256` (a `STREAMING-…` value); `header` gives a header's values as received.
pub(super) fn check<'h>(
    seed: &Seed<'_>,
    content_sha256: &str,
    header: impl Fn(&str) -> &'h [&'h [u8]],
    body: &[u8],
) -> Result<(), (RejectReason, String)> {
    let mismatch = |detail: String| Err((RejectReason::BodyHashMismatch, detail));
    let text = |name: &str| match header(name) {
        [] => Ok(None),
        [value] => std::str::from_utf8(value)
            .map(|v| Some(v.trim()))
            .map_err(|_| {
                (
                    RejectReason::BodyHashMismatch,
                    format!("`{name}` is not text"),
                )
            }),
        _ => Err((
            RejectReason::BodyHashMismatch,
            format!("`{name}` is sent more than once"),
        )),
    };
    let trailer = match text("x-amz-trailer")? {
        None => None,
        Some(name) => match ChecksumAlgorithm::from_name(name) {
            Some(alg) if name.eq_ignore_ascii_case(alg.header_name()) => Some(alg),
            _ => return mismatch(format!("x-amz-trailer `{name}` names no S3 checksum")),
        },
    };
    let Some(framing) = Framing::from_content_sha256(content_sha256, trailer) else {
        return mismatch(format!(
            "x-amz-content-sha256 `{content_sha256}` with {} is not an aws-chunked mode",
            match trailer {
                Some(alg) => format!("x-amz-trailer `{}`", alg.header_name()),
                None => "no x-amz-trailer".to_owned(),
            }
        ));
    };
    let encodings = header("content-encoding");
    let chunked = encodings.iter().any(|value| {
        value
            .split(|&b| b == b',')
            .any(|e| e.trim_ascii().eq_ignore_ascii_case(b"aws-chunked"))
    });
    if !chunked {
        return mismatch(format!(
            "x-amz-content-sha256 is `{content_sha256}` but Content-Encoding does not list \
             aws-chunked"
        ));
    }
    let decoded = decode(body, framing).map_err(|why| {
        (
            RejectReason::BodyHashMismatch,
            format!("the aws-chunked body is malformed: {why}"),
        )
    })?;
    let data_len: usize = decoded.chunks.iter().map(|(range, _)| range.len()).sum();
    match text("x-amz-decoded-content-length")? {
        Some(declared) if declared == data_len.to_string() => {}
        Some(declared) => {
            return mismatch(format!(
                "x-amz-decoded-content-length is `{declared}` but the chunks hold {data_len} bytes"
            ));
        }
        None => return mismatch("an aws-chunked body needs x-amz-decoded-content-length".into()),
    }

    let chunks = decoded.chunks.len();
    let mut chain = framing
        .is_signed()
        .then(|| Chain::new(seed.key, seed.amz_date, seed.scope, seed.signature));
    if let Some(chain) = &mut chain {
        for (i, (range, claimed)) in decoded.chunks.iter().enumerate() {
            let digest = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(
                &body[range.clone()],
            ));
            let expected = chain.sign_chunk(&digest.into());
            let claimed = claimed.unwrap_or_default();
            if !bool::from(expected.as_bytes().ct_eq(claimed.as_bytes())) {
                let which = if i + 1 == chunks {
                    format!("chunk {} of {chunks} (the final, empty one)", i + 1)
                } else {
                    format!("chunk {} of {chunks} ({} bytes)", i + 1, range.len())
                };
                return Err((
                    RejectReason::SignatureMismatch,
                    format!(
                        "{which}: its chunk-signature is not the one computed from its data and \
                         the signature before it (the data changed, or chunks were dropped or \
                         reordered)"
                    ),
                ));
            }
        }
    }

    match (trailer, decoded.trailers.as_slice()) {
        (None, []) => {}
        (None, _) => return mismatch("trailing headers after a body that announced none".into()),
        (Some(alg), [(name, value)]) if name.eq_ignore_ascii_case(alg.header_name()) => {
            let data = decoded.data(body);
            let computed = alg.of(&data);
            if value.trim() != computed {
                return mismatch(format!(
                    "the {} trailer is `{}` but the data received checksums to `{computed}`",
                    alg.header_name(),
                    value.trim()
                ));
            }
            match (&mut chain, decoded.trailer_signature) {
                (Some(chain), Some(claimed)) => {
                    let canonical = canonical_trailers(decoded.trailers.iter().copied());
                    let expected = chain.sign_trailer(&canonical);
                    if !bool::from(expected.as_bytes().ct_eq(claimed.as_bytes())) {
                        return Err((
                            RejectReason::SignatureMismatch,
                            "the trailer's x-amz-trailer-signature is not the one computed from \
                             the trailer and the final chunk's signature"
                                .into(),
                        ));
                    }
                }
                (Some(_), None) => {
                    return Err((
                        RejectReason::SignatureMismatch,
                        "the trailer has no x-amz-trailer-signature".into(),
                    ));
                }
                (None, None) => {}
                (None, Some(_)) => {
                    return mismatch("an x-amz-trailer-signature in an unsigned body".into());
                }
            }
        }
        (Some(alg), trailers) => {
            let names: Vec<&str> = trailers.iter().map(|(name, _)| *name).collect();
            return mismatch(format!(
                "x-amz-trailer announces {} but the trailers are {names:?}",
                alg.header_name()
            ));
        }
    }
    Ok(())
}
