//! [`wiremock`] matchers that check requests are correctly authenticated (feature `wiremock`).
//!
//! [`SigV4Matcher`] matches only requests whose SigV4 signature an AWS service would accept
//! for the given credentials, region and signing name (it runs a [`Verifier`], so with feature
//! `sigv4a` it accepts SigV4a when the region is in the signed region set); [`BearerMatcher`]
//! matches only requests with `Authorization: Bearer <token>` (the Bedrock API-key mode). A
//! request they refuse gets no match (wiremock answers 404), and the reason is logged with
//! `tracing` at `WARN`, with the canonical request and string-to-sign the verifier computed.
//! What they log never holds the `Authorization` text, nor the value of a header that carries
//! a secret (session token, API key, cookie, SSE-C key).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_credential_types::Credentials;
//! use reqwest_aws_auth::AwsAuth;
//! use reqwest_aws_auth::wiremock::SigV4Matcher;
//! use wiremock::matchers::method;
//! use wiremock::{Mock, MockServer, ResponseTemplate};
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
//! let server = MockServer::start().await;
//! Mock::given(method("POST"))
//!     .and(SigV4Matcher::new(credentials.clone(), "us-east-1", "execute-api"))
//!     .respond_with(ResponseTemplate::new(200))
//!     .mount(&server)
//!     .await;
//!
//! // The app under test, configured with the same credentials:
//! let auth = AwsAuth::builder()
//!     .service("execute-api")
//!     .region("us-east-1")
//!     .credentials(credentials)
//!     .build()?;
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(auth)
//!     .build();
//! let response = client
//!     .post(format!("{}/prod/items", server.uri()))
//!     .body(r#"{"name":"widget"}"#)
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```
//!
//! wiremock hands matchers the request URL as parsed by the `url` crate, which removes `.` and
//! `..` path segments and percent-encodes a few characters (`{`, `}`, `'` in a query, ...) that
//! may have been sent literally. Requests whose target is already in SigV4's canonical form —
//! what this crate and the AWS SDKs send — reach the matcher exactly as sent.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use subtle::ConstantTimeEq;

use crate::testing::verify::{Received, Rejection, Verifier};

/// Matches requests carrying a valid SigV4 signature for the given credentials, region and
/// signing name; see [`Verifier::verify`] for every check made.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use aws_credential_types::Credentials;
/// use reqwest_aws_auth::wiremock::SigV4Matcher;
///
/// let credentials = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "test");
/// let matcher = SigV4Matcher::new(credentials, "eu-west-1", "s3")
///     // requests signed by a client with a fixed clock:
///     .now(UNIX_EPOCH + Duration::from_secs(1_795_955_696))
///     .max_skew(Duration::from_secs(60));
/// ```
#[derive(Clone, Debug)]
pub struct SigV4Matcher {
    verifier: Verifier,
}

impl SigV4Matcher {
    /// Matches requests signed with `credentials` for `region` and the signing name `service`
    /// (S3 rules for `s3`, `s3-object-lambda` and `s3express`). When the credentials have a
    /// session token, the request must carry it, signed.
    pub fn new(
        credentials: Credentials,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Self {
            verifier: Verifier::new(credentials, region, service),
        }
    }

    /// How far `x-amz-date` may be from the current time, either way (default 5 minutes).
    pub fn max_skew(mut self, max_skew: Duration) -> Self {
        self.verifier = self.verifier.max_skew(max_skew);
        self
    }

    /// Use this as the current time instead of the system clock, for clients that sign with a
    /// fixed time.
    pub fn now(mut self, now: SystemTime) -> Self {
        self.verifier = self.verifier.now(now);
        self
    }

    /// Verifies a request wiremock received, saying why it is refused. Header values are
    /// compared as the bytes received: a value that is not UTF-8 matches only a signature
    /// computed over those same bytes.
    pub fn verify(&self, request: &wiremock::Request) -> Result<(), Rejection> {
        let target = match request.url.query() {
            Some(query) => format!("{}?{query}", request.url.path()),
            None => request.url.path().to_owned(),
        };
        let host = (!request.headers.contains_key(http::header::HOST))
            .then(|| authority(&request.url))
            .flatten();
        let mut headers: Vec<(&str, &[u8])> = Vec::with_capacity(request.headers.len() + 1);
        if let Some(host) = &host {
            headers.push(("host", host.as_bytes()));
        }
        headers.extend(
            request
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        );
        self.verifier.verify_received(&Received {
            method: request.method.as_str(),
            target: &target,
            headers: &headers,
            body: &request.body,
        })
    }
}

impl From<Verifier> for SigV4Matcher {
    /// A matcher that runs this verifier (for settings such as
    /// [`Verifier::normalize_path`]).
    fn from(verifier: Verifier) -> Self {
        Self { verifier }
    }
}

impl wiremock::Match for SigV4Matcher {
    fn matches(&self, request: &wiremock::Request) -> bool {
        match self.verify(request) {
            Ok(()) => true,
            Err(rejection) => {
                tracing::warn!(
                    method = %request.method,
                    path = request.url.path(),
                    reason = ?rejection.reason(),
                    "SigV4Matcher refused the request: {rejection}"
                );
                false
            }
        }
    }
}

/// `host[:port]` of a URL, as a `Host` header would carry it.
fn authority(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Matches requests with exactly one `Authorization: Bearer <token>` header carrying this
/// token (compared in constant time; the scheme name is case-insensitive).
///
/// ```
/// use reqwest_aws_auth::wiremock::BearerMatcher;
/// use wiremock::Mock;
///
/// let mock = Mock::given(BearerMatcher::new("bedrock-api-key-abc"));
/// ```
#[derive(Clone)]
pub struct BearerMatcher {
    token: String,
}

impl BearerMatcher {
    /// Matches requests authorised with this bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }

    fn check(&self, request: &wiremock::Request) -> Result<(), &'static str> {
        let mut values = request.headers.get_all(http::header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err("the request needs exactly one Authorization header");
        };
        let value = value.as_bytes();
        let Some(space) = value.iter().position(|&b| b == b' ') else {
            return Err("the Authorization header is not `Bearer <token>`");
        };
        let (scheme, token) = (&value[..space], value[space..].trim_ascii_start());
        if !scheme.eq_ignore_ascii_case(b"Bearer") {
            return Err("the Authorization scheme is not `Bearer`");
        }
        if bool::from(token.ct_eq(self.token.as_bytes())) {
            Ok(())
        } else {
            Err("the bearer token is not the expected one")
        }
    }
}

impl fmt::Debug for BearerMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerMatcher")
            .field(
                "token",
                &format_args!("** redacted (length={}) **", self.token.len()),
            )
            .finish()
    }
}

impl wiremock::Match for BearerMatcher {
    fn matches(&self, request: &wiremock::Request) -> bool {
        match self.check(request) {
            Ok(()) => true,
            Err(why) => {
                tracing::warn!(
                    method = %request.method,
                    path = request.url.path(),
                    "BearerMatcher refused the request: {why}"
                );
                false
            }
        }
    }
}
