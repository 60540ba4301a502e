//! Reading a streaming body into memory so that it can be hashed, within a limit.

use bytes::Bytes;
use http_body_util::Limited;

use crate::error::{Error, ErrorKind};

/// Collects `body`, failing with [`ErrorKind::BodyTooLarge`] past `max_bytes` and with
/// [`ErrorKind::BodyRead`] when the stream fails. A body whose size hint already says it is
/// larger is refused before anything is read; otherwise at most `max_bytes` and one frame are.
pub(crate) async fn collect<B>(body: B, max_bytes: usize) -> Result<Bytes, Error>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if body.size_hint().lower() > u64::try_from(max_bytes).unwrap_or(u64::MAX) {
        return Err(too_large(max_bytes));
    }
    match crate::buffer::collect_contiguous(Limited::new(body, max_bytes)).await {
        Ok(collected) => Ok(collected),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(too_large(max_bytes)),
        Err(err) => Err(read_failed(err)),
    }
}

/// Collects a body whose size hint says it is exactly `len` bytes. One that yields more is
/// not the body in memory it claims to be: it fails with [`ErrorKind::BodyRead`] as soon as it
/// does, having read at most `len` bytes and one frame, which cannot be put back.
#[cfg(feature = "tower")]
pub(crate) async fn collect_exact<B>(body: B, len: u64) -> Result<Bytes, Error>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limit = usize::try_from(len).unwrap_or(usize::MAX);
    match crate::buffer::collect_contiguous(Limited::new(body, limit)).await {
        Ok(collected) => Ok(collected),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(Error::new(
            ErrorKind::BodyRead,
            format!(
                "the request body yielded more than the {len} bytes its exact size hint \
                 announced, and what was read of it cannot be put back, so the request was not \
                 sent: a body that is produced as it is read must report an inexact size \
                 hint, so that `StreamingBody` decides what to do with it"
            ),
        )),
        Err(err) => Err(read_failed(err)),
    }
}

fn too_large(max_bytes: usize) -> Error {
    Error::new(
        ErrorKind::BodyTooLarge,
        format!(
            "the streaming request body is larger than the {max_bytes}-byte buffering \
             limit: raise `StreamingBody::Buffer {{ max_bytes }}`, or use \
             `StreamingBody::UnsignedPayload` where the service accepts it (S3)"
        ),
    )
}

fn read_failed(err: Box<dyn std::error::Error + Send + Sync>) -> Error {
    Error::new(
        ErrorKind::BodyRead,
        "reading the streaming request body failed, so it could not be hashed for \
         signing; the body was consumed, so build the request again",
    )
    .with_source(err)
}
