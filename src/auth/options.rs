//! Per-request settings, put into a request's extensions with
//! `reqwest_middleware::RequestBuilder::with_extension`.

use crate::sigv4::settings::StreamingBody;

/// Settings for one request, overriding the builder's. Anything not set falls back to the
/// builder.
///
/// ```no_run
/// # async fn demo(client: reqwest_middleware::ClientWithMiddleware) -> Result<(), Box<dyn std::error::Error>> {
/// use reqwest_aws_auth::RequestOptions;
///
/// // An unsigned health check through the same client.
/// client
///     .get("https://status.example.com/health")
///     .with_extension(RequestOptions::new().skip_auth(true))
///     .send()
///     .await?;
/// // Another service and region for one call.
/// client
///     .get("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15")
///     .with_extension(RequestOptions::new().service("sts").region("eu-west-1"))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
///
/// Skipping auth sends no credential at all. A request with another signing name or region is
/// still checked against the scope, and a per-request region still goes through the Bedrock
/// region check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestOptions {
    pub(crate) skip_auth: bool,
    pub(crate) service: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) streaming_body: Option<StreamingBody>,
    #[cfg(feature = "sigv4a")]
    pub(crate) region_set: Option<crate::sigv4::region_set::RegionSet>,
}

impl RequestOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Send this request untouched, without any credential.
    pub fn skip_auth(mut self, skip: bool) -> Self {
        self.skip_auth = skip;
        self
    }

    /// Sign this request with another SigV4 signing name (S3 rules follow it). Ignored in
    /// bearer-token mode, which has no signing name.
    pub fn service(mut self, signing_name: impl Into<String>) -> Self {
        self.service = Some(signing_name.into());
        self
    }

    /// Sign (or key) this request for another region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sign this request with SigV4a for `regions` (see
    /// [`AwsAuthBuilder::sigv4a`](crate::AwsAuthBuilder::sigv4a)); the builder's region is still
    /// the one for everything that needs a single region. A bearer-token client refuses such a
    /// request with [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig).
    #[cfg(feature = "sigv4a")]
    pub fn sigv4a(mut self, regions: crate::sigv4::region_set::RegionSet) -> Self {
        self.region_set = Some(regions);
        self
    }

    /// What to do with this request's streaming body, instead of the builder's setting.
    pub fn streaming_body(mut self, streaming: StreamingBody) -> Self {
        self.streaming_body = Some(streaming);
        self
    }
}

impl RequestOptions {
    /// Bearer mode sends a key that is good in one region: a request asking for SigV4a is
    /// refused rather than sent with it.
    pub(crate) fn check_bearer(&self) -> Result<(), crate::Error> {
        #[cfg(feature = "sigv4a")]
        if let Some(set) = &self.region_set {
            return Err(crate::Error::invalid_config(format!(
                "`RequestOptions::sigv4a(..)` (region set `{set}`) was set on a request of a \
                 client that sends a Bedrock API key, which has no SigV4a form: send it through \
                 a client that signs with AWS credentials"
            )));
        }
        Ok(())
    }
}
