//! `http::Request<B>` whose body is bytes already, for [`AwsAuth::sign`](crate::AwsAuth::sign)
//! and [`AwsAuth::presign`](crate::AwsAuth::presign) on any stack built on the `http` crate.

use std::time::Duration;

use http::{HeaderMap, Method, Uri};
use url::Url;

use crate::auth::{Adapted, Setup, Signable};
use crate::error::Error;
use crate::wire::{HttpRequest, Payload, RequestParts};

/// The absolute URL of an `http::Request`'s URI.
pub(crate) fn to_url(uri: &Uri) -> Result<Url, Error> {
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(Error::invalid_url(format!(
            "cannot sign the request URI `{}`: it has no scheme or host; give the \
             `http::Request` an absolute URI such as `https://host/path`",
            uri.path()
        )));
    }
    Url::parse(&uri.to_string())
        .map_err(|err| Error::invalid_url(format!("cannot sign the request URI: {err}")))
}

/// `url` as an `http::Uri` again (after signing rewrote its query or path), without the
/// userinfo that was not signed (hyper never sends it, but would log it).
pub(crate) fn to_uri(url: &Url) -> Result<Uri, Error> {
    Uri::try_from(crate::sigv4::sign::signing_uri(url).as_ref()).map_err(|err| {
        Error::invalid_url(format!(
            "the signed URL cannot be written back as an http::Uri: {err}"
        ))
    })
}

/// The parts of an `http::Request` that signing reads, with its URI as a `Url` and its headers
/// held here while they are rewritten.
struct View<'r, B> {
    method: &'r Method,
    url: Url,
    headers: HeaderMap,
    body: &'r B,
}

impl<B: AsRef<[u8]>> RequestParts for View<'_, B> {
    fn method(&self) -> &Method {
        self.method
    }
    fn url(&self) -> &Url {
        &self.url
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    fn payload(&self) -> Payload<'_> {
        Payload::Bytes(self.body.as_ref())
    }
}

impl<B: AsRef<[u8]> + Sync> HttpRequest for View<'_, B> {
    fn url_mut(&mut self) -> &mut Url {
        &mut self.url
    }
    fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
    async fn buffer_body(&mut self, _max_bytes: usize) -> Result<(), Error> {
        Ok(())
    }
}

impl<B: AsRef<[u8]> + Send + Sync> Signable for http::Request<B> {}

impl<B: AsRef<[u8]> + Send + Sync> Adapted for http::Request<B> {
    async fn sign_with(&mut self, auth: &Setup) -> Result<(), Error> {
        {
            let url = to_url(self.uri())?;
            let headers = std::mem::take(self.headers_mut());
            let mut view = View {
                method: self.method(),
                url,
                headers,
                body: self.body(),
            };
            let signed = auth.sign(&mut view).await;
            let View { url, headers, .. } = view;
            *self.headers_mut() = headers;
            signed?;
            *self.uri_mut() = to_uri(&url)?;
            Ok(())
        }
    }

    async fn presign_with(&self, auth: &Setup, expires_in: Duration) -> Result<Url, Error> {
        {
            let view = View {
                method: self.method(),
                url: to_url(self.uri())?,
                headers: self.headers().clone(),
                body: self.body(),
            };
            auth.presign(&view, expires_in).await
        }
    }
}
