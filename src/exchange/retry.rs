//! Retrying with [`reqwest_retry`] the way the AWS SDKs do (feature `retry`).
//!
//! [`AwsRetryableStrategy`] classifies what comes back through the middleware: this crate's
//! own errors by [`Error::is_retryable`] (a credential provider that timed out is worth another
//! try; a missing region is not), AWS throttling and transient error codes as transient, and
//! everything else as `reqwest-retry`'s default does (5xx, 408, 429 and connection failures
//! transient; other errors fatal).
//!
//! Put the retry middleware before auth, so that every attempt is signed afresh:
//!
//! ```
//! use reqwest_aws_auth::AwsAuth;
//! use reqwest_aws_auth::retry::AwsRetryableStrategy;
//! use reqwest_retry::{RetryTransientMiddleware, policies::ExponentialBackoff};
//!
//! let auth = AwsAuth::builder().service("execute-api").region("eu-west-1").build()?;
//! let retry = RetryTransientMiddleware::new_with_policy_and_strategy(
//!     ExponentialBackoff::builder().build_with_max_retries(3),
//!     AwsRetryableStrategy,
//! );
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(retry)
//!     .with(auth)
//!     .build();
//! # Ok::<(), reqwest_aws_auth::Error>(())
//! ```

use reqwest_retry::{
    Retryable, RetryableStrategy, default_on_request_failure, default_on_request_success,
};

use crate::error::Error;
use crate::wire::refusal::AwsErrorCode;

/// A [`RetryableStrategy`] for AWS services; see the [module docs](self).
///
/// - An [`Error`] of this crate: transient when [`Error::is_retryable`], else fatal.
/// - A response whose [`AwsErrorCode`] (read by the middleware from `x-amzn-ErrorType` or
///   the error body) is a throttling or transient code (`Throttling`, `ThrottlingException`,
///   `TooManyRequestsException`, `RequestLimitExceeded`, `SlowDown`, `ServiceUnavailable`,
///   ...): transient.
/// - Anything else: `reqwest-retry`'s default classification.
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsRetryableStrategy;

impl RetryableStrategy for AwsRetryableStrategy {
    fn handle(
        &self,
        res: &Result<reqwest::Response, reqwest_middleware::Error>,
    ) -> Option<Retryable> {
        match res {
            Ok(response) => {
                let transient_code = response
                    .extensions()
                    .get::<AwsErrorCode>()
                    .is_some_and(AwsErrorCode::is_transient)
                    || response
                        .headers()
                        .get("x-amzn-errortype")
                        .and_then(|v| v.to_str().ok())
                        .and_then(AwsErrorCode::parse)
                        .is_some_and(|code| code.is_transient());
                if transient_code {
                    Some(Retryable::Transient)
                } else {
                    default_on_request_success(response)
                }
            }
            Err(err) => match Error::from_middleware(err) {
                Some(ours) if ours.is_retryable() => Some(Retryable::Transient),
                Some(_) => Some(Retryable::Fatal),
                None => default_on_request_failure(err),
            },
        }
    }
}
