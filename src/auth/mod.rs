//! [`AwsAuth`]: what every adapter calls. Signing (or authorising) one request, presigning,
//! and sending with recovery and redirects are written once here, against the
//! [`request`](crate::wire) traits; the adapters only translate their types.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub(crate) mod bearer;
pub(crate) mod clock;
pub(crate) mod hosts;
pub(crate) mod options;
pub(crate) mod presign;
pub(crate) mod sigv4;

use crate::auth::options::RequestOptions;
use crate::auth::sigv4::{Outcome, SigV4, Signed};
use crate::error::Error;
use crate::policy::guard::Policy;
use crate::wire::{HttpRequest, RequestParts};

/// Authenticates `reqwest` requests to AWS: signs them with Signature Version 4, or (for
/// Amazon Bedrock) attaches an API key as a bearer token.
///
/// Add it to a `reqwest_middleware::ClientBuilder` with `.with(auth)` (reqwest 0.13, or 0.12
/// with feature `reqwest-0-12`), wrap a tower service in
/// `tower::AwsAuthLayer` (feature `tower`), or call
/// [`sign`](Self::sign) on a request yourself. Clones are cheap and share one credential cache.
///
/// ```no_run
/// # #[cfg(feature = "reqwest-0-13")]
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
    pub(crate) inner: Arc<Setup>,
}

/// What every clone of an [`AwsAuth`] shares: how it authenticates and its policy.
pub(crate) struct Setup {
    pub(crate) mode: Mode,
    pub(crate) policy: Policy,
}

// Built once and kept behind an `Arc`: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Mode {
    SigV4(SigV4),
    Bearer(crate::auth::bearer::Bearer),
}

impl AwsAuth {
    /// Signs (or authorises) `request` in place, for apps that do not use a middleware stack:
    /// a `reqwest::Request` (0.13, or 0.12 with feature `reqwest-0-12`), or an
    /// `http::Request` whose body is already bytes (`Bytes`, `Vec<u8>`, `String`, `&str`,
    /// ...). Signing again replaces the earlier signature headers. The scope applies: a
    /// request for a host outside it fails with
    /// [`ErrorKind::OutOfScope`](crate::ErrorKind::OutOfScope), or is left untouched with
    /// [`OutsideScope::PassThrough`](crate::OutsideScope::PassThrough).
    ///
    /// ```no_run
    /// # #[cfg(feature = "reqwest-0-13")]
    /// # async fn demo(auth: reqwest_aws_auth::AwsAuth) -> Result<(), Box<dyn std::error::Error>> {
    /// let client = reqwest::Client::new();
    /// let mut request = client
    ///     .get("https://search-domain.eu-west-1.es.amazonaws.com/_cluster/health")
    ///     .build()?;
    /// auth.sign(&mut request).await?;
    /// let response = client.execute(request).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// # async fn demo(auth: reqwest_aws_auth::AwsAuth) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut request = http::Request::post("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/items")
    ///     .header("content-type", "application/json")
    ///     .body(bytes::Bytes::from_static(br#"{"name":"widget"}"#))?;
    /// auth.sign(&mut request).await?;
    /// // ... send `request` with any HTTP client
    /// # Ok(()) }
    /// ```
    pub async fn sign<R: Signable>(&self, request: &mut R) -> Result<(), Error> {
        request.sign_with(&self.inner).await
    }

    /// A client with this middleware, built from `http` (a `reqwest::ClientBuilder` of 0.13,
    /// or of 0.12 with feature `reqwest-0-12`) with reqwest's own redirect following turned
    /// off, so that the middleware follows redirects instead: each hop is signed afresh when
    /// its host is in scope, and carries no credential otherwise (see
    /// [`max_redirects`](crate::AwsAuthBuilder::max_redirects)).
    ///
    /// ```no_run
    /// # #[cfg(feature = "reqwest-0-13")]
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
    /// For a stack with more middleware (retries and body compression go before auth), build
    /// the client yourself with `reqwest::redirect::Policy::none()`.
    pub fn client<B: ReqwestClientBuilder>(self, http: B) -> Result<B::Client, Error> {
        http.build_client(self)
    }

    /// A URL that performs `request` without credentials until it expires: the request's URL
    /// with `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
    /// `X-Amz-SignedHeaders`, `X-Amz-Signature` (and `X-Amz-Security-Token` for temporary
    /// credentials) in its query. Async because credentials may have to be loaded first.
    ///
    /// - **Expiry.** `expires_in` is counted in whole seconds (fractions are dropped) from the
    ///   signing time and must be between 1 second and [`MAX_PRESIGN_EXPIRY`](crate::MAX_PRESIGN_EXPIRY) (7 days), else
    ///   [`ErrorKind::InvalidExpiry`](crate::ErrorKind::InvalidExpiry). A URL never outlives the credentials that sign it: when
    ///   they expire sooner, the expiry is shortened to theirs, a warning is logged, and the
    ///   URL's `X-Amz-Expires` shows the effective lifetime in seconds.
    /// - **What is signed.** `host`, plus every header the request carries that the crate signs
    ///   (not the ones proxies rewrite, see the crate docs): whoever uses the URL must send
    ///   those headers with the same values (for an S3 upload, say, `content-type`). Build the
    ///   request without headers for a URL that works from a plain link. The method is signed
    ///   too: a URL presigned for `PUT` does not work for `GET`.
    /// - **Body.** S3 signing names sign `UNSIGNED-PAYLOAD` (the body is not known yet); other
    ///   services sign the SHA-256 of the request's body (of an empty body for a `GET`), which
    ///   whoever uses the URL must send.
    /// - **WebSocket.** `ws://` and `wss://` URLs are signed as the HTTP `GET` of the handshake
    ///   (`http://`, `https://`) and returned with their scheme.
    /// - **Session token.** Signed, or appended after signing (AWS IoT Core): see
    ///   [`PresignSessionToken`](crate::PresignSessionToken).
    ///
    /// Query parameters are canonicalised as for header signing (`+` is a space, a literal
    /// plus is `%2B`); `X-Amz-*` signing parameters already in the URL are replaced. A Bedrock
    /// API key has no presigned form: in bearer mode this fails with
    /// [`ErrorKind::PresignUnsupported`](crate::ErrorKind::PresignUnsupported).
    ///
    /// ```no_run
    /// # #[cfg(feature = "reqwest-0-13")]
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use reqwest_aws_auth::AwsAuth;
    ///
    /// let auth = AwsAuth::builder().service("s3").region("eu-west-1").build()?;
    /// let request = reqwest::Client::new()
    ///     .get("https://my-bucket.s3.eu-west-1.amazonaws.com/reports/2026.pdf")
    ///     .build()?;
    /// let url = auth.presign(&request, Duration::from_secs(15 * 60)).await?;
    /// println!("{url}"); // works from a browser for 15 minutes
    /// # Ok(()) }
    /// ```
    pub async fn presign<R: Signable>(
        &self,
        request: &R,
        expires_in: Duration,
    ) -> Result<url::Url, Error> {
        request.presign_with(&self.inner, expires_in).await
    }
}

/// A request type that [`AwsAuth::sign`] and [`AwsAuth::presign`] accept: `reqwest::Request`
/// (of reqwest 0.13, and of 0.12 with feature `reqwest-0-12`) and `http::Request<B>` whose
/// body `B` is bytes already (`AsRef<[u8]>`: `Bytes`, `Vec<u8>`, `String`, `&str`, ...).
/// Sealed: the crate implements it for the stacks it supports.
#[allow(private_bounds)] // Sealed: the supertrait is the crate's own.
pub trait Signable: Adapted {}

/// A `reqwest::ClientBuilder` (0.13, or 0.12 with feature `reqwest-0-12`) that
/// [`AwsAuth::client`] turns into a client with this middleware. Sealed.
#[allow(private_bounds)] // Sealed: the supertrait is the crate's own.
pub trait ReqwestClientBuilder: BuildClient {
    /// The `reqwest_middleware::ClientWithMiddleware` of that reqwest line.
    type Client;
}

pub(crate) trait BuildClient: Sized {
    fn build_client(self, auth: AwsAuth) -> Result<<Self as ReqwestClientBuilder>::Client, Error>
    where
        Self: ReqwestClientBuilder;
}

/// How an adapter's request type is signed and presigned.
pub(crate) trait Adapted {
    fn sign_with(&mut self, auth: &Setup) -> impl Future<Output = Result<(), Error>> + Send;

    fn presign_with(
        &self,
        auth: &Setup,
        expires_in: Duration,
    ) -> impl Future<Output = Result<url::Url, Error>> + Send;
}

impl Setup {
    /// Signs (or authorises) one request in place, without sending it.
    pub(crate) async fn sign(&self, request: &mut impl HttpRequest) -> Result<(), Error> {
        let options = RequestOptions::default();
        match &self.mode {
            Mode::SigV4(sigv4) => sigv4
                .sign(request, &options, &self.policy, None)
                .await
                .map(drop),
            Mode::Bearer(bearer) => bearer
                .authorize(request, &options, &self.policy)
                .await
                .map(drop),
        }
    }

    pub(crate) async fn presign(
        &self,
        request: &(impl RequestParts + Sync),
        expires_in: Duration,
    ) -> Result<url::Url, Error> {
        match &self.mode {
            Mode::SigV4(sigv4) => sigv4.presign(request, &self.policy.scope, expires_in).await,
            Mode::Bearer(_) => Err(crate::auth::presign::presign_unsupported()),
        }
    }

    /// Authenticates `request` at once, when nothing has to be waited for (almost every
    /// request); `None` when something must load first.
    pub(crate) fn authenticate_ready(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        memo: Option<&mut http::Extensions>,
    ) -> Option<Result<Attached, Error>> {
        match &self.mode {
            Mode::SigV4(sigv4) => sigv4
                .sign_ready(request, options, &self.policy, memo)
                .map(|outcome| outcome.map(Attached::from)),
            Mode::Bearer(bearer) => {
                if let Err(err) = options.check_bearer() {
                    return Some(Err(err));
                }
                bearer
                    .authorize_ready(request, options, &self.policy)
                    .map(|outcome| outcome.map(Attached::key))
            }
        }
    }

    /// Authenticates `request`, loading first what has to be loaded.
    pub(crate) async fn authenticate_waiting(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        memo: Option<&mut http::Extensions>,
    ) -> Result<Attached, Error> {
        match &self.mode {
            Mode::SigV4(sigv4) => sigv4
                .sign_waiting(request, options, &self.policy, memo)
                .await
                .map(Attached::from),
            Mode::Bearer(bearer) => {
                options.check_bearer()?;
                bearer
                    .authorize(request, options, &self.policy)
                    .await
                    .map(Attached::key)
            }
        }
    }
}

/// What was attached to a request before it was sent.
pub(crate) enum Attached {
    /// A SigV4 signature, with what it used (to read a refusal).
    Signature(Signed),
    /// The bearer key.
    Key,
    /// Nothing: outside the scope, passed through.
    Nothing,
}

impl Attached {
    fn key(authorized: bool) -> Self {
        if authorized {
            Attached::Key
        } else {
            Attached::Nothing
        }
    }
}

impl From<Outcome<Signed>> for Attached {
    fn from(outcome: Outcome<Signed>) -> Self {
        match outcome {
            Outcome::Authenticated(signed) => Attached::Signature(signed),
            Outcome::Unsigned => Attached::Nothing,
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
