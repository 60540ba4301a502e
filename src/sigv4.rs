//! The SigV4 request path: body → credentials → sign → send → (once) recover from a refusal
//! that blames the clock or the credentials.

use std::borrow::Cow;

use aws_credential_types::Credentials;
use tokio::time::Instant;

use std::sync::Arc;

use crate::authorization::{self, Policy};
use crate::body_hash::{self, RememberedHash};
use crate::clock::ClockSkew;
use crate::credentials::{self, Resolver};
use crate::error::Error;
use crate::names::{validate_region, validate_service};
use crate::options::RequestOptions;
use crate::refusal;
use crate::request::{HttpRequest, HttpResponse, Payload, Resend, Transport};
use crate::scope::OutsideScope;
use crate::settings::{SigningConfig, StreamingBody};
use crate::sign;

pub(crate) struct SigV4 {
    pub(crate) config: SigningConfig,
    pub(crate) resolver: Resolver,
    pub(crate) skew: ClockSkew,
}

/// What signing used, for deciding what a refusal means.
pub(crate) struct Signed {
    offset: i64,
    credentials: Credentials,
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
    if options.service.is_none() && options.streaming_body.is_none() {
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
    Ok(Cow::Owned(overridden))
}

impl SigV4 {
    /// Signs `request` with the cached credentials and the (clock-corrected) time, if its
    /// host is in scope.
    pub(crate) async fn sign(
        &self,
        request: &mut impl HttpRequest,
        options: &RequestOptions,
        policy: &Policy,
        memo: Option<&mut http::Extensions>,
    ) -> Result<Outcome<Signed>, Error> {
        sign::check_url(request.url())?;
        let resolved = self.resolver.resolve().await?;
        let region = match &options.region {
            Some(region) => {
                validate_region(region)?;
                region.as_str()
            }
            None => resolved.region.as_str(),
        };
        if !policy.scope.allows(request.url()) {
            return match policy.scope.outside {
                OutsideScope::PassThrough => Ok(Outcome::Unsigned),
                OutsideScope::Refuse => Err(policy.scope.refusal(request.url())),
            };
        }
        authorization::check_existing(request.headers(), policy, None)?;
        let config = config_for(&self.config, options)?;
        if let StreamingBody::Buffer { max_bytes } = config.streaming {
            request.buffer_body(max_bytes).await?;
        }
        crate::bedrock::check_endpoint_region(
            request.url(),
            region,
            crate::bedrock::RegionOrigin::Signing,
        )?;
        let payload_sha256 = memo.and_then(|memo| remembered_hash(request, memo));
        let credentials = resolved.cache.get().await?;
        let (time, offset) = self.skew.apply(self.resolver.time().now());
        sign::sign_request(
            request,
            &credentials,
            region,
            time,
            &config,
            payload_sha256.as_deref(),
        )?;
        Ok(Outcome::Authenticated(Signed {
            offset,
            credentials,
        }))
    }

    /// Signs and sends `request`. When the service refuses it because of the signing time
    /// (and its `Date` explains that) or because the credentials are dead, signs a copy again
    /// (with the server's time, or with freshly loaded credentials) and sends it once more;
    /// at most one request is re-sent, and only one whose body can be cloned.
    ///
    /// Returns the response, a copy of the request last sent (when it can be cloned, for
    /// following a redirect), and whether it was signed.
    pub(crate) async fn send<T: Transport>(
        &self,
        mut request: T::Request,
        options: &RequestOptions,
        policy: &Policy,
        transport: &mut T,
    ) -> Result<(T::Response, Option<T::Request>, bool), T::Error> {
        let signed = match self
            .sign(&mut request, options, policy, transport.memo())
            .await
            .map_err(T::error)?
        {
            Outcome::Authenticated(signed) => signed,
            Outcome::Unsigned => {
                let copy = request.try_clone();
                return Ok((transport.send(request).await?, copy, false));
            }
        };
        let again = request.try_clone();
        let started = Instant::now();
        let response = transport.send(request).await?;
        if !refusal::is_refusal(HttpResponse::status(&response)) {
            return Ok((response, again, true));
        }
        // Boxed: the recovery path's state is large, and most responses never need it.
        Box::pin(self.recover(response, again, signed, started, options, policy, transport)).await
    }

    /// After a refusal: reads its AWS error code and, when it blames the clock (and `Date`
    /// explains it) or the credentials, signs `again` afresh and sends it once.
    #[allow(clippy::too_many_arguments)]
    async fn recover<T: Transport>(
        &self,
        response: T::Response,
        again: Option<T::Request>,
        signed: Signed,
        started: Instant,
        options: &RequestOptions,
        policy: &Policy,
        transport: &mut T,
    ) -> Result<(T::Response, Option<T::Request>, bool), T::Error> {
        let (response, code) = refusal::read_code(response).await;
        let Some(code) = code else {
            return Ok((response, again, true));
        };
        let retry = if code.blames_credentials() {
            self.drop_credentials(&signed.credentials)
        } else {
            self.skew.corrects(
                &code,
                HttpResponse::headers(&response),
                self.resolver.time().now(),
                started.elapsed(),
                signed.offset,
            )
        };
        let Some(mut again) = again.filter(|_| retry) else {
            return Ok((response, None, true));
        };
        match self
            .sign(&mut again, options, policy, transport.memo())
            .await
        {
            Ok(Outcome::Authenticated(resigned))
                if !(code.blames_credentials()
                    && credentials::same(&resigned.credentials, &signed.credentials)) =>
            {
                tracing::debug!(
                    code = code.as_str(),
                    "re-sending the refused request, signed again"
                );
                let copy = again.try_clone();
                Ok((transport.send(again).await?, copy, true))
            }
            Ok(_) => Ok((response, None, true)),
            Err(err) => {
                tracing::warn!(error = %err, code = code.as_str(), "could not sign the refused request again; returning the refusal");
                Ok((response, None, true))
            }
        }
    }

    /// Drops credentials a service refused from the cache; `true` when new ones may differ.
    fn drop_credentials(&self, refused: &Credentials) -> bool {
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
