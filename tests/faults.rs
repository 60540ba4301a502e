//! Load and fault tests through the middleware, with counts asserted (never times): credentials
//! that expire every two seconds under load, a provider that fails every other call, a
//! provider that hangs, credentials without an expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_smithy_async::time::TimeSource;
use http::Extensions;
use reqwest_aws_auth::bedrock::{
    BearerToken, ProvideBearerToken, ProviderError, ShortTermKeyProvider,
};
use reqwest_aws_auth::{AwsAuth, Error, ErrorKind};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

#[derive(Debug, Clone, Copy)]
enum Behaviour {
    Answer,
    Hang,
    FailEveryOther,
}

/// Counts its calls; credentials `AKID{n}` for call `n`, expiring `lifetime` after the system
/// clock's now (or never).
#[derive(Debug, Clone)]
struct Provider {
    calls: Arc<AtomicUsize>,
    failures: Arc<AtomicUsize>,
    lifetime: Option<Duration>,
    behaviour: Behaviour,
    clock: Option<ManualClock>,
}

impl Provider {
    fn new(behaviour: Behaviour, lifetime: Option<Duration>) -> Self {
        Self {
            calls: Arc::default(),
            failures: Arc::default(),
            lifetime,
            behaviour,
            clock: None,
        }
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ProvideCredentials for Provider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            match self.behaviour {
                Behaviour::Hang => std::future::pending::<()>().await,
                Behaviour::FailEveryOther if n.is_multiple_of(2) => {
                    self.failures.fetch_add(1, Ordering::SeqCst);
                    return Err(CredentialsError::provider_error("sts unreachable"));
                }
                _ => {}
            }
            let now = match &self.clock {
                Some(clock) => clock.now(),
                None => SystemTime::now(),
            };
            Ok(Credentials::new(
                format!("AKID{n}"),
                "secret",
                None,
                self.lifetime.map(|l| now + l),
                "faults",
            ))
        })
    }
}

/// A clock the test moves by hand.
#[derive(Debug, Clone)]
struct ManualClock(Arc<AtomicU64>);

impl TimeSource for ManualClock {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

/// Answers every signed request itself (no network): the test measures the middleware.
struct Answer200 {
    answered: AtomicUsize,
}

#[async_trait::async_trait]
impl Middleware for Answer200 {
    async fn handle(
        &self,
        req: reqwest::Request,
        _: &mut Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        assert!(req.headers().contains_key("authorization"));
        self.answered.fetch_add(1, Ordering::SeqCst);
        Ok(http::Response::new(Vec::<u8>::new()).into())
    }
}

fn client(auth: AwsAuth) -> (ClientWithMiddleware, Arc<Answer200>) {
    let answer = Arc::new(Answer200 {
        answered: AtomicUsize::new(0),
    });
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .with_arc(answer.clone())
        .build();
    (client, answer)
}

fn auth(provider: &Provider) -> AwsAuth {
    AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .build()
        .unwrap()
}

/// `tasks` loops sending requests until `run` has passed; returns (sent, failed).
async fn load(client: &ClientWithMiddleware, tasks: usize, run: Duration) -> (usize, usize) {
    let deadline = tokio::time::Instant::now() + run;
    let mut set = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let client = client.clone();
        set.spawn(async move {
            let (mut sent, mut failed) = (0, 0);
            while tokio::time::Instant::now() < deadline {
                let response = client
                    .post(format!(
                        "https://abc.execute-api.us-east-1.amazonaws.com/items/{t}"
                    ))
                    .body("{}")
                    .send()
                    .await;
                sent += 1;
                if response.is_err() {
                    failed += 1;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            (sent, failed)
        });
    }
    let (mut sent, mut failed) = (0, 0);
    while let Some(result) = set.join_next().await {
        let (s, f) = result.unwrap();
        sent += s;
        failed += f;
    }
    (sent, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_expiring_every_two_seconds_are_refreshed_single_flight_under_load() {
    let provider = Provider::new(Behaviour::Answer, Some(Duration::from_secs(2)));
    let (client, answer) = client(auth(&provider));
    let (sent, failed) = load(&client, 64, Duration::from_secs(20)).await;
    let calls = provider.calls();
    println!("{sent} requests, {failed} failed, {calls} provider calls");
    assert_eq!(failed, 0);
    assert_eq!(answer.answered.load(Ordering::SeqCst), sent);
    // Ten lifetimes, each refreshed once at half-life: about 20 calls, not one per request.
    assert!((10..=25).contains(&calls), "{calls} provider calls");
    assert!(sent > 100 * calls, "{sent} requests for {calls} calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_failing_every_other_call_fails_no_request_while_credentials_are_valid() {
    let provider = Provider::new(Behaviour::FailEveryOther, Some(Duration::from_secs(2)));
    let (client, _) = client(auth(&provider));
    let (sent, failed) = load(&client, 32, Duration::from_secs(7)).await;
    let failures = provider.failures.load(Ordering::SeqCst);
    println!(
        "{sent} requests, {failed} failed, {} provider calls, {failures} of them failed",
        provider.calls()
    );
    assert_eq!(failed, 0);
    assert!(failures >= 2, "the provider failed {failures} times");
}

fn assert_timeout(err: &Error, names: &str) {
    assert_eq!(err.kind(), ErrorKind::ProviderTimeout, "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains(names), "{err}");
    assert!(err.to_string().contains(".credentials_timeout("), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_provider_fails_every_request_within_the_timeout_and_hangs_none() {
    let provider = Provider::new(Behaviour::Hang, None);
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .credentials_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let (client, answer) = client(auth);

    let mut set = tokio::task::JoinSet::new();
    for i in 0..64 {
        let client = client.clone();
        set.spawn(async move {
            // A hang detector, not a timing assertion: the timeout plus a wide margin.
            tokio::time::timeout(
                Duration::from_secs(10),
                client
                    .get(format!(
                        "https://abc.execute-api.us-east-1.amazonaws.com/{i}"
                    ))
                    .send(),
            )
            .await
        });
    }
    let mut failed = 0;
    while let Some(result) = set.join_next().await {
        let err = result
            .unwrap()
            .expect("a request hung behind the provider")
            .unwrap_err();
        let ours = Error::from_middleware(&err).expect("the crate's error");
        assert_timeout(ours, "`.credentials_provider(...)`");
        failed += 1;
    }
    assert_eq!(failed, 64);
    assert_eq!(
        answer.answered.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
    assert_eq!(provider.calls(), 1, "the waiting requests shared one load");

    // After the back-off the next request asks the provider again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let err = client
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .send()
        .await
        .unwrap_err();
    assert_timeout(Error::from_middleware(&err).unwrap(), "provider");
    assert_eq!(provider.calls(), 2);
}

#[derive(Debug, Clone, Default)]
struct HungBearer(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl ProvideBearerToken for HungBearer {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

#[tokio::test]
async fn hung_bearer_token_providers_and_key_minting_time_out_too() {
    let hung_bearer = HungBearer::default();
    let bearer = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token_provider(hung_bearer.clone())
        .credentials_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    // Eight requests at once wait on one call, and each fails within the timeout.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let bearer = bearer.clone();
        set.spawn(async move {
            let mut request = reqwest::Client::new()
                .post("https://bedrock-mantle.us-west-2.api.aws/v1/responses")
                .build()
                .unwrap();
            tokio::time::timeout(Duration::from_secs(10), bearer.sign(&mut request))
                .await
                .expect("hung")
                .unwrap_err()
        });
    }
    while let Some(err) = set.join_next().await {
        assert_timeout(&err.unwrap(), "`.bearer_token_provider(...)`");
    }
    assert_eq!(hung_bearer.0.load(Ordering::SeqCst), 1, "one shared call");

    let hung = Provider::new(Behaviour::Hang, None);
    let keys = ShortTermKeyProvider::builder()
        .region("us-west-2")
        .credentials_provider(hung)
        .credentials_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(10), keys.key())
        .await
        .expect("hung")
        .unwrap_err();
    assert_timeout(&err, "`.credentials_provider(...)`");
}

#[tokio::test]
async fn credentials_without_an_expiry_are_fetched_again_after_fifteen_minutes() {
    let clock = ManualClock(Arc::new(AtomicU64::new(1_764_000_000)));
    let mut provider = Provider::new(Behaviour::Answer, None);
    provider.clock = Some(clock.clone());
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .time_source(clock.clone())
        .build()
        .unwrap();
    let key = |request: &reqwest::Request| {
        let authorization = request.headers()["authorization"].to_str().unwrap();
        authorization
            .split("Credential=")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let sign = || async {
        let mut request = reqwest::Client::new()
            .get("https://abc.execute-api.us-east-1.amazonaws.com/")
            .build()
            .unwrap();
        auth.sign(&mut request).await.unwrap();
        key(&request)
    };
    assert_eq!(sign().await, "AKID1");
    clock.0.fetch_add(8 * 60, Ordering::SeqCst);
    assert_eq!(sign().await, "AKID1", "kept for a while");
    clock.0.fetch_add(8 * 60, Ordering::SeqCst);
    assert_eq!(sign().await, "AKID2", "rotated keys are picked up");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn a_zero_credentials_timeout_is_refused_at_build() {
    let err = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("credentials_timeout"), "{err}");
}
