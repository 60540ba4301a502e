//! The README's retry stack, tested: `reqwest-retry` with `AwsRetryableStrategy` before auth.
//! A provider timeout and a 503 are retried, each attempt signed afresh; a 403
//! `SignatureDoesNotMatch` is not; AWS throttling codes are; and the crate's error is found
//! behind reqwest-retry's `RetryError`.
#![cfg(feature = "retry")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_smithy_async::time::TimeSource;
use reqwest_aws_auth::retry::AwsRetryableStrategy;
use reqwest_aws_auth::verify::Verifier;
use reqwest_aws_auth::{AwsAuth, Error, ErrorKind};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use reqwest_retry::{Jitter, RetryTransientMiddleware, policies::ExponentialBackoff};
use wiremock::{Request, ResponseTemplate};

#[path = "support/wire.rs"]
mod wire;
use wire::{scripted as server, verify_received};

const START: u64 = 1_764_000_000;

fn credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "test")
}

/// A clock one second further on at every reading, so that every signature differs.
#[derive(Debug, Clone, Default)]
struct Ticking(Arc<AtomicU64>);

impl TimeSource for Ticking {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(START + self.0.fetch_add(1, Ordering::SeqCst))
    }
}

/// Hangs on its first call, answers after that.
#[derive(Debug, Clone, Default)]
struct HangsOnce(Arc<AtomicUsize>);

impl ProvideCredentials for HangsOnce {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                std::future::pending::<()>().await;
            }
            Ok(credentials())
        })
    }
}

fn retrying(auth: AwsAuth) -> ClientWithMiddleware {
    // Waits longer than the crate's one-second back-off after a failed load.
    let policy = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1100), Duration::from_millis(1200))
        .jitter(Jitter::None)
        .build_with_max_retries(2);
    ClientBuilder::new(reqwest::Client::new())
        .with(RetryTransientMiddleware::new_with_policy_and_strategy(
            policy,
            AwsRetryableStrategy,
        ))
        .with(auth)
        .build()
}

fn auth(clock: Ticking) -> AwsAuth {
    AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(credentials())
        .time_source(clock)
        .build()
        .unwrap()
}

fn verify(request: &Request, now: SystemTime) {
    assert_eq!(request.headers.get_all("authorization").iter().count(), 1);
    let verifier = Verifier::new(credentials(), "us-east-1", "execute-api").now(now);
    verify_received(&verifier, request).unwrap();
}

#[tokio::test]
async fn a_503_is_retried_and_every_attempt_is_signed_afresh() {
    let server = server(vec![ResponseTemplate::new(503), ResponseTemplate::new(200)]).await;
    let response = retrying(auth(Ticking::default()))
        .post(format!("{}/items", server.uri()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(START);
    for request in &received {
        verify(request, now);
    }
    assert_ne!(
        received[0].headers["authorization"],
        received[1].headers["authorization"]
    );
}

#[tokio::test]
async fn a_throttling_code_in_the_body_is_retried() {
    let throttled = ResponseTemplate::new(400).set_body_string(
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded\
         </Message></Error></ErrorResponse>",
    );
    let server = server(vec![throttled, ResponseTemplate::new(200)]).await;
    let response = retrying(auth(Ticking::default()))
        .get(server.uri())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_signature_refusal_is_not_retried() {
    let server = server(vec![
        ResponseTemplate::new(403).insert_header("x-amzn-errortype", "SignatureDoesNotMatch"),
        ResponseTemplate::new(200),
    ])
    .await;
    let response = retrying(auth(Ticking::default()))
        .get(server.uri())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_provider_timeout_is_retried_and_the_retry_is_signed() {
    let server = server(vec![ResponseTemplate::new(200)]).await;
    let provider = HangsOnce::default();
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .credentials_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let response = retrying(auth).get(server.uri()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(provider.0.load(Ordering::SeqCst), 2);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "the timed-out attempt sent nothing");
    verify(&received[0], SystemTime::now());
}

#[tokio::test]
async fn the_crates_error_is_found_behind_retry_error() {
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(credentials())
        .build()
        .unwrap();
    // A query the signer refuses (bytes that are not UTF-8): fatal, so no retries.
    let err = retrying(auth)
        .get("https://abc.execute-api.us-east-1.amazonaws.com/?k=%FF")
        .send()
        .await
        .unwrap_err();
    let ours = Error::from_middleware(&err).expect("found behind RetryError");
    assert_eq!(ours.kind(), ErrorKind::InvalidUrl);
    assert!(!ours.is_retryable());
}

/// Never answers.
#[derive(Debug)]
struct Hangs;

impl ProvideCredentials for Hangs {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async {
            std::future::pending::<()>().await;
            Ok(credentials())
        })
    }
}

#[tokio::test]
async fn after_the_last_retry_the_timeout_is_still_the_crates_error() {
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(Hangs)
        .credentials_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = retrying(auth)
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("retries"), "{err}");
    let ours = Error::from_middleware(&err).expect("found behind RetryError::WithRetries");
    assert_eq!(ours.kind(), ErrorKind::ProviderTimeout);
}
