//! [`AwsAuth`]: the middleware. It reads like a paragraph; the work lives in the modules it
//! calls.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use crate::authorization::Policy;
use crate::builder::AwsAuthBuilder;
use crate::error::Error;
use crate::options::RequestOptions;
use crate::redirect;
use crate::sigv4::SigV4;

/// Authenticates `reqwest` requests to AWS: signs them with Signature Version 4, or (for
/// Amazon Bedrock) attaches an API key as a bearer token.
///
/// Add it to a [`reqwest_middleware::ClientBuilder`] with `.with(auth)`, or call
/// [`sign`](Self::sign) on a `reqwest::Request` yourself. Clones are cheap and share one
/// credential cache.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use reqwest_aws_auth::AwsAuth;
///
/// let auth = AwsAuth::builder()
///     .service("execute-api")
///     .region("eu-west-1")
///     .build()?;
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(auth)
///     .build();
/// let response = client
///     .post("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/items")
///     .header("content-type", "application/json")
///     .body(r#"{"name":"widget"}"#)
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AwsAuth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) mode: Mode,
    pub(crate) policy: Policy,
}

// Built once and kept behind an `Arc`: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Mode {
    SigV4(SigV4),
    Bearer(crate::bedrock::Bearer),
}

impl AwsAuth {
    /// Starts configuring an `AwsAuth`.
    pub fn builder() -> AwsAuthBuilder {
        AwsAuthBuilder::default()
    }

    /// A builder for Amazon Bedrock Mantle (`https://bedrock-mantle.{region}.api.aws`, see
    /// [`bedrock`](crate::bedrock) for its base URLs): signing name `bedrock-mantle`, header
    /// names containing `_` left unsigned (Mantle drops them before verifying a signature), a
    /// region required, and `AWS_BEARER_TOKEN_BEDROCK` honoured as described on
    /// [`AwsAuthBuilder`](crate::AwsAuthBuilder#how-a-request-is-authenticated).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use reqwest_aws_auth::{AwsAuth, bedrock};
    ///
    /// let auth = AwsAuth::bedrock_mantle().region("us-west-2").build()?;
    /// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
    ///     .with(auth)
    ///     .build();
    /// let response = client
    ///     .post(format!("{}/responses", bedrock::mantle_base_url("us-west-2")))
    ///     .header("content-type", "application/json")
    ///     .body(r#"{"model":"openai.gpt-oss-120b","input":"Hello!"}"#)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn bedrock_mantle() -> AwsAuthBuilder {
        AwsAuthBuilder {
            service: Some(crate::bedrock::MANTLE_SIGNING_NAME.to_owned()),
            skip_underscore_headers: true,
            bedrock_preset: true,
            ..AwsAuthBuilder::default()
        }
    }

    /// A builder for bedrock-runtime (`https://bedrock-runtime.{region}.amazonaws.com`, whose
    /// OpenAI-compatible base is [`bedrock::runtime_openai_base_url`](crate::bedrock::runtime_openai_base_url)):
    /// signing name `bedrock`, a region required, and `AWS_BEARER_TOKEN_BEDROCK` honoured as
    /// described on [`AwsAuthBuilder`](crate::AwsAuthBuilder#how-a-request-is-authenticated).
    pub fn bedrock_runtime() -> AwsAuthBuilder {
        AwsAuthBuilder {
            service: Some(crate::bedrock::RUNTIME_SIGNING_NAME.to_owned()),
            bedrock_preset: true,
            ..AwsAuthBuilder::default()
        }
    }

    /// Signs (or authorises) `request` in place, for apps that do not use
    /// `reqwest-middleware`. Signing again replaces the earlier signature headers. The scope
    /// applies: a request for a host outside it fails with
    /// [`ErrorKind::OutOfScope`](crate::ErrorKind::OutOfScope), or is left untouched with
    /// [`OutsideScope::PassThrough`](crate::OutsideScope::PassThrough).
    ///
    /// ```no_run
    /// # async fn demo(auth: reqwest_aws_auth::AwsAuth) -> Result<(), Box<dyn std::error::Error>> {
    /// let client = reqwest::Client::new();
    /// let mut request = client
    ///     .get("https://search-domain.eu-west-1.es.amazonaws.com/_cluster/health")
    ///     .build()?;
    /// auth.sign(&mut request).await?;
    /// let response = client.execute(request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn sign(&self, request: &mut Request) -> Result<(), Error> {
        let options = RequestOptions::default();
        let policy = &self.inner.policy;
        match &self.inner.mode {
            Mode::SigV4(sigv4) => sigv4.sign(request, &options, policy).await.map(drop),
            Mode::Bearer(bearer) => bearer.authorize(request, &options, policy).await.map(drop),
        }
    }

    /// A client with this middleware, built from `http` with reqwest's own redirect
    /// following turned off, so that the middleware follows redirects instead: each hop is
    /// signed afresh when its host is in scope, and carries no credential otherwise (see
    /// [`max_redirects`](AwsAuthBuilder::max_redirects)).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use reqwest_aws_auth::{AwsAuth, OutsideScope};
    ///
    /// // One client for an AWS API and a webhook: only the AWS host gets credentials.
    /// let client = AwsAuth::builder()
    ///     .service("execute-api")
    ///     .region("eu-west-1")
    ///     .outside_scope(OutsideScope::PassThrough)
    ///     .build()?
    ///     .client(reqwest::Client::builder())?;
    /// client.get("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/items").send().await?;
    /// client.post("https://hooks.example.com/notify").body("done").send().await?; // unsigned
    /// # Ok(()) }
    /// ```
    ///
    /// For a stack with more middleware (retries go before auth), build the client yourself
    /// with `reqwest::redirect::Policy::none()`.
    pub fn client(
        self,
        http: reqwest::ClientBuilder,
    ) -> Result<reqwest_middleware::ClientWithMiddleware, Error> {
        let client = http
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| {
                Error::invalid_config(format!("the reqwest client could not be built: {err}"))
                    .with_source(err)
            })?;
        Ok(reqwest_middleware::ClientBuilder::new(client)
            .with(self)
            .build())
    }
}

impl Inner {
    /// Authenticates and sends one request (no redirects); returns the response, a copy of
    /// the request as sent when it can be cloned, and whether credentials were attached.
    async fn send(
        &self,
        mut request: Request,
        options: &RequestOptions,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<(Response, Option<Request>, bool)> {
        match &self.mode {
            Mode::SigV4(sigv4) => {
                sigv4
                    .send(request, options, &self.policy, extensions, next)
                    .await
            }
            Mode::Bearer(bearer) => {
                let authorized = bearer
                    .authorize(&mut request, options, &self.policy)
                    .await
                    .map_err(reqwest_middleware::Error::middleware)?;
                // Kept only to follow a redirect.
                let copy = (self.policy.max_redirects > 0)
                    .then(|| request.try_clone())
                    .flatten();
                Ok((next.run(request, extensions).await?, copy, authorized))
            }
        }
    }
}

#[async_trait::async_trait]
impl Middleware for AwsAuth {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let options = extensions
            .get::<RequestOptions>()
            .cloned()
            .unwrap_or_default();
        if options.skip_auth {
            return next.run(request, extensions).await;
        }
        let mut hops = 0;
        loop {
            let (response, sent, signed) = self
                .inner
                .send(request, &options, extensions, next.clone())
                .await?;
            if hops >= self.inner.policy.max_redirects {
                return Ok(response);
            }
            match sent.and_then(|sent| redirect::next_request(sent, &response, signed)) {
                Some(following) => {
                    request = following;
                    hops += 1;
                }
                None => return Ok(response),
            }
        }
    }
}

impl fmt::Debug for AwsAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.mode {
            Mode::SigV4(sigv4) => f
                .debug_struct("AwsAuth")
                .field("mode", &"SigV4")
                .field("service", &sigv4.config.service)
                .field("region", &sigv4.resolver.configured_region())
                .field("profile", &sigv4.resolver.profile())
                .field("streaming_body", &sigv4.config.streaming)
                .finish_non_exhaustive(),
            Mode::Bearer(bearer) => f
                .debug_struct("AwsAuth")
                .field("mode", &"Bearer")
                .field("bearer", bearer)
                .finish_non_exhaustive(),
        }
    }
}
