//! Playing the attacker against the logs: every stack (reqwest 0.13 and 0.12 middleware, the
//! tower layer, `AwsAuth::sign` on each request type) and `presign` run under one global TRACE
//! subscriber for every target, so that events from any thread and any crate are caught, and
//! the log is searched for every secret the requests carried: the secret key, a session token
//! in a header and inside a URL's query (any case), a presigned URL's signature, a Bedrock key,
//! SSE-C keys and a userinfo password. Both signers run, once with the crate at TRACE and once
//! with the crate quiet (INFO) while its dependencies stay at TRACE.
//!
//! Also: a redirect whose `Location` carries a token, a signature and a password, on each
//! middleware stack; the verifier's `Debug` and rejections (which its wiremock matchers log);
//! and configured values holding CR LF or ESC, which come back escaped from `build()`, from
//! request errors, from the logs and from `aws-sigv4-curl`.
#![cfg(all(feature = "reqwest-0-13", feature = "reqwest-0-12", feature = "tower"))]
#![allow(dead_code)] // The shared server's SSE support is not used here.

#[path = "support/verifying_server.rs"]
mod verifying_server;

#[path = "support/child_env.rs"]
mod child_env;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body_util::BodyExt;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, ErrorKind, RequestOptions};
use tower::{Service, ServiceExt};
use tracing_subscriber::layer::SubscriberExt;
use verifying_server::{Expect, Server};

// Secrets of unreserved characters only, so that they read the same percent-encoded or not.
const SECRET: &str = "attack-SECRET-signing-key-0001";
const TOKEN: &str = "attack-TOKEN-in-header-0002";
const URL_SECRET: &str = "attack-SECRET-presigner-key-0003";
const URL_TOKEN: &str = "attack-TOKEN-in-url-query-0004";
const LOWER_URL_TOKEN: &str = "attack-token-in-lower-case-query-0005";
const BEARER: &str = "attack-BEARER-bedrock-key-0006";
const SSE_C_KEY: &str = "attack-SSE-C-customer-key-0007";
const COPY_SSE_C_KEY: &str = "attack-SSE-C-copy-source-key-0008";
const PASSWORD: &str = "attack-userinfo-password-0009";
const PRESIGN_TOKEN: &str = "attack-TOKEN-presign-0010";

// ---- one subscriber for the whole binary ------------------------------------------------

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// The crate's own events at INFO and above only (its dependencies stay at TRACE).
static CRATE_QUIET: AtomicBool = AtomicBool::new(false);
/// Tests that switch `CRATE_QUIET` or read the log as a whole run one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Writer;

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_subscriber() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // Evaluated for every event (never cached per callsite), so that switching
        // `CRATE_QUIET` takes effect at once.
        let filter = tracing_subscriber::filter::dynamic_filter_fn(|meta, _| {
            !(CRATE_QUIET.load(Ordering::SeqCst)
                && meta.target().starts_with("reqwest_aws_auth")
                && *meta.level() > tracing::Level::INFO)
        });
        // A global filter, as an app's `EnvFilter` is: a per-layer filter keeps the verdict
        // of an `enabled!` check for the next event on the thread, which would hide events.
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(|| Writer);
        let subscriber = tracing_subscriber::registry().with(filter).with(layer);
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

fn log_text() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

fn clear_log() {
    LOG.lock().unwrap().clear();
}

/// The log's events (an event's multi-line fields stay with it).
fn events(log: &str) -> Vec<String> {
    let mut events: Vec<String> = Vec::new();
    for line in log.lines() {
        // Each event starts with its timestamp, `2026-...`.
        let starts_event = line.len() > 4 && line[..4].bytes().all(|b| b.is_ascii_digit());
        match events.last_mut() {
            Some(event) if !starts_event => {
                event.push('\n');
                event.push_str(line);
            }
            _ => events.push(line.to_owned()),
        }
    }
    events
}

/// For each secret found in `log`: its name, in how many events, and the targets of those.
fn leaks(log: &str, secrets: &[(&str, &str)]) -> Vec<String> {
    let events = events(log);
    let mut found = Vec::new();
    for (name, secret) in secrets {
        let leaking: Vec<&String> = events.iter().filter(|e| e.contains(secret)).collect();
        if leaking.is_empty() {
            continue;
        }
        let mut targets: Vec<&str> = leaking
            .iter()
            .filter_map(|e| e.split_whitespace().nth(2))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        found.push(format!(
            "{name}: {} event(s) of {targets:?}, e.g. {}",
            leaking.len(),
            leaking[0].chars().take(300).collect::<String>()
        ));
    }
    found
}

// ---- the table --------------------------------------------------------------------------

fn credentials(token: bool) -> Credentials {
    Credentials::new(
        "AKIDATTACK",
        SECRET,
        token.then(|| TOKEN.to_owned()),
        None,
        "attack",
    )
}

struct Case {
    name: &'static str,
    service: &'static str,
    token: bool,
    auth: fn(AwsAuthBuilder) -> AwsAuthBuilder,
    method: &'static str,
    /// Path and query; `{}` is replaced by the path and query of a presigned URL.
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<&'static [u8]>,
    /// Credentials reach the server (else the case is refused before sending, by design).
    sent: bool,
}

fn table(presigned: &str) -> Vec<Case> {
    vec![
        Case {
            name: "session token in a header",
            service: "execute-api",
            token: true,
            auth: |b| b,
            method: "POST",
            path: "/items?b=2&a=1".into(),
            headers: vec![("content-type", "application/json".into())],
            body: Some(br#"{"name":"widget"}"#),
            sent: true,
        },
        Case {
            name: "a presigned URL fetched through the signing client",
            service: "s3",
            token: true,
            auth: |b| b,
            method: "GET",
            path: presigned.to_owned(),
            headers: vec![],
            body: None,
            sent: true,
        },
        Case {
            name: "a token in a lower-case query key, with the signature's keys in upper case",
            service: "execute-api",
            token: false,
            auth: |b| b,
            method: "GET",
            path: format!(
                "/items?x-amz-security-token={LOWER_URL_TOKEN}&X-AMZ-CREDENTIAL=AKIDQUERY%2F{URL_SECRET}"
            ),
            headers: vec![],
            body: None,
            sent: true,
        },
        Case {
            name: "SSE-C keys in headers",
            service: "s3",
            token: true,
            auth: |b| b,
            method: "PUT",
            path: "/bucket/object.bin".into(),
            headers: vec![
                (
                    "x-amz-server-side-encryption-customer-algorithm",
                    "AES256".into(),
                ),
                (
                    "x-amz-server-side-encryption-customer-key",
                    SSE_C_KEY.into(),
                ),
                (
                    "x-amz-copy-source-server-side-encryption-customer-key",
                    COPY_SSE_C_KEY.into(),
                ),
            ],
            body: Some(b"object body"),
            sent: true,
        },
        Case {
            name: "a userinfo password in the URL",
            service: "execute-api",
            token: true,
            auth: |b| b.replace_authorization(true),
            method: "GET",
            path: "/items".into(),
            headers: vec![],
            body: None,
            sent: true,
        },
        Case {
            name: "a Bedrock API key",
            service: "bedrock-mantle",
            token: false,
            auth: |_| AwsAuth::builder().bearer_token(BEARER),
            method: "POST",
            path: "/v1/chat/completions".into(),
            headers: vec![("content-type", "application/json".into())],
            body: Some(br#"{"messages":[]}"#),
            sent: true,
        },
    ]
}

fn auth_for(case: &Case, aws_sigv4: bool) -> AwsAuth {
    let base = AwsAuth::builder()
        .service(case.service)
        .region("eu-west-1")
        .credentials(credentials(case.token))
        .sign_with_aws_sigv4(aws_sigv4);
    (case.auth)(base).build().unwrap()
}

fn url_for(case: &Case, server: &Server) -> String {
    let url = server.url(&case.path);
    if case.name.contains("userinfo") {
        url.replacen("http://", &format!("http://user:{PASSWORD}@"), 1)
    } else {
        url
    }
}

/// A status, or the crate's error kind.
type Seen = Result<u16, ErrorKind>;

macro_rules! reqwest_drivers {
    ($middleware_name:ident, $sign_name:ident, $reqwest:ident, $middleware:ident) => {
        async fn $middleware_name(case: &Case, server: &Server, aws_sigv4: bool) -> Seen {
            let http = $reqwest::Client::builder()
                .redirect($reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let client = $middleware::ClientBuilder::new(http)
                .with(auth_for(case, aws_sigv4))
                .build();
            let mut request = client.request(case.method.parse().unwrap(), url_for(case, server));
            for (name, value) in &case.headers {
                request = request.header(*name, value);
            }
            if let Some(body) = case.body {
                request = request.body(body.to_vec());
            }
            match request.send().await {
                Ok(response) => Ok(response.status().as_u16()),
                Err(err) => Err(reqwest_aws_auth::Error::from_middleware(&err)
                    .unwrap_or_else(|| panic!("{}: not the crate's error: {err:?}", case.name))
                    .kind()),
            }
        }

        async fn $sign_name(case: &Case, server: &Server, aws_sigv4: bool) -> Seen {
            let client = $reqwest::Client::builder()
                .redirect($reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut request = client.request(case.method.parse().unwrap(), url_for(case, server));
            for (name, value) in &case.headers {
                request = request.header(*name, value);
            }
            if let Some(body) = case.body {
                request = request.body(body.to_vec());
            }
            let mut request = request.build().unwrap();
            auth_for(case, aws_sigv4)
                .sign(&mut request)
                .await
                .map_err(|e| e.kind())?;
            Ok(client.execute(request).await.unwrap().status().as_u16())
        }
    };
}

reqwest_drivers!(
    reqwest_0_13_middleware,
    reqwest_0_13_sign,
    reqwest,
    reqwest_middleware
);
reqwest_drivers!(
    reqwest_0_12_middleware,
    reqwest_0_12_sign,
    reqwest012,
    reqwest_middleware04
);

fn http_request<B>(case: &Case, server: &Server, body: B) -> http::Request<B> {
    let mut request = http::Request::builder()
        .method(case.method)
        .uri(url_for(case, server));
    for (name, value) in &case.headers {
        request = request.header(*name, value);
    }
    request.body(body).unwrap()
}

type HyperClient<B> =
    hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, B>;

fn hyper_client<B>() -> HyperClient<B>
where
    B: http_body::Body + Send + 'static + Unpin,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

async fn tower_layer(case: &Case, server: &Server, aws_sigv4: bool) -> Seen {
    let body = http_body_util::Full::new(Bytes::from_static(case.body.unwrap_or_default()));
    let mut service = tower::ServiceBuilder::new()
        .layer(reqwest_aws_auth::tower::AwsAuthLayer::new(auth_for(
            case, aws_sigv4,
        )))
        .service(hyper_client());
    match service
        .ready()
        .await
        .unwrap()
        .call(http_request(case, server, body))
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.into_body().collect().await;
            Ok(status)
        }
        Err(err) => Err(err
            .downcast_ref::<reqwest_aws_auth::Error>()
            .unwrap_or_else(|| panic!("{}: not the crate's error: {err:?}", case.name))
            .kind()),
    }
}

async fn http_sign(case: &Case, server: &Server, aws_sigv4: bool) -> Seen {
    let body = Bytes::from_static(case.body.unwrap_or_default());
    let mut request = http_request(case, server, body);
    auth_for(case, aws_sigv4)
        .sign(&mut request)
        .await
        .map_err(|e| e.kind())?;
    // hyper sends no userinfo; the request was signed, which is what the log is about.
    let request = request.map(http_body_util::Full::new);
    let response = hyper_client().request(request).await.unwrap();
    Ok(response.status().as_u16())
}

/// A presigned URL of `GET /presigned-object` on `server`, made with credentials other than
/// the client's: its path and query, and its signature.
async fn presigned(server: &Server, aws_sigv4: bool) -> (String, String) {
    let presigner = AwsAuth::builder()
        .service("s3")
        .region("eu-west-1")
        .credentials(Credentials::new(
            "AKIDPRESIGNER",
            URL_SECRET,
            Some(URL_TOKEN.to_owned()),
            None,
            "attack",
        ))
        .sign_with_aws_sigv4(aws_sigv4)
        .build()
        .unwrap();
    let request = reqwest::Client::new()
        .get(server.url("/presigned-object"))
        .build()
        .unwrap();
    let url = presigner
        .presign(&request, Duration::from_secs(600))
        .await
        .unwrap();
    let signature = url
        .query_pairs()
        .find(|(k, _)| k == "X-Amz-Signature")
        .unwrap()
        .1
        .into_owned();
    (url[url::Position::BeforePath..].to_owned(), signature)
}

/// `presign` itself, with session credentials: the URL it returns carries the token and the
/// signature; the log must carry neither.
async fn presign_with_token(server: &Server, aws_sigv4: bool) -> String {
    let auth = AwsAuth::builder()
        .service("s3")
        .region("eu-west-1")
        .credentials(Credentials::new(
            "AKIDPRESIGN",
            SECRET,
            Some(PRESIGN_TOKEN.to_owned()),
            None,
            "attack",
        ))
        .sign_with_aws_sigv4(aws_sigv4)
        .build()
        .unwrap();
    let request = reqwest::Client::new()
        .get(format!(
            "{}?X-Amz-Security-Token={URL_TOKEN}",
            server.url("/to-presign")
        ))
        .build()
        .unwrap();
    let url = auth
        .presign(&request, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(url.as_str().contains(PRESIGN_TOKEN), "{url}");
    url.query_pairs()
        .find(|(k, _)| k == "X-Amz-Signature")
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_log_from_any_stack_or_signer() {
    install_subscriber();
    let _serial = SERIAL.lock().await;
    clear_log();
    let mut signatures = Vec::new();
    let mut runs = 0;
    for quiet in [false, true] {
        CRATE_QUIET.store(quiet, Ordering::SeqCst);
        for aws_sigv4 in [false, true] {
            let server = Server::start(Expect {
                credentials: credentials(true),
                region: "eu-west-1",
                service: "s3",
                bearer: Some(BEARER),
            });
            let (presigned_path, signature) = presigned(&server, aws_sigv4).await;
            signatures.push(signature);
            signatures.push(presign_with_token(&server, aws_sigv4).await);
            for case in table(&presigned_path) {
                let context = format!("{} (quiet {quiet}, aws-sigv4 {aws_sigv4})", case.name);
                let seen = [
                    (
                        "reqwest 0.13 middleware",
                        reqwest_0_13_middleware(&case, &server, aws_sigv4).await,
                    ),
                    (
                        "reqwest 0.12 middleware",
                        reqwest_0_12_middleware(&case, &server, aws_sigv4).await,
                    ),
                    ("tower", tower_layer(&case, &server, aws_sigv4).await),
                    (
                        "reqwest 0.13 sign",
                        reqwest_0_13_sign(&case, &server, aws_sigv4).await,
                    ),
                    (
                        "reqwest 0.12 sign",
                        reqwest_0_12_sign(&case, &server, aws_sigv4).await,
                    ),
                    (
                        "http::Request sign",
                        http_sign(&case, &server, aws_sigv4).await,
                    ),
                ];
                for (driver, seen) in seen {
                    // Signed and sent: the signing events ran.
                    assert_eq!(seen.is_ok(), case.sent, "{driver}: {context}: {seen:?}");
                    runs += 1;
                }
            }
        }
    }
    CRATE_QUIET.store(false, Ordering::SeqCst);
    assert_eq!(runs, 2 * 2 * 6 * 6);

    let log = log_text();
    // The crate's DEBUG events ran (in the loud half), so the search below searched them.
    assert!(log.contains("signed request with SigV4"), "{log}");
    assert!(log.contains("presigned a URL with SigV4"), "{log}");
    assert!(
        log.contains("authorised request with a bearer token"),
        "{log}"
    );
    // Each canonical request shown is checked against the signature sent, on both signers.
    assert_eq!(log.matches("string_to_sign=AWS4-HMAC-SHA256\n").count(), 64);
    assert!(!log.contains("(unavailable"), "{log}");
    let mut secrets: Vec<(&str, &str)> = vec![
        ("secret key", SECRET),
        ("presigner's secret key", URL_SECRET),
        ("session token (header)", TOKEN),
        ("session token (URL query)", URL_TOKEN),
        ("session token (lower-case URL query)", LOWER_URL_TOKEN),
        ("session token (presign)", PRESIGN_TOKEN),
        ("bearer key", BEARER),
        ("SSE-C key", SSE_C_KEY),
        ("copy-source SSE-C key", COPY_SSE_C_KEY),
        ("userinfo password", PASSWORD),
    ];
    for signature in &signatures {
        secrets.push(("presigned-URL signature", signature));
    }
    let found = leaks(&log, &secrets);
    assert!(
        found.is_empty(),
        "{} leak(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

// ---- configured values holding control characters ---------------------------------------

/// A value that would break a log line and drive a terminal if shown raw.
const HOSTILE: &str = "eu-west-1\r\nX-Injected: yes\u{1b}[2J\u{202e}";
const RAW: [char; 4] = ['\r', '\n', '\u{1b}', '\u{202e}'];

/// What is wrong with how `text` shows the hostile value, if anything: raw control
/// characters, or the value not shown escaped.
fn escaping_problem(context: &str, text: &str) -> Option<String> {
    if text.contains(RAW) {
        Some(format!("{context}: raw control characters in {text:?}"))
    } else if ![r"\r", r"\n", r"\u{1b}", r"\u{202e}"]
        .iter()
        .all(|escaped| text.contains(escaped))
    {
        Some(format!("{context}: the value is not shown escaped: {text}"))
    } else {
        None
    }
}

/// The problems of `err`'s `Display` and `Debug`.
fn error_problems(context: &str, err: &reqwest_aws_auth::Error) -> Vec<String> {
    [
        escaping_problem(context, &err.to_string()),
        escaping_problem(&format!("{context} (Debug)"), &format!("{err:?}")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The log's events that hold a raw control character (other than the line breaks of a
/// canonical request's lines).
fn log_problems() -> Vec<String> {
    events(&log_text())
        .into_iter()
        .filter(|event| event.contains(['\r', '\u{1b}', '\u{202e}']))
        .map(|event| format!("raw control characters in the log: {event:?}"))
        .collect()
}

fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn base() -> AwsAuthBuilder {
    AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .credentials(credentials(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_values_are_shown_escaped_in_errors_and_logs() {
    install_subscriber();
    let _serial = SERIAL.lock().await;
    clear_log();
    let mut problems = Vec::new();

    let host = "api.example.com\r\n\u{1b}[2J\u{202e}";
    let builds: [(&str, AwsAuthBuilder); 7] = [
        ("region", base().region(HOSTILE)),
        ("signing name", base().service(HOSTILE)),
        ("host rule", base().allow_host(host)),
        (
            "URL prefix rule",
            base().allow_url_prefix("https://api.exa\u{1b}mple.com/\r\n\u{202e}"),
        ),
        (
            "unsigned header name",
            base().unsigned_header("x-a\r\n\u{1b}[2J\u{202e}"),
        ),
        (
            "bearer region",
            AwsAuth::builder().bearer_token(BEARER).region(HOSTILE),
        ),
        (
            "Bedrock preset region",
            AwsAuth::bedrock_mantle()
                .region(HOSTILE)
                .credentials(credentials(true)),
        ),
    ];
    for (what, builder) in builds {
        let err = builder
            .build()
            .err()
            .unwrap_or_else(|| panic!("{what}: built"));
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{what}: {err}");
        problems.extend(error_problems(
            &format!("build() with a hostile {what}"),
            &err,
        ));
    }

    // Per request, through the middleware.
    let server = Server::start(Expect {
        credentials: credentials(true),
        region: "eu-west-1",
        service: "execute-api",
        bearer: None,
    });
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(base().build().unwrap())
        .build();
    for (what, options) in [
        ("region", RequestOptions::new().region(HOSTILE)),
        ("signing name", RequestOptions::new().service(HOSTILE)),
    ] {
        let err = client
            .get(server.url("/items"))
            .with_extension(options)
            .send()
            .await
            .unwrap_err();
        let err = reqwest_aws_auth::Error::from_middleware(&err)
            .unwrap_or_else(|| panic!("{what}: not the crate's error: {err:?}"));
        problems.extend(error_problems(
            &format!("a request with a hostile {what}"),
            err,
        ));
    }

    problems.extend(log_problems());
    assert_no_problems(&problems);
}

/// A profile name and an environment region, read where the environment is controlled.
#[test]
fn a_hostile_profile_or_environment_region_is_shown_escaped() {
    child_env::run_child("hostile_profile", &[], "", "");
    child_env::run_child(
        "hostile_environment_region",
        &[
            (
                "AWS_REGION",
                "eu-west-1\r\nX-Injected: yes\u{1b}[2J\u{202e}",
            ),
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ],
        "",
        "",
    );
}

#[tokio::test]
#[ignore = "runs only as a child of its parent test, in a controlled environment"]
async fn child() {
    let Some(scenario) = child_env::scenario() else {
        return;
    };
    install_subscriber();
    let builder = match scenario.as_str() {
        "hostile_profile" => AwsAuth::builder()
            .service("execute-api")
            .region("eu-west-1")
            .profile(HOSTILE),
        "hostile_environment_region" => AwsAuth::builder().service("execute-api"),
        other => panic!("unknown scenario {other}"),
    };
    let auth = builder.build().unwrap();
    let mut request = reqwest::Client::new()
        .get("https://abc.execute-api.eu-west-1.amazonaws.com/items")
        .build()
        .unwrap();
    let err = auth.sign(&mut request).await.unwrap_err();
    let mut problems = error_problems(&scenario, &err);
    problems.extend(log_problems());
    assert_no_problems(&problems);
    child_env::checked(&scenario);
}

/// `aws-sigv4-curl --service` with a line break and a terminal escape: the message on the
/// terminal shows them escaped.
#[cfg(feature = "cli")]
#[test]
fn the_cli_shows_a_hostile_service_escaped() {
    let nowhere = std::env::temp_dir().join("reqwest-aws-auth-attack-logs-nonexistent");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_aws-sigv4-curl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &nowhere)
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDCLI")
        .env("AWS_SECRET_ACCESS_KEY", "cli-secret")
        .args([
            "--service",
            HOSTILE,
            "--region",
            "eu-west-1",
            "http://127.0.0.1:9/",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problem = escaping_problem("aws-sigv4-curl --service", stderr.trim_end_matches('\n'));
    assert_no_problems(&Vec::from_iter(problem));
}

// ---- a redirect into a URL that carries secrets ----------------------------------------

const REDIRECT_TOKEN: &str = "attack-TOKEN-in-redirect-location-0011";
const REDIRECT_SIGNATURE: &str = "attack-SIGNATURE-in-redirect-location-0012";

/// A server in scope (loopback) that redirects `/start` to a presigned-looking URL with a
/// password in it, and answers that with 200.
async fn redirecting_server() -> wiremock::MockServer {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let location = format!(
        "http://user:{PASSWORD}@{}/next?x-amz-security-token={REDIRECT_TOKEN}\
         &X-Amz-Signature={REDIRECT_SIGNATURE}",
        server.address()
    );
    Mock::given(path("/start"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str()))
        .mount(&server)
        .await;
    Mock::given(path("/next"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_location_with_secrets_is_logged_redacted_on_every_stack() {
    install_subscriber();
    let _serial = SERIAL.lock().await;
    clear_log();
    let server = redirecting_server().await;
    let start = format!("{}/start", server.uri());
    let auth = || base().replace_authorization(true).build().unwrap();

    let client = auth().client(reqwest::Client::builder()).unwrap();
    let status = client.get(&start).send().await.unwrap().status();
    assert_eq!(status, 200, "reqwest 0.13");
    let client = auth().client(reqwest012::Client::builder()).unwrap();
    let status = client.get(&start).send().await.unwrap().status();
    assert_eq!(status, 200, "reqwest 0.12");
    let mut service = tower::ServiceBuilder::new()
        .layer(reqwest_aws_auth::tower::AwsAuthLayer::new(auth()))
        .service(hyper_client::<http_body_util::Full<Bytes>>());
    let request = http::Request::get(&start)
        .body(http_body_util::Full::new(Bytes::new()))
        .unwrap();
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(response.status(), 200, "tower");

    let log = log_text();
    assert_eq!(log.matches("following a redirect").count(), 3, "{log}");
    let found = leaks(
        &log,
        &[
            ("token in a redirect's Location", REDIRECT_TOKEN),
            ("signature in a redirect's Location", REDIRECT_SIGNATURE),
            ("userinfo password in a redirect's Location", PASSWORD),
            ("session token", TOKEN),
            ("secret key", SECRET),
        ],
    );
    assert!(
        found.is_empty(),
        "{} leak(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

// ---- the verifier's own output (wiremock matchers log it at WARN) ------------------------

#[test]
fn the_verifiers_debug_and_rejections_hold_no_secret() {
    use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
    let target =
        format!("/bucket/k?X-Amz-Signature={REDIRECT_SIGNATURE}&x-amz-security-token={URL_TOKEN}");
    let bearer = format!("Bearer {BEARER}");
    let headers = [
        ("host", "127.0.0.1"),
        ("x-amz-date", "20261207T120000Z"),
        ("x-amz-security-token", TOKEN),
        ("x-amz-server-side-encryption-customer-key", SSE_C_KEY),
        ("authorization", bearer.as_str()),
    ];
    let received = ReceivedRequest {
        method: "PUT",
        target: &target,
        headers: &headers,
        body: b"",
    };
    let mut shown = vec![format!("{received:?}")];
    // Signed with the wrong secret for these headers: refused after computing its canonical
    // request, which the rejection shows.
    let mut signed_headers = headers[..4].to_vec();
    let authorization = "AWS4-HMAC-SHA256 Credential=AKIDATTACK/20261207/eu-west-1/s3/aws4_request, \
         SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-server-side-encryption-customer-key, \
         Signature=0000000000000000000000000000000000000000000000000000000000000000";
    signed_headers.push(("authorization", authorization));
    signed_headers.push(("x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
    let signed_at = httpdate::parse_http_date("Mon, 07 Dec 2026 12:00:00 GMT").unwrap();
    let verifier = Verifier::new(credentials(true), "eu-west-1", "s3").now(signed_at);
    let rejection = verifier
        .verify(&ReceivedRequest {
            method: "PUT",
            target: &target,
            headers: &signed_headers,
            body: b"",
        })
        .unwrap_err();
    assert!(rejection.canonical_request().is_some(), "{rejection}");
    shown.push(rejection.to_string());
    shown.push(format!("{rejection:?}"));
    let shown = shown.join("\n");
    let found = leaks(
        &shown,
        &[
            ("session token (header)", TOKEN),
            ("session token (query)", URL_TOKEN),
            ("signature (query)", REDIRECT_SIGNATURE),
            ("SSE-C key", SSE_C_KEY),
            ("bearer key", BEARER),
        ],
    );
    assert!(found.is_empty(), "{}\n{shown}", found.join("\n"));
}
