//! Where credentials and the region come from, and the cache that keeps credentials between
//! requests.
//!
//! `aws_config`'s `SdkConfig::credentials_provider()` is not cached: every call may go to IMDS,
//! STS or SSO. [`CredentialCache`] calls the provider once per credential lifetime, refreshes
//! ahead of expiry with jitter, lets one caller refresh while the others keep using the
//! still-valid credentials, and keeps a failure only for a short back-off (see
//! [`crate::credentials::refresh`]). Credentials with an empty key id or secret are a failure too.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_types::SdkConfig;

use crate::credentials::refresh::{Fresh, LoadLimit, Refreshing};
use crate::credentials::region::resolve_region;
use crate::error::{Error, ErrorKind};
use crate::sigv4::names::validate_region;

#[cfg(all(target_os = "linux", feature = "credentials-process"))]
mod process;
pub(crate) mod refresh;
pub(crate) mod region;

/// Refresh this long before credentials expire (plus up to [`REFRESH_JITTER`]).
pub(crate) const DEFAULT_REFRESH_BUFFER: Duration = Duration::from_secs(5 * 60);
const REFRESH_JITTER: Duration = Duration::from_secs(60);
/// How long a provider (or the default chain's setup) may take to answer.
pub(crate) const DEFAULT_CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(5);
/// Credentials without an expiry are asked for again after this long, as the AWS SDK's
/// identity cache does, so that rotated keys are picked up.
pub(crate) const NO_EXPIRY_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Where the credentials come from, as the builder was told.
#[derive(Clone, Debug)]
pub(crate) enum CredentialSource {
    /// `.credentials(...)`: never change, never re-fetched.
    Static(Credentials),
    /// An explicit provider.
    Provider(SharedCredentialsProvider),
    /// A loaded `SdkConfig` (its provider, region and time source).
    SdkConfig(Box<SdkConfig>),
    /// The AWS SDK's default chain, loaded through `aws-config` on first use.
    #[cfg(feature = "default-chain")]
    DefaultChain,
}

impl CredentialSource {
    fn is_default_chain(&self) -> bool {
        #[cfg(feature = "default-chain")]
        if let Self::DefaultChain = self {
            return true;
        }
        false
    }

    /// Names the source in errors (a timeout, say).
    fn describe(&self, profile: Option<&str>) -> String {
        #[cfg(not(feature = "default-chain"))]
        let _ = profile;
        match self {
            Self::Static(_) => "the credentials given to `.credentials(...)`".into(),
            Self::Provider(_) => "the provider given to `.credentials_provider(...)`".into(),
            Self::SdkConfig(_) => {
                "the credentials provider of the SdkConfig given to `.sdk_config(...)`".into()
            }
            #[cfg(feature = "default-chain")]
            Self::DefaultChain => match profile {
                Some(p) => format!("the AWS SDK's default credential chain (profile `{p}`)"),
                None => "the AWS SDK's default credential chain".into(),
            },
        }
    }
}

/// The credential sources a builder was given, each with the builder method that set it, so
/// that two at once can be refused by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChosenSources(Vec<(&'static str, CredentialSource)>);

impl ChosenSources {
    pub(crate) fn push(&mut self, method: &'static str, source: CredentialSource) {
        self.0.push((method, source));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The builder methods that set a source, in order.
    pub(crate) fn methods(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(method, _)| *method)
    }

    /// The one source configured, if any; two are an error naming both methods.
    pub(crate) fn single(&self) -> Result<Option<CredentialSource>, Error> {
        match self.0.as_slice() {
            [] => Ok(None),
            [(_, source)] => Ok(Some(source.clone())),
            [(first, _), (second, _), ..] => Err(Error::invalid_config(format!(
                "two credential sources were configured (`.{first}(...)` and `.{second}(...)`): \
                 keep exactly one"
            ))),
        }
    }
}

/// How a [`Resolver`] loads and keeps credentials.
#[derive(Clone, Debug)]
pub(crate) struct CacheSettings {
    pub(crate) refresh_buffer: Duration,
    pub(crate) timeout: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            refresh_buffer: DEFAULT_REFRESH_BUFFER,
            timeout: DEFAULT_CREDENTIALS_TIMEOUT,
        }
    }
}

/// Where credentials and the region come from, and how they are loaded: one type behind
/// every builder that needs AWS credentials ([`AwsAuthBuilder`](crate::AwsAuthBuilder) and
/// [`ShortTermKeyProviderBuilder`](crate::bedrock::ShortTermKeyProviderBuilder)).
#[derive(Default)]
pub(crate) struct SourceSettings {
    pub(crate) region: Option<String>,
    pub(crate) profile: Option<String>,
    /// Explicit credential sources, with the builder method that set each (for conflicts).
    pub(crate) sources: ChosenSources,
    pub(crate) time_source: Option<SharedTimeSource>,
    /// Set by `.time_source(...)`: a clock the user chose is trusted as it is.
    pub(crate) time_source_is_explicit: bool,
    pub(crate) refresh_buffer: Option<Duration>,
    pub(crate) credentials_timeout: Option<Duration>,
}

impl SourceSettings {
    pub(crate) fn credentials(&mut self, credentials: Credentials) {
        self.sources
            .push("credentials", CredentialSource::Static(credentials));
    }

    pub(crate) fn credentials_provider(&mut self, provider: impl ProvideCredentials + 'static) {
        self.sources.push(
            "credentials_provider",
            CredentialSource::Provider(SharedCredentialsProvider::new(provider)),
        );
    }

    /// The `SdkConfig`'s provider, region and (unless one was set) time source.
    pub(crate) fn sdk_config(&mut self, config: &SdkConfig) {
        self.sources.push(
            "sdk_config",
            CredentialSource::SdkConfig(Box::new(config.clone())),
        );
        if self.time_source.is_none() {
            self.time_source = config.time_source();
        }
    }

    pub(crate) fn time_source(&mut self, time_source: impl TimeSource + 'static) {
        self.time_source = Some(SharedTimeSource::new(time_source));
        self.time_source_is_explicit = true;
    }

    pub(crate) fn time(&self) -> SharedTimeSource {
        self.time_source.clone().unwrap_or_default()
    }

    pub(crate) fn cache_settings(&self) -> Result<CacheSettings, Error> {
        let defaults = CacheSettings::default();
        let timeout = self.credentials_timeout.unwrap_or(defaults.timeout);
        if timeout.is_zero() {
            return Err(Error::invalid_config(
                "`.credentials_timeout(...)` must be longer than zero: every load would fail",
            ));
        }
        Ok(CacheSettings {
            refresh_buffer: self.refresh_buffer.unwrap_or(defaults.refresh_buffer),
            timeout,
        })
    }

    /// Checks what was configured; `Ok` means a first request can try to load credentials.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(region) = &self.region {
            validate_region(region)?;
        }
        self.sources.single()?;
        self.cache_settings()?;
        #[cfg(not(feature = "default-chain"))]
        if self.profile.is_some() {
            return Err(Error::invalid_config(
                "`.profile(...)` needs the shared config files, which this build of \
                 reqwest-aws-auth cannot read: enable its `default-chain` feature, or pass the \
                 credentials with `.credentials(...)`, `.credentials_provider(...)` or \
                 `.sdk_config(...)` and the region with `.region(...)`",
            ));
        }
        Ok(())
    }

    /// The resolver for these settings: nothing is loaded until the first request.
    pub(crate) fn resolver(&self) -> Result<Resolver, Error> {
        self.validate()?;
        let source = match self.sources.single()? {
            Some(source) => source,
            #[cfg(feature = "default-chain")]
            None => default_chain()?,
            #[cfg(not(feature = "default-chain"))]
            None => {
                return Err(Error::new(
                    ErrorKind::NoCredentials,
                    "no credentials configured, and the AWS SDK's default credential chain is \
                     not compiled into this build of reqwest-aws-auth: pass them with \
                     `.credentials(...)`, `.credentials_provider(...)` or `.sdk_config(...)`, \
                     or enable the crate's `default-chain` feature",
                ));
            }
        };
        Ok(Resolver::new(
            source,
            self.profile.clone(),
            self.region.clone(),
            self.time(),
            self.cache_settings()?,
        ))
    }
}

/// The default chain, when it can load: without an HTTP client, aws-config panics at its first
/// load (in the caller's task), even when the environment holds keys.
#[cfg(feature = "default-chain")]
fn default_chain() -> Result<CredentialSource, Error> {
    if cfg!(feature = "default-https-client") {
        return Ok(CredentialSource::DefaultChain);
    }
    Err(Error::invalid_config(
        "no credentials configured, and the AWS SDK's default credential chain in this build of \
         reqwest-aws-auth has no HTTP client to load them with (its `default-https-client` \
         feature is off): enable `default-https-client`, or load an `SdkConfig` with your own \
         HTTP client and pass it with `.sdk_config(..)`, or pass `.credentials(..)` or \
         `.credentials_provider(..)`",
    ))
}

/// The region (as the builder was told), resolved lazily with the credential source.
#[derive(Debug)]
pub(crate) struct Resolver {
    setup: Arc<Setup>,
    /// What the first successful resolution gave, for a borrow that lives as long as `self`.
    resolved: OnceLock<Arc<Resolved>>,
    /// The resolution, run once (single-flight, bounded, outliving its callers, backed off
    /// after a failure) like every other load.
    resolving: Refreshing<Arc<Resolved>>,
}

/// What a resolution needs, shared with the task that runs it.
#[derive(Debug)]
struct Setup {
    source: CredentialSource,
    profile: Option<String>,
    region: Option<String>,
    time: SharedTimeSource,
    settings: CacheSettings,
}

/// What the first request resolved: shared by every later request.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) region: String,
    pub(crate) cache: CredentialCache,
}

impl Resolver {
    pub(crate) fn new(
        source: CredentialSource,
        profile: Option<String>,
        region: Option<String>,
        time: SharedTimeSource,
        settings: CacheSettings,
    ) -> Self {
        let setup = Setup {
            source,
            profile,
            region,
            time,
            settings,
        };
        Self {
            resolving: Refreshing::new(setup.limit()),
            setup: Arc::new(setup),
            resolved: OnceLock::new(),
        }
    }

    pub(crate) fn time(&self) -> &SharedTimeSource {
        &self.setup.time
    }

    pub(crate) fn configured_region(&self) -> Option<&str> {
        self.setup.region.as_deref()
    }

    pub(crate) fn profile(&self) -> Option<&str> {
        self.setup.profile.as_deref()
    }

    /// Resolves region and provider once; concurrent first callers wait for the same load,
    /// which is bounded by the credentials timeout and runs to its end even if they give up.
    /// A failure is kept for the back-off only: the next request after it tries again.
    pub(crate) async fn resolve(&self) -> Result<&Resolved, Error> {
        if let Some(resolved) = self.resolved.get() {
            return Ok(resolved);
        }
        // Boxed: loading the default chain is a large future, and every request's future
        // would carry its space.
        Box::pin(async {
            let setup = Arc::clone(&self.setup);
            let resolved = self
                .resolving
                .get(
                    || self.setup.time.now(),
                    "credentials source",
                    |_| async move { setup.load().await },
                )
                .await?;
            Ok(&**self.resolved.get_or_init(|| resolved))
        })
        .await
    }

    /// What an earlier request resolved, if any.
    pub(crate) fn resolved(&self) -> Option<&Resolved> {
        self.resolved.get().map(|resolved| &**resolved)
    }
}

impl Setup {
    fn limit(&self) -> LoadLimit {
        LoadLimit {
            timeout: self.settings.timeout,
            provider: self.source.describe(self.profile.as_deref()),
        }
    }

    async fn load(&self) -> Result<Fresh<Arc<Resolved>>, Error> {
        let region = match (&self.region, &self.source) {
            (Some(region), _) => region.clone(),
            (None, CredentialSource::SdkConfig(config)) if config.region().is_some() => {
                config.region().map(|r| r.to_string()).unwrap_or_default()
            }
            (None, _) => resolve_region(self.profile.as_deref()).await?,
        };
        let provider = match &self.source {
            CredentialSource::Static(credentials) => {
                SharedCredentialsProvider::new(credentials.clone())
            }
            CredentialSource::Provider(provider) => provider.clone(),
            CredentialSource::SdkConfig(config) => {
                config.credentials_provider().ok_or_else(|| {
                    Error::new(
                        ErrorKind::NoCredentials,
                        "the SdkConfig passed to `.sdk_config(...)` has no credentials provider: \
                         load it with `aws_config::load_defaults(...)` or set one with \
                         `.credentials_provider(...)`",
                    )
                })?
            }
            #[cfg(feature = "default-chain")]
            CredentialSource::DefaultChain => {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .region(aws_types::region::Region::new(region.clone()));
                if let Some(profile) = &self.profile {
                    loader = loader.profile_name(profile);
                }
                let config = loader.load().await;
                config
                    .credentials_provider()
                    .ok_or_else(|| no_credentials(self.profile.as_deref(), None))?
            }
        };
        // The providers aws-config builds may run a `credential_process`; the app's own
        // provider and static keys do not (as far as this crate can know).
        #[cfg(all(target_os = "linux", feature = "credentials-process"))]
        let processes = match &self.source {
            CredentialSource::SdkConfig(_) => process::Commands::configured().await,
            #[cfg(feature = "default-chain")]
            CredentialSource::DefaultChain => process::Commands::configured().await,
            _ => process::Commands::default(),
        };
        tracing::debug!(region = %region, provider = ?provider, "resolved AWS region and credentials provider");
        Ok(Fresh {
            value: Arc::new(Resolved {
                region,
                cache: CredentialCache::new(
                    provider,
                    self.time.clone(),
                    self.settings.refresh_buffer,
                    self.limit(),
                    Origin {
                        name: self.limit().provider,
                        profile: self.profile.clone(),
                        default_chain: self.source.is_default_chain(),
                        fixed: matches!(self.source, CredentialSource::Static(_)),
                        #[cfg(all(target_os = "linux", feature = "credentials-process"))]
                        processes,
                    },
                ),
            }),
            refresh_at: None,
            expires_at: None,
        })
    }
}

/// What to do when the default chain finds nothing usable.
const CHAIN_FIX: &str = "run `aws configure` or `aws sso login`, set AWS_PROFILE or \
     AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass `.credentials(...)` to the builder";

/// One paragraph: what was tried (with each source's own reason when the SDK's chain gave
/// them) and the fix. The SDK's error is not kept as the source: its chain is the same list
/// again, and apps that print `source()` chains would show every source twice.
fn no_credentials(profile: Option<&str>, cause: Option<&CredentialsError>) -> Error {
    let profile_hint = match profile {
        Some(p) => format!(" (profile `{p}`)"),
        None => String::new(),
    };
    let tried = cause.and_then(|c| chain_attempts(c)).unwrap_or_else(|| {
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared config and credentials files \
         (~/.aws/config, ~/.aws/credentials: static keys, SSO, credential_process, assume-role, \
         web identity, `aws login`), then container and instance metadata"
            .to_owned()
    });
    Error::new(
        ErrorKind::NoCredentials,
        format!(
            "no AWS credentials found{profile_hint}. Tried the AWS SDK's default chain: {tried}. \
             Fix: {CHAIN_FIX}"
        ),
    )
}

/// The sources the SDK's default chain tried and why each had nothing, on one line:
/// `Environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set), Profile (~/.aws/config,
/// ~/.aws/credentials: nothing), ...`. `None` unless the chain listed them (its
/// `Attempted:` lines), so that an unexpected shape falls back to the fixed list.
fn chain_attempts(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    const NOT_ENABLED: &str = "the credential provider was not enabled";
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if let Some((_, list)) = text.split_once("Attempted:") {
            let mut attempts = Vec::new();
            for line in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let (name, reason) = line.split_once(": ").unwrap_or((line, NOT_ENABLED));
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                let reason = reason
                    .strip_prefix(NOT_ENABLED)
                    .map(|r| r.trim_start_matches(": "))
                    .unwrap_or(reason);
                let reason = match (name, reason) {
                    ("Environment", "" | "environment variable not set") => {
                        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set"
                    }
                    ("Profile", "") => {
                        "~/.aws/config, ~/.aws/credentials: no static keys, SSO, \
                         credential_process, assume-role or `aws login`"
                    }
                    (_, "") => "nothing",
                    (_, reason) => reason,
                };
                attempts.push(format!("{name} ({reason})"));
            }
            return (!attempts.is_empty()).then(|| attempts.join(", "));
        }
        current = e.source();
    }
    None
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// `default_chain`: the provider is the SDK's chain, whose last sources (container and
/// instance metadata) fail when nothing earlier had credentials: say how to configure some.
/// The provider's error chain is in the message, on one line, and not kept again as the
/// source, so that it is printed once however the app prints errors.
fn provider_error(err: CredentialsError, profile: Option<&str>, default_chain: bool) -> Error {
    let chain_fix = if default_chain {
        format!(". To configure credentials: {CHAIN_FIX}")
    } else {
        String::new()
    };
    let cause = || error_chain(&err).replace('\n', " ");
    match &err {
        CredentialsError::CredentialsNotLoaded(_) => no_credentials(profile, Some(&err)),
        CredentialsError::ProviderTimedOut(_) => Error::new(
            ErrorKind::CredentialsProvider,
            format!(
                "the AWS credentials provider timed out ({}); try again, and check that the \
                 metadata or SSO endpoint it uses is reachable{chain_fix}",
                cause()
            ),
        )
        .retryable(true),
        CredentialsError::InvalidConfiguration(_) => Error::new(
            ErrorKind::CredentialsProvider,
            format!(
                "the AWS credentials configuration is invalid ({}); fix the profile or \
                 environment it names",
                cause()
            ),
        ),
        _ => Error::new(
            ErrorKind::CredentialsProvider,
            format!(
                "the AWS credentials provider failed ({}); if an SSO session expired run \
                 `aws sso login`{chain_fix}",
                cause()
            ),
        )
        .retryable(true),
    }
}

/// What the cache needs to know about where its credentials come from.
#[derive(Debug)]
pub(crate) struct Origin {
    /// Names the source in errors, e.g. "the provider given to `.credentials_provider(...)`".
    name: String,
    profile: Option<String>,
    default_chain: bool,
    /// Static credentials: they never change, so they never expire by default either.
    fixed: bool,
    /// What a timed-out load may have left running.
    #[cfg(all(target_os = "linux", feature = "credentials-process"))]
    processes: process::Commands,
}

/// One per `AwsAuth`, shared by its clones.
#[derive(Debug)]
pub(crate) struct CredentialCache {
    provider: SharedCredentialsProvider,
    time: SharedTimeSource,
    buffer: Duration,
    origin: Arc<Origin>,
    cache: Refreshing<Credentials>,
    jitter_seed: Mutex<u64>,
}

impl CredentialCache {
    pub(crate) fn new(
        provider: SharedCredentialsProvider,
        time: SharedTimeSource,
        buffer: Duration,
        limit: LoadLimit,
        origin: Origin,
    ) -> Self {
        Self {
            provider,
            time,
            buffer,
            origin: Arc::new(origin),
            cache: Refreshing::new(limit),
            jitter_seed: Mutex::new(std::collections::hash_map::RandomState::new().hash_one(0u8)),
        }
    }

    /// The cached credentials when no load or refresh is due now.
    pub(crate) fn fresh(&self) -> Option<Credentials> {
        self.cache.fresh(self.time.now())
    }

    /// Credentials valid now: cached, refreshed early by one caller, or loaded.
    pub(crate) async fn get(&self) -> Result<Credentials, Error> {
        self.cache
            .get(|| self.time.now(), "AWS credentials", |now| self.load(now))
            .await
    }

    /// Forgets `refused` (credentials a service said are expired or unknown), so that the
    /// next request loads new ones. Static credentials are kept: asking again changes nothing.
    /// Returns whether they were dropped.
    pub(crate) fn invalidate(&self, refused: &Credentials) -> bool {
        if self.origin.fixed {
            return false;
        }
        let dropped = self.cache.invalidate(|cached| same(cached, refused));
        if dropped {
            tracing::warn!(
                access_key_id = refused.access_key_id(),
                "the service refused the cached AWS credentials as expired or unknown; loading new ones"
            );
        }
        dropped
    }

    /// One load, as a future of its own: it runs as a task, which outlives the request that
    /// started it.
    fn load(
        &self,
        now: SystemTime,
    ) -> impl Future<Output = Result<Fresh<Credentials>, Error>> + Send + 'static {
        let provider = self.provider.clone();
        let origin = Arc::clone(&self.origin);
        let lead = self.buffer + REFRESH_JITTER.mul_f64(self.next_jitter_fraction());
        async move {
            #[cfg(all(target_os = "linux", feature = "credentials-process"))]
            let guard = process::Guard::arm(&origin.processes);
            let credentials = provider.provide_credentials().await;
            #[cfg(all(target_os = "linux", feature = "credentials-process"))]
            guard.disarm();
            let credentials = credentials
                .map_err(|e| provider_error(e, origin.profile.as_deref(), origin.default_chain))?;
            check_keys(&credentials, &origin.name)?;
            let expires_at = credentials.expiry();
            if expires_at.is_some_and(|at| at <= now) {
                return Err(Error::new(
                    ErrorKind::CredentialsProvider,
                    "the AWS credentials provider returned credentials that have already \
                     expired: renew them (for SSO, run `aws sso login`)",
                ));
            }
            tracing::debug!(
                access_key_id = credentials.access_key_id(),
                ?expires_at,
                "loaded AWS credentials"
            );
            // Without an expiry, ask again after a while (keys get rotated); static ones never
            // change.
            let expires_at = match expires_at {
                None if !origin.fixed => Some(now + NO_EXPIRY_LIFETIME),
                other => other,
            };
            Ok(Fresh {
                refresh_at: expires_at.map(|at| refresh_time(now, at, lead)),
                expires_at,
                value: credentials,
            })
        }
    }

    fn next_jitter_fraction(&self) -> f64 {
        let mut seed = self
            .jitter_seed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(*seed);
        *seed = hasher.finish();
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `lead` (the buffer plus jitter) before expiry, but never earlier than half-way through the
/// lifetime, so that short-lived credentials are still used for a while.
fn refresh_time(now: SystemTime, expires_at: SystemTime, lead: Duration) -> SystemTime {
    let lifetime = expires_at.duration_since(now).unwrap_or_default();
    expires_at - lead.min(lifetime / 2)
}

/// Refuses credentials with an empty key id or secret: signed, they would go out as
/// `Credential=/20261207/...`, which no service accepts, and say nothing about why.
fn check_keys(credentials: &Credentials, source: &str) -> Result<(), Error> {
    let empty = match (
        credentials.access_key_id().trim().is_empty(),
        credentials.secret_access_key().trim().is_empty(),
    ) {
        (false, false) => return Ok(()),
        (true, false) => "an empty access key id",
        (false, true) => "an empty secret access key",
        (true, true) => "an empty access key id and secret access key",
    };
    Err(Error::new(
        ErrorKind::CredentialsProvider,
        format!(
            "{source} gave credentials with {empty}, so the request was not sent: check where \
             the keys come from (an unset variable, an empty field in the profile or the \
             provider's answer)"
        ),
    ))
}

/// The same identity: a service that refused one refuses the other.
pub(crate) fn same(a: &Credentials, b: &Credentials) -> bool {
    a.access_key_id() == b.access_key_id()
        && a.secret_access_key() == b.secret_access_key()
        && a.session_token() == b.session_token()
}
