//! A [`tower`](https://docs.rs/tower) layer that signs `http::Request`s (feature `tower`): for
//! hyper-util's client and other tower-based HTTP stacks.
//!
//! ```no_run
//! # async fn demo(auth: reqwest_aws_auth::AwsAuth) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use reqwest_aws_auth::tower::AwsAuthLayer;
//! use tower::{Service, ServiceBuilder, ServiceExt};
//!
//! let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
//! let mut service = ServiceBuilder::new()
//!     .layer(AwsAuthLayer::new(auth))
//!     .service(client);
//! let request = http::Request::post("http://127.0.0.1:8080/v1/responses")
//!     .header("content-type", "application/json")
//!     .body(Full::new(Bytes::from_static(br#"{"input":"Hello!"}"#)))?;
//! let response = service.ready().await?.call(request).await?;
//! # Ok(()) }
//! ```
//!
//! The service behaves as the reqwest middleware does: the scope, the `Authorization` rule,
//! one re-send after a refusal that blames the clock or the credentials, and redirects
//! followed up to [`max_redirects`](crate::AwsAuthBuilder::max_redirects), each hop signed
//! afresh. [`RequestOptions`] are read from the request's extensions.
//!
//! **Bodies.** An exact size hint does not mean a body is in memory: hyper's `Incoming`
//! reports one for every request with `Content-Length`, whatever size the sender claims. So a
//! body is read up front, and signed with its hash, only when
//! - its type holds its bytes: `Full<Bytes>`, or a `reqwest::Body` made from bytes; or
//! - its size hint is exact and at most 64 KiB (or the
//!   [`Buffer`](crate::StreamingBody::Buffer) limit, when that is lower): cheap to read, and a
//!   body that then yields more than it announced is refused
//!   ([`ErrorKind::BodyRead`](crate::ErrorKind::BodyRead)).
//!
//! Any other body is a stream, and [`StreamingBody`] decides before anything of it is read:
//! refused (the default), buffered up to the limit (a body whose size hint is already larger
//! is refused unread), or sent as it is with `UNSIGNED-PAYLOAD`. A stream is also what is
//! passed through, outside the scope or with a bearer key, without being read. The inner
//! service gets a body of the same type `B`: rebuilt from the bytes with `B: From<Bytes>`, or
//! the stream untouched.
//!
//! **Order.** Layers that rewrite the body (compression) or retry go outside this one (listed
//! before it in `ServiceBuilder`), so that what is signed is what is sent and every attempt is
//! signed afresh.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body::{Body, Frame, SizeHint};
use url::Url;

use crate::adapters::http_request::{to_uri, to_url};
use crate::auth::options::RequestOptions;
use crate::auth::{AwsAuth, Mode};
use crate::error::Error;
#[cfg(any(feature = "reqwest-0-13", feature = "reqwest-0-12"))]
use crate::exchange::chunked_body::ChunkedBody;
use crate::sigv4::settings::StreamingBody;
use crate::wire::refusal::Prefixed;
use crate::wire::{Framing, HttpRequest, HttpResponse, Payload, RequestParts, Resend, Transport};

/// How large a body of unknown kind with an exact size hint may be and still be read up front
/// (and signed with its hash): small enough that whoever picks the size cannot make the
/// layer hold much, large enough for the JSON of most API calls.
const READ_AHEAD: u64 = 64 * 1024;

/// The errors the service returns: the inner service's, or a [`crate::Error`] (find it with
/// `downcast_ref` or [`Error::find`](crate::Error::find)).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Signs every request with an [`AwsAuth`] before the inner service sends it.
#[derive(Clone, Debug)]
pub struct AwsAuthLayer {
    auth: AwsAuth,
}

impl AwsAuthLayer {
    /// A layer that authenticates with `auth`.
    pub fn new(auth: AwsAuth) -> Self {
        Self { auth }
    }
}

impl<S> tower_layer::Layer<S> for AwsAuthLayer {
    type Service = AwsAuthService<S>;

    fn layer(&self, inner: S) -> AwsAuthService<S> {
        AwsAuthService {
            auth: self.auth.clone(),
            inner,
        }
    }
}

/// The service [`AwsAuthLayer`] makes.
#[derive(Clone, Debug)]
pub struct AwsAuthService<S> {
    auth: AwsAuth,
    inner: S,
}

impl<S, B, ResBody> tower_service::Service<http::Request<B>> for AwsAuthService<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + Unpin + 'static,
    ResBody::Error: Send + Unpin,
{
    type Response = http::Response<ResponseBody<ResBody>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The service that was polled ready takes this request; a clone serves the next.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            let options = request
                .extensions()
                .get::<RequestOptions>()
                .cloned()
                .unwrap_or_default();
            let transport = InnerService {
                service: inner,
                ready: true,
                types: PhantomData,
            };
            let streaming = streaming_policy(&auth, &options);
            let request = Outgoing::new(request, streaming).await?;
            crate::exchange::run(&auth.inner, request, options, transport)
                .await
                .map(|response| response.0)
        })
    }
}

/// What to do with this request's body if it is a stream: the request's override, else the
/// builder's setting. Bearer mode never hashes a body; there, only the bound of what is read
/// up front (to follow redirects) depends on it.
fn streaming_policy(auth: &AwsAuth, options: &RequestOptions) -> StreamingBody {
    options.streaming_body.unwrap_or(match &auth.inner.mode {
        Mode::SigV4(sigv4) => sigv4.config.streaming,
        Mode::Bearer(_) => StreamingBody::Reject,
    })
}

/// Whether `body`'s type shows its bytes are all in memory, so reading it costs nothing,
/// however large. Checked by type, not by size hint, which any stream may report.
fn holds_bytes<B: 'static>(body: &B) -> bool {
    let body: &dyn std::any::Any = body;
    if body.is::<http_body_util::Full<Bytes>>() {
        return true;
    }
    #[cfg(feature = "reqwest-0-13")]
    if let Some(body) = body.downcast_ref::<reqwest::Body>() {
        return body.as_bytes().is_some();
    }
    #[cfg(feature = "reqwest-0-12")]
    if let Some(body) = body.downcast_ref::<reqwest012::Body>() {
        return body.as_bytes().is_some();
    }
    false
}

/// The request as the service handles it: the URI parsed as a `Url`, the body read into
/// memory unless it is a stream to be sent as it is.
struct Outgoing<B> {
    parts: http::request::Parts,
    url: Url,
    body: Buffered<B>,
}

enum Buffered<B> {
    Bytes(Bytes),
    Stream(B),
}

impl<B> Outgoing<B>
where
    B: Body + Send,
    B::Error: Into<BoxError>,
{
    /// Reads a body that is in memory, or small enough to read at once; leaves any other
    /// body unread, a stream for the signer to refuse, buffer or send unsigned per
    /// `streaming`.
    async fn new(request: http::Request<B>, streaming: StreamingBody) -> Result<Self, Error>
    where
        B: 'static,
    {
        let (parts, body) = request.into_parts();
        let url = to_url(&parts.uri)?;
        let body = if holds_bytes(&body) {
            Buffered::Bytes(crate::wire::body::collect(body, usize::MAX).await?)
        } else {
            let bound = match streaming {
                StreamingBody::Buffer { max_bytes } => {
                    READ_AHEAD.min(u64::try_from(max_bytes).unwrap_or(u64::MAX))
                }
                _ => READ_AHEAD,
            };
            match body.size_hint().exact() {
                Some(len) if len <= bound => {
                    Buffered::Bytes(crate::wire::body::collect_exact(body, len).await?)
                }
                _ => Buffered::Stream(body),
            }
        };
        Ok(Self { parts, url, body })
    }

    fn into_request(self) -> Result<http::Request<B>, Error>
    where
        B: From<Bytes>,
    {
        let mut parts = self.parts;
        parts.uri = to_uri(&self.url)?;
        let body = match self.body {
            Buffered::Bytes(bytes) => B::from(bytes),
            Buffered::Stream(body) => body,
        };
        Ok(http::Request::from_parts(parts, body))
    }
}

impl<B> RequestParts for Outgoing<B> {
    fn method(&self) -> &Method {
        &self.parts.method
    }
    fn url(&self) -> &Url {
        &self.url
    }
    fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }
    fn payload(&self) -> Payload<'_> {
        match &self.body {
            Buffered::Bytes(bytes) => Payload::Bytes(bytes),
            Buffered::Stream(_) => Payload::Stream,
        }
    }
}

impl<B> HttpRequest for Outgoing<B>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn url_mut(&mut self) -> &mut Url {
        &mut self.url
    }
    fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.parts.headers
    }
    async fn buffer_body(&mut self, max_bytes: usize) -> Result<(), Error> {
        let body = std::mem::replace(&mut self.body, Buffered::Bytes(Bytes::new()));
        self.body = match body {
            Buffered::Stream(stream) => {
                Buffered::Bytes(crate::wire::body::collect(stream, max_bytes).await?)
            }
            bytes => bytes,
        };
        Ok(())
    }
    fn body_len_hint(&self) -> Option<u64> {
        match &self.body {
            Buffered::Stream(body) => body.size_hint().exact(),
            Buffered::Bytes(_) => None,
        }
    }
    fn frame_body(&mut self, framing: Framing) -> Result<(), Error> {
        let body = std::mem::replace(&mut self.body, Buffered::Bytes(Bytes::new()));
        self.body = match body {
            Buffered::Stream(stream) => Buffered::Stream(framed_as(stream, framing)?),
            bytes => bytes,
        };
        Ok(())
    }
}

/// `body` framed as aws-chunked, as a body of the same type `B` again: the inner service takes
/// only `B`, and the framing is a body of its own. Only `reqwest::Body` (of either line) can
/// hold another body; any other type is refused before anything is sent.
fn framed_as<B: 'static>(body: B, framing: Framing) -> Result<B, Error> {
    let body: Box<dyn std::any::Any> = Box::new(body);
    #[cfg(feature = "reqwest-0-13")]
    let body = match body.downcast::<reqwest::Body>() {
        Ok(inner) => {
            let framed = reqwest::Body::wrap(ChunkedBody::new(*inner, framing));
            return same_type(Box::new(framed));
        }
        Err(body) => body,
    };
    #[cfg(feature = "reqwest-0-12")]
    let body = match body.downcast::<reqwest012::Body>() {
        Ok(inner) => {
            let framed = reqwest012::Body::wrap(ChunkedBody::new(*inner, framing));
            return same_type(Box::new(framed));
        }
        Err(body) => body,
    };
    drop((body, framing));
    Err(cannot_frame::<B>())
}

/// The framed body as `B`, which it is (`framed_as` made it of `B`'s type).
#[cfg(any(feature = "reqwest-0-13", feature = "reqwest-0-12"))]
fn same_type<B: 'static>(framed: Box<dyn std::any::Any>) -> Result<B, Error> {
    framed
        .downcast::<B>()
        .map(|body| *body)
        .map_err(|_| cannot_frame::<B>())
}

fn cannot_frame<B>() -> Error {
    Error::new(
        crate::error::ErrorKind::StreamingBody,
        format!(
            "the tower layer can send an aws-chunked upload only when the request body type is \
             `reqwest::Body`, which can hold the framing, not `{}`: build the client over \
             `reqwest::Body` and wrap the stream with `reqwest::Body::wrap(..)` (any \
             `http_body::Body`, hyper's `Incoming` too)",
            std::any::type_name::<B>()
        ),
    )
}

impl<B> Resend for Outgoing<B>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn try_clone(&self) -> Option<Self> {
        let Buffered::Bytes(bytes) = &self.body else {
            return None;
        };
        let mut request = http::Request::new(());
        *request.method_mut() = self.parts.method.clone();
        *request.uri_mut() = self.parts.uri.clone();
        *request.version_mut() = self.parts.version;
        *request.headers_mut() = self.parts.headers.clone();
        *request.extensions_mut() = self.parts.extensions.clone();
        Some(Self {
            parts: request.into_parts().0,
            url: self.url.clone(),
            body: Buffered::Bytes(bytes.clone()),
        })
    }
    fn method_mut(&mut self) -> &mut Method {
        &mut self.parts.method
    }
    fn remove_body(&mut self) {
        self.body = Buffered::Bytes(Bytes::new());
    }
}

/// A response of the inner service, with its body wrapped.
struct Answer<ResBody: Body>(http::Response<ResponseBody<ResBody>>);

impl<ResBody> HttpResponse for Answer<ResBody>
where
    ResBody: Body<Data = Bytes> + Send + Unpin,
    ResBody::Error: Send + Unpin,
{
    fn status(&self) -> StatusCode {
        self.0.status()
    }
    fn headers(&self) -> &HeaderMap {
        self.0.headers()
    }
    fn extensions_mut(&mut self) -> &mut http::Extensions {
        self.0.extensions_mut()
    }
    async fn peek(self, limit: usize, timeout: Duration) -> (Self, Bytes) {
        let (parts, body) = self.0.into_parts();
        match body.0.into_whole() {
            Ok(whole) => {
                let (body, prefix) = crate::wire::refusal::peek_body(whole, limit, timeout).await;
                (
                    Answer(http::Response::from_parts(parts, ResponseBody(body))),
                    prefix,
                )
            }
            Err(read) => (
                Answer(http::Response::from_parts(parts, ResponseBody(*read))),
                Bytes::new(),
            ),
        }
    }
}

/// The inner service as the place requests are sent.
struct InnerService<S, B, ResBody> {
    service: S,
    /// The first call uses the readiness the caller polled for.
    ready: bool,
    types: PhantomData<fn(B) -> ResBody>,
}

impl<S, B, ResBody> Transport for InnerService<S, B, ResBody>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<ResBody>> + Send,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + Unpin,
    ResBody::Error: Send + Unpin,
{
    type Request = Outgoing<B>;
    type Response = Answer<ResBody>;
    type Error = BoxError;

    async fn send(&mut self, request: Outgoing<B>) -> Result<Answer<ResBody>, BoxError> {
        let request = request.into_request()?;
        if !std::mem::take(&mut self.ready) {
            std::future::poll_fn(|cx| self.service.poll_ready(cx))
                .await
                .map_err(Into::into)?;
        }
        let response = self.service.call(request).await.map_err(Into::into)?;
        let (parts, body) = response.into_parts();
        Ok(Answer(http::Response::from_parts(
            parts,
            ResponseBody(Prefixed::whole(body)),
        )))
    }

    fn error(error: Error) -> BoxError {
        Box::new(error)
    }
}

/// The body of a response from [`AwsAuthService`]: the inner service's body, of which the
/// first few KiB of a refusal may have been read to find its AWS error code (they are
/// yielded first, so the body reads as if nothing had looked).
pub struct ResponseBody<B: Body>(Prefixed<B>);

impl<B: Body> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody").finish_non_exhaustive()
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}
