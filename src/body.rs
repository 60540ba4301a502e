//! Reading a streaming body into memory so that it can be hashed, within a limit.

use bytes::Bytes;
use http_body_util::Limited;

use crate::error::{Error, ErrorKind};

/// Collects `body`, failing with [`ErrorKind::BodyTooLarge`] past `max_bytes` and with
/// [`ErrorKind::BodyRead`] when the stream fails.
pub(crate) async fn collect<B>(body: B, max_bytes: usize) -> Result<Bytes, Error>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match crate::buffer::collect_contiguous(Limited::new(body, max_bytes)).await {
        Ok(collected) => Ok(collected),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(Error::new(
            ErrorKind::BodyTooLarge,
            format!(
                "the streaming request body is larger than the {max_bytes}-byte buffering \
                 limit: raise `StreamingBody::Buffer {{ max_bytes }}`, or use \
                 `StreamingBody::UnsignedPayload` where the service accepts it (S3)"
            ),
        )),
        Err(err) => Err(Error::new(
            ErrorKind::BodyRead,
            "reading the streaming request body failed, so it could not be hashed for \
             signing; the body was consumed, so build the request again",
        )
        .with_source(err)),
    }
}
