//! `-L`: the library follows redirects, signing a hop to the URL's host afresh and sending a
//! hop elsewhere without its own headers. A hop elsewhere loses the user's `-H x-amz-*`
//! headers here too: they can carry secrets (an SSE-C key) and are meant for AWS alone.

use reqwest_middleware::{Middleware, Next};

/// Runs after the library's middleware, on every hop it sends.
pub(crate) struct StripAcross {
    host: Option<String>,
}

impl StripAcross {
    /// For a command line whose URL is `url`.
    pub(crate) fn new(url: &reqwest::Url) -> Self {
        Self {
            host: url.host_str().map(str::to_owned),
        }
    }
}

#[async_trait::async_trait]
impl Middleware for StripAcross {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if request.url().host_str() != self.host.as_deref() {
            let foreign: Vec<_> = request
                .headers()
                .keys()
                .filter(|name| name.as_str().starts_with("x-amz-"))
                .cloned()
                .collect();
            for name in foreign {
                request.headers_mut().remove(name);
            }
        }
        next.run(request, extensions).await
    }
}
