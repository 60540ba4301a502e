//! Reading a body into one contiguous buffer with a single copy: each frame is appended to
//! the buffer as it arrives and then dropped, so the peak is the body once (plus a frame),
//! not the frames held until the end and then copied (twice the body).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Body;
use http_body_util::BodyExt;

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
