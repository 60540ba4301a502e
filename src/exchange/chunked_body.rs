//! The aws-chunked request body: wraps the app's stream and frames and signs it while it is
//! sent, one chunk at a time (the signer's encoder, behind [`Frames`], does the framing and
//! the maths).
//!
//! The chunk being filled is the only part of the body held: the pieces the stream yields are
//! kept (not copied) until they make a chunk, whose signature must precede its data. The
//! encoded `Content-Length` was sent before the first byte, from the length the app declared;
//! a stream that yields more or less than that fails here, with a message saying so, rather
//! than leaving the server waiting or cutting the body short.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};

use crate::error::{Error, ErrorKind};
use crate::wire::{Frames, Framing};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `inner` framed as aws-chunked: exactly `encoded` bytes for exactly `decoded` bytes of it.
pub(crate) struct ChunkedBody<B> {
    inner: Pin<Box<B>>,
    frames: Box<dyn Frames>,
    chunk_size: usize,
    /// The chunk being filled, and how many bytes it has.
    pieces: Vec<Bytes>,
    filled: usize,
    /// Chunks filled, in order, each with its SHA-256 being computed on the blocking pool.
    hashing: VecDeque<Filled>,
    /// Frames ready to go out, in order.
    out: VecDeque<Bytes>,
    decoded: u64,
    read: u64,
    remaining: u64,
    /// The app's body ended (or failed).
    read_all: bool,
    done: bool,
}

/// A filled chunk, and the computation of its SHA-256 when it is signed and a runtime is there
/// to compute it on (else the encoder hashes it when it is framed).
type Filled = (Vec<Bytes>, Option<tokio::task::JoinHandle<[u8; 32]>>);

/// How many filled chunks may wait for their hash: the next chunk's SHA-256 is computed on
/// another core while this one is sent, and memory stays a few chunks.
const HASHING_AHEAD: usize = 2;

impl<B> std::fmt::Debug for ChunkedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedBody")
            .field("frames", &self.frames)
            .field("chunk_size", &self.chunk_size)
            .field("decoded", &self.decoded)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl<B> ChunkedBody<B> {
    /// `inner` framed as the signer planned.
    pub(crate) fn new(inner: B, framing: Framing) -> Self {
        let Framing {
            frames,
            chunk_size,
            decoded,
            encoded,
        } = framing;
        Self {
            inner: Box::pin(inner),
            frames,
            chunk_size,
            pieces: Vec::new(),
            filled: 0,
            hashing: VecDeque::new(),
            out: VecDeque::new(),
            decoded,
            read: 0,
            remaining: encoded,
            read_all: false,
            done: false,
        }
    }

    /// Takes `data` into the chunk being filled, closing each chunk that fills up.
    fn take(&mut self, mut data: Bytes) {
        while !data.is_empty() {
            let room = self.chunk_size - self.filled;
            let piece = if data.len() > room {
                data.split_to(room)
            } else {
                std::mem::take(&mut data)
            };
            self.filled += piece.len();
            self.pieces.push(piece);
            if self.filled == self.chunk_size {
                self.close_chunk();
            }
        }
    }

    fn close_chunk(&mut self) {
        if self.filled == 0 {
            return;
        }
        let pieces = std::mem::take(&mut self.pieces);
        self.filled = 0;
        // Hashing takes as long as sending: done on the blocking pool, it overlaps the send.
        let handle = match tokio::runtime::Handle::try_current() {
            Ok(runtime) if self.frames.hashes_chunks() => {
                let copy = pieces.clone();
                Some(runtime.spawn_blocking(move || crate::sigv4::chunked::sha256_of(&copy)))
            }
            _ => None,
        };
        self.hashing.push_back((pieces, handle));
    }

    /// Frames the oldest filled chunk once its hash is there; `Pending` while it is computed.
    fn poll_hashed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        let Some((_, handle)) = self.hashing.front_mut() else {
            return Poll::Ready(Ok(()));
        };
        let sha256 = match handle {
            Some(handle) => match Pin::new(handle).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(sha256)) => Some(sha256),
                Poll::Ready(Err(err)) => return Poll::Ready(Err(Box::new(err))),
            },
            None => None,
        };
        if let Some((pieces, _)) = self.hashing.pop_front() {
            let header = self.frames.chunk(&pieces, sha256);
            self.out.push_back(header);
            self.out.extend(pieces);
        }
        Poll::Ready(Ok(()))
    }

    fn length_error(&self, more: bool) -> BoxError {
        let (what, read) = if more {
            ("more than", format!("at least {}", self.read))
        } else {
            ("fewer than", self.read.to_string())
        };
        Box::new(Error::new(
            ErrorKind::BodyRead,
            format!(
                "the streaming request body yielded {what} the {} bytes its length announced \
                 ({read} read), so the aws-chunked upload was cut off: its Content-Length was \
                 sent before the body was read. Give the length the stream really has \
                 (`Content-Length` or `x-amz-decoded-content-length`), or let the body's \
                 exact size hint say it",
                self.decoded
            ),
        ))
    }
}

impl<B> Body for ChunkedBody<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            if let Some(bytes) = this.out.pop_front() {
                this.remaining = this.remaining.saturating_sub(bytes.len() as u64);
                return Poll::Ready(Some(Ok(Frame::data(bytes))));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let hashed = match this.poll_hashed(cx) {
                Poll::Ready(Err(err)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(err)));
                }
                Poll::Ready(Ok(())) => true,
                Poll::Pending => false,
            };
            if !this.out.is_empty() {
                continue;
            }
            if this.read_all {
                if !hashed {
                    return Poll::Pending;
                }
                if this.hashing.is_empty() {
                    this.done = true;
                    let end = this.frames.finish();
                    this.out.push_back(end);
                }
                continue;
            }
            if this.hashing.len() >= HASHING_AHEAD {
                // Woken when the oldest hash is done.
                return Poll::Pending;
            }
            match this.inner.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(err))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(err.into())));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers of the app's own body have no place in the framing (the
                    // checksum trailer is this body's); only data counts.
                    let Ok(mut data) = frame.into_data() else {
                        continue;
                    };
                    let data = data.copy_to_bytes(data.remaining());
                    this.read = this.read.saturating_add(data.len() as u64);
                    if this.read > this.decoded {
                        this.done = true;
                        return Poll::Ready(Some(Err(this.length_error(true))));
                    }
                    this.take(data);
                }
                Poll::Ready(None) => {
                    this.read_all = true;
                    if this.read != this.decoded {
                        this.done = true;
                        return Poll::Ready(Some(Err(this.length_error(false))));
                    }
                    this.close_chunk();
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.out.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::checksum::ChecksumAlgorithm;
    use crate::sigv4::chunked::{Encoder, Framing as Mode, decode, encoded_length};
    use http_body_util::BodyExt;

    /// A stream of `frames`, reporting no size.
    fn stream(frames: Vec<Bytes>) -> impl Body<Data = Bytes, Error = BoxError> {
        let frames = frames
            .into_iter()
            .map(|b| Ok::<_, BoxError>(Frame::data(b)));
        http_body_util::StreamBody::new(futures_stream(frames))
    }

    fn futures_stream<I: Iterator + Unpin>(iter: I) -> impl futures_core::Stream<Item = I::Item> {
        struct Iter<I>(I);
        impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
            type Item = I::Item;
            fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
                Poll::Ready(self.0.next())
            }
        }
        Iter(iter)
    }

    fn body(
        frames: Vec<Bytes>,
        decoded: u64,
        chunk_size: usize,
    ) -> ChunkedBody<impl Body<Data = Bytes, Error = BoxError>> {
        let alg = ChecksumAlgorithm::Crc32c;
        let encoded = encoded_length(Mode::UnsignedTrailer(alg), decoded, chunk_size).unwrap();
        let framing = Framing {
            frames: Box::new(Encoder::unsigned_trailer(alg)),
            chunk_size,
            decoded,
            encoded,
        };
        ChunkedBody::new(stream(frames), framing)
    }

    /// Frames of any size, across chunk boundaries, come out as the declared chunks; the size
    /// hint counts down to what is left.
    #[tokio::test]
    async fn reframes_any_frame_sizes() {
        let data: Vec<u8> = (0..50_000u32).map(|i| i as u8).collect();
        for split in [1usize, 1000, 8192, 8193, 50_000] {
            let frames = data.chunks(split).map(Bytes::copy_from_slice).collect();
            let mut body = body(frames, 50_000, 8192);
            let encoded = body.size_hint().exact().unwrap();
            let mut wire = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.unwrap().into_data().unwrap();
                wire.extend_from_slice(&frame);
                assert_eq!(body.size_hint().exact(), Some(encoded - wire.len() as u64));
            }
            assert_eq!(wire.len() as u64, encoded);
            let mode = Mode::UnsignedTrailer(ChecksumAlgorithm::Crc32c);
            let decoded = decode(&wire, mode).unwrap();
            assert_eq!(decoded.data(&wire), data, "frames of {split}");
            // 6 full chunks of 8 KiB, 848 bytes, and the final empty chunk.
            assert_eq!(decoded.chunks.len(), 8);
        }
    }

    #[tokio::test]
    async fn a_stream_longer_or_shorter_than_declared_fails() {
        for (declared, what) in [(10u64, "more than the 10"), (30, "fewer than the 30")] {
            let mut body = body(vec![Bytes::from(vec![b'x'; 20])], declared, 8192);
            let err = loop {
                match body.frame().await {
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => break err,
                    None => panic!("ended without an error for {declared}"),
                }
            };
            let err = err.downcast::<Error>().unwrap();
            assert_eq!(err.kind(), ErrorKind::BodyRead);
            assert!(err.to_string().contains(what), "{err}");
        }
    }
}
