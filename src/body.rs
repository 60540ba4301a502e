//! Getting a body that can be hashed: buffered bodies are used in place; a stream is buffered
//! only when the builder allows it.

use http_body_util::Limited;
use reqwest::{Body, Request};

use crate::error::{Error, ErrorKind};
use crate::sign::StreamingBody;

/// Buffers a streaming body when `streaming` says so; leaves every other body untouched.
pub(crate) async fn prepare(request: &mut Request, streaming: StreamingBody) -> Result<(), Error> {
    let StreamingBody::Buffer { max_bytes } = streaming else {
        return Ok(());
    };
    if request.body().is_none_or(|b| b.as_bytes().is_some()) {
        return Ok(());
    }
    let Some(stream) = request.body_mut().take() else {
        return Ok(());
    };
    let collected = crate::buffer::collect_contiguous(Limited::new(stream, max_bytes))
        .await
        .map_err(|err| {
            if err.is::<http_body_util::LengthLimitError>() {
                Error::new(
                    ErrorKind::BodyTooLarge,
                    format!(
                        "the streaming request body is larger than the {max_bytes}-byte buffering \
                     limit: raise `StreamingBody::Buffer {{ max_bytes }}`, or use \
                     `StreamingBody::UnsignedPayload` where the service accepts it (S3)"
                    ),
                )
            } else {
                Error::new(
                    ErrorKind::BodyRead,
                    "reading the streaming request body failed, so it could not be hashed for \
                 signing; the body was consumed, so build the request again",
                )
                .with_source(err)
            }
        })?;
    *request.body_mut() = Some(Body::from(collected));
    Ok(())
}
