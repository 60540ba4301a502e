//! Bearer mode: `Authorization: Bearer <Bedrock API key>` instead of a SigV4 signature.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;
use http::HeaderValue;
use http::header::AUTHORIZATION;
use tokio::sync::OnceCell;
use url::Host;

use crate::auth::options::RequestOptions;
use crate::bedrock::BearerToken;
use crate::bedrock::endpoints::RegionOrigin;
use crate::bedrock::provider::{self, SharedBearerTokenProvider};
use crate::bedrock::token::{SHORT_TERM_KEY_PREFIX, ShortTermKeyInfo, parse_short_term_key};
use crate::credentials::CacheSettings;
use crate::credentials::refresh::{Fresh, LoadLimit, Refreshing};
use crate::credentials::region::resolve_region;
use crate::error::{Error, ErrorKind};
use crate::policy::guard::{self, Admission, Policy};
use crate::sigv4::names::validate_region;
use crate::sigv4::sign::{self, SIGNATURE_HEADERS};
use crate::wire::HttpRequest;

/// Where the token comes from.
pub(crate) enum TokenSource {
    /// `.bearer_token(...)` or `AWS_BEARER_TOKEN_BEDROCK`, prepared once at build.
    Static(Arc<Prepared>),
    /// `.bearer_token_provider(...)`.
    Provider(ProvidedTokens),
}

/// The tokens a provider gives, loaded as credentials are: one call at a time whatever the
/// number of requests waiting, bounded by the credentials timeout, run as a task of its own
/// (a request that gives up does not cancel it), a failure or panic shared and followed by a
/// back-off.
pub(crate) struct ProvidedTokens {
    provider: SharedBearerTokenProvider,
    refresh_buffer: Duration,
    tokens: Refreshing<Arc<Prepared>>,
}

impl ProvidedTokens {
    async fn get(&self, time: &SharedTimeSource) -> Result<Arc<Prepared>, Error> {
        self.tokens
            .get(|| time.now(), "bearer token", |now| self.load(now))
            .await
    }

    fn load(
        &self,
        now: SystemTime,
    ) -> impl Future<Output = Result<Fresh<Arc<Prepared>>, Error>> + Send + 'static {
        let provider = Arc::clone(&self.provider);
        let last = self.tokens.last();
        let buffer = self.refresh_buffer;
        async move {
            let token = provider::provide(provider.as_ref()).await?;
            // The same token again needs no new header.
            let prepared = match last {
                Some(last)
                    if last.token.expose_secret() == token.expose_secret()
                        && last.token.expires_at() == token.expires_at() =>
                {
                    last
                }
                _ => Arc::new(Prepared::new(token)?),
            };
            let (refresh_at, expires_at) = match prepared.expires_at {
                // Kept until shortly before it expires: `buffer`, or half of what is left.
                Some(at) => {
                    let left = at.duration_since(now).unwrap_or_default();
                    (Some(at - buffer.min(left / 2)), Some(at))
                }
                // Nothing says how long it lasts: the provider is asked for every request
                // (the requests that arrive during a call share it).
                None => (Some(now), Some(now)),
            };
            Ok(Fresh {
                value: prepared,
                refresh_at,
                expires_at,
            })
        }
    }
}

/// A token with what every request needs from it, computed once per token: the header value,
/// and for a short-term key its expiry and region.
pub(crate) struct Prepared {
    token: BearerToken,
    header: HeaderValue,
    expires_at: Option<SystemTime>,
    key_region: Option<String>,
}

impl Prepared {
    pub(crate) fn new(token: BearerToken) -> Result<Self, Error> {
        let header = header_value(&token)?;
        let key = token
            .expose_secret()
            .starts_with(SHORT_TERM_KEY_PREFIX)
            .then(|| parse_short_term_key(token.expose_secret()).ok())
            .flatten();
        Ok(Self {
            expires_at: token
                .expires_at()
                .or(key.as_ref().map(ShortTermKeyInfo::expires_at)),
            key_region: key.map(|k| k.region),
            header,
            token,
        })
    }
}

impl TokenSource {
    /// A provider's tokens, loaded within `settings.timeout` and refreshed
    /// `settings.refresh_buffer` before a known expiry.
    pub(crate) fn provider(provider: SharedBearerTokenProvider, settings: CacheSettings) -> Self {
        TokenSource::Provider(ProvidedTokens {
            provider,
            refresh_buffer: settings.refresh_buffer,
            tokens: Refreshing::new(LoadLimit {
                timeout: settings.timeout,
                provider: "the bearer-token provider given to `.bearer_token_provider(...)`".into(),
            }),
        })
    }

    async fn prepared(&self, time: &SharedTimeSource) -> Result<Arc<Prepared>, Error> {
        match self {
            TokenSource::Static(prepared) => Ok(prepared.clone()),
            TokenSource::Provider(tokens) => tokens.get(time).await,
        }
    }
}

/// How the region a bearer request is keyed for is found.
#[derive(Debug, Default)]
pub(crate) struct RegionRule {
    /// `.region(...)`.
    pub(crate) configured: Option<String>,
    pub(crate) profile: Option<String>,
    /// Bedrock presets: AWS_REGION, AWS_DEFAULT_REGION, the profile, and an error if none.
    pub(crate) from_environment: bool,
    /// `.region_from_bearer_token(true)`: the short-term key's own region, after the rest.
    pub(crate) from_token: bool,
}

/// The bearer-token mode of [`AwsAuth`](crate::AwsAuth).
pub(crate) struct Bearer {
    source: TokenSource,
    region: RegionRule,
    allow_http: bool,
    time: SharedTimeSource,
    resolved_region: OnceCell<Option<String>>,
}

impl Bearer {
    pub(crate) fn new(
        source: TokenSource,
        region: RegionRule,
        allow_http: bool,
        time: SharedTimeSource,
    ) -> Self {
        Self {
            source,
            region,
            allow_http,
            time,
            resolved_region: OnceCell::new(),
        }
    }

    /// Replaces any earlier SigV4 headers with `Authorization: Bearer …`, after checking the
    /// scope, the transport, the token's expiry and the endpoint's region. Returns `false`
    /// (and leaves the request untouched) for a host outside the scope that is to pass through.
    pub(crate) async fn authorize(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
    ) -> Result<bool, Error> {
        if let Some(outcome) = self.authorize_ready(request, options, policy) {
            return outcome;
        }
        // Boxed: asking a provider for the token, or finding the region the first time, is
        // not every request's cost.
        Box::pin(self.authorize_waiting(request, options, policy)).await
    }

    /// Authorises at once when nothing has to be waited for: a static token and a region
    /// found already. `None` otherwise, before anything is changed.
    pub(crate) fn authorize_ready(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
    ) -> Option<Result<bool, Error>> {
        let TokenSource::Static(prepared) = &self.source else {
            return None;
        };
        let region = match &options.region {
            Some(region) => Some(region.as_str()),
            None => self.resolved_region.get()?.as_deref(),
        };
        Some(self.apply(request, options, policy, prepared, region))
    }

    async fn authorize_waiting(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
    ) -> Result<bool, Error> {
        let prepared = self.source.prepared(&self.time).await?;
        let region = match &options.region {
            Some(region) => Some(region.as_str()),
            None => self.region(&prepared.token).await?,
        };
        self.apply(request, options, policy, &prepared, region)
    }

    /// The checks (scope, transport, the key's expiry and region, an `authorization` the app
    /// set) and the header.
    fn apply(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
        prepared: &Prepared,
        region: Option<&str>,
    ) -> Result<bool, Error> {
        if let Some(region) = &options.region {
            validate_region(region)?;
        }
        let ours = Some(prepared.header.as_bytes());
        // The configured region, and the key's own when it differs (a key only works in the
        // region that issued it).
        let key_region = prepared
            .key_region
            .as_deref()
            .filter(|key_region| region != Some(*key_region));
        let endpoint = region
            .map(|region| (region, RegionOrigin::Configured))
            .into_iter()
            .chain(key_region.map(|region| (region, RegionOrigin::Token)));
        if guard::admit(request, policy, ours, endpoint)? == Admission::PassThrough {
            return Ok(false);
        }
        check_transport(request.url(), self.allow_http)?;
        if let Some(at) = prepared.expires_at {
            let now = self.time.now();
            // A clock outside 1970..=9999 would call a live key expired, or a dead one live.
            crate::sigv4::amz_date::check(now)?;
            if at <= now {
                return Err(expired(now, at));
            }
        }

        let headers = request.headers_mut();
        policy.edit_headers(headers);
        // Any earlier signature's headers (`authorization` is replaced just below).
        sign::remove_headers(headers, &SIGNATURE_HEADERS[1..]);
        headers.insert(AUTHORIZATION, prepared.header.clone());
        tracing::debug!(
            method = %request.method(),
            url = %crate::sigv4::log::RedactedUrl(request.url()),
            "authorised request with a bearer token"
        );
        Ok(true)
    }

    /// The region the setup is keyed for, found once (see [`RegionRule`]).
    async fn region(&self, token: &BearerToken) -> Result<Option<&str>, Error> {
        if let Some(region) = self.resolved_region.get() {
            return Ok(region.as_deref());
        }
        // Boxed: the first request's lookup is not every request's cost.
        let region = Box::pin(self.resolved_region.get_or_try_init(|| async {
            let rule = &self.region;
            if let Some(region) = &rule.configured {
                return Ok(Some(region.clone()));
            }
            if rule.from_environment {
                match resolve_region(rule.profile.as_deref()).await {
                    Ok(region) => return Ok(Some(region)),
                    Err(err) if err.kind() != ErrorKind::NoRegion => return Err(err),
                    Err(_) => {}
                }
            }
            if rule.from_token {
                return match parse_short_term_key(token.expose_secret()) {
                    Ok(info) => Ok(Some(info.region)),
                    Err(err) => Err(Error::new(
                        ErrorKind::InvalidToken,
                        format!(
                            "no region is configured and `.region_from_bearer_token(true)` \
                                 could not read one from the token ({err}): set the region with \
                                 `.region(\"...\")` or AWS_REGION"
                        ),
                    )),
                };
            }
            if rule.from_environment {
                return Err(no_region());
            }
            Ok(None)
        }))
        .await?;
        Ok(region.as_deref())
    }
}

/// The `Authorization` value, marked sensitive so that it never shows in `Debug` output.
fn header_value(token: &BearerToken) -> Result<HeaderValue, Error> {
    if token.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidToken,
            "the bearer token is empty: pass the Bedrock API key (or unset \
             AWS_BEARER_TOKEN_BEDROCK to sign with AWS credentials instead)",
        ));
    }
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::new(
                ErrorKind::InvalidToken,
                "the bearer token contains characters that cannot go in an HTTP header \
                 (control characters or line breaks): check how it was copied",
            )
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Refuses `http://` to anything but loopback unless allowed: a bearer token in clear text can
/// be read and replayed by anyone on the path.
fn check_transport(url: &url::Url, allow_http: bool) -> Result<(), Error> {
    if url.scheme() != "http" || allow_http {
        return Ok(());
    }
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    };
    if loopback {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::InsecureTransport,
        format!(
            "refusing to send a bearer token over plain http:// to `{}`, where anyone on the \
             path could read and reuse it: use https://, or call `.allow_bearer_over_http(true)` \
             on the builder if the connection is protected another way (a local proxy, a VPN)",
            url.host_str().unwrap_or_default()
        ),
    ))
}

fn expired(now: SystemTime, at: SystemTime) -> Error {
    let ago = now.duration_since(at).unwrap_or_default().as_secs();
    Error::new(
        ErrorKind::InvalidToken,
        format!(
            "the Bedrock API key expired {ago} s ago: create a new one (short-term keys last at \
             most 12 hours; `bedrock::ShortTermKeyProvider` mints them from AWS credentials)"
        ),
    )
}

fn no_region() -> Error {
    Error::new(
        ErrorKind::NoRegion,
        "no AWS region configured for the Bedrock API key: call `.region(\"us-east-1\")` on the \
         builder, or set AWS_REGION (AWS_DEFAULT_REGION and a profile's `region` are read too); \
         for a short-term key (`bedrock-api-key-…`), `.region_from_bearer_token(true)` takes \
         the region it was issued in",
    )
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            TokenSource::Static(_) => "static token",
            TokenSource::Provider(..) => "provider",
        };
        f.debug_struct("Bearer")
            .field("token", &source)
            .field("region", &self.region)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}
