//! Reading a streaming body into memory so that it can be hashed, within a limit, into one
//! contiguous buffer with a single copy: each frame is appended to the buffer as it arrives and
//! then dropped, so the peak is the body once (plus a frame), not the frames held until the end
//! and then copied (twice the body).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Body;
use http_body_util::BodyExt;
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
    match collect_contiguous(Limited::new(body, max_bytes)).await {
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
    match collect_contiguous(Limited::new(body, limit)).await {
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

/// All of `body`'s data frames, in order, in one `Bytes` (trailers are ignored). A body of one
/// `Bytes` frame is returned without any copy.
pub(crate) async fn collect_contiguous<B: Body>(body: B) -> Result<Bytes, B::Error> {
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut buffer: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(mut data) = frame?.into_data() else {
            continue;
        };
        let len = data.remaining();
        if len == 0 {
            continue;
        }
        match (&mut buffer, first.take()) {
            (Some(buffer), _) => buffer.put(data),
            // `Bytes::copy_to_bytes` takes the frame itself, no copy.
            (None, None) => first = Some(data.copy_to_bytes(len)),
            (None, Some(previous)) => {
                let hint = usize::try_from(body.size_hint().lower()).unwrap_or(0);
                let mut joined = BytesMut::with_capacity(previous.len() + len + hint);
                joined.put(previous);
                joined.put(data);
                buffer = Some(joined);
            }
        }
    }
    Ok(match (buffer, first) {
        (Some(buffer), _) => buffer.freeze(),
        (None, Some(only)) => only,
        (None, None) => Bytes::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};

    #[tokio::test]
    async fn frames_are_joined_in_order_and_one_frame_is_not_copied() {
        let frames = ["ab", "", "cde", "f"]
            .map(|s| Ok::<_, std::convert::Infallible>(http_body::Frame::data(Bytes::from(s))));
        let body = StreamBody::new(tokio_stream::iter(frames));
        assert_eq!(collect_contiguous(body).await.unwrap(), "abcdef");

        let only = Bytes::from(vec![7u8; 1000]);
        let collected = collect_contiguous(Full::new(only.clone())).await.unwrap();
        assert_eq!(collected, only);
        assert_eq!(
            collected.as_ptr(),
            only.as_ptr(),
            "a single frame is not copied"
        );

        let empty = StreamBody::new(tokio_stream::iter(Vec::<
            Result<http_body::Frame<Bytes>, std::convert::Infallible>,
        >::new()));
        assert!(collect_contiguous(empty).await.unwrap().is_empty());
    }
}
