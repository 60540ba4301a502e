//! [`AwsAuth`]: the middleware. It reads like a paragraph; the work lives in the modules it
//! calls.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use tokio::time::Instant;

use crate::body;
use crate::builder::AwsAuthBuilder;
use crate::clock::ClockSkew;
use crate::credentials::{self, Resolver};
use crate::error::Error;
use crate::refusal;
use crate::sign::{self, SigningConfig};

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
}

// Built once and kept behind an `Arc`: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Mode {
    SigV4(SigV4),
    Bearer(crate::bedrock::Bearer),
}

pub(crate) struct SigV4 {
    pub(crate) config: SigningConfig,
    pub(crate) resolver: Resolver,
    pub(crate) skew: ClockSkew,
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
    /// `reqwest-middleware`. Signing again replaces the earlier signature headers.
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
        match &self.inner.mode {
            Mode::SigV4(sigv4) => sigv4.sign(request).await.map(drop),
            Mode::Bearer(bearer) => bearer.authorize(request).await,
        }
    }
}

/// What signing used, for deciding what a refusal means.
struct Signed {
    offset: i64,
    credentials: aws_credential_types::Credentials,
}

impl SigV4 {
    /// Signs `request` with the cached credentials and the (clock-corrected) time.
    async fn sign(&self, request: &mut Request) -> Result<Signed, Error> {
        sign::check_url(request.url())?;
        body::prepare(request, self.config.streaming).await?;
        let resolved = self.resolver.resolve().await?;
        crate::bedrock::check_endpoint_region(
            request.url(),
            &resolved.region,
            crate::bedrock::RegionOrigin::Signing,
        )?;
        let credentials = resolved.cache.get().await?;
        let (time, offset) = self.skew.apply(self.resolver.time().now());
        sign::sign_request(request, &credentials, &resolved.region, time, &self.config)?;
        Ok(Signed {
            offset,
            credentials,
        })
    }

    /// Signs and sends `request`. When the service refuses it because of the signing time
    /// (and its `Date` explains that) or because the credentials are dead, signs a copy again
    /// (with the server's time, or with freshly loaded credentials) and sends it once more;
    /// at most one request is re-sent, and only one whose body can be cloned.
    async fn send(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let signed = self
            .sign(&mut request)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let again = request.try_clone();
        let started = Instant::now();
        let response = next.clone().run(request, extensions).await?;
        let (response, code) = refusal::read_code(response).await;
        let Some(code) = code else {
            return Ok(response);
        };
        let retry = if code.blames_credentials() {
            self.drop_credentials(&signed.credentials)
        } else {
            self.skew.corrects(
                &code,
                response.headers(),
                self.resolver.time().now(),
                started.elapsed(),
                signed.offset,
            )
        };
        let Some(mut again) = again.filter(|_| retry) else {
            return Ok(response);
        };
        match self.sign(&mut again).await {
            Ok(resigned)
                if code.blames_credentials()
                    && credentials::same(&resigned.credentials, &signed.credentials) =>
            {
                Ok(response)
            }
            Ok(_) => {
                tracing::debug!(
                    code = code.as_str(),
                    "re-sending the refused request, signed again"
                );
                next.run(again, extensions).await
            }
            Err(err) => {
                tracing::warn!(error = %err, code = code.as_str(), "could not sign the refused request again; returning the refusal");
                Ok(response)
            }
        }
    }

    /// Drops credentials a service refused from the cache; `true` when new ones may differ.
    fn drop_credentials(&self, refused: &aws_credential_types::Credentials) -> bool {
        self.resolver
            .resolved()
            .is_some_and(|resolved| resolved.cache.invalidate(refused))
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
        if let Mode::SigV4(sigv4) = &self.inner.mode {
            return sigv4.send(request, extensions, next).await;
        }
        self.sign(&mut request)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        next.run(request, extensions).await
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
