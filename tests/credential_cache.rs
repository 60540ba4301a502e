//! The credential cache: one provider call per credential lifetime, refresh ahead of expiry,
//! single-flight under concurrency, failures never cached, valid credentials kept on a failed
//! refresh.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_smithy_async::time::TimeSource;
use http::Extensions;
use reqwest_aws_auth::{AwsAuth, ErrorKind};
use reqwest_middleware::{ClientBuilder, Middleware, Next};

const START: u64 = 1_764_000_000;

/// A provider that counts its calls, can be told to fail, and hands out credentials that
/// expire `lifetime` after the clock's now.
#[derive(Debug, Clone)]
struct CountingProvider {
    calls: Arc<AtomicUsize>,
    fail: Arc<AtomicBool>,
    clock: Clock,
    lifetime: Duration,
    delay: Duration,
}

impl CountingProvider {
    fn new(clock: Clock, lifetime: Duration) -> Self {
        Self {
            calls: Arc::default(),
            fail: Arc::default(),
            clock,
            lifetime,
            delay: Duration::ZERO,
        }
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ProvideCredentials for CountingProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            if self.fail.load(Ordering::SeqCst) {
                return Err(CredentialsError::provider_error("sts unreachable"));
            }
            Ok(Credentials::new(
                format!("AKID{n}"),
                format!("secret{n}"),
                Some(format!("token{n}")),
                Some(self.clock.now() + self.lifetime),
                "counting",
            ))
        })
    }
}

/// A clock the test moves by hand.
#[derive(Debug, Clone)]
struct Clock(Arc<AtomicU64>);

impl Clock {
    fn new() -> Self {
        Self(Arc::new(AtomicU64::new(START)))
    }
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

impl TimeSource for Clock {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

/// Answers every request itself, so the test measures the middleware and not a network.
struct Answer200 {
    keys_seen: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Middleware for Answer200 {
    async fn handle(
        &self,
        req: reqwest::Request,
        _: &mut Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let authorization = req.headers()["authorization"].to_str().unwrap();
        let key = authorization
            .split("Credential=")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        self.keys_seen.lock().unwrap().push(key);
        Ok(http::Response::new(Vec::<u8>::new()).into())
    }
}

fn auth_with(provider: CountingProvider, clock: Clock) -> AwsAuth {
    AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider)
        .time_source(clock)
        .build()
        .unwrap()
}

async fn sign_once(auth: &AwsAuth) -> Result<String, reqwest_aws_auth::Error> {
    let mut request = reqwest::Client::new()
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .build()
        .unwrap();
    auth.sign(&mut request).await?;
    let authorization = request.headers()["authorization"].to_str().unwrap();
    Ok(authorization
        .split("Credential=")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_at_256_in_flight_call_the_provider_once() {
    let clock = Clock::new();
    let mut provider = CountingProvider::new(clock.clone(), Duration::from_secs(3600));
    // A slow provider makes the first 256 requests all wait on the same load.
    provider.delay = Duration::from_millis(50);
    let auth = auth_with(provider.clone(), clock);
    let answer = Arc::new(Answer200 {
        keys_seen: Mutex::default(),
    });
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .with_arc(answer.clone())
        .build();

    let semaphore = Arc::new(tokio::sync::Semaphore::new(256));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10_000 {
        let permit = semaphore.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        tasks.spawn(async move {
            let response = client
                .post(format!(
                    "https://abc.execute-api.us-east-1.amazonaws.com/items/{i}"
                ))
                .body(format!("{{\"n\":{i}}}"))
                .send()
                .await
                .unwrap();
            drop(permit);
            assert_eq!(response.status(), 200);
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    assert_eq!(provider.calls(), 1);
    let keys = answer.keys_seen.lock().unwrap();
    assert_eq!(keys.len(), 10_000);
    assert!(keys.iter().all(|k| k == "AKID1"));
}

#[tokio::test]
async fn clones_share_one_cache() {
    let clock = Clock::new();
    let provider = CountingProvider::new(clock.clone(), Duration::from_secs(3600));
    let auth = auth_with(provider.clone(), clock);
    let clone = auth.clone();
    sign_once(&auth).await.unwrap();
    sign_once(&clone).await.unwrap();
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn credentials_are_refreshed_ahead_of_expiry() {
    let clock = Clock::new();
    let provider = CountingProvider::new(clock.clone(), Duration::from_secs(3600));
    let auth = auth_with(provider.clone(), clock.clone());
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID1");

    // 50 minutes in: still well before the refresh window (5 min + up to 1 min jitter).
    clock.advance(Duration::from_secs(50 * 60));
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID1");
    assert_eq!(provider.calls(), 1);

    // 4 minutes before expiry: inside the refresh window whatever the jitter.
    clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID2");
    assert_eq!(provider.calls(), 2);
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn short_lived_credentials_are_used_for_half_their_life() {
    let clock = Clock::new();
    let provider = CountingProvider::new(clock.clone(), Duration::from_secs(120));
    let auth = auth_with(provider.clone(), clock.clone());
    sign_once(&auth).await.unwrap();
    clock.advance(Duration::from_secs(50));
    sign_once(&auth).await.unwrap();
    assert_eq!(provider.calls(), 1, "not refreshed before half-life");
    clock.advance(Duration::from_secs(20));
    sign_once(&auth).await.unwrap();
    assert_eq!(provider.calls(), 2, "refreshed after half-life");
}

#[tokio::test]
async fn a_failed_refresh_keeps_serving_valid_credentials_and_is_not_cached() {
    let clock = Clock::new();
    let provider = CountingProvider::new(clock.clone(), Duration::from_secs(3600));
    let auth = auth_with(provider.clone(), clock.clone());
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID1");

    clock.advance(Duration::from_secs(56 * 60));
    provider.fail.store(true, Ordering::SeqCst);
    // Refresh fails; the still-valid credentials keep serving.
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID1");
    assert_eq!(provider.calls(), 2);
    // Within the back-off, no new attempt hammers the provider.
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID1");
    assert_eq!(provider.calls(), 2);

    // After the back-off the provider is tried again: the failure was not cached.
    clock.advance(Duration::from_secs(11));
    provider.fail.store(false, Ordering::SeqCst);
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID3");
}

#[tokio::test(start_paused = true)]
async fn expired_credentials_and_a_failing_provider_give_a_retryable_error() {
    let clock = Clock::new();
    let provider = CountingProvider::new(clock.clone(), Duration::from_secs(3600));
    let auth = auth_with(provider.clone(), clock.clone());
    sign_once(&auth).await.unwrap();

    clock.advance(Duration::from_secs(3601));
    provider.fail.store(true, Ordering::SeqCst);
    let err = sign_once(&auth).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsProvider);
    assert!(err.is_retryable());
    assert!(err.to_string().contains("sts unreachable"), "{err}");
    // The provider's message is in the text, once: no `source()` repeating it.
    assert!(std::error::Error::source(&err).is_none());

    provider.fail.store(false, Ordering::SeqCst);
    tokio::time::advance(FAILED_LOAD_BACKOFF).await;
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID3");
}

/// How long a failed load is handed out again without asking the provider (the crate's 1 s).
const FAILED_LOAD_BACKOFF: Duration = Duration::from_millis(1001);

#[tokio::test(start_paused = true)]
async fn a_failed_first_load_is_shared_for_a_moment_then_tried_again() {
    let clock = Clock::new();
    let provider = CountingProvider::new(clock.clone(), Duration::from_secs(3600));
    provider.fail.store(true, Ordering::SeqCst);
    let auth = auth_with(provider.clone(), clock);
    let first = sign_once(&auth).await.unwrap_err();
    provider.fail.store(false, Ordering::SeqCst);

    // Within the back-off, the same failure is handed out and the provider left alone.
    let again = sign_once(&auth).await.unwrap_err();
    assert_eq!(again.to_string(), first.to_string());
    assert_eq!(provider.calls(), 1);

    // After it, the provider is asked again: the failure is not kept.
    tokio::time::advance(FAILED_LOAD_BACKOFF).await;
    assert_eq!(sign_once(&auth).await.unwrap(), "AKID2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn static_credentials_that_have_expired_are_refused() {
    let clock = Clock::new();
    let expired = Credentials::new(
        "AKIDOLD",
        "secret",
        None,
        Some(clock.now() - Duration::from_secs(1)),
        "static",
    );
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(expired)
        .time_source(clock)
        .build()
        .unwrap();
    let err = sign_once(&auth).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsProvider);
    assert!(err.to_string().contains("expired"), "{err}");
}

/// Refreshed credentials reach the wire whole: after a refresh, requests through the middleware
/// carry the new session token and verify with the new secret, so neither the cached signing
/// key nor the cached token header outlives the credentials it came from.
#[cfg(feature = "wiremock")]
#[tokio::test]
async fn after_a_refresh_requests_carry_the_new_token_and_verify_with_the_new_secret() {
    use reqwest_aws_auth::wiremock::SigV4Matcher;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let clock = Clock::new();
    let provider = CountingProvider::new(clock.clone(), Duration::from_secs(3600));
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth_with(provider.clone(), clock.clone()))
        .build();
    for n in 1..=2 {
        let expected = Credentials::new(
            format!("AKID{n}"),
            format!("secret{n}"),
            Some(format!("token{n}")),
            None,
            "expected",
        );
        let server = MockServer::start().await;
        Mock::given(SigV4Matcher::new(expected, "us-east-1", "execute-api").now(clock.now()))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        for _ in 0..2 {
            let response = client
                .post(format!("{}/items", server.uri()))
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "credentials {n}");
        }
        for received in server.received_requests().await.unwrap() {
            assert_eq!(
                received.headers["x-amz-security-token"],
                format!("token{n}")
            );
        }
        // Into the refresh window (5 min + up to 1 min jitter before expiry).
        clock.advance(Duration::from_secs(56 * 60));
    }
    assert_eq!(provider.calls(), 2);
}

/// A bearer-token provider whose tokens expire an hour after the clock's now (or never),
/// counting its calls.
#[derive(Debug, Clone)]
struct CountingTokens {
    calls: Arc<AtomicUsize>,
    clock: Clock,
    expires: bool,
}

#[async_trait::async_trait]
impl reqwest_aws_auth::bedrock::ProvideBearerToken for CountingTokens {
    async fn bearer_token(
        &self,
    ) -> Result<reqwest_aws_auth::bedrock::BearerToken, reqwest_aws_auth::bedrock::ProviderError>
    {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let token = reqwest_aws_auth::bedrock::BearerToken::new(format!("ABSKkey{n}"));
        Ok(if self.expires {
            token.with_expiry(self.clock.now() + Duration::from_secs(3600))
        } else {
            token
        })
    }
}

/// A bearer token with an expiry is kept and refreshed ahead of it, before it expires; one
/// without is asked for on every request, as documented.
#[tokio::test]
async fn bearer_tokens_with_an_expiry_are_refreshed_ahead_of_it_and_others_asked_every_time() {
    for expires in [true, false] {
        let clock = Clock::new();
        let provider = CountingTokens {
            calls: Arc::default(),
            clock: clock.clone(),
            expires,
        };
        let auth = AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .bearer_token_provider(provider.clone())
            .time_source(clock.clone())
            .build()
            .unwrap();
        let key = || async {
            let mut request = reqwest::Client::new()
                .post("https://bedrock-mantle.us-west-2.api.aws/v1/responses")
                .build()
                .unwrap();
            auth.sign(&mut request).await.unwrap();
            request.headers()["authorization"]
                .to_str()
                .unwrap()
                .to_owned()
        };
        for _ in 0..3 {
            key().await;
        }
        let calls = provider.calls.load(Ordering::SeqCst);
        // 56 minutes in: inside the five-minute refresh window, before the expiry.
        clock.advance(Duration::from_secs(56 * 60));
        let refreshed = key().await;
        let after = provider.calls.load(Ordering::SeqCst);
        if expires {
            assert_eq!(calls, 1, "kept while far from its expiry");
            assert_eq!(after, 2, "refreshed ahead of its expiry");
            assert_eq!(refreshed, "Bearer ABSKkey2");
        } else {
            assert_eq!(calls, 3, "asked for every request");
            assert_eq!(after, 4);
        }
    }
}
