//! Recovering once from a refusal of a signature: when the service's AWS error code blames
//! the signing time (and its `Date` explains it) or dead credentials, the way of
//! authenticating signs a copy afresh and the exchange sends it once.

use tokio::time::Instant;

use crate::auth::hosts::HostKey;
use crate::auth::options::RequestOptions;
use crate::auth::sigv4::{Outcome, REFUSED_HOST_BACKOFF, SigV4, Signed};
use crate::credentials;
use crate::policy::guard::Policy;
use crate::wire::refusal;
use crate::wire::{HttpResponse, RequestParts, Resend, Transport};

/// After a refusal: reads its AWS error code and, when it blames the clock (and `Date`
/// explains it) or the credentials, signs `again` afresh and sends it once.
///
/// What a refusal teaches is kept per host (`host`: the refused request's): a clock offset
/// for that host's later requests; and when the credentials loaded afresh are refused by
/// the same host too, a back-off during which its refusals are handed on as they are.
///
/// Returns the response to hand on, a copy of the request last sent (when it can be
/// cloned, for following a redirect), and whether it was signed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn recover<T: Transport>(
    sigv4: &SigV4,
    response: T::Response,
    again: Option<T::Request>,
    host: Option<HostKey>,
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
    let Some(host) = host.or_else(|| again.as_ref().and_then(|r| HostKey::of(r.url()))) else {
        return Ok((response, again, true));
    };
    let credentials_refused = code.blames_credentials();
    let retry = if credentials_refused {
        let backing_off = sigv4
            .refused
            .get_key(&host)
            .is_some_and(|at| at.elapsed() < REFUSED_HOST_BACKOFF);
        !backing_off && sigv4.drop_credentials(&signed.credentials)
    } else {
        sigv4.skew.corrects(
            &code,
            HttpResponse::headers(&response),
            sigv4.resolver.time().now(),
            started.elapsed(),
            signed.offset,
            &host,
        )
    };
    let Some(mut again) = again.filter(|_| retry) else {
        if retry {
            tracing::warn!(
                code = code.as_str(),
                "not re-sending the refused request: its body was a stream, which cannot be sent \
                 again; the refusal is returned to the app"
            );
        }
        return Ok((response, None, true));
    };
    match sigv4
        .sign(&mut again, options, policy, transport.memo())
        .await
    {
        Ok(Outcome::Authenticated(resigned))
            if !(credentials_refused
                && credentials::same(&resigned.credentials, &signed.credentials)) =>
        {
            tracing::debug!(
                code = code.as_str(),
                "re-sending the refused request, signed again"
            );
            let copy = again.try_clone();
            let response = transport.send(again).await?;
            if !credentials_refused {
                return Ok((response, copy, true));
            }
            let (response, code) = refusal::read_code(response).await;
            if code.is_some_and(|code| code.blames_credentials()) {
                sigv4.back_off(&host);
            } else {
                sigv4.refused.remove(&host);
            }
            Ok((response, copy, true))
        }
        Ok(_) => {
            if credentials_refused {
                // The credentials loaded again are the refused ones.
                sigv4.back_off(&host);
            }
            Ok((response, None, true))
        }
        Err(err) => {
            tracing::warn!(error = %err, code = code.as_str(), "could not sign the refused request again; returning the refusal");
            Ok((response, None, true))
        }
    }
}
