//! Times outside what SigV4 can write (before 1970, past 9999-12-31T23:59:59Z) are a typed
//! error on every path that reads a clock, never a panic and never an unsigned request; the
//! last second SigV4 can write still signs, and verifies.
//!
//! `SystemTime` reaches far past year 9999, and `time::OffsetDateTime::from(SystemTime)` and
//! aws-sigv4's date formatting panic there: a `time_source`, a `now` passed to
//! `mint_short_term_key`, or a clock moved by a hostile `Date` would otherwise panic the app's
//! task on every request.
#![cfg(all(
    feature = "reqwest-0-13",
    feature = "reqwest-0-12",
    feature = "tower",
    feature = "verify"
))]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use reqwest_aws_auth::bedrock::{ShortTermKeyProvider, mint_short_term_key, parse_short_term_key};
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use reqwest_aws_auth::{AwsAuth, Error, ErrorKind};
use tower::{Service, ServiceExt};

const REGION: &str = "eu-west-1";
const SERVICE: &str = "execute-api";
/// 9999-12-31T23:59:59Z.
const LAST_SECOND: u64 = 253_402_300_799;

fn credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "attack-time-secret", None, None, "test")
}

fn last_second() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(LAST_SECOND)
}

/// The clocks an attacker (or a broken clock) can hand the signer.
fn out_of_range() -> [(&'static str, SystemTime); 3] {
    [
        (
            "year 10000",
            UNIX_EPOCH + Duration::from_secs(LAST_SECOND + 1),
        ),
        ("1969", UNIX_EPOCH - Duration::from_secs(24 * 60 * 60)),
        // As far as `SystemTime` goes on this platform, far past what `time` can hold.
        (
            "the end of SystemTime",
            UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2),
        ),
    ]
}

fn auth(time: SystemTime, aws_sigv4: bool) -> AwsAuth {
    AwsAuth::builder()
        .service(SERVICE)
        .region(REGION)
        .credentials(credentials())
        .time_source(StaticTimeSource::new(time))
        .sign_with_aws_sigv4(aws_sigv4)
        .build()
        .unwrap()
}

/// Runs `future` as a task of its own: a panic inside it comes back as its message.
async fn outcome<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    tokio::spawn(future).await.map_err(|err| {
        let panic = err.into_panic();
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        format!("panicked: {message}")
    })
}

/// What is wrong with `result` for a clock SigV4 cannot write, if anything: it must be an
/// `InvalidConfig` error naming the range and the clock to fix, and hold no secret.
fn refusal_problem<T: std::fmt::Debug>(result: Seen<T>) -> Option<String> {
    match result {
        Err(panic) => Some(panic),
        Ok(Ok(value)) => Some(format!("went ahead with an impossible clock: {value:?}")),
        Ok(Err(err)) => {
            let message = err.to_string();
            if err.kind() != ErrorKind::InvalidConfig {
                Some(format!("{:?}: {message}", err.kind()))
            } else if !(message.contains("1970-01-01 to 9999-12-31")
                && message.contains("time_source"))
            {
                Some(format!(
                    "the message names neither range nor clock: {message}"
                ))
            } else if message.contains("attack-time-secret") {
                Some("the message holds the secret key".into())
            } else {
                None
            }
        }
    }
}

/// Collects what went wrong in each case, so that a failure shows every case at once.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check<T: std::fmt::Debug>(&mut self, what: &str, result: Seen<T>) {
        if let Some(problem) = refusal_problem(result) {
            self.0.push(format!("{what}: {problem}"));
        }
    }

    fn assert_none(self) {
        assert!(self.0.is_empty(), "{:#?}", self.0);
    }
}

// ---- a loopback server that records what reaches it ------------------------------------

#[derive(Clone, Debug)]
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn verify(&self, verifier: &Verifier) -> Result<(), String> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        verifier
            .verify(&ReceivedRequest {
                method: &self.method,
                target: &self.target,
                headers: &headers,
                body: &self.body,
            })
            .map_err(|rejection| format!("{:?}: {}", rejection.reason(), rejection.detail()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Recorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Recorder {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: http::Request<_>| {
                        let log = Arc::clone(&log);
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = BodyExt::collect(body).await.unwrap().to_bytes();
                            log.lock().unwrap().push(Received {
                                method: parts.method.to_string(),
                                target: parts.uri.to_string(),
                                headers: parts
                                    .headers
                                    .iter()
                                    .map(|(n, v)| {
                                        (n.to_string(), v.to_str().unwrap_or("").to_owned())
                                    })
                                    .collect(),
                                body: body.to_vec(),
                            });
                            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from("ok"))))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}/prod/items?x=1", self.addr)
    }

    fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// A case's result, or the message of the panic it raised.
type Seen<T> = Result<Result<T, Error>, String>;

fn authorization(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Sends one `POST` through each middleware stack, each in a task of its own; what each
/// returned (the status) or raised.
async fn through_every_middleware(time: SystemTime, url: &str) -> Vec<(&'static str, Seen<u16>)> {
    let mut seen = Vec::new();
    for (what, aws_sigv4) in [
        ("reqwest 0.13 middleware", false),
        ("reqwest 0.13 middleware, aws-sigv4 path", true),
    ] {
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(auth(time, aws_sigv4))
            .build();
        let url = url.to_owned();
        let sent = outcome(async move {
            match client.post(url).body("hello").send().await {
                Ok(response) => Ok(response.status().as_u16()),
                Err(err) => Err(Error::from_middleware(&err)
                    .unwrap_or_else(|| panic!("not the crate's error: {err:?}"))
                    .clone()),
            }
        });
        seen.push((what, sent.await));
    }

    let client = reqwest_middleware04::ClientBuilder::new(reqwest012::Client::new())
        .with(auth(time, false))
        .build();
    let url04 = url.to_owned();
    let sent = outcome(async move {
        match client.post(url04).body("hello").send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(err) => Err(Error::from_middleware(&err)
                .unwrap_or_else(|| panic!("not the crate's error: {err:?}"))
                .clone()),
        }
    });
    seen.push(("reqwest 0.12 middleware", sent.await));

    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut service = tower::ServiceBuilder::new()
        .layer(reqwest_aws_auth::tower::AwsAuthLayer::new(auth(
            time, false,
        )))
        .service(client);
    let request = http::Request::post(url)
        .body(Full::new(Bytes::from("hello")))
        .unwrap();
    let sent = outcome(async move {
        match service.ready().await.unwrap().call(request).await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(err) => Err(err
                .downcast_ref::<Error>()
                .unwrap_or_else(|| panic!("not the crate's error: {err:?}"))
                .clone()),
        }
    });
    seen.push(("tower layer", sent.await));
    seen
}

/// `AwsAuth::sign` on each request type and both signing paths, each in a task of its own;
/// the `authorization` header it left (`None`: unsigned) or what it raised.
async fn sign_every_type(time: SystemTime) -> Vec<(String, Seen<Option<String>>)> {
    let url = "https://abc.execute-api.eu-west-1.amazonaws.com/prod/items?x=1";
    let mut seen = Vec::new();
    for aws_sigv4 in [false, true] {
        let path = if aws_sigv4 { "aws-sigv4" } else { "fast" };

        let auth = auth(time, aws_sigv4);
        let mut request = http::Request::post(url).body(Bytes::from("hello")).unwrap();
        let signed = outcome(async move {
            auth.sign(&mut request)
                .await
                .map(|()| authorization(request.headers()))
        });
        seen.push((format!("sign http::Request ({path})"), signed.await));

        let auth = self::auth(time, aws_sigv4);
        let mut request = reqwest::Client::new()
            .post(url)
            .body("hello")
            .build()
            .unwrap();
        let signed = outcome(async move {
            auth.sign(&mut request)
                .await
                .map(|()| authorization(request.headers()))
        });
        seen.push((format!("sign reqwest 0.13 ({path})"), signed.await));

        let auth = self::auth(time, aws_sigv4);
        let mut request = reqwest012::Client::new()
            .post(url)
            .body("hello")
            .build()
            .unwrap();
        let signed = outcome(async move {
            auth.sign(&mut request).await.map(|()| {
                request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned())
            })
        });
        seen.push((format!("sign reqwest 0.12 ({path})"), signed.await));
    }
    seen
}

async fn presign(time: SystemTime) -> Result<url::Url, Error> {
    presign_with(auth(time, false)).await
}

async fn presign_with(auth: AwsAuth) -> Result<url::Url, Error> {
    let request = http::Request::get("https://abc.execute-api.eu-west-1.amazonaws.com/prod/items")
        .body(Bytes::new())
        .unwrap();
    auth.presign(&request, Duration::from_secs(600)).await
}

// ---- out of range: typed errors -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impossible_clock_fails_every_signature_with_a_typed_error() {
    let mut problems = Problems::default();
    for (name, time) in out_of_range() {
        // `Ok(None)` would be a request let through unsigned.
        for (what, result) in sign_every_type(time).await {
            problems.check(&format!("{name}: {what}"), result);
        }
        problems.check(&format!("{name}: presign"), outcome(presign(time)).await);
        // Credentials that expire: the clock is blamed, not their expiry.
        let expiring = AwsAuth::builder()
            .service(SERVICE)
            .region(REGION)
            .credentials(Credentials::new(
                "AKIDEXAMPLE",
                "attack-time-secret",
                Some("session-token".into()),
                Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
                "test",
            ))
            .time_source(StaticTimeSource::new(time))
            .build()
            .unwrap();
        problems.check(
            &format!("{name}: presign with expiring credentials"),
            outcome(presign_with(expiring)).await,
        );
    }
    problems.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impossible_clock_sends_nothing_through_any_middleware() {
    let server = Recorder::start().await;
    let mut problems = Problems::default();
    for (name, time) in out_of_range() {
        let url = server.url();
        for (what, result) in through_every_middleware(time, &url).await {
            problems.check(&format!("{name}: {what}"), result);
        }
        let reached = server.take().len();
        if reached > 0 {
            problems
                .0
                .push(format!("{name}: {reached} requests reached the server"));
        }
    }
    problems.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minting_with_an_impossible_clock_is_a_typed_error() {
    let mut problems = Problems::default();
    for (name, time) in out_of_range() {
        let minted = outcome(async move {
            mint_short_term_key(&credentials(), "us-west-2", time, Duration::from_secs(3600))
        })
        .await;
        problems.check(&format!("{name}: mint_short_term_key"), minted);

        let keys = ShortTermKeyProvider::builder()
            .region("us-west-2")
            .credentials(credentials())
            .time_source(StaticTimeSource::new(time))
            .build()
            .unwrap();
        let key = outcome(async move { keys.key().await }).await;
        problems.check(&format!("{name}: ShortTermKeyProvider"), key);
    }
    problems.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bedrock_key_expiry_is_not_judged_by_an_impossible_clock() {
    let minted_at = UNIX_EPOCH + Duration::from_secs(1_795_953_600); // 2026-11-29T12:00:00Z
    let key = mint_short_term_key(
        &credentials(),
        "us-west-2",
        minted_at,
        Duration::from_secs(3600),
    )
    .unwrap();
    let mut problems = Problems::default();
    for (name, time) in out_of_range() {
        let auth = AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .bearer_token(key.expose_secret())
            .time_source(StaticTimeSource::new(time))
            .build()
            .unwrap();
        let signed = outcome(async move {
            let mut request =
                http::Request::post("https://bedrock-mantle.us-west-2.api.aws/v1/responses")
                    .body(Bytes::from("{}"))
                    .unwrap();
            auth.sign(&mut request)
                .await
                .map(|()| request.headers().contains_key("authorization"))
        })
        .await;
        problems.check(&format!("{name}: bearer key with an expiry"), signed);
    }
    problems.assert_none();
}

// ---- the last second SigV4 can write: still signs -----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_second_of_9999_still_signs_and_verifies() {
    let server = Recorder::start().await;
    // The last second, and the last millisecond of it: still 9999-12-31T23:59:59Z.
    for time in [last_second(), last_second() + Duration::from_millis(999)] {
        let verifier = Verifier::new(credentials(), REGION, SERVICE).now(time);

        for (what, result) in sign_every_type(time).await {
            let authorization = result
                .unwrap_or_else(|panic| panic!("{what}: {panic}"))
                .unwrap_or_else(|err| panic!("{what}: {err}"))
                .unwrap_or_else(|| panic!("{what}: unsigned"));
            assert!(
                authorization.contains("Credential=AKIDEXAMPLE/99991231/eu-west-1/execute-api/"),
                "{what}: {authorization}"
            );
        }

        for (what, result) in through_every_middleware(time, &server.url()).await {
            let status = result
                .unwrap_or_else(|panic| panic!("{what}: {panic}"))
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            assert_eq!(status, 200, "{what}");
        }
        let received = server.take();
        assert_eq!(received.len(), 4);
        for request in &received {
            assert_eq!(request.header("x-amz-date"), Some("99991231T235959Z"));
            request.verify(&verifier).unwrap();
        }

        let url = outcome(presign(time)).await.unwrap().unwrap();
        assert!(
            url.as_str().contains("X-Amz-Date=99991231T235959Z"),
            "{url}"
        );
        verifier
            .verify(&ReceivedRequest {
                method: "GET",
                target: &url[url::Position::BeforePath..],
                headers: &[("host", url.host_str().unwrap())],
                body: b"",
            })
            .unwrap();

        let key = mint_short_term_key(&credentials(), "us-west-2", time, Duration::from_secs(3600))
            .unwrap();
        let info = parse_short_term_key(key.expose_secret()).unwrap();
        assert_eq!(info.issued_at, last_second());
        assert_eq!(key.expires_at(), Some(time + Duration::from_secs(3600)));
    }
}
