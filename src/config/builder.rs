//! [`AwsAuthBuilder`]: validates settings and builds an [`AwsAuth`] without any I/O.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_async::time::TimeSource;
use aws_types::SdkConfig;
use http::{HeaderName, HeaderValue};

use crate::auth::bearer::{Bearer, Prepared, RegionRule, TokenSource};
use crate::auth::clock::ClockSkew;
use crate::auth::sigv4::SigV4;
use crate::auth::{AwsAuth, Mode, Setup};
use crate::bedrock::{
    BEARER_TOKEN_ENV, BearerToken, ProvideBearerToken, SharedBearerTokenProvider,
};
use crate::credentials::SourceSettings;
use crate::error::{Error, ErrorKind};
use crate::policy::guard::Policy;
use crate::policy::scope::{Base, OutsideScope, Scope};
use crate::sigv4::headers::HeaderPolicy;
use crate::sigv4::names::{validate_region, validate_service};
use crate::sigv4::settings::{PresignSessionToken, SigningConfig, StreamingBody};

/// Configures and builds an [`AwsAuth`]. Start with [`AwsAuth::builder`].
///
/// Nothing here does I/O: [`build`](Self::build) only validates. The region and the SDK's
/// credential chain are loaded once, on the first request, and shared by every clone of the
/// `AwsAuth`.
///
/// ```
/// use reqwest_aws_auth::AwsAuth;
///
/// let auth = AwsAuth::builder()
///     .service("execute-api")
///     .region("eu-west-1")
///     .build()?;
/// # Ok::<(), reqwest_aws_auth::Error>(())
/// ```
///
/// # How a request is authenticated
///
/// One rule, first match wins:
///
/// 1. [`bearer_token`](Self::bearer_token): that key, as `Authorization: Bearer …`.
/// 2. [`bearer_token_provider`](Self::bearer_token_provider): a key from the provider, asked
///    for every request (or, for a key with an expiry, shortly before it expires).
/// 3. For the Bedrock presets ([`AwsAuth::bedrock`], [`AwsAuth::bedrock_mantle`],
///    [`AwsAuth::bedrock_runtime`]): the `AWS_BEARER_TOKEN_BEDROCK` environment variable
///    (for [`AwsAuth::claude_platform`]: `ANTHROPIC_AWS_API_KEY`), read once by `build()`,
///    trimmed; blank counts as unset. [`bearer_token_from_env(false)`](Self::bearer_token_from_env)
///    turns this off. Other builders read it only when told to with
///    `bearer_token_from_env(true)`, so a key meant for Bedrock is not sent to another service
///    by accident.
/// 4. SigV4, with the credentials from [`credentials`](Self::credentials),
///    [`credentials_provider`](Self::credentials_provider), [`sdk_config`](Self::sdk_config), or
///    else the AWS SDK's default chain.
///
/// Steps 1, 2 and explicit SigV4 credentials (or a [`profile`](Self::profile)) are explicit
/// choices: any of them means the environment variable is not consulted, and configuring two of them (say a bearer token and
/// static credentials) fails the build with [`ErrorKind::InvalidConfig`](crate::ErrorKind)
/// rather than picking one silently. A bearer-token setup needs no signing name.
///
/// [`AwsAuth::bedrock`]: crate::AwsAuth::bedrock
/// [`AwsAuth::bedrock_mantle`]: crate::AwsAuth::bedrock_mantle
/// [`AwsAuth::bedrock_runtime`]: crate::AwsAuth::bedrock_runtime
/// [`AwsAuth::claude_platform`]: crate::AwsAuth::claude_platform
#[derive(Default)]
pub struct AwsAuthBuilder {
    pub(crate) service: Option<String>,
    /// Region, profile, credential source, clock, and how credentials are loaded.
    pub(crate) source: SourceSettings,
    pub(crate) clock_skew_correction: Option<bool>,
    pub(crate) content_sha256: Option<bool>,
    pub(crate) streaming: StreamingBody,
    pub(crate) unsigned_headers: Vec<String>,
    pub(crate) skip_underscore_headers: bool,
    /// Set by the model presets (Bedrock's and Claude Platform's): region required, the API
    /// key's environment variable consulted, a client's `x-api-key` removed.
    pub(crate) bedrock_preset: bool,
    /// `AwsAuth::claude_platform()`: its scope, `ANTHROPIC_AWS_API_KEY`, the workspace header.
    pub(crate) claude_platform: bool,
    /// `AwsAuth::bedrock()`: the signing name follows each request's host unless `.service`.
    pub(crate) follow_host: bool,
    pub(crate) workspace_id: Option<String>,
    pub(crate) replace_api_key_header: Option<bool>,
    pub(crate) bearer_token: Option<BearerToken>,
    pub(crate) bearer_token_provider: Option<SharedBearerTokenProvider>,
    pub(crate) bearer_token_from_env: Option<bool>,
    pub(crate) allow_bearer_over_http: bool,
    pub(crate) region_from_bearer_token: bool,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) allowed_url_prefixes: Vec<String>,
    pub(crate) default_scope: Option<bool>,
    pub(crate) outside_scope: OutsideScope,
    pub(crate) replace_authorization: bool,
    pub(crate) max_redirects: Option<usize>,
    pub(crate) presign_session_token: PresignSessionToken,
    pub(crate) sign_with_aws_sigv4: bool,
    #[cfg(feature = "sigv4a")]
    pub(crate) region_set: Option<crate::sigv4::region_set::RegionSet>,
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
}

impl AwsAuth {
    /// A builder for Amazon Bedrock whose signing name follows the host of each request:
    /// `bedrock` for bedrock-runtime, `bedrock-mantle` for Mantle (any partition, FIPS and
    /// dual-stack forms included, as [`bedrock::parse_host`](crate::bedrock::parse_host) reads
    /// them), so one client reaches both endpoints and every API they serve (see the
    /// [surface table](crate::bedrock)). As the other Bedrock presets: a region required and
    /// checked against the host, `AWS_BEARER_TOKEN_BEDROCK` honoured as described on
    /// [`AwsAuthBuilder`](crate::AwsAuthBuilder#how-a-request-is-authenticated), the scope
    /// Bedrock's hosts and loopback, header names containing `_` left unsigned (Mantle drops
    /// them), and a client's `x-api-key` removed
    /// ([`replace_api_key_header`](AwsAuthBuilder::replace_api_key_header)).
    ///
    /// A request to a host that names no Bedrock endpoint (a proxy, a loopback mock) fails
    /// with [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) unless
    /// [`service`](AwsAuthBuilder::service) names the signing name, which then holds for every
    /// request.
    ///
    /// ```
    /// use reqwest_aws_auth::{AwsAuth, bedrock};
    ///
    /// let auth = AwsAuth::bedrock().region("us-east-1").build()?;
    /// // Signed as `bedrock`:
    /// let runtime = format!("{}/v1/messages", bedrock::runtime_anthropic_base_url("us-east-1"));
    /// // Signed as `bedrock-mantle`:
    /// let mantle = format!("{}/responses", bedrock::mantle_base_url("us-east-1"));
    /// # Ok::<(), reqwest_aws_auth::Error>(())
    /// ```
    pub fn bedrock() -> AwsAuthBuilder {
        AwsAuthBuilder {
            skip_underscore_headers: true,
            bedrock_preset: true,
            follow_host: true,
            ..AwsAuthBuilder::default()
        }
    }

    /// A builder for Claude Platform on AWS (Anthropic's API with AWS authentication and
    /// billing, at [`bedrock::claude_platform_base_url`](crate::bedrock::claude_platform_base_url)):
    /// signing name `aws-external-anthropic`, a region required and checked against the host,
    /// the scope Claude Platform's hosts and loopback, and a client's `x-api-key` removed
    /// ([`replace_api_key_header`](AwsAuthBuilder::replace_api_key_header)).
    ///
    /// Every request carries `anthropic-workspace-id`, set before signing from
    /// [`workspace_id`](AwsAuthBuilder::workspace_id) or else `ANTHROPIC_AWS_WORKSPACE_ID`
    /// (trimmed, blank counts as unset); `build()` fails without one. An Anthropic API key goes
    /// as `Authorization: Bearer …`, as anthropic-sdk-python's `AnthropicAWS` sends it: from
    /// [`bearer_token`](AwsAuthBuilder::bearer_token), a
    /// [`bearer_token_provider`](AwsAuthBuilder::bearer_token_provider), or else
    /// `ANTHROPIC_AWS_API_KEY`, with the precedence described on
    /// [`AwsAuthBuilder`](crate::AwsAuthBuilder#how-a-request-is-authenticated)
    /// (`AWS_BEARER_TOKEN_BEDROCK` is not read: a Bedrock key is no Claude Platform key).
    ///
    /// ```
    /// use reqwest_aws_auth::{AwsAuth, bedrock};
    ///
    /// let auth = AwsAuth::claude_platform()
    ///     .region("us-east-1")
    ///     .workspace_id("wrkspc_01AbCd")
    ///     .build()?;
    /// let url = format!("{}/v1/messages", bedrock::claude_platform_base_url("us-east-1"));
    /// # Ok::<(), reqwest_aws_auth::Error>(())
    /// ```
    pub fn claude_platform() -> AwsAuthBuilder {
        AwsAuthBuilder {
            service: Some(CLAUDE_PLATFORM_SIGNING_NAME.to_owned()),
            bedrock_preset: true,
            claude_platform: true,
            ..AwsAuthBuilder::default()
        }
    }
}

/// SigV4 signing name of Claude Platform on AWS.
const CLAUDE_PLATFORM_SIGNING_NAME: &str = "aws-external-anthropic";
/// Where `AwsAuth::claude_platform()` reads an Anthropic API key and the workspace from.
const CLAUDE_API_KEY_ENV: &str = "ANTHROPIC_AWS_API_KEY";
const CLAUDE_WORKSPACE_ENV: &str = "ANTHROPIC_AWS_WORKSPACE_ID";

/// How many redirects the middleware follows by default.
const DEFAULT_MAX_REDIRECTS: usize = 10;

impl fmt::Debug for AwsAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsAuthBuilder")
            .field("service", &self.service)
            .field("region", &self.source.region)
            .field("profile", &self.source.profile)
            .field(
                "credential_sources",
                &self.source.sources.methods().collect::<Vec<_>>(),
            )
            .field("content_sha256", &self.content_sha256)
            .field("streaming", &self.streaming)
            .field("unsigned_headers", &self.unsigned_headers)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "** redacted **"),
            )
            .field("bearer_token_provider", &self.bearer_token_provider)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_url_prefixes", &self.allowed_url_prefixes)
            .field("outside_scope", &self.outside_scope)
            .field("workspace_id", &self.workspace_id)
            .field("replace_api_key_header", &self.replace_api_key_header)
            .finish_non_exhaustive()
    }
}

impl AwsAuthBuilder {
    /// The SigV4 signing name of the service: `execute-api` (API Gateway), `lambda` (function
    /// URLs), `es` (OpenSearch Service), `aoss` (OpenSearch Serverless), `s3`,
    /// `bedrock-mantle`, ... It is often not the host's first label: check the service's docs.
    ///
    /// `s3`, `s3-object-lambda` and `s3express` follow S3's rules: the path is encoded once,
    /// not normalised, and `x-amz-content-sha256` is always sent.
    pub fn service(mut self, signing_name: impl Into<String>) -> Self {
        self.service = Some(signing_name.into());
        self
    }

    /// The region to sign for, such as `us-east-1`. Without it the first request reads
    /// `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.source.region = Some(region.into());
        self
    }

    /// The shared config/credentials profile to read credentials and region from, instead of
    /// `AWS_PROFILE` or `default`.
    pub fn profile(mut self, profile_name: impl Into<String>) -> Self {
        self.source.profile = Some(profile_name.into());
        self
    }

    /// Sign with these credentials. They are used as they are; if they carry an expiry, a
    /// request after it fails with [`ErrorKind::CredentialsProvider`](crate::ErrorKind).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.source.credentials(credentials);
        self
    }

    /// Get credentials from this provider (for example one built with `aws-config`'s
    /// `AssumeRoleProvider`). Its answers are cached and refreshed ahead of expiry.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.source.credentials_provider(provider);
        self
    }

    /// Take the credentials provider, region and time source from a loaded `SdkConfig`. The
    /// builder's own `region` still wins. The provider's answers are cached here (an
    /// `SdkConfig`'s provider is not cached by itself).
    pub fn sdk_config(mut self, config: &SdkConfig) -> Self {
        self.source.sdk_config(config);
        self
    }

    /// Whether to send (and sign) `x-amz-content-sha256`, the hex SHA-256 of the body. On by
    /// default: S3, OpenSearch Serverless and Lambda function URLs behind CloudFront require it,
    /// and other services ignore it. It cannot be turned off for S3 signing names.
    pub fn content_sha256_header(mut self, send: bool) -> Self {
        self.content_sha256 = Some(send);
        self
    }

    /// What to do with a streaming body (`reqwest::Body::wrap_stream`, multipart). By default
    /// such a request is refused with [`ErrorKind::StreamingBody`](crate::ErrorKind).
    pub fn streaming_body(mut self, streaming: StreamingBody) -> Self {
        self.streaming = streaming;
        self
    }

    /// Leave this header out of the signature, in addition to the built-in list (hop-by-hop
    /// headers, `user-agent`, `expect`, `x-amzn-trace-id`, `x-forwarded-*`, `via`,
    /// `content-length`, `accept-encoding`, ...). Use it for headers that something between
    /// you and AWS rewrites.
    pub fn unsigned_header(mut self, name: impl Into<String>) -> Self {
        self.unsigned_headers.push(name.into());
        self
    }

    /// Sign with SigV4a (ECDSA P-256) for a set of regions instead of SigV4 for one: what S3
    /// Multi-Region Access Points (`RegionSet::all()`), EventBridge global endpoints, CloudFront
    /// KeyValueStore and VPC Lattice take. The scope then names no region and the set is signed
    /// as `x-amz-region-set`; everything else is signed as with SigV4.
    ///
    /// The [`region`](Self::region) is still required and still the one credential providers
    /// call (STS, SSO). `build()` refuses a region set with the Bedrock presets and with a
    /// Bedrock API key, which have no SigV4a form.
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a(mut self, regions: crate::sigv4::region_set::RegionSet) -> Self {
        self.region_set = Some(regions);
        self
    }

    /// Use this clock for signing times and credential expiry instead of the system clock.
    /// Tests use `aws_smithy_async::time::StaticTimeSource` to sign with a fixed time.
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.source.time_source(time_source);
        self
    }

    /// Whether to learn the server's clock from responses' `Date` headers and sign with it.
    ///
    /// On by default (as in the AWS SDKs), and off when [`time_source`](Self::time_source) set
    /// a clock. A machine whose clock is more than a few minutes off then still gets its
    /// requests accepted: the offset is learned from every response (except cached ones, with
    /// an `Age` header), and a request refused with 400, 401 or 403 because of the clock is
    /// signed again with the server's time and sent once more (a body that cannot be cloned,
    /// a stream, is not sent again).
    pub fn clock_skew_correction(mut self, enabled: bool) -> Self {
        self.clock_skew_correction = Some(enabled);
        self
    }

    /// How long before credentials expire to start refreshing them (default 5 minutes, plus up
    /// to a minute of jitter, and never earlier than half-way through their lifetime).
    pub fn credential_refresh_buffer(mut self, buffer: Duration) -> Self {
        self.source.refresh_buffer = Some(buffer);
        self
    }

    /// How long one credential load may take (default 5 s): the AWS SDK's default chain
    /// (including reading the config files and calling instance metadata, SSO or STS), an
    /// `SdkConfig`'s or your own provider, a bearer-token provider, minting a short-term
    /// Bedrock key. Past it the request fails, without being sent, with a retryable
    /// [`ErrorKind::ProviderTimeout`](crate::ErrorKind) that names the provider; the next
    /// request asks again (after a one-second back-off, so a failing provider is not called
    /// by every request). Requests waiting on the same load share its outcome.
    pub fn credentials_timeout(mut self, timeout: Duration) -> Self {
        self.source.credentials_timeout = Some(timeout);
        self
    }

    /// Send this Bedrock API key as `Authorization: Bearer <token>` instead of signing with
    /// SigV4. Surrounding whitespace is trimmed; an empty token fails the build with
    /// [`ErrorKind::InvalidToken`](crate::ErrorKind). No signing name is needed. A short-term
    /// key (`bedrock-api-key-…`) past its expiry fails with `InvalidToken` instead of being
    /// sent, and one sent to another region's endpoint fails with `RegionMismatch`. See
    /// [how a request is authenticated](Self#how-a-request-is-authenticated).
    ///
    /// ```
    /// let auth = reqwest_aws_auth::AwsAuth::bedrock_mantle()
    ///     .region("us-west-2")
    ///     .bearer_token("ABSK...")
    ///     .build()?;
    /// # Ok::<(), reqwest_aws_auth::Error>(())
    /// ```
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(BearerToken::new(token));
        self
    }

    /// Ask this provider for a bearer token before every request: for keys that rotate, such as
    /// the short-term keys [`bedrock::ShortTermKeyProvider`](crate::bedrock::ShortTermKeyProvider)
    /// mints. Requests sent while it is being asked share its answer; a key with an expiry
    /// ([`BearerToken::with_expiry`](crate::bedrock::BearerToken::with_expiry), or a short-term
    /// key's own) is kept until
    /// [`credential_refresh_buffer`](Self::credential_refresh_buffer) before it expires. Each
    /// call is bounded by [`credentials_timeout`](Self::credentials_timeout), and a failure is
    /// handed to the waiting requests and followed by a one-second back-off.
    pub fn bearer_token_provider(mut self, provider: impl ProvideBearerToken + 'static) -> Self {
        self.bearer_token_provider = Some(Arc::new(provider));
        self
    }

    /// Whether to read a key from `AWS_BEARER_TOKEN_BEDROCK` when nothing explicit is
    /// configured (default: `true` for the Bedrock presets, `false` for other builders).
    pub fn bearer_token_from_env(mut self, read: bool) -> Self {
        self.bearer_token_from_env = Some(read);
        self
    }

    /// Allow sending a bearer token over plain `http://` to a host that is not loopback
    /// (default `false`: such a request fails with
    /// [`ErrorKind::InsecureTransport`](crate::ErrorKind)). Only for connections protected some
    /// other way.
    pub fn allow_bearer_over_http(mut self, allow: bool) -> Self {
        self.allow_bearer_over_http = allow;
        self
    }

    /// With a short-term Bedrock API key (`bedrock-api-key-…`), take the region from the key
    /// when none is configured (`.region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile).
    /// Off by default. A key that cannot be read then fails with
    /// [`ErrorKind::InvalidToken`](crate::ErrorKind).
    pub fn region_from_bearer_token(mut self, enable: bool) -> Self {
        self.region_from_bearer_token = enable;
        self
    }

    /// Leave header names that contain `_` out of the signature. The Bedrock Mantle preset turns
    /// this on: Mantle drops such headers before it verifies a signature, so signing them would
    /// make every such request fail. They are still sent.
    pub fn skip_underscore_headers(mut self, skip: bool) -> Self {
        self.skip_underscore_headers = skip;
        self
    }

    /// Also allow credentials to go to `host`: an exact host (`api.example.com`), a host and
    /// port (`gateway.internal:8443`; without a port any port matches), or a `*.` suffix
    /// wildcard (`*.execute-api.eu-west-1.amazonaws.com`, which does not match the bare
    /// suffix). Repeatable; adds to the default scope.
    ///
    /// The default scope is AWS's own domains (`*.amazonaws.com`, `*.amazonaws.com.cn`,
    /// `*.api.aws`, `*.on.aws`: regional endpoints, Lambda function URLs, VPC endpoints, API
    /// Gateway's default hosts) and loopback; for the Bedrock presets, the Bedrock hosts of
    /// the configured region (`bedrock-mantle.{region}.api.aws`,
    /// `bedrock-runtime[-fips].{region}.amazonaws.com[.cn]`, and `bedrock-mantle-fips`) and loopback, so a Bedrock API
    /// key never goes anywhere else. A Bedrock API key on the generic builder
    /// ([`bearer_token`](Self::bearer_token), [`bearer_token_provider`](Self::bearer_token_provider))
    /// gets the Bedrock scope too: it reaches another host only when named here. A custom domain (API Gateway or OpenSearch behind your
    /// own name) needs `allow_host`. To allow *only* the hosts you name, add
    /// [`default_scope(false)`](Self::default_scope).
    ///
    /// Hosts are compared after parsing the URL: lower-cased, IDNA-encoded (`bücher.example`
    /// is `xn--bcher-kva.example`), trailing dot removed. What happens to other hosts:
    /// [`outside_scope`](Self::outside_scope).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Also allow credentials to go to URLs that start with `prefix`: the same scheme, host
    /// and port, and a path under the prefix's path (`https://gw.example.com/aws` allows
    /// `/aws` and `/aws/...`, not `/awsx`). Repeatable; adds to the default scope.
    ///
    /// The path must stay under the prefix both as written and as any server may read it
    /// (percent-decoded, `\` as `/`, `.` and `..` resolved), and is judged again after
    /// signing rewrote it: `/aws/..%2Fadmin` is refused as out of scope.
    pub fn allow_url_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.allowed_url_prefixes.push(prefix.into());
        self
    }

    /// Whether the default scope (see [`allow_host`](Self::allow_host)) is part of the scope
    /// (default `true`). With `false`, only the hosts and prefixes you allow are signed for:
    ///
    /// ```
    /// let auth = reqwest_aws_auth::AwsAuth::builder()
    ///     .service("execute-api")
    ///     .region("eu-west-1")
    ///     .default_scope(false)
    ///     .allow_host("abc123.execute-api.eu-west-1.amazonaws.com")
    ///     .build()?;
    /// # Ok::<(), reqwest_aws_auth::Error>(())
    /// ```
    pub fn default_scope(mut self, include: bool) -> Self {
        self.default_scope = Some(include);
        self
    }

    /// What to do with a request for a host outside the scope: refuse it before sending with
    /// [`ErrorKind::OutOfScope`](crate::ErrorKind) (the default), or send it on unsigned and
    /// untouched ([`OutsideScope::PassThrough`](crate::OutsideScope)), for a client shared
    /// between AWS and other hosts (webhooks, presigned URLs, OAuth endpoints).
    pub fn outside_scope(mut self, outside: OutsideScope) -> Self {
        self.outside_scope = outside;
        self
    }

    /// Whether to overwrite an `Authorization` header that the app set on a request (default
    /// `false`: such a request fails with
    /// [`ErrorKind::AuthorizationPresent`](crate::ErrorKind), because silently replacing an
    /// app's own credentials hides a bug). Headers this crate wrote on an earlier attempt are
    /// always replaced.
    pub fn replace_authorization(mut self, replace: bool) -> Self {
        self.replace_authorization = replace;
        self
    }

    /// Whether to remove a client's `x-api-key` header before signing or attaching the key
    /// (default `true` for the Bedrock and Claude presets, `false` for other builders).
    /// Anthropic's clients always send their key as `x-api-key`: a placeholder, or a real
    /// Anthropic key found in the environment, which must not reach AWS (signed, it would be
    /// forwarded to the service and into its logs). API Gateway uses `x-api-key` legitimately
    /// next to SigV4, so other builders keep and sign it. A request passed through outside the
    /// scope is left as the app wrote it.
    pub fn replace_api_key_header(mut self, replace: bool) -> Self {
        self.replace_api_key_header = Some(replace);
        self
    }

    /// The Claude Platform workspace to bill: `anthropic-workspace-id`, set on every request
    /// before signing (replacing one the app set). Required by
    /// [`AwsAuth::claude_platform`], which otherwise reads `ANTHROPIC_AWS_WORKSPACE_ID`.
    /// Surrounding whitespace is trimmed; a value that cannot be a header fails `build()`.
    pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace_id = Some(id.into());
        self
    }

    /// How many redirects the middleware follows for one request (default 10; `0` returns
    /// every redirect to the app). Each hop is signed afresh when its host is in scope, and
    /// sent without any credential (or refused, per [`outside_scope`](Self::outside_scope))
    /// when it is not: no `authorization`, no `x-amz-*` header, no cookie. A redirect never
    /// adds credentials: once a hop went without them (it left the scope, or the request was
    /// passed through unsigned), every later hop of that chain does too. This needs a reqwest client that does not follow redirects itself:
    /// build it with [`AwsAuth::client`](crate::AwsAuth::client), or with
    /// `reqwest::redirect::Policy::none()`.
    ///
    /// To follow a redirect, the middleware keeps a copy of each request it sends. With `0`
    /// and a Bedrock API key, no copy is kept. A SigV4 request is still copied, so that it can
    /// be signed again after a refusal that blames the clock or the credentials.
    pub fn max_redirects(mut self, hops: usize) -> Self {
        self.max_redirects = Some(hops);
        self
    }

    /// Where [`AwsAuth::presign`](crate::AwsAuth::presign) puts the session token of
    /// temporary credentials: signed (the default, for S3, API Gateway and most services), or
    /// appended after the signature for AWS IoT Core's MQTT over WebSocket. Header signing is
    /// not affected.
    ///
    /// ```
    /// use reqwest_aws_auth::{AwsAuth, PresignSessionToken};
    ///
    /// let iot = AwsAuth::builder()
    ///     .service("iotdevicegateway")
    ///     .region("eu-west-1")
    ///     .presign_session_token(PresignSessionToken::AppendedAfterSigning)
    ///     .build()?;
    /// # Ok::<(), reqwest_aws_auth::Error>(())
    /// ```
    pub fn presign_session_token(mut self, placement: PresignSessionToken) -> Self {
        self.presign_session_token = placement;
        self
    }

    /// Whether to sign every request with `aws-sigv4`'s own `http_request::sign` (default
    /// `false`). By default the crate builds the canonical request itself and keeps the
    /// derived signing key (which changes once a day) instead of deriving it per request; the
    /// signature maths is still `aws-sigv4`'s (`generate_signing_key`, `calculate_signature`),
    /// and CI proves both paths byte-equal on AWS's test suite, botocore's fixtures and random
    /// requests. `true` is the slow path, kept for comparison (see `BENCHMARKS.md`).
    ///
    /// Unstable: a benchmark switch, outside the documented API; it may change or go in any
    /// release.
    #[doc(hidden)]
    pub fn sign_with_aws_sigv4(mut self, always: bool) -> Self {
        self.sign_with_aws_sigv4 = always;
        self
    }

    /// Validates the settings and builds the middleware. No I/O happens here.
    ///
    /// Fails with [`ErrorKind::InvalidConfig`](crate::ErrorKind) for a missing or malformed
    /// signing name or region, a malformed header name, or two credential sources at once;
    /// and, in a build without feature `default-https-client`, when the default chain would
    /// be used (it cannot load without an HTTP client: pass `.sdk_config(..)` instead). What
    /// was given is checked whichever way requests end up authenticated: a malformed header
    /// name or signing name fails a bearer-token setup too.
    pub fn build(self) -> Result<AwsAuth, Error> {
        self.header_policy()?;
        self.streaming.validate()?;
        if let Some(service) = &self.service {
            validate_service(Some(service))?;
        }
        let mode = match self.bearer()? {
            Some(bearer) => Mode::Bearer(bearer),
            None => Mode::SigV4(self.sigv4()?),
        };
        #[cfg(feature = "sigv4a")]
        self.check_region_set(matches!(mode, Mode::Bearer(_)))?;
        let policy = self.policy(matches!(mode, Mode::Bearer(_)))?;
        Ok(AwsAuth {
            inner: Arc::new(Setup { mode, policy }),
        })
    }

    /// The bearer mode, when the precedence rule (see
    /// [how a request is authenticated](Self#how-a-request-is-authenticated)) picks one.
    fn bearer(&self) -> Result<Option<Bearer>, Error> {
        let mut explicit: Vec<&str> = Vec::new();
        if self.bearer_token.is_some() {
            explicit.push("bearer_token");
        }
        if self.bearer_token_provider.is_some() {
            explicit.push("bearer_token_provider");
        }
        explicit.extend(self.source.sources.methods());
        if let [first, second, ..] = explicit.as_slice() {
            return Err(Error::invalid_config(format!(
                "two ways to authenticate were configured (`.{first}(...)` and `.{second}(...)`): \
                 keep exactly one"
            )));
        }
        let token = if let Some(token) = &self.bearer_token {
            TokenSource::Static(Arc::new(Prepared::new(token.clone())?))
        } else if let Some(provider) = &self.bearer_token_provider {
            TokenSource::provider(provider.clone(), self.source.cache_settings()?)
        } else if let Some(token) = self.env_token()? {
            TokenSource::Static(Arc::new(Prepared::new(token)?))
        } else {
            return Ok(None);
        };
        if let Some(region) = &self.source.region {
            validate_region(region)?;
        }
        let region = RegionRule {
            configured: self.source.region.clone(),
            profile: self.source.profile.clone(),
            from_environment: self.bedrock_preset,
            from_token: self.region_from_bearer_token,
        };
        Ok(Some(Bearer::new(
            token,
            region,
            self.allow_bearer_over_http,
            self.source.time(),
        )))
    }

    /// `AWS_BEARER_TOKEN_BEDROCK`, when the precedence rule lets it count: no explicit
    /// credentials or profile, and a Bedrock preset or `bearer_token_from_env(true)`.
    fn env_token(&self) -> Result<Option<BearerToken>, Error> {
        // A profile named on the builder is a choice of AWS credentials, as openai-python's
        // Bedrock provider reads it: the variable must not override it.
        if !self.source.sources.is_empty()
            || self.source.profile.is_some()
            || !self.bearer_token_from_env.unwrap_or(self.bedrock_preset)
        {
            return Ok(None);
        }
        let var = if self.claude_platform {
            CLAUDE_API_KEY_ENV
        } else {
            BEARER_TOKEN_ENV
        };
        let Some(value) = std::env::var_os(var) else {
            return Ok(None);
        };
        let token = BearerToken::new(value.to_str().unwrap_or("\u{0}"));
        if token.is_empty() {
            return Ok(None);
        }
        Prepared::new(token.clone()).map_err(|_| {
            Error::new(
                ErrorKind::InvalidToken,
                format!(
                    "{var} holds something that cannot be sent as a bearer token \
                     (control characters, line breaks or non-UTF-8 bytes): set it to the \
                     API key, unset it to sign with AWS credentials, or call \
                     `.bearer_token_from_env(false)`"
                ),
            )
        })?;
        Ok(Some(token))
    }

    /// A region set goes only where SigV4a is signed: Bedrock (its presets, its API keys)
    /// takes one region.
    #[cfg(feature = "sigv4a")]
    fn check_region_set(&self, bearer: bool) -> Result<(), Error> {
        let Some(set) = &self.region_set else {
            return Ok(());
        };
        let with = if self.bedrock_preset {
            "the Bedrock presets (Bedrock takes SigV4 for one region)"
        } else if bearer {
            "a Bedrock API key (bearer mode has no region set)"
        } else {
            return Ok(());
        };
        Err(Error::invalid_config(format!(
            "`.sigv4a(..)` (region set `{set}`) cannot be used with {with}: remove `.sigv4a(..)`, \
             or sign with AWS credentials on `AwsAuth::builder()`"
        )))
    }

    fn sigv4(&self) -> Result<SigV4, Error> {
        // Without `.service`, `bedrock()` keeps Mantle's settings and runtime's beside them.
        let by_host = self.follow_host && self.service.is_none();
        let service = match &self.service {
            None if by_host => crate::bedrock::MANTLE_SIGNING_NAME.to_owned(),
            given => validate_service(given.as_deref())?,
        };
        let resolver = self.source.resolver()?;
        let config = |service: String| -> Result<SigningConfig, Error> {
            let mut config = SigningConfig::new(
                service,
                self.content_sha256.unwrap_or(true),
                self.header_policy()?,
                self.streaming,
            );
            config.presign_session_token = self.presign_session_token;
            config.fast_signing = !self.sign_with_aws_sigv4;
            #[cfg(feature = "sigv4a")]
            {
                config.region_set = self.region_set.clone();
            }
            Ok(config)
        };
        let runtime_by_host = match by_host {
            true => Some(Box::new(config(
                crate::bedrock::RUNTIME_SIGNING_NAME.to_owned(),
            )?)),
            false => None,
        };
        Ok(SigV4 {
            config: config(service)?,
            runtime_by_host,
            resolver,
            skew: ClockSkew::new(
                self.clock_skew_correction
                    .unwrap_or(!self.source.time_source_is_explicit),
            ),
            refused: crate::auth::hosts::PerHost::new(),
        })
    }

    /// The scope and the rules around it. A Bedrock API key is only good at Bedrock, so in
    /// bearer mode the default scope is Bedrock's hosts whatever the preset: a key must not
    /// reach any other AWS host (anyone can own a Lambda function URL on `*.on.aws`) unless
    /// the app names it with `allow_host`/`allow_url_prefix`.
    fn policy(&self, bearer: bool) -> Result<Policy, Error> {
        let base = match (self.default_scope, self.bedrock_preset || bearer) {
            (Some(false), _) => Base::None,
            (_, true) if self.claude_platform => Base::ClaudePlatform,
            (_, true) => Base::Bedrock,
            (_, false) => Base::Aws,
        };
        Ok(Policy {
            scope: Scope::new(
                base,
                &self.allowed_hosts,
                &self.allowed_url_prefixes,
                self.outside_scope,
            )?,
            replace_authorization: self.replace_authorization,
            max_redirects: self.max_redirects.unwrap_or(DEFAULT_MAX_REDIRECTS),
            remove_api_key: self.replace_api_key_header.unwrap_or(self.bedrock_preset),
            workspace_id: self.workspace()?,
        })
    }

    /// `anthropic-workspace-id`: `.workspace_id(..)`, else (for Claude Platform)
    /// `ANTHROPIC_AWS_WORKSPACE_ID`, trimmed, blank counting as unset; required there.
    fn workspace(&self) -> Result<Option<HeaderValue>, Error> {
        let from_env = || {
            std::env::var(CLAUDE_WORKSPACE_ENV)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let id = match &self.workspace_id {
            Some(id) => Some(id.trim().to_owned()),
            None if self.claude_platform => from_env(),
            None => None,
        };
        let Some(id) = id else {
            if self.claude_platform {
                return Err(Error::invalid_config(format!(
                    "Claude Platform on AWS needs the workspace to bill on every request: call \
                     `.workspace_id(\"wrkspc_...\")` on the builder or set {CLAUDE_WORKSPACE_ENV}"
                )));
            }
            return Ok(None);
        };
        match HeaderValue::from_str(&id) {
            Ok(value) if !id.is_empty() => Ok(Some(value)),
            _ => Err(Error::invalid_config(
                "`.workspace_id(...)` (or ANTHROPIC_AWS_WORKSPACE_ID) is not a valid header value: \
                 give the workspace id, such as `wrkspc_01AbCd`",
            )),
        }
    }

    fn header_policy(&self) -> Result<HeaderPolicy, Error> {
        let unsigned = self
            .unsigned_headers
            .iter()
            .map(|name| {
                HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()).map_err(|_| {
                    Error::invalid_config(format!(
                        "`.unsigned_header(\"{name}\")` is not a valid HTTP header name"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HeaderPolicy {
            unsigned,
            skip_underscore_names: self.skip_underscore_headers,
        })
    }
}
