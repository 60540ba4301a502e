// One reqwest line's adapter, compiled once per line: `reqwest` and `reqwest_middleware` name
// that line's crates in the including module. (No inner attributes or `//!` here: the file is
// `include!`d.)

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use reqwest::{Request, Response, ResponseBuilderExt};
use reqwest_middleware::{Middleware, Next};
use url::Url;

use crate::auth::options::RequestOptions;
use crate::auth::{Adapted, AwsAuth, BuildClient, ReqwestClientBuilder, Setup, Signable};
use crate::error::{Error, MiddlewareCause, MiddlewareError};
use crate::wire::{HttpRequest, HttpResponse, Payload, RequestParts, Resend, Transport};

impl RequestParts for Request {
    fn method(&self) -> &Method {
        Request::method(self)
    }
    fn url(&self) -> &Url {
        Request::url(self)
    }
    fn headers(&self) -> &HeaderMap {
        Request::headers(self)
    }
    fn payload(&self) -> Payload<'_> {
        match self.body() {
            None => Payload::Bytes(&[]),
            Some(body) => body.as_bytes().map_or(Payload::Stream, Payload::Bytes),
        }
    }
}

impl HttpRequest for Request {
    fn url_mut(&mut self) -> &mut Url {
        Request::url_mut(self)
    }
    fn headers_mut(&mut self) -> &mut HeaderMap {
        Request::headers_mut(self)
    }
    async fn buffer_body(&mut self, max_bytes: usize) -> Result<(), Error> {
        if self.body().is_none_or(|body| body.as_bytes().is_some()) {
            return Ok(());
        }
        if let Some(stream) = self.body_mut().take() {
            let bytes = crate::wire::body::collect(stream, max_bytes).await?;
            *self.body_mut() = Some(reqwest::Body::from(bytes));
        }
        Ok(())
    }
    fn anchor(&self) -> Option<Box<dyn std::any::Any + Send>> {
        Request::try_clone(self).map(|copy| Box::new(copy) as Box<dyn std::any::Any + Send>)
    }
    fn body_len_hint(&self) -> Option<u64> {
        self.body()
            .and_then(|body| http_body::Body::size_hint(body).exact())
    }
    fn frame_body(&mut self, framing: crate::wire::Framing) -> Result<(), Error> {
        let body = self.body_mut().take().unwrap_or_default();
        let framed = crate::exchange::chunked_body::ChunkedBody::new(body, framing);
        *self.body_mut() = Some(reqwest::Body::wrap(framed));
        Ok(())
    }
}

impl Resend for Request {
    fn try_clone(&self) -> Option<Self> {
        Request::try_clone(self)
    }
    fn method_mut(&mut self) -> &mut Method {
        Request::method_mut(self)
    }
    fn remove_body(&mut self) {
        *self.body_mut() = None;
    }
}

impl HttpResponse for Response {
    fn status(&self) -> StatusCode {
        Response::status(self)
    }
    fn headers(&self) -> &HeaderMap {
        Response::headers(self)
    }
    fn extensions_mut(&mut self) -> &mut http::Extensions {
        Response::extensions_mut(self)
    }
    async fn peek(self, limit: usize, timeout: Duration) -> (Self, Bytes) {
        let url = self.url().clone();
        let (mut parts, body) = http::Response::<reqwest::Body>::from(self).into_parts();
        let (body, prefix) = crate::wire::refusal::peek_body(body, limit, timeout).await;
        // The rebuilt response keeps its URL (reqwest keeps it in an extension).
        if let Ok(marker) = http::response::Builder::new().url(url).body(()) {
            parts.extensions.extend(marker.into_parts().0.extensions);
        }
        let response = http::Response::from_parts(parts, reqwest::Body::wrap(body));
        (Response::from(response), prefix)
    }
}

/// The rest of the middleware chain, as the place requests are sent.
struct NextHop<'a, 'e> {
    next: Next<'a>,
    extensions: &'e mut http::Extensions,
}

impl Transport for NextHop<'_, '_> {
    type Request = Request;
    type Response = Response;
    type Error = reqwest_middleware::Error;

    fn send(
        &mut self,
        request: Request,
    ) -> impl Future<Output = Result<Response, reqwest_middleware::Error>> + Send {
        self.next.clone().run(request, self.extensions)
    }

    fn error(error: Error) -> reqwest_middleware::Error {
        reqwest_middleware::Error::middleware(error)
    }

    fn memo(&mut self) -> Option<&mut http::Extensions> {
        Some(self.extensions)
    }
}

// Written out rather than with `#[async_trait]`: the boxed future is then the exchange's own,
// without a wrapper that keeps another copy of the request.
impl Middleware for AwsAuth {
    fn handle<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        request: Request,
        extensions: &'life1 mut http::Extensions,
        next: Next<'life2>,
    ) -> std::pin::Pin<
        Box<dyn Future<Output = reqwest_middleware::Result<Response>> + Send + 'async_trait>,
    >
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        let options = extensions
            .get::<RequestOptions>()
            .cloned()
            .unwrap_or_default();
        Box::pin(crate::exchange::run(
            &self.inner,
            request,
            options,
            NextHop { next, extensions },
        ))
    }
}

impl Signable for Request {}

impl Adapted for Request {
    fn sign_with(&mut self, auth: &Setup) -> impl Future<Output = Result<(), Error>> + Send {
        auth.sign(self)
    }

    fn presign_with(
        &self,
        auth: &Setup,
        expires_in: Duration,
    ) -> impl Future<Output = Result<Url, Error>> + Send {
        auth.presign(self, expires_in)
    }
}

impl MiddlewareError for reqwest_middleware::Error {}

impl MiddlewareCause for reqwest_middleware::Error {
    fn middleware_cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            reqwest_middleware::Error::Middleware(inner) => Some(&**inner),
            reqwest_middleware::Error::Reqwest(_) => None,
        }
    }
}

impl ReqwestClientBuilder for reqwest::ClientBuilder {
    type Client = reqwest_middleware::ClientWithMiddleware;
}

impl BuildClient for reqwest::ClientBuilder {
    fn build_client(
        self,
        auth: AwsAuth,
    ) -> Result<reqwest_middleware::ClientWithMiddleware, Error> {
        let client = self
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| {
                Error::invalid_config(format!("the reqwest client could not be built: {err}"))
                    .with_source(err)
            })?;
        Ok(reqwest_middleware::ClientBuilder::new(client)
            .with(auth)
            .build())
    }
}

#[cfg(test)]
mod future_size_tests {
    use super::*;

    /// Measures the future the middleware boxes for every request (with this stack's real
    /// `Next`), without sending anything.
    struct Probe(AwsAuth, std::sync::Arc<std::sync::atomic::AtomicUsize>);

    #[async_trait::async_trait]
    impl Middleware for Probe {
        async fn handle(
            &self,
            request: Request,
            extensions: &mut http::Extensions,
            next: Next<'_>,
        ) -> reqwest_middleware::Result<Response> {
            let exchange = crate::exchange::run(
                &self.0.inner,
                request,
                RequestOptions::default(),
                NextHop { next, extensions },
            );
            self.1.store(
                std::mem::size_of_val(&exchange),
                std::sync::atomic::Ordering::SeqCst,
            );
            drop(exchange);
            Ok(Response::from(http::Response::new("")))
        }
    }

    /// glibc serves blocks of up to 1,032 bytes from its per-thread cache; larger ones take
    /// the shared arena (and its consolidation), which showed in the throughput benchmark.
    #[test]
    fn the_per_request_future_fits_the_allocators_thread_cache() {
        let size = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for auth in [
            AwsAuth::builder()
                .service("execute-api")
                .region("us-east-1")
                .credentials(aws_credential_types::Credentials::new(
                    "AKIDEXAMPLE",
                    "secret",
                    Some("token".into()),
                    None,
                    "test",
                ))
                .build()
                .unwrap(),
            AwsAuth::bedrock_mantle()
                .region("us-east-1")
                .bearer_token("bedrock-api-key-example")
                .build()
                .unwrap(),
        ] {
            let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
                .with(Probe(auth, size.clone()))
                .build();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime
                .block_on(client.post("https://example.com/").body("{}").send())
                .unwrap();
            let bytes = size.load(std::sync::atomic::Ordering::SeqCst);
            assert!(bytes > 0, "the probe did not run");
            assert!(
                bytes <= 1024,
                "the middleware's per-request future is {bytes} bytes: box what only some \
                 requests need (see `exchange::run`)"
            );
        }
    }
}
