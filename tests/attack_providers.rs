//! Providers that attack the loads: through the public API (`AwsAuth` with
//! `.credentials_provider(..)` or `.bearer_token_provider(..)`, the middleware of both reqwest
//! lines and `sign()`), a provider that counts its calls and is slow, fails, panics or returns
//! empty keys, callers that give up, and a `credential_process` that never answers. Every
//! assertion is on counts and outcomes, never on how long something took.
#![cfg(all(feature = "reqwest-0-13", feature = "reqwest-0-12"))]

#[path = "support/child_env.rs"]
mod child_env;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, future};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use reqwest_aws_auth::bedrock::{BearerToken, ProvideBearerToken, ProviderError};
use reqwest_aws_auth::{AwsAuth, Error, ErrorKind};

const KEY: &str = "ABSKattack-test-key";

/// What a provider does when called.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    /// Answers after `delay`.
    Answer,
    /// Fails after `delay`.
    Fail,
    /// Panics after `delay`.
    Panic,
    /// Answers `(access key id, secret)` after `delay`.
    Empty(&'static str, &'static str),
}

/// A credential and bearer-token provider that counts its calls.
#[derive(Debug, Clone)]
struct Attacker {
    calls: Arc<AtomicUsize>,
    act: Arc<std::sync::Mutex<Act>>,
    delay: Duration,
}

impl Attacker {
    fn new(act: Act, delay: Duration) -> Self {
        Self {
            calls: Arc::default(),
            act: Arc::new(std::sync::Mutex::new(act)),
            delay,
        }
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
    fn set(&self, act: Act) {
        *self.act.lock().unwrap() = act;
    }
    /// Counts the call, waits, then acts: `Ok` carries the key pair to answer with.
    async fn act(&self) -> Result<(&'static str, &'static str), String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let act = *self.act.lock().unwrap();
        match act {
            Act::Answer => Ok(("AKIDATTACK", "attack/secret")),
            Act::Fail => Err("the provider's backend is down".into()),
            Act::Panic => panic!("a provider bug"),
            Act::Empty(id, secret) => Ok((id, secret)),
        }
    }
}

impl ProvideCredentials for Attacker {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let (id, secret) = self
                .act()
                .await
                .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)?;
            Ok(Credentials::new(
                id,
                secret,
                None,
                Some(SystemTime::now() + Duration::from_secs(3600)),
                "attacker",
            ))
        })
    }
}

#[async_trait::async_trait]
impl ProvideBearerToken for Attacker {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        let (id, _) = self.act().await?;
        Ok(BearerToken::new(if id.is_empty() { "" } else { KEY }))
    }
}

/// A loopback server that answers 200 to everything and counts what reached it.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_: hyper::Request<Incoming>| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async { Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::new()))) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}/"), hits)
}

fn sigv4(provider: &Attacker) -> reqwest_aws_auth::AwsAuthBuilder {
    AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
}

fn bearer(provider: &Attacker) -> reqwest_aws_auth::AwsAuthBuilder {
    AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token_provider(provider.clone())
}

fn client013(auth: AwsAuth) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build()
}

fn client012(auth: AwsAuth) -> reqwest_middleware04::ClientWithMiddleware {
    reqwest_middleware04::ClientBuilder::new(reqwest012::Client::new())
        .with(auth)
        .build()
}

/// Sends through the reqwest 0.13 middleware; the crate's error if it refused.
async fn send013(
    client: &reqwest_middleware::ClientWithMiddleware,
    url: &str,
) -> Result<u16, Error> {
    match client.get(url).send().await {
        Ok(response) => Ok(response.status().as_u16()),
        Err(err) => Err(Error::from_middleware(&err)
            .unwrap_or_else(|| panic!("not the crate's error: {err}"))
            .clone()),
    }
}

async fn send012(
    client: &reqwest_middleware04::ClientWithMiddleware,
    url: &str,
) -> Result<u16, Error> {
    match client.get(url).send().await {
        Ok(response) => Ok(response.status().as_u16()),
        Err(err) => Err(Error::from_middleware(&err)
            .unwrap_or_else(|| panic!("not the crate's error: {err}"))
            .clone()),
    }
}

async fn sign(auth: &AwsAuth, url: &str) -> Result<reqwest::Request, Error> {
    let mut request = reqwest::Client::new().get(url).build().unwrap();
    auth.sign(&mut request).await?;
    Ok(request)
}

/// 19.5: ten concurrent requests share one call of a bearer-token provider; a failure is
/// shared and followed by a back-off, like every other load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_providers_are_single_flight_and_back_off() {
    let (url, hits) = counting_server().await;
    let provider = Attacker::new(Act::Answer, Duration::from_millis(300));
    let client = client013(bearer(&provider).build().unwrap());

    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (client, url) = (client.clone(), url.clone());
        set.spawn(async move { send013(&client, &url).await });
    }
    while let Some(outcome) = set.join_next().await {
        assert_eq!(outcome.unwrap().unwrap(), 200);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 10);
    assert_eq!(
        provider.calls(),
        1,
        "ten concurrent requests, one provider call"
    );

    provider.set(Act::Fail);
    let first = send013(&client, &url).await.unwrap_err();
    assert_eq!(first.kind(), ErrorKind::CredentialsProvider, "{first}");
    assert_eq!(provider.calls(), 2);
    for _ in 0..5 {
        let again = send013(&client, &url).await.unwrap_err();
        assert_eq!(again.to_string(), first.to_string());
    }
    assert_eq!(
        provider.calls(),
        2,
        "no call within the back-off after a failure"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        10,
        "nothing sent without a key"
    );
}

/// 19.9: a provider that panics, credential or bearer, on a current-thread runtime (where an
/// unwinding panic reaches the app): every waiting request gets a typed error naming the
/// provider, the panic is shared like a failure and followed by the back-off, and no task of
/// the app unwinds. Through both middleware lines and `sign()`.
#[tokio::test]
async fn panicking_providers_give_typed_errors_and_never_unwind_the_app() {
    let (url, hits) = counting_server().await;
    for (mode, names) in [
        ("sigv4", "`.credentials_provider(...)`"),
        ("bearer", "`.bearer_token_provider(...)`"),
    ] {
        let provider = Attacker::new(Act::Panic, Duration::from_millis(50));
        let builder = match mode {
            "sigv4" => sigv4(&provider),
            _ => bearer(&provider),
        };
        let auth = builder.build().unwrap();
        let (c013, c012) = (client013(auth.clone()), client012(auth.clone()));

        let mut set = tokio::task::JoinSet::new();
        for i in 0..6 {
            let (c013, c012, auth, url) = (c013.clone(), c012.clone(), auth.clone(), url.clone());
            set.spawn(async move {
                match i % 3 {
                    0 => send013(&c013, &url).await.map(|_| ()),
                    1 => send012(&c012, &url).await.map(|_| ()),
                    _ => sign(&auth, &url).await.map(|_| ()),
                }
            });
        }
        let mut unwound = 0;
        let mut errors = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(outcome) => errors.push(outcome.unwrap_err()),
                Err(join) if join.is_panic() => unwound += 1,
                Err(join) => panic!("{join}"),
            }
        }
        assert_eq!(unwound, 0, "{mode}: tasks of the app unwound");
        for err in &errors {
            assert_eq!(err.kind(), ErrorKind::CredentialsProvider, "{mode}: {err}");
            assert!(err.to_string().contains("panicked"), "{mode}: {err}");
            assert!(err.to_string().contains(names), "{mode}: {err}");
        }
        assert_eq!(
            provider.calls(),
            1,
            "{mode}: the waiting requests shared one call"
        );

        // Recorded like a failure: the next request within the back-off does not call again.
        let again = send013(&c013, &url).await.unwrap_err();
        assert_eq!(again.to_string(), errors[0].to_string());
        assert_eq!(
            provider.calls(),
            1,
            "{mode}: called again within the back-off"
        );

        // After the back-off the provider is asked again, and a recovered one serves.
        provider.set(Act::Answer);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(send013(&c013, &url).await.unwrap(), 200, "{mode}");
        assert_eq!(provider.calls(), 2, "{mode}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "only the recovered requests were sent"
    );
}

/// 19.10: credentials with an empty access key id or secret are refused, naming the provider,
/// and nothing is sent.
#[tokio::test]
async fn empty_credentials_are_refused_and_nothing_is_sent() {
    let (url, hits) = counting_server().await;
    for (id, secret) in [("", "attack/secret"), ("AKIDATTACK", ""), ("", "")] {
        let provider = Attacker::new(Act::Empty(id, secret), Duration::ZERO);
        let auth = sigv4(&provider).build().unwrap();
        let err = send013(&client013(auth.clone()), &url).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CredentialsProvider, "{err}");
        assert!(err.to_string().contains("empty"), "{err}");
        assert!(
            err.to_string().contains("`.credentials_provider(...)`"),
            "{err}"
        );
        let err = sign(&auth, &url).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CredentialsProvider, "{err}");
    }
    // Static ones too.
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(Credentials::new("", "secret", None, None, "static"))
        .build();
    if let Ok(auth) = auth {
        let err = send013(&client013(auth), &url).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CredentialsProvider, "{err}");
        assert!(err.to_string().contains("`.credentials(...)`"), "{err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "requests were sent");
}

/// 25.4: callers that give up never cancel the shared load. 40 callers, arriving 100 ms
/// apart, each give up after 700 ms against a provider that takes 1 s: the first load runs to
/// its end, at most two provider calls are made, and callers arriving after it are served.
/// Credential and bearer provider alike.
#[tokio::test(start_paused = true)]
async fn callers_that_give_up_do_not_cancel_the_shared_load() {
    for mode in ["sigv4", "bearer"] {
        let provider = Attacker::new(Act::Answer, Duration::from_secs(1));
        let builder = match mode {
            "sigv4" => sigv4(&provider),
            _ => bearer(&provider),
        };
        let auth = builder.build().unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let gave_up = Arc::new(AtomicUsize::new(0));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..40u64 {
            let (auth, served, gave_up) = (auth.clone(), served.clone(), gave_up.clone());
            set.spawn(async move {
                tokio::time::sleep(Duration::from_millis(100 * i)).await;
                let url = match mode {
                    "sigv4" => "https://abc.execute-api.us-east-1.amazonaws.com/",
                    _ => "https://bedrock-mantle.us-west-2.api.aws/v1/models",
                };
                match tokio::time::timeout(Duration::from_millis(700), sign(&auth, url)).await {
                    Ok(signed) => {
                        let request = signed.unwrap();
                        assert!(request.headers().contains_key("authorization"));
                        served.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => {
                        gave_up.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
        while let Some(joined) = set.join_next().await {
            joined.unwrap();
        }
        let (served, gave_up) = (
            served.load(Ordering::SeqCst),
            gave_up.load(Ordering::SeqCst),
        );
        println!(
            "{mode}: {} provider calls, {served} served, {gave_up} gave up",
            provider.calls()
        );
        if mode == "sigv4" {
            assert!(provider.calls() <= 2, "{mode}: {} calls", provider.calls());
            // Everyone arriving after the first load (at 1 s) is served.
            assert!(served >= 30, "{mode}: {served} served");
        } else {
            // A bearer token without an expiry is asked for each request that does not join
            // a running call: one call per second at most here, never one per caller.
            assert!(provider.calls() <= 5, "{mode}: {} calls", provider.calls());
            assert!(served >= 20, "{mode}: {served} served");
        }
    }
}

/// 25.4: a `credential_process` that times out is killed, with what it started: after six
/// timed-out loads, no process of it is left running.
#[test]
#[cfg(target_os = "linux")]
fn a_timed_out_credential_process_is_killed() {
    let dir =
        std::env::temp_dir().join(format!("reqwest-aws-auth-slowproc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("slow-credential-process.sh");
    // `sleep` as a child of the script: what the kill must reach is a process tree.
    let marker = format!("47.{}", std::process::id() % 1000);
    std::fs::write(
        &script,
        format!("#!/bin/sh\nsleep {marker}\necho '{{\"Version\": 1}}'\n"),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    child_env::run_child(
        "slow_credential_process",
        &[
            ("SLOW_MARKER", &marker),
            ("SLOW_SCRIPT", script.to_str().unwrap()),
        ],
        &format!(
            "[default]\nregion = us-east-1\ncredential_process = {}\n",
            script.display()
        ),
        "",
    );
    let left = live_processes(&[&marker, script.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(left, 0, "processes of the credential_process left running");
}

/// Processes (not zombies) whose command line contains one of `needles`.
#[cfg(target_os = "linux")]
fn live_processes(needles: &[&str]) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        if !zombie && needles.iter().any(|n| cmdline.contains(n)) {
            count += 1;
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of the attack_providers tests; checks nothing when run directly"]
async fn child() {
    let Some(scenario) = child_env::scenario() else {
        return;
    };
    match scenario.as_str() {
        #[cfg(target_os = "linux")]
        "slow_credential_process" => {
            let marker = std::env::var("SLOW_MARKER").unwrap();
            let script = std::env::var("SLOW_SCRIPT").unwrap();
            let auth = AwsAuth::builder()
                .service("execute-api")
                .credentials_timeout(Duration::from_millis(300))
                .build()
                .unwrap();
            for _ in 0..6 {
                let err = tokio::time::timeout(
                    Duration::from_secs(20),
                    sign(&auth, "https://abc.execute-api.us-east-1.amazonaws.com/"),
                )
                .await
                .expect("hung behind credential_process")
                .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::ProviderTimeout, "{err}");
                // Past the back-off, so that each round starts a load of its own.
                tokio::time::sleep(Duration::from_millis(1100)).await;
            }
            let left = live_processes(&[&marker, &script]);
            println!("{left} processes of the credential_process left running");
            assert_eq!(left, 0);
        }
        other => panic!("unknown scenario {other}"),
    }
    child_env::checked(&scenario);
}
