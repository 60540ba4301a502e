//! `reqwest_aws_auth::wiremock`: requests signed by this crate's middleware, sent to a wiremock
//! server over HTTP, are matched by `SigV4Matcher` across a matrix of awkward requests; requests
//! authenticated otherwise get no match (404). `BearerMatcher` checks bearer tokens.
#![cfg(feature = "wiremock")]

#[path = "support/capture_logs.rs"]
mod capture_logs;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use reqwest_aws_auth::AwsAuth;
use reqwest_aws_auth::verify::RejectReason;
use reqwest_aws_auth::wiremock::{BearerMatcher, SigV4Matcher};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use sha2::{Digest, Sha256};
use wiremock::{Match, Mock, MockServer, ResponseTemplate};

const REGION: &str = "eu-west-1";

fn credentials(token: Option<&str>) -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        token.map(str::to_owned),
        None,
        "wiremock-tests",
    )
}

fn client(auth: AwsAuth) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build()
}

fn signing_client(service: &str, region: &str, credentials: Credentials) -> ClientWithMiddleware {
    client(
        AwsAuth::builder()
            .service(service)
            .region(region)
            .credentials(credentials)
            .build()
            .unwrap(),
    )
}

/// A server answering 200 to requests `matcher` accepts (and 404 to the rest).
async fn server_with(matcher: impl wiremock::Match + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matcher)
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

/// Why `matcher` refuses the last request `server` received.
async fn last_rejection(server: &MockServer, matcher: &SigV4Matcher) -> String {
    let requests = server.received_requests().await.unwrap();
    let last = requests.last().expect("the server received nothing");
    match matcher.verify(last) {
        Ok(()) => "accepted by the matcher".to_owned(),
        Err(rejection) => rejection.to_string(),
    }
}

const PATHS: &[&str] = &[
    "/prod/items",
    "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke",
    "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Afoo%2Fbar/converse",
    "/caf%C3%A9/ሴ/😀",
    "/my items/a b",
    "/a+b/(x)!*'/@connections/$default",
    "/~user/%7Etilde/%41%2d",
    "//double//slash/",
    "/100%/%zz",
];

const QUERIES: &[&str] = &[
    "",
    "?q=hello+world&x=a+b+c",
    "?tag=z&tag=a&tag=m&a=1",
    "?a=&b=&c=1",
    "?flag&other&a=1",
    "?k=1%2B1%3D2&r=c%2b%2b",
    "?q=café&emoji=😀&k%C3%A9y=v",
    "?expr=a=b=c&b64=YWJj==",
    "?filter=a:b,c;d@e!f*g(h)&path=/x/",
];

#[derive(Clone, Copy, Debug)]
enum Body {
    None,
    Json,
    Binary,
}

#[tokio::test]
async fn middleware_signed_requests_match_across_the_awkward_request_matrix() {
    let services = ["execute-api", "s3", "es", "bedrock"];
    let token = "FQoGZXIvYXdzEXAMPLE//session/token+==";
    let mut failures = Vec::new();
    let mut sent = 0;
    for service in services {
        for with_token in [false, true] {
            let creds = credentials(with_token.then_some(token));
            let matcher = SigV4Matcher::new(creds.clone(), REGION, service);
            let server = server_with(matcher.clone()).await;
            let client = signing_client(service, REGION, creds);
            for (i, path) in PATHS.iter().enumerate() {
                for (j, query) in QUERIES.iter().enumerate() {
                    // Rotate bodies, methods and extra headers through the matrix.
                    let body = [Body::None, Body::Json, Body::Binary][(i + j) % 3];
                    let url = format!("{}{path}{query}", server.uri());
                    let mut request = match body {
                        Body::None => client.get(&url),
                        Body::Json => client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(r#"{"name":"widget","tags":["a","b"],"n":1.5}"#),
                        Body::Binary => client
                            .put(&url)
                            .header("content-type", "application/octet-stream")
                            .body(
                                (0..=255u8)
                                    .chain([0, 255, b'\r', b'\n'])
                                    .collect::<Vec<_>>(),
                            ),
                    };
                    if (i + j) % 2 == 0 {
                        request = request
                            .header("x-multi", "first")
                            .header("x-other", "o")
                            .header("x-multi", "  second   value ")
                            .header("x-amz-target", "Service.Operation_2024")
                            .header("accept", "application/json, */*;q=0.5");
                    }
                    let response = request.send().await.unwrap();
                    sent += 1;
                    if response.status() != 200 {
                        failures.push(format!(
                            "{service} token={with_token} {body:?} {path}{query}: {} — {}",
                            response.status(),
                            last_rejection(&server, &matcher).await
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(sent, services.len() * 2 * PATHS.len() * QUERIES.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn a_request_signed_with_other_credentials_gets_no_match() {
    let matcher = SigV4Matcher::new(credentials(None), REGION, "execute-api");
    let server = server_with(matcher.clone()).await;
    let url = format!("{}/prod/items", server.uri());

    let other_secret = Credentials::new("AKIDEXAMPLE", "another-secret", None, None, "test");
    let other_key = Credentials::new(
        "AKIDOTHER",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "test",
    );
    for (creds, region, service, reason) in [
        (
            other_secret,
            REGION,
            "execute-api",
            RejectReason::SignatureMismatch,
        ),
        (
            other_key,
            REGION,
            "execute-api",
            RejectReason::WrongAccessKey,
        ),
        (
            credentials(None),
            "us-east-1",
            "execute-api",
            RejectReason::WrongRegion,
        ),
        (
            credentials(None),
            REGION,
            "lambda",
            RejectReason::WrongService,
        ),
        (
            credentials(Some("unexpected-token")),
            REGION,
            "execute-api",
            RejectReason::SessionTokenMismatch,
        ),
    ] {
        let response = signing_client(service, region, creds)
            .post(&url)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{reason:?}");
        let requests = server.received_requests().await.unwrap();
        let rejection = matcher.verify(requests.last().unwrap()).unwrap_err();
        assert_eq!(rejection.reason(), reason, "{rejection}");
    }

    // An unsigned request.
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 404);

    // And the right credentials, for contrast.
    let response = signing_client("execute-api", REGION, credentials(None))
        .post(&url)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn session_token_is_required_when_the_credentials_have_one() {
    let with_token = credentials(Some("the-session-token"));
    let matcher = SigV4Matcher::new(with_token.clone(), REGION, "s3");
    let server = server_with(matcher.clone()).await;
    let url = format!("{}/bucket/key", server.uri());

    let response = signing_client("s3", REGION, credentials(None))
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        matcher
            .verify(requests.last().unwrap())
            .unwrap_err()
            .reason(),
        RejectReason::MissingSessionToken
    );

    let response = signing_client("s3", REGION, with_token)
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn fixed_clock_clients_need_the_matcher_clock_set() {
    // 2026-11-29T12:34:56Z
    let signed_at = UNIX_EPOCH + Duration::from_secs(1_795_955_696);
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region(REGION)
        .credentials(credentials(None))
        .time_source(StaticTimeSource::new(signed_at))
        .build()
        .unwrap();
    let client = client(auth);

    let system_clock = SigV4Matcher::new(credentials(None), REGION, "execute-api");
    let fixed_clock = system_clock
        .clone()
        .now(signed_at + Duration::from_secs(90));
    let strict = system_clock
        .clone()
        .now(signed_at + Duration::from_secs(90))
        .max_skew(Duration::from_secs(60));

    for (matcher, expected) in [(fixed_clock, 200), (strict, 404)] {
        let server = server_with(matcher).await;
        let status = client
            .get(format!("{}/prod/items", server.uri()))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, expected);
    }

    let far_from_now = SystemTime::now()
        .duration_since(signed_at)
        .unwrap_or_default()
        > Duration::from_secs(300);
    if far_from_now {
        let server = server_with(system_clock.clone()).await;
        let response = client
            .get(format!("{}/prod/items", server.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(
            system_clock
                .verify(server.received_requests().await.unwrap().last().unwrap())
                .unwrap_err()
                .reason(),
            RejectReason::DateOutOfRange
        );
    }
}

#[tokio::test]
async fn bearer_matcher_checks_the_token() {
    let token = "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t";
    let server = server_with(BearerMatcher::new(token)).await;
    let url = format!("{}/v1/responses", server.uri());

    // The crate's bearer mode.
    let auth = AwsAuth::builder()
        .bearer_token(token)
        .bearer_token_from_env(false)
        .build()
        .unwrap();
    let response = client(auth).post(&url).body("{}").send().await.unwrap();
    assert_eq!(response.status(), 200);

    let plain = reqwest::Client::new();
    for (header, expected) in [
        (Some(format!("Bearer {token}")), 200),
        (Some(format!("bearer {token}")), 200),
        (Some(format!("Bearer {token}x")), 404),
        (Some(format!("Bearer {}", &token[..token.len() - 1])), 404),
        (Some("Bearer ".to_owned()), 404),
        (Some(format!("Basic {token}")), 404),
        (Some(token.to_owned()), 404),
        (None, 404),
    ] {
        let mut request = plain.post(&url);
        if let Some(header) = &header {
            request = request.header("authorization", header);
        }
        let status = request.send().await.unwrap().status();
        assert_eq!(status, expected, "{header:?}");
    }

    // A SigV4-signed request is not a bearer request.
    let response = signing_client("bedrock", REGION, credentials(None))
        .post(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[test]
fn matchers_do_not_show_secrets() {
    let creds = credentials(Some("the-session-token"));
    let shown = format!(
        "{:?} {:?}",
        SigV4Matcher::new(creds.clone(), REGION, "s3"),
        BearerMatcher::new("the-bearer-token")
    );
    assert!(!shown.contains(creds.secret_access_key()), "{shown}");
    assert!(!shown.contains("the-session-token"), "{shown}");
    assert!(!shown.contains("the-bearer-token"), "{shown}");
    assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
}

/// An HTTP server strips spaces and tabs around a field value (RFC 9110 §5.5) before it
/// canonicalises, while `aws-sigv4` trims only spaces: the signer sends and signs values
/// already trimmed, so a tab at either end cannot make the signatures differ.
#[tokio::test]
async fn header_values_with_edge_tabs_are_accepted() {
    let creds = credentials(None);
    let matcher = SigV4Matcher::new(creds.clone(), REGION, "execute-api");
    let server = server_with(matcher.clone()).await;
    let client = signing_client("execute-api", REGION, creds);
    for value in ["\tvalue", "value\t", " \tvalue\t "] {
        let status = client
            .get(format!("{}/p", server.uri()))
            .header("x-tabbed", value)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status,
            200,
            "{value:?}: {}",
            last_rejection(&server, &matcher).await
        );
    }
}

/// 2026-12-07T12:00:00Z, and the same time as `x-amz-date` writes it.
const FIXED_SECS: u64 = 1_796_644_800;
const FIXED_DATE: &str = "20261207T120000Z";

fn fixed_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(FIXED_SECS)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signature computed by hand, independently of the crate, for `GET /p` to `host` at
/// `FIXED_DATE` with `host;x-amz-date;x-note` signed and `note` as the exact bytes of `x-note`.
fn hand_signed_authorization(host: &str, note: &[u8]) -> String {
    let mut canonical =
        format!("GET\n/p\n\nhost:{host}\nx-amz-date:{FIXED_DATE}\nx-note:").into_bytes();
    canonical.extend_from_slice(note);
    canonical.extend_from_slice(
        format!("\n\nhost;x-amz-date;x-note\n{}", hex(&Sha256::digest(b""))).as_bytes(),
    );
    let scope = format!("{}/{REGION}/execute-api/aws4_request", &FIXED_DATE[..8]);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{FIXED_DATE}\n{scope}\n{}",
        hex(&Sha256::digest(&canonical))
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(
        credentials(None).secret_access_key(),
        fixed_time(),
        REGION,
        "execute-api",
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders=host;x-amz-date;x-note, \
         Signature={signature}"
    )
}

/// Bytes that are not UTF-8 in a header value. A matcher that decoded them lossily would see
/// U+FFFD, and accept a signature computed over U+FFFD for bytes the signer never signed.
const NOT_UTF8: &[&[u8]] = &[
    b"caf\xFF",
    b"\x80",
    b"a\xC3",
    b"\xFE\xFF",
    b"\xED\xA0\x80",
    b"x\xC0\xAFy",
    b"\xF5\x80\x80\x80 z",
];

/// Issue 25.6: the matcher compares the header bytes the request carries with the ones that
/// were signed. A signature over `x-note: caf\u{FFFD}` (the text a lossy decoder makes of
/// `caf\xFF`) matches that text, and gets no match replayed with the raw byte 0xFF in its place
/// (nor with other bytes that are not UTF-8); a signature over the raw bytes matches them, and
/// not the U+FFFD text. The signatures are computed by hand: the crate's signer refuses header
/// values that are not visible ASCII.
#[tokio::test]
async fn header_bytes_are_matched_as_received_never_decoded_lossily() {
    let matcher = SigV4Matcher::new(credentials(None), REGION, "execute-api")
        .now(fixed_time() + Duration::from_secs(1));
    let server = server_with(matcher.clone()).await;
    let url = format!("{}/p", server.uri());
    let host = server.address().to_string();
    let plain = reqwest::Client::new();
    let send = |authorization: String, note: &[u8]| {
        plain
            .get(&url)
            .header("x-amz-date", FIXED_DATE)
            .header("authorization", authorization)
            .header(
                "x-note",
                reqwest::header::HeaderValue::from_bytes(note).unwrap(),
            )
            .send()
    };

    let mut observed = Vec::new();
    for &raw in NOT_UTF8 {
        let decoded = String::from_utf8_lossy(raw).into_owned();
        assert!(decoded.contains('\u{FFFD}'));
        let over_text = hand_signed_authorization(&host, decoded.as_bytes());
        let over_bytes = hand_signed_authorization(&host, raw);
        let mut verdicts = Vec::new();
        for (authorization, note) in [
            (&over_text, decoded.as_bytes()),
            (&over_text, raw),
            (&over_bytes, raw),
            (&over_bytes, decoded.as_bytes()),
        ] {
            let status = send(authorization.clone(), note).await.unwrap().status();
            let requests = server.received_requests().await.unwrap();
            let received = requests.last().unwrap();
            assert_eq!(received.headers["x-note"].as_bytes(), note);
            let verdict = matcher.verify(received).map_err(|r| r.reason());
            verdicts.push((status.as_u16(), verdict));
        }
        observed.push((raw, verdicts));
    }
    let expected = [
        (200, Ok(())),
        (404, Err(RejectReason::SignatureMismatch)),
        (200, Ok(())),
        (404, Err(RejectReason::SignatureMismatch)),
    ];
    assert!(
        observed.iter().all(|(_, verdicts)| verdicts == &expected),
        "{observed:#?}"
    );
}

/// Issue 25.5: whatever a request carries in `Authorization` — a raw bearer key, `Bearer<TAB>key`,
/// `bearer key`, SigV4-shaped values hiding a key, a signature over secret headers — no line
/// the matchers log (at any level) and no rejection text shows it, nor any secret.
#[tokio::test(flavor = "current_thread")]
async fn refusals_never_show_the_authorization_text_or_a_secret() {
    let key =
        "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbg==";
    let long_term = "ABSKQmVkcm9ja0FQSUtleS1hYmNkZWZnaDpzZWNyZXRzZWNyZXRzZWNyZXQ=";
    let sse_c = "c2VjcmV0LXNzZS1jLWtleS1vZi0zMi1ieXRlcyEhISE=";
    let token = "the-session-token-FQoGZXIvYXdzEXAMPLE";
    let creds = credentials(Some(token));
    let scope = format!(
        "AKIDEXAMPLE/{}/{REGION}/execute-api/aws4_request",
        &FIXED_DATE[..8]
    );
    let zeros = "0".repeat(64);
    let secret_headers = "authorization;cookie;host;x-amz-date;x-amz-security-token;\
                          x-amz-server-side-encryption-customer-key;x-api-key";
    let authorizations = [
        key.to_owned(),
        long_term.to_owned(),
        format!("Bearer\t{key}"),
        format!("bearer {key}"),
        format!("Bearer {long_term}"),
        format!("Bearer  \t{key}"),
        format!("AWS4-{key}"),
        format!("AWS4-HMAC-SHA256 {key}"),
        format!("AWS4-HMAC-SHA256\t{key}"),
        format!("AWS4-HMAC-SHA256 {long_term}"),
        format!(
            "AWS4-HMAC-SHA256 Credential={key}, SignedHeaders=host;x-amz-date, Signature={zeros}"
        ),
        format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={key}, Signature={zeros}"),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature={key}"
        ),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature={zeros}, {key}"
        ),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature={zeros}, X={key}"
        ),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, Credential={key}, SignedHeaders=host, Signature={zeros}"
        ),
        // Well formed, over headers that hold secrets: refused for its signature, with the
        // canonical request shown.
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={secret_headers}, Signature={zeros}"
        ),
    ];
    let server = MockServer::start().await;
    let url = format!("{}/p", server.uri());
    let plain = reqwest::Client::new();
    let sigv4 = SigV4Matcher::new(creds.clone(), REGION, "execute-api").now(fixed_time());
    let bearer = BearerMatcher::new("the-expected-bearer-key");
    let mut last = None;
    for authorization in &authorizations {
        plain
            .get(&url)
            .header("x-amz-date", FIXED_DATE)
            .header("x-amz-security-token", token)
            .header("x-amz-server-side-encryption-customer-key", sse_c)
            .header("x-api-key", key)
            .header("cookie", format!("session={long_term}"))
            .header("authorization", authorization.as_str())
            .send()
            .await
            .unwrap();
        let requests = server.received_requests().await.unwrap();
        let request = requests.last().unwrap();
        assert_eq!(request.headers["authorization"], authorization.as_str());

        let (captured, guard) = capture_logs::capture();
        assert!(!sigv4.matches(request), "{authorization}");
        assert!(!bearer.matches(request), "{authorization}");
        drop(guard);
        let rejection = sigv4.verify(request).unwrap_err();
        let logged = captured.text();
        assert!(logged.contains("SigV4Matcher refused"), "{logged}");
        assert!(logged.contains("BearerMatcher refused"), "{logged}");
        let shown = format!("{logged}\n{rejection}\n{rejection:?}\n{sigv4:?}\n{bearer:?}");
        for secret in [
            authorization.as_str(),
            key,
            long_term,
            sse_c,
            token,
            creds.secret_access_key(),
            "the-expected-bearer-key",
        ] {
            assert!(
                !shown.contains(secret),
                "{authorization:?}: `{secret}` shown in:\n{shown}"
            );
        }
        last = Some(rejection);
    }
    // The last one got as far as the canonical request, with the secret headers redacted.
    let last = last.unwrap();
    assert_eq!(last.reason(), RejectReason::SignatureMismatch, "{last}");
    let canonical = last.canonical_request().unwrap();
    for name in [
        "authorization",
        "cookie",
        "x-amz-security-token",
        "x-api-key",
    ] {
        assert!(
            canonical.contains(&format!("\n{name}:** redacted (length=")),
            "{canonical}"
        );
    }
}
