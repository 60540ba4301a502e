//! AWS authentication for `reqwest`, as `reqwest-middleware` middleware, and for any stack
//! built on the `http` crate.
//!
//! [`AwsAuth`] signs every request with AWS Signature Version 4 (the maths is
//! [`aws_sigv4`]'s), using the credentials the AWS SDK would find or ones you supply, with a
//! shared cache that refreshes them ahead of expiry. For Amazon Bedrock,
//! [`AwsAuth::bedrock_mantle`] and [`AwsAuth::bedrock_runtime`] set the signing name and also
//! accept a Bedrock API key as a bearer token; see [`bedrock`] (`cargo run --example demo`
//! shows both, offline).
//!
//! ```no_run
//! # #[cfg(feature = "reqwest-0-13")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = reqwest_aws_auth::AwsAuth::builder()
//!     .service("execute-api")
//!     .region("eu-west-1") // optional: else AWS_REGION or the profile decide
//!     .build()?; // no I/O here
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(auth)
//!     .build();
//! let response = client
//!     .post("https://abc123.execute-api.eu-west-1.amazonaws.com/prod/items")
//!     .body(r#"{"name":"widget"}"#)
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The same [`AwsAuth`] serves every stack, each behind a feature: reqwest 0.13 with
//! reqwest-middleware 0.5 (`reqwest-0-13`, default), reqwest 0.12 with reqwest-middleware 0.4
//! (`reqwest-0-12`), and tower services such as hyper-util's client (`tower`:
//! `tower::AwsAuthLayer`). [`AwsAuth::sign`] signs a request of any of them in
//! place, and an `http::Request` whose body is bytes without any feature. The AWS SDK's
//! default credential chain is feature `default-chain` (default); without it, pass
//! credentials to the builder.
//!
//! What is signed is what is sent: before signing, the query (and for S3 the path) is written
//! in SigV4's canonical percent-encoding, so no server can read the URL differently from the
//! signature. A query is read as form-encoded, the way `reqwest`'s `.query()` writes it: `+` is
//! a space, and a literal plus must be `%2B`. Headers that proxies rewrite are left unsigned;
//! the body is hashed in place; a streaming body is refused unless the builder says how to
//! sign it ([`StreamingBody`]).
//!
//! [`AwsAuth::presign`] makes presigned URLs instead (the signature in the query, as botocore
//! writes it), for browsers, WebSocket clients and other processes without credentials. The
//! `cli` feature builds `aws-sigv4-curl`, a curl for AWS APIs that signs with this crate.
//!
//! Put retries before auth (`.with(retry).with(auth)`): every attempt is then signed afresh,
//! and signing again replaces the earlier signature headers (feature `retry`:
//! `retry::AwsRetryableStrategy` classifies AWS errors for `reqwest-retry`). The middleware
//! itself sends a request a second time only when the service refused the first with an AWS
//! error code that blames the clock (and its `Date` explains it) or dead credentials
//! ([`AwsErrorCode`]). Credential loads are bounded by
//! [`credentials_timeout`](AwsAuthBuilder::credentials_timeout). Failures are [`Error`]s with an
//! [`ErrorKind`], a message naming the cause and the fix, and
//! [`is_retryable`](Error::is_retryable). To check signatures in your own tests, see
//! `reqwest_aws_auth::verify` (feature `verify`) and `reqwest_aws_auth::wiremock` (feature
//! `wiremock`); neither is on by default, so apps that only sign never compile them.
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![forbid(unsafe_code)]
// Without any middleware stack only `AwsAuth::sign` and `presign` remain: the sending,
// recovery and redirect machinery is then unused.
#![cfg_attr(
    not(any(feature = "reqwest-0-13", feature = "reqwest-0-12", feature = "tower")),
    allow(dead_code)
)]

mod adapters;
mod auth;
pub mod bedrock;
mod config;
mod credentials;
mod error;
mod exchange;
mod policy;
// aws-chunked framing is carried only by reqwest's `Body`: with the tower layer alone the
// encoder is built but never run.
#[cfg_attr(
    not(any(feature = "reqwest-0-13", feature = "reqwest-0-12")),
    allow(dead_code)
)]
mod sigv4;
mod testing;
mod wire;

#[cfg(feature = "tower")]
pub use adapters::tower;
#[cfg(feature = "retry")]
pub use exchange::retry;
#[cfg(feature = "verify")]
pub use testing::verify;
#[cfg(feature = "wiremock")]
pub use testing::wiremock;

pub use auth::options::RequestOptions;
pub use auth::presign::MAX_PRESIGN_EXPIRY;
pub use auth::{AwsAuth, ReqwestClientBuilder, Signable};
/// AWS credentials for [`AwsAuthBuilder::credentials`], re-exported from
/// `aws-credential-types` so that passing your own needs no extra dependency.
pub use aws_credential_types::Credentials;
pub use config::builder::AwsAuthBuilder;
pub use error::{Error, ErrorKind, MiddlewareError};
pub use policy::scope::OutsideScope;
pub use sigv4::checksum::ChecksumAlgorithm;
#[cfg(feature = "sigv4a")]
pub use sigv4::region_set::RegionSet;
pub use sigv4::settings::{AwsChunked, PresignSessionToken, StreamingBody};
pub use wire::refusal::AwsErrorCode;

/// The README's examples, compiled and run as doctests (they need the `wiremock` and `retry`
/// features).
#[cfg(all(doctest, feature = "wiremock", feature = "retry"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
