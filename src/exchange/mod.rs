//! The exchange: send one request, recover once from a refusal of its signature, follow
//! redirects. It asks the ways of authenticating (`auth`) to sign or attach a key, and never
//! signs itself.

use std::future::Future;

use tokio::time::Instant;

use crate::auth::hosts::HostKey;
use crate::auth::options::RequestOptions;
use crate::auth::{Attached, Mode, Setup};
use crate::wire::refusal;
use crate::wire::{HttpResponse, RequestParts, Resend, Transport};

// Only `reqwest::Body` can carry the framing (the tower layer too, over it).
#[cfg(any(test, feature = "reqwest-0-13", feature = "reqwest-0-12"))]
pub(crate) mod chunked_body;
mod recover;
pub(crate) mod redirect;
#[cfg(feature = "retry")]
pub mod retry;

/// What the middleware of every stack does with a request: authenticate it, send it,
/// recover once from a refusal that blames the clock or the credentials, and follow
/// redirects (each hop authenticated afresh, or stripped when out of scope).
///
/// The stacks box this future for every request, so it holds only what every request
/// needs: a first credential load, a refusal's recovery and a redirect are boxed when they
/// happen, the copy kept for them is boxed, and the request and transport are moved in
/// once (an `async fn` would keep a second copy of its by-value arguments). Under 1 KiB,
/// it comes from the allocator's per-thread cache.
#[allow(clippy::manual_async_fn)] // An `async fn` would double the request's space.
pub(crate) fn run<T: Transport>(
    auth: &Setup,
    request: T::Request,
    options: RequestOptions,
    mut transport: T,
) -> impl Future<Output = Result<T::Response, T::Error>> + Send {
    async move {
        if options.skip_auth {
            return transport.send(request).await;
        }
        let (response, sent, attached) = hop(auth, request, &options, &mut transport, true).await?;
        if auth.policy.max_redirects == 0 {
            return Ok(response);
        }
        let next = match sent {
            Some(sent) => redirect::next_request(*sent, &response, attached, &auth.policy.scope),
            None => {
                redirect::note_unreplayable(&response);
                None
            }
        };
        match next {
            Some(next) => {
                // Boxed, in a statement of its own so that no temporary outlives it.
                let follow = Box::pin(follow(auth, next, attached, &options, &mut transport));
                follow.await
            }
            None => Ok(response),
        }
    }
}

/// Follows a redirect: sends `next` and any further hops, up to `max_redirects` in all.
/// `authenticated`: whether every hop so far carried credentials. Once one did not (it was
/// outside the scope and passed through, or the chain started unsigned), no later hop gets
/// any: a server must not be able to redirect a request into the scope and have it signed.
async fn follow<T: Transport>(
    auth: &Setup,
    mut next: T::Request,
    mut authenticated: bool,
    options: &RequestOptions,
    transport: &mut T,
) -> Result<T::Response, T::Error> {
    let mut hops = 1;
    loop {
        let (response, sent, attached) = hop(auth, next, options, transport, authenticated).await?;
        authenticated = attached;
        if hops >= auth.policy.max_redirects {
            return Ok(response);
        }
        let Some(sent) = sent else {
            redirect::note_unreplayable(&response);
            return Ok(response);
        };
        match redirect::next_request(*sent, &response, attached, &auth.policy.scope) {
            Some(following) => {
                next = following;
                hops += 1;
            }
            None => return Ok(response),
        }
    }
}

/// Authenticates (when `authenticate`) and sends one request (no redirects), recovering
/// once from a refusal of its signature; returns the response, a copy of the request as
/// sent when it can be cloned (and may be needed), and whether credentials were attached.
#[allow(clippy::type_complexity, clippy::manual_async_fn)] // As `exchange`.
fn hop<'a, T: Transport>(
    auth: &'a Setup,
    mut request: T::Request,
    options: &'a RequestOptions,
    transport: &'a mut T,
    authenticate: bool,
) -> impl Future<Output = Result<(T::Response, Option<Box<T::Request>>, bool), T::Error>> + Send + 'a
{
    async move {
        let attached = if !authenticate {
            Ok(Attached::Nothing)
        } else {
            match auth.authenticate_ready(&mut request, options, transport.memo()) {
                Some(attached) => attached,
                None => {
                    // Boxed, in a statement of its own so that no temporary outlives it.
                    let waiting = Box::pin(auth.authenticate_waiting(
                        &mut request,
                        options,
                        transport.memo(),
                    ));
                    waiting.await
                }
            }
        }
        .map_err(T::error)?;
        // Kept to re-send after a refusal of the signature, and to follow a redirect.
        let keep = match attached {
            Attached::Signature(_) => true,
            Attached::Key | Attached::Nothing => auth.policy.max_redirects > 0,
        };
        let again = keep.then(|| request.try_clone().map(Box::new)).flatten();
        // A request that cannot be copied still names its host to a refusal's recovery.
        let host = match (&attached, &again) {
            (Attached::Signature(_), None) => HostKey::of(request.url()),
            _ => None,
        };
        // The round trip bounds what a refusal's `Date` can say about the clock.
        let started = matches!(attached, Attached::Signature(_)).then(Instant::now);
        let response = transport.send(request).await?;
        let refused = refusal::is_refusal(HttpResponse::status(&response));
        let attached_any = !matches!(attached, Attached::Nothing);
        let (Attached::Signature(signed), Mode::SigV4(sigv4), true, Some(started)) =
            (attached, &auth.mode, refused, started)
        else {
            return Ok((response, again, attached_any));
        };
        // Boxed: the recovery path's state is large, and most responses never need it.
        let recovery = Box::pin(recover::recover(
            sigv4,
            response,
            again.map(|again| *again),
            host,
            signed,
            started,
            options,
            &auth.policy,
            transport,
        ));
        let (response, sent, signed) = recovery.await?;
        Ok((response, sent.map(Box::new), signed))
    }
}
