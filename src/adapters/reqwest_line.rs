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

use crate::auth::{Adapted, AwsAuth, BuildClient, Inner, ReqwestClientBuilder, Signable};
use crate::error::{Error, MiddlewareCause, MiddlewareError};
use crate::options::RequestOptions;
use crate::request::{HttpRequest, HttpResponse, Payload, RequestParts, Resend, Transport};

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
            let bytes = crate::body::collect(stream, max_bytes).await?;
            *self.body_mut() = Some(reqwest::Body::from(bytes));
        }
        Ok(())
    }
    fn anchor(&self) -> Option<Box<dyn std::any::Any + Send>> {
        Request::try_clone(self).map(|copy| Box::new(copy) as Box<dyn std::any::Any + Send>)
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
        let (body, prefix) = crate::refusal::peek_body(body, limit, timeout).await;
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

#[async_trait::async_trait]
impl Middleware for AwsAuth {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let options = extensions
            .get::<RequestOptions>()
            .cloned()
            .unwrap_or_default();
        self.inner
            .exchange(request, &options, &mut NextHop { next, extensions })
            .await
    }
}

impl Signable for Request {}

impl Adapted for Request {
    fn sign_with(&mut self, auth: &Inner) -> impl Future<Output = Result<(), Error>> + Send {
        auth.sign(self)
    }

    fn presign_with(
        &self,
        auth: &Inner,
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
