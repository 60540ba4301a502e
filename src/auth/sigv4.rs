//! The SigV4 way of authenticating: region → the guard → body → credentials → sign (with the
//! clock offset learned from refusals). It never sends: the exchange sends, and asks it to sign
//! again after a refusal that blames the clock or the credentials.

use std::borrow::Cow;

use aws_credential_types::Credentials;
use tokio::time::Instant;

use std::sync::Arc;

use crate::auth::clock::ClockSkew;
use crate::auth::hosts::{HostKey, PerHost};
use crate::auth::options::RequestOptions;
use crate::bedrock::endpoints::RegionOrigin;
use crate::credentials::{self, Resolver};
use crate::error::Error;
use crate::policy::guard::{self, Admission, Policy};
use crate::sigv4::body_hash::{self, RememberedHash};
use crate::sigv4::names::{validate_region, validate_service};
use crate::sigv4::settings::{SigningConfig, StreamingBody};
use crate::sigv4::sign;
use crate::wire::{HttpRequest, Payload};

/// After fresh credentials were refused by a host too, its refusals are passed on to the app
/// for this long without dropping credentials or sending again: a host that refuses every
/// request must not turn each into two, nor reload credentials for each.
pub(crate) const REFUSED_HOST_BACKOFF: std::time::Duration = std::time::Duration::from_secs(5 * 60);

pub(crate) struct SigV4 {
    pub(crate) config: SigningConfig,
    /// For [`AwsAuth::bedrock`](crate::AwsAuth::bedrock) without `.service(..)`: the settings
    /// of a bedrock-runtime host (`bedrock`) and of a Mantle host (`bedrock-mantle`, which
    /// `config` holds), picked by each request's host.
    pub(crate) runtime_by_host: Option<Box<SigningConfig>>,
    pub(crate) resolver: Resolver,
    pub(crate) skew: ClockSkew,
    /// Hosts that refused fresh credentials, and when.
    pub(crate) refused: PerHost<Instant>,
}

/// What signing used, for deciding what a refusal means.
pub(crate) struct Signed {
    pub(crate) offset: i64,
    pub(crate) credentials: Credentials,
}

/// What was done to a request before sending it.
pub(crate) enum Outcome<T> {
    /// Signed (or given the bearer key).
    Authenticated(T),
    /// Outside the scope, passed through untouched.
    Unsigned,
}

/// The settings for one request: the builder's, or a copy with the request's overrides.
fn config_for<'a>(
    config: &'a SigningConfig,
    options: &RequestOptions,
) -> Result<Cow<'a, SigningConfig>, Error> {
    #[cfg(feature = "sigv4a")]
    let region_set = options.region_set.as_ref();
    #[cfg(not(feature = "sigv4a"))]
    let region_set: Option<()> = None;
    if options.service.is_none() && options.streaming_body.is_none() && region_set.is_none() {
        return Ok(Cow::Borrowed(config));
    }
    let service = match &options.service {
        Some(service) => validate_service(Some(service))?,
        None => config.service.clone(),
    };
    let mut overridden = SigningConfig::new(
        service,
        config.content_sha256,
        config.headers.clone(),
        options.streaming_body.unwrap_or(config.streaming),
    );
    overridden.presign_session_token = config.presign_session_token;
    overridden.fast_signing = config.fast_signing;
    overridden.signing_keys = config.signing_keys.clone();
    #[cfg(feature = "sigv4a")]
    {
        overridden.region_set = region_set.or(config.region_set.as_ref()).cloned();
    }
    Ok(Cow::Owned(overridden))
}

/// What the checks before signing decided.
enum Checked<'a> {
    /// Outside the scope, to pass through untouched.
    PassThrough,
    /// To be signed for `region` with `config`.
    Sign {
        region: &'a str,
        config: Cow<'a, SigningConfig>,
    },
}

impl SigV4 {
    /// The settings for a request to `url`: the builder's, or, when the signing name follows
    /// the host, those of the endpoint the host names. A host the grammar does not know (a
    /// proxy, a mock) says nothing about the name, so the app must.
    pub(crate) fn config_for_host(&self, url: &url::Url) -> Result<&SigningConfig, Error> {
        let Some(runtime) = &self.runtime_by_host else {
            return Ok(&self.config);
        };
        let host = url.host_str().unwrap_or_default();
        match crate::bedrock::host::parse(host).map(|h| h.endpoint) {
            Some(crate::bedrock::Endpoint::Runtime) => Ok(runtime),
            Some(crate::bedrock::Endpoint::Mantle) => Ok(&self.config),
            _ => Err(Error::invalid_config(format!(
                "`AwsAuth::bedrock()` takes the signing name from the host, and `{}` is no \
                 bedrock-runtime or Mantle host: call `.service(\"bedrock\")` (runtime) or \
                 `.service(\"bedrock-mantle\")` (Mantle) on the builder for a proxy or a mock, \
                 or set `RequestOptions::service` for this request",
                host.escape_debug()
            ))),
        }
    }

    /// Signs `request` with the cached credentials and the (clock-corrected) time, if its
    /// host is in scope. When the service refuses it because of the signing time (and its
    /// `Date` explains that) or because the credentials are dead, [`Self::recover`] signs a
    /// copy again and sends it once.
    ///
    /// Almost every request is signed without waiting ([`Self::sign_ready`]); the first one,
    /// one that finds its credentials due for a refresh and one whose stream must be read take
    /// the boxed [`Self::sign_waiting`], so that no request's future carries its state.
    pub(crate) async fn sign(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
        mut memo: Option<&mut http::Extensions>,
    ) -> Result<Outcome<Signed>, Error> {
        if let Some(outcome) = self.sign_ready(request, options, policy, memo.as_deref_mut()) {
            return outcome;
        }
        Box::pin(self.sign_waiting(request, options, policy, memo)).await
    }

    /// Signs at once when nothing has to be waited for: the resolver has resolved, the cached
    /// credentials are fresh and the body is in memory (or need not be). `None` otherwise,
    /// before anything is changed.
    pub(crate) fn sign_ready(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
        memo: Option<&mut http::Extensions>,
    ) -> Option<Result<Outcome<Signed>, Error>> {
        let resolved = self.resolver.resolved()?;
        let (region, config) = match self.check(request, options, policy, resolved) {
            Ok(Checked::Sign { region, config }) => (region, config),
            Ok(Checked::PassThrough) => return Some(Ok(Outcome::Unsigned)),
            Err(err) => return Some(Err(err)),
        };
        if matches!(config.streaming, StreamingBody::Buffer { .. })
            && matches!(request.payload(), Payload::Stream)
        {
            return None;
        }
        let credentials = resolved.cache.fresh()?;
        Some(self.finish(request, region, &config, credentials, memo, policy))
    }

    /// The general case: resolves the region and credentials source, reads a stream that is
    /// to be buffered, and waits for credentials to load or refresh.
    pub(crate) async fn sign_waiting(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
        memo: Option<&mut http::Extensions>,
    ) -> Result<Outcome<Signed>, Error> {
        let resolved = self.resolver.resolve().await?;
        let (region, config) = match self.check(request, options, policy, resolved)? {
            Checked::Sign { region, config } => (region, config),
            Checked::PassThrough => return Ok(Outcome::Unsigned),
        };
        if let StreamingBody::Buffer { max_bytes } = config.streaming {
            request.buffer_body(max_bytes).await?;
        }
        let credentials = resolved.cache.get().await?;
        self.finish(request, region, &config, credentials, memo, policy)
    }

    /// Everything decided before signing that needs no waiting: the region, then the guard
    /// (URL, scope, `Host`, `Authorization`, the endpoint's region), the request's overrides.
    fn check<'a>(
        &'a self,
        request: &impl HttpRequest,
        options: &'a RequestOptions,
        policy: &Policy,
        resolved: &'a credentials::Resolved,
    ) -> Result<Checked<'a>, Error> {
        let region = match &options.region {
            Some(region) => {
                validate_region(region)?;
                region.as_str()
            }
            None => resolved.region.as_str(),
        };
        let endpoint = [(region, RegionOrigin::Signing)];
        if guard::admit(request, policy, None, endpoint)? == Admission::PassThrough {
            return Ok(Checked::PassThrough);
        }
        let base = match options.service {
            Some(_) => &self.config,
            None => self.config_for_host(request.url())?,
        };
        let config = config_for(base, options)?;
        Ok(Checked::Sign { region, config })
    }

    /// Signs with `credentials` at the (clock-corrected) time, then judges the scope once more
    /// on the URL as it now goes on the wire (signing canonicalises it).
    fn finish(
        &self,
        request: &mut impl HttpRequest,
        region: &str,
        config: &SigningConfig,
        credentials: Credentials,
        memo: Option<&mut http::Extensions>,
        policy: &Policy,
    ) -> Result<Outcome<Signed>, Error> {
        policy.edit_headers(request.headers_mut());
        let payload_sha256 = memo.and_then(|memo| remembered_hash(request, memo));
        let (time, offset) = self.skew.apply(self.resolver.time().now(), request.url());
        sign::sign_request(
            request,
            &credentials,
            region,
            time,
            config,
            payload_sha256.as_deref(),
        )?;
        if !policy.scope.allows(request.url()) {
            return Err(policy.scope.refusal(request.url()));
        }
        Ok(Outcome::Authenticated(Signed {
            offset,
            credentials,
        }))
    }

    /// `host` refused fresh credentials: hand on its refusals for a while.
    pub(crate) fn back_off(&self, host: &HostKey) {
        tracing::warn!(
            host = %host,
            backoff_secs = REFUSED_HOST_BACKOFF.as_secs(),
            "this host refused freshly loaded AWS credentials too; passing its refusals on without reloading credentials or sending again for a while (check the credentials' permissions, or the host)"
        );
        self.refused.set(host, Instant::now());
    }

    /// Drops credentials a service refused from the cache; `true` when new ones may differ.
    pub(crate) fn drop_credentials(&self, refused: &Credentials) -> bool {
        self.resolver
            .resolved()
            .is_some_and(|resolved| resolved.cache.invalidate(refused))
    }
}

/// A large in-memory body's SHA-256, hashed once per send however many attempts sign it.
fn remembered_hash(request: &impl HttpRequest, memo: &mut http::Extensions) -> Option<Arc<str>> {
    let Payload::Bytes(body) = request.payload() else {
        return None;
    };
    if body.len() < body_hash::MIN_REMEMBERED {
        return None;
    }
    if let Some(hash) = RememberedHash::lookup(memo, body) {
        return Some(hash);
    }
    Some(RememberedHash::remember(memo, body, request.anchor()?))
}
