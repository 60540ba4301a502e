//! The view of a request that signing reads and writes, whatever HTTP stack it came from.
//!
//! Every adapter (reqwest 0.13, reqwest 0.12, `http::Request` for tower) implements
//! [`HttpRequest`] for its request type; the signer, the bearer mode, presigning and the
//! redirect and recovery logic are written once, against this trait.

use std::future::Future;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::error::Error;

pub(crate) mod body;
pub(crate) mod refusal;

/// What the body is, as far as signing is concerned.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Payload<'a> {
    /// Bytes in memory (an absent body is empty bytes).
    Bytes(&'a [u8]),
    /// A stream that has not been read.
    Stream,
}

/// What signing reads from a request: method, absolute URL, headers and body.
pub(crate) trait RequestParts {
    fn method(&self) -> &Method;
    fn url(&self) -> &Url;
    fn headers(&self) -> &HeaderMap;
    fn payload(&self) -> Payload<'_>;
}

/// A request being signed in place.
pub(crate) trait HttpRequest: RequestParts + Send {
    fn url_mut(&mut self) -> &mut Url;
    fn headers_mut(&mut self) -> &mut HeaderMap;
    /// Reads a streaming body into memory, failing past `max_bytes`; leaves a body that is
    /// already bytes as it is.
    fn buffer_body(&mut self, max_bytes: usize) -> impl Future<Output = Result<(), Error>> + Send;
    /// Something that owns this request's body buffer (a copy of the request), to keep it
    /// alive while its hash is remembered; `None` where hashes are not remembered.
    fn anchor(&self) -> Option<Box<dyn std::any::Any + Send>> {
        None
    }
    /// The streaming body's exact length, when its size hint says it.
    fn body_len_hint(&self) -> Option<u64> {
        None
    }
    /// Replaces the streaming body with `framing` of it, made as it is sent (aws-chunked).
    fn frame_body(&mut self, framing: Framing) -> Result<(), Error> {
        drop(framing);
        Err(Error::new(
            crate::error::ErrorKind::StreamingBody,
            "this request's body cannot be framed as aws-chunked",
        ))
    }
}

/// Makes the framing of a body one chunk at a time (the signer's aws-chunked encoder): what
/// goes before each chunk's data, and what ends the body.
// Without reqwest's `Body` no stack can carry the framing (the tower layer refuses it).
#[cfg_attr(
    not(any(feature = "reqwest-0-13", feature = "reqwest-0-12")),
    allow(dead_code)
)]
pub(crate) trait Frames: Send + Sync + std::fmt::Debug {
    /// Whether each chunk's SHA-256 goes into its signature (and may be computed beforehand,
    /// elsewhere, with [`sha256_of`](crate::sigv4::chunked::sha256_of)).
    fn hashes_chunks(&self) -> bool;
    /// What goes on the wire before the chunk made of `pieces` (one chunk, not empty), given
    /// its SHA-256 when it was computed already.
    fn chunk(&mut self, pieces: &[Bytes], sha256: Option<[u8; 32]>) -> Bytes;
    /// What goes on the wire after the last chunk.
    fn finish(&mut self) -> Bytes;
}

/// A streaming body's framing as the signer planned it: exactly `encoded` bytes on the wire
/// for exactly `decoded` bytes of the body, in chunks of `chunk_size` but the last.
// Without reqwest's `Body` no stack can carry the framing (the tower layer refuses it).
#[cfg_attr(
    not(any(feature = "reqwest-0-13", feature = "reqwest-0-12")),
    allow(dead_code)
)]
#[derive(Debug)]
pub(crate) struct Framing {
    pub(crate) frames: Box<dyn Frames>,
    pub(crate) chunk_size: usize,
    pub(crate) decoded: u64,
    pub(crate) encoded: u64,
}

/// A request the middleware may send again (after a refusal) or redirect.
pub(crate) trait Resend: HttpRequest + Sized {
    /// A copy, when the body is in memory.
    fn try_clone(&self) -> Option<Self>;
    fn method_mut(&mut self) -> &mut Method;
    fn remove_body(&mut self);
}

/// A response as the middleware needs to see it.
pub(crate) trait HttpResponse: Sized + Send {
    fn status(&self) -> StatusCode;
    fn headers(&self) -> &HeaderMap;
    fn extensions_mut(&mut self) -> &mut http::Extensions;
    /// Reads up to `limit` bytes of the body (waiting at most `timeout`) and gives back a
    /// response whose body still yields them first.
    fn peek(
        self,
        limit: usize,
        timeout: std::time::Duration,
    ) -> impl Future<Output = (Self, Bytes)> + Send;
}

/// Where the middleware sends a request: the next middleware, or the inner tower service.
pub(crate) trait Transport: Send {
    type Request: Resend;
    type Response: HttpResponse;
    type Error: Send;

    fn send(
        &mut self,
        request: Self::Request,
    ) -> impl Future<Output = Result<Self::Response, Self::Error>> + Send;

    /// Our error, as this stack's error type.
    fn error(error: Error) -> Self::Error;

    /// State that lives across the attempts of one send (reqwest-middleware's `Extensions`,
    /// which reqwest-retry hands to every attempt), if the stack has it.
    fn memo(&mut self) -> Option<&mut http::Extensions> {
        None
    }
}
