//! Minting short-term Bedrock API keys from AWS credentials, as AWS's own token generators
//! (`aws-bedrock-token-generator` for Python, Java, JavaScript) do.
//!
//! A key is a SigV4 query-presigned `POST https://bedrock.amazonaws.com/?Action=CallWithBearerToken`
//! (signing name `bedrock`, the target region in the scope), written without its scheme, with
//! `&Version=1` appended, base64-encoded and prefixed with `bedrock-api-key-`. Bedrock verifies
//! the presigned signature; nothing is sent to AWS to mint one.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings};
use aws_smithy_async::time::TimeSource;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_types::SdkConfig;
use base64::Engine as _;
use percent_encoding::{AsciiSet, utf8_percent_encode};

use crate::bedrock::BearerToken;
use crate::bedrock::provider::{ProvideBearerToken, ProviderError};
use crate::bedrock::token::SHORT_TERM_KEY_PREFIX;
use crate::credentials::refresh::{Fresh, LoadLimit, Refreshing};
use crate::credentials::{DEFAULT_REFRESH_BUFFER, Resolver, SourceSettings};
use crate::error::{Error, ErrorKind};
use crate::sigv4::names::validate_region;

/// The longest a short-term Bedrock API key can live: 12 hours.
pub const MAX_SHORT_TERM_KEY_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

const MINT_HOST: &str = "bedrock.amazonaws.com";
const MINT_URL: &str = "https://bedrock.amazonaws.com/?Action=CallWithBearerToken";
const MINT_SIGNING_NAME: &str = "bedrock";
/// RFC 3986 unreserved characters stay; everything else is percent-encoded (SigV4's rule).
const QUERY_VALUE: &AsciiSet = crate::sigv4::encoding::UNRESERVED;

/// Mints one short-term Bedrock API key for `region`, valid for `expires_in` from `now`.
///
/// A pure function: no I/O, and the same inputs give the same key. Fails with
/// [`ErrorKind::InvalidConfig`] if `expires_in` is under a second or over
/// [`MAX_SHORT_TERM_KEY_LIFETIME`], beyond the credentials' own expiry, or if `now` is
/// outside 1970-01-01..=9999-12-31 (the dates a SigV4 signature can carry).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use aws_credential_types::Credentials;
/// use reqwest_aws_auth::bedrock::{mint_short_term_key, parse_short_term_key};
///
/// let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, None, "static");
/// let key = mint_short_term_key(&credentials, "us-west-2", SystemTime::now(), Duration::from_secs(3600))?;
/// assert!(key.expose_secret().starts_with("bedrock-api-key-"));
/// assert_eq!(parse_short_term_key(key.expose_secret())?.region, "us-west-2");
/// # Ok::<(), reqwest_aws_auth::Error>(())
/// ```
pub fn mint_short_term_key(
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
    expires_in: Duration,
) -> Result<BearerToken, Error> {
    validate_region(region)?;
    // Before any arithmetic on `now`: aws-sigv4 panics formatting a date past 9999.
    crate::sigv4::amz_date::check(now)?;
    let expires_in = Duration::from_secs(expires_in.as_secs());
    if expires_in.is_zero() || expires_in > MAX_SHORT_TERM_KEY_LIFETIME {
        return Err(Error::invalid_config(format!(
            "a short-term Bedrock API key must live between 1 second and 12 hours, not {} s",
            expires_in.as_secs()
        )));
    }
    if credentials.expiry().is_some_and(|at| at < now + expires_in) {
        return Err(Error::invalid_config(
            "the short-term Bedrock API key would outlive the AWS credentials that sign it: \
             mint it with a shorter lifetime, or with credentials that last longer",
        ));
    }

    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    // Never None here: aws-sigv4 panics when presigning without an expiry.
    settings.expires_in = Some(expires_in);
    let identity = Identity::from(credentials.clone());
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(MINT_SIGNING_NAME)
        .time(now)
        .settings(settings)
        .build()
        .map_err(mint_error)?
        .into();
    let host = [("host", MINT_HOST)];
    let signable =
        SignableRequest::new("POST", MINT_URL, host.into_iter(), SignableBody::Bytes(&[]))
            .map_err(mint_error)?;
    // aws-sigv4's trace events show the presigned canonical query, session token included:
    // keep them out of the app's logs.
    let signed =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::new(), || {
            aws_sigv4::http_request::sign(signable, &params)
        });
    let (instructions, _) = signed.map_err(mint_error)?.into_parts();
    let (_, query) = instructions.into_parts();

    // The generator's order: Action, the signing parameters, the signature, then Version.
    let mut url = format!("{MINT_HOST}/?Action=CallWithBearerToken");
    let (signature, rest): (Vec<_>, Vec<_>) = query
        .iter()
        .partition(|(name, _)| *name == "X-Amz-Signature");
    for (name, value) in rest.into_iter().chain(signature) {
        url.push('&');
        url.push_str(name);
        url.push('=');
        url.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    url.push_str("&Version=1");
    let encoded = base64::engine::general_purpose::STANDARD.encode(url);
    Ok(BearerToken::new(format!("{SHORT_TERM_KEY_PREFIX}{encoded}")).with_expiry(now + expires_in))
}

fn mint_error(err: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(
        ErrorKind::Signing,
        format!("aws-sigv4 could not presign the Bedrock API key: {err}"),
    )
    .with_source(err)
}

/// A [`ProvideBearerToken`] that mints short-term Bedrock API keys from AWS credentials, caches
/// the current key and mints the next one before it expires.
///
/// Each key lives [`lifetime`](ShortTermKeyProviderBuilder::lifetime) (12 hours by default),
/// cut short to the credentials' own expiry. Credentials come from the AWS SDK's default chain
/// unless you pass some; they are cached like [`AwsAuth`](crate::AwsAuth)'s. Clones share the
/// cache.
///
/// ```no_run
/// use reqwest_aws_auth::AwsAuth;
/// use reqwest_aws_auth::bedrock::ShortTermKeyProvider;
///
/// let keys = ShortTermKeyProvider::builder().region("us-west-2").build()?;
/// let auth = AwsAuth::bedrock_mantle()
///     .region("us-west-2")
///     .bearer_token_provider(keys)
///     .build()?;
/// # Ok::<(), reqwest_aws_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct ShortTermKeyProvider {
    inner: std::sync::Arc<Minter>,
}

struct Minter {
    resolver: Resolver,
    lifetime: Duration,
    refresh_before: Duration,
    keys: Refreshing<BearerToken>,
}

impl ShortTermKeyProvider {
    /// Starts configuring a provider.
    pub fn builder() -> ShortTermKeyProviderBuilder {
        ShortTermKeyProviderBuilder::default()
    }

    /// A key valid now: the cached one, or a new one when the cached one is due for refresh.
    /// If minting fails while the cached key is still valid, the cached key is returned.
    pub async fn key(&self) -> Result<BearerToken, Error> {
        let inner = &self.inner;
        let minting = std::sync::Arc::clone(inner);
        inner
            .keys
            .get(
                || inner.resolver.time().now(),
                "short-term Bedrock API key",
                |now| async move { minting.mint(now).await },
            )
            .await
    }
}

impl Minter {
    async fn mint(&self, now: SystemTime) -> Result<Fresh<BearerToken>, Error> {
        let resolved = self.resolver.resolve().await?;
        let credentials = resolved.cache.get().await?;
        let mut lifetime = self.lifetime;
        if let Some(expiry) = credentials.expiry() {
            let left = expiry.duration_since(now).unwrap_or_default();
            lifetime = lifetime.min(Duration::from_secs(left.as_secs()));
        }
        if lifetime.is_zero() {
            return Err(Error::new(
                ErrorKind::CredentialsProvider,
                "the AWS credentials expire in under a second, too soon to mint a Bedrock API \
                 key: renew them (for SSO, run `aws sso login`)",
            ));
        }
        let key = mint_short_term_key(&credentials, &resolved.region, now, lifetime)?;
        let expires_at = now + lifetime;
        tracing::debug!(region = %resolved.region, lifetime_s = lifetime.as_secs(), "minted a short-term Bedrock API key");
        Ok(Fresh {
            value: key,
            refresh_at: Some(expires_at - self.refresh_before.min(lifetime / 2)),
            expires_at: Some(expires_at),
        })
    }
}

#[async_trait::async_trait]
impl ProvideBearerToken for ShortTermKeyProvider {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        Ok(self.key().await?)
    }
}

impl fmt::Debug for ShortTermKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShortTermKeyProvider")
            .field("region", &self.inner.resolver.configured_region())
            .field("profile", &self.inner.resolver.profile())
            .field("lifetime", &self.inner.lifetime)
            .field("refresh_before", &self.inner.refresh_before)
            .finish_non_exhaustive()
    }
}

/// Configures a [`ShortTermKeyProvider`]. Nothing here does I/O.
#[derive(Default)]
pub struct ShortTermKeyProviderBuilder {
    /// Region, profile, credential source, clock, and how credentials are loaded.
    source: SourceSettings,
    lifetime: Option<Duration>,
    refresh_before: Option<Duration>,
}

impl ShortTermKeyProviderBuilder {
    /// The region the keys are for: a key only works in the region it was minted for. Without
    /// it, `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region` are read.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.source.region = Some(region.into());
        self
    }

    /// The shared config profile to read credentials and region from.
    pub fn profile(mut self, profile_name: impl Into<String>) -> Self {
        self.source.profile = Some(profile_name.into());
        self
    }

    /// Mint with these credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.source.credentials(credentials);
        self
    }

    /// Mint with credentials from this provider (cached, refreshed ahead of expiry).
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.source.credentials_provider(provider);
        self
    }

    /// Take the credentials provider, region and time source from a loaded `SdkConfig`.
    pub fn sdk_config(mut self, config: &SdkConfig) -> Self {
        self.source.sdk_config(config);
        self
    }

    /// How long each key lives: at most (and by default) 12 hours, and never beyond the
    /// credentials' expiry.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// How long before a key expires to mint the next one (default 5 minutes, and never
    /// earlier than half-way through a key's life). For the credentials that sign the keys,
    /// see [`credential_refresh_buffer`](Self::credential_refresh_buffer).
    pub fn refresh_before(mut self, lead: Duration) -> Self {
        self.refresh_before = Some(lead);
        self
    }

    /// How long before the signing credentials expire to start refreshing them (default 5
    /// minutes, plus up to a minute of jitter), as
    /// [`AwsAuthBuilder::credential_refresh_buffer`](crate::AwsAuthBuilder::credential_refresh_buffer).
    pub fn credential_refresh_buffer(mut self, buffer: Duration) -> Self {
        self.source.refresh_buffer = Some(buffer);
        self
    }

    /// How long loading the credentials that sign a key may take (default 5 s); past it,
    /// minting fails with a retryable [`ErrorKind::ProviderTimeout`].
    pub fn credentials_timeout(mut self, timeout: Duration) -> Self {
        self.source.credentials_timeout = Some(timeout);
        self
    }

    /// Use this clock for minting times and expiry instead of the system clock.
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.source.time_source(time_source);
        self
    }

    /// Validates the settings. Fails with [`ErrorKind::InvalidConfig`] for a lifetime outside
    /// 1 s..=12 h, a malformed region, or two credential sources; and, in a build without
    /// feature `default-https-client`, when the default chain would be used (it cannot load
    /// without an HTTP client: pass `.sdk_config(..)` instead).
    pub fn build(self) -> Result<ShortTermKeyProvider, Error> {
        let lifetime = self.lifetime.unwrap_or(MAX_SHORT_TERM_KEY_LIFETIME);
        if lifetime.as_secs() == 0 || lifetime > MAX_SHORT_TERM_KEY_LIFETIME {
            return Err(Error::invalid_config(format!(
                "`.lifetime(...)` must be between 1 second and 12 hours, not {lifetime:?}"
            )));
        }
        let resolver = self.source.resolver()?;
        let timeout = self.source.cache_settings()?.timeout;
        Ok(ShortTermKeyProvider {
            inner: std::sync::Arc::new(Minter {
                resolver,
                lifetime: Duration::from_secs(lifetime.as_secs()),
                refresh_before: self.refresh_before.unwrap_or(DEFAULT_REFRESH_BUFFER),
                // Minting itself is pure: the bound covers resolving and loading credentials,
                // each already bounded by `timeout`.
                keys: Refreshing::new(LoadLimit {
                    timeout: timeout * 2,
                    provider: "minting a short-term Bedrock API key".into(),
                }),
            }),
        })
    }
}

impl fmt::Debug for ShortTermKeyProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShortTermKeyProviderBuilder")
            .field("region", &self.source.region)
            .field("profile", &self.source.profile)
            .field(
                "credential_sources",
                &self.source.sources.methods().collect::<Vec<_>>(),
            )
            .field("lifetime", &self.lifetime)
            .field("refresh_before", &self.refresh_before)
            .finish_non_exhaustive()
    }
}
