//! Mechanics of the middleware against a real local HTTP server (wiremock): which headers go
//! out, that re-signing replaces rather than duplicates, that retries are signed afresh, how
//! bodies and bad input are handled, and that secrets stay out of Debug output.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::{StaticTimeSource, TimeSource};
use reqwest_aws_auth::{AwsAuth, ErrorKind, StreamingBody};
use reqwest_middleware::ClientBuilder;
use reqwest_retry::{RetryTransientMiddleware, policies::ExponentialBackoff};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "support/wire.rs"]
mod wire;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//////////wEaCXVzLWVhc3QtMSJH";

fn session_credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", SECRET, Some(TOKEN.to_owned()), None, "test")
}

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000)
}

fn auth(service: &str) -> AwsAuth {
    AwsAuth::builder()
        .service(service)
        .region("eu-west-1")
        .credentials(session_credentials())
        .time_source(StaticTimeSource::new(t0()))
        .build()
        .unwrap()
}

/// A clock that moves one second forward each time it is read.
#[derive(Debug, Clone)]
struct TickingClock(Arc<AtomicU64>);

impl TimeSource for TickingClock {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.0.fetch_add(1, Ordering::SeqCst))
    }
}

/// A local server that answers 200 to every `verb` request.
async fn answering_200(verb: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

fn header<'a>(request: &'a wiremock::Request, name: &str) -> Vec<&'a str> {
    request
        .headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[tokio::test]
async fn signed_request_carries_the_sigv4_headers() {
    let server = answering_200("POST").await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth("execute-api"))
        .build();
    let body = br#"{"input":"hello"}"#;
    let response = client
        .post(format!("{}/prod/items", server.uri()))
        .header("content-type", "application/json")
        .header("x-custom", "1")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let received = &server.received_requests().await.unwrap()[0];
    let authorization = header(received, "authorization");
    assert_eq!(authorization.len(), 1);
    let authorization = authorization[0];
    assert!(
        authorization.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251124/eu-west-1/execute-api/aws4_request, "
        ),
        "{authorization}"
    );
    assert!(
        authorization.contains(
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-custom,"
        ),
        "{authorization}"
    );
    assert_eq!(header(received, "x-amz-date"), ["20251124T160000Z"]);
    assert_eq!(header(received, "x-amz-security-token"), [TOKEN]);
    assert_eq!(
        header(received, "x-amz-content-sha256"),
        [format!("{:x}", Sha256::digest(body)).as_str()]
    );
    assert_eq!(received.body, body);
}

#[tokio::test]
async fn content_sha256_header_can_be_turned_off_except_for_s3() {
    let mut request = reqwest::Client::new()
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .build()
        .unwrap();
    let off = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(session_credentials())
        .content_sha256_header(false)
        .build()
        .unwrap();
    off.sign(&mut request).await.unwrap();
    assert!(!request.headers().contains_key("x-amz-content-sha256"));
    assert!(
        !request.headers()["authorization"]
            .to_str()
            .unwrap()
            .contains("x-amz-content-sha256")
    );

    let s3 = AwsAuth::builder()
        .service("s3")
        .region("us-east-1")
        .credentials(session_credentials())
        .content_sha256_header(false)
        .build()
        .unwrap();
    s3.sign(&mut request).await.unwrap();
    assert_eq!(
        request.headers()["x-amz-content-sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[tokio::test]
async fn signing_again_replaces_the_earlier_signature() {
    let clock = TickingClock(Arc::new(AtomicU64::new(1_764_000_000)));
    let auth = AwsAuth::builder()
        .service("lambda")
        .region("us-east-1")
        .credentials(session_credentials())
        .time_source(clock)
        .build()
        .unwrap();
    let mut request = reqwest::Client::new()
        .post("https://abc.lambda-url.us-east-1.on.aws/")
        .body("{}")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    let first_date = request.headers()["x-amz-date"].clone();
    let first_auth = request.headers()["authorization"].clone();
    auth.sign(&mut request).await.unwrap();
    for name in [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ] {
        assert_eq!(
            request.headers().get_all(name).iter().count(),
            1,
            "{name} duplicated"
        );
    }
    assert_ne!(request.headers()["x-amz-date"], first_date);
    assert_ne!(request.headers()["authorization"], first_auth);
    // The earlier signature headers were not signed as if they were ordinary headers.
    let authorization = request.headers()["authorization"].to_str().unwrap();
    assert!(
        authorization
            .contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
        "{authorization}"
    );
}

#[tokio::test]
async fn signing_again_without_a_token_leaves_none_of_the_earlier_headers() {
    let mut request = reqwest::Client::new()
        .post("https://abc.lambda-url.us-east-1.on.aws/")
        .body("{}")
        .build()
        .unwrap();
    let with_token = AwsAuth::builder()
        .service("lambda")
        .region("us-east-1")
        .credentials(session_credentials())
        .build()
        .unwrap();
    with_token.sign(&mut request).await.unwrap();
    assert!(request.headers().contains_key("x-amz-security-token"));
    assert!(request.headers().contains_key("x-amz-content-sha256"));

    let long_term = AwsAuth::builder()
        .service("lambda")
        .region("us-east-1")
        .credentials(Credentials::new(
            "AKIDLONGTERM",
            "secret",
            None,
            None,
            "static",
        ))
        .content_sha256_header(false)
        .build()
        .unwrap();
    long_term.sign(&mut request).await.unwrap();
    // The first signature's token and body hash would be sent unsigned, for other credentials.
    assert!(!request.headers().contains_key("x-amz-security-token"));
    assert!(!request.headers().contains_key("x-amz-content-sha256"));
    let authorization = request.headers()["authorization"].to_str().unwrap();
    assert!(
        authorization.contains("Credential=AKIDLONGTERM/")
            && authorization.contains("SignedHeaders=host;x-amz-date,"),
        "{authorization}"
    );
}

#[tokio::test]
async fn retries_are_signed_afresh() {
    let server = MockServer::start().await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = TickingClock(Arc::new(AtomicU64::new(1_764_000_000)));
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(session_credentials())
        .time_source(clock)
        .build()
        .unwrap();
    let retry = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1), Duration::from_millis(5))
        .build_with_max_retries(3);
    // Retry first, auth second: every attempt passes through the signer.
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(RetryTransientMiddleware::new_with_policy(retry))
        .with(auth)
        .build();
    let response = client
        .put(format!("{}/flaky", server.uri()))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    let dates: Vec<&str> = received
        .iter()
        .map(|r| header(r, "x-amz-date")[0])
        .collect();
    let signatures: Vec<&str> = received
        .iter()
        .map(|r| {
            let values = header(r, "authorization");
            assert_eq!(values.len(), 1, "authorization duplicated on a retry");
            values[0]
        })
        .collect();
    assert!(
        dates[0] != dates[1] && dates[1] != dates[2],
        "every attempt gets a fresh date: {dates:?}"
    );
    assert!(signatures[0] != signatures[1] && signatures[1] != signatures[2]);
}

#[tokio::test]
async fn secrets_are_marked_sensitive_and_redacted() {
    let auth = auth("execute-api");
    let mut request = reqwest::Client::new()
        .get("https://abc.execute-api.us-east-1.amazonaws.com/items")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    assert!(request.headers()["authorization"].is_sensitive());
    assert!(request.headers()["x-amz-security-token"].is_sensitive());
    let printed = format!(
        "{request:?} {auth:?} {:?}",
        AwsAuth::builder().credentials(session_credentials())
    );
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(!printed.contains(TOKEN), "{printed}");
    let signature = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_owned();
    assert!(!printed.contains(&signature), "{printed}");
}

#[tokio::test]
async fn streaming_bodies_are_refused_by_default_and_nothing_is_sent() {
    let server = answering_200("POST").await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth("execute-api"))
        .build();
    let stream = futures_stream(vec![b"chunk one ".to_vec(), b"chunk two".to_vec()]);
    let err = client
        .post(server.uri())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap_err();
    let auth_err = reqwest_aws_auth::Error::from_middleware(&err).expect("our error");
    assert_eq!(auth_err.kind(), ErrorKind::StreamingBody);
    assert!(auth_err.to_string().contains("StreamingBody::Buffer"));
    assert!(!auth_err.is_retryable());
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn streaming_bodies_can_be_buffered_up_to_a_limit() {
    let server = answering_200("POST").await;
    let buffering = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .credentials(session_credentials())
        .streaming_body(StreamingBody::Buffer { max_bytes: 64 })
        .build()
        .unwrap();
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(buffering)
        .build();
    let stream = futures_stream(vec![b"chunk one ".to_vec(), b"chunk two".to_vec()]);
    client
        .post(server.uri())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(received.body, b"chunk one chunk two");
    assert_eq!(
        header(received, "x-amz-content-sha256"),
        [format!("{:x}", Sha256::digest(b"chunk one chunk two")).as_str()]
    );

    let too_big = futures_stream(vec![vec![b'x'; 40], vec![b'y'; 40]]);
    let err = client
        .post(server.uri())
        .body(reqwest::Body::wrap_stream(too_big))
        .send()
        .await
        .unwrap_err();
    let auth_err = reqwest_aws_auth::Error::from_middleware(&err).unwrap();
    assert_eq!(auth_err.kind(), ErrorKind::BodyTooLarge);
    assert!(auth_err.to_string().contains("64-byte"));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn streaming_bodies_can_be_sent_as_unsigned_payload() {
    let server = answering_200("PUT").await;
    let s3 = AwsAuth::builder()
        .service("s3")
        .region("eu-west-1")
        .credentials(session_credentials())
        .streaming_body(StreamingBody::UnsignedPayload)
        .build()
        .unwrap();
    let client = ClientBuilder::new(reqwest::Client::new()).with(s3).build();
    client
        .put(format!("{}/bucket/key", server.uri()))
        .body(reqwest::Body::wrap_stream(futures_stream(vec![
            b"data".to_vec(),
        ])))
        .send()
        .await
        .unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        header(received, "x-amz-content-sha256"),
        ["UNSIGNED-PAYLOAD"]
    );
    assert_eq!(received.body, b"data");
}

#[tokio::test]
async fn bad_input_is_a_typed_error_not_a_panic() {
    let auth = auth("execute-api");
    let client = reqwest::Client::new();

    let mut no_host = reqwest::Request::new(
        reqwest::Method::GET,
        reqwest::Url::parse("file:///etc/passwd").unwrap(),
    );
    let err = auth.sign(&mut no_host).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidUrl);
    assert!(err.to_string().contains("http"), "{err}");

    let mut bad_header = client
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .header(
            "x-name",
            reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        )
        .build()
        .unwrap();
    let err = auth.sign(&mut bad_header).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidHeaderValue);
    assert!(err.to_string().contains("x-name"), "{err}");
    assert!(!bad_header.headers().contains_key("authorization"));

    let mut non_utf8_query = client
        .get("https://abc.execute-api.us-east-1.amazonaws.com/?k=%FF")
        .build()
        .unwrap();
    let err = auth.sign(&mut non_utf8_query).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidUrl);

    // A header excluded from signing may hold any bytes.
    let mut unsigned_odd = client
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .header(
            "user-agent",
            reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        )
        .build()
        .unwrap();
    auth.sign(&mut unsigned_odd).await.unwrap();
}

#[test]
fn builder_rejects_bad_settings_with_the_fix() {
    let cases: Vec<(reqwest_aws_auth::AwsAuthBuilder, &str)> = vec![
        (AwsAuth::builder(), ".service("),
        (AwsAuth::builder().service(""), "signing name"),
        (AwsAuth::builder().service("Execute API"), "lowercase"),
        (
            AwsAuth::builder().service("s3").region("US East 1"),
            "us-east-1",
        ),
        (
            AwsAuth::builder()
                .service("s3")
                .credentials(session_credentials())
                .credentials_provider(session_credentials()),
            "keep exactly one",
        ),
        (
            AwsAuth::builder()
                .service("s3")
                .unsigned_header("bad header"),
            "not a valid HTTP header name",
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[tokio::test]
async fn unsigned_header_leaves_a_header_out_of_the_signature() {
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(session_credentials())
        .unsigned_header("X-Request-Id")
        .build()
        .unwrap();
    let mut request = reqwest::Client::new()
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .header("x-request-id", "abc")
        .header("x-forwarded-for", "10.0.0.1")
        .header("x-kept", "yes")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    let authorization = request.headers()["authorization"].to_str().unwrap();
    assert!(
        authorization.contains(
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-kept,"
        ),
        "{authorization}"
    );
    assert_eq!(request.headers()["x-request-id"], "abc");
}

#[test]
fn auth_is_clone_send_sync_and_its_future_is_send() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    fn assert_send<T: Send>(_: T) {}
    let auth = auth("execute-api");
    assert_send_sync(&auth);
    let mut request = reqwest::Client::new()
        .get("https://abc.execute-api.us-east-1.amazonaws.com/")
        .build()
        .unwrap();
    assert_send(auth.sign(&mut request));
}

fn futures_stream(
    chunks: Vec<Vec<u8>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + Sync + 'static {
    tokio_stream::iter(chunks.into_iter().map(Ok))
}

/// The `host` the signature covers is the one hyper sends: the URL's host, with the port only
/// when it is not the scheme's default, IPv6 in brackets.
#[tokio::test]
async fn signed_host_is_the_host_header_on_the_wire() {
    use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .credentials(session_credentials())
        .time_source(StaticTimeSource::new(t0()))
        .allow_host("api.example.com")
        .allow_host("[2001:db8::1]")
        // reqwest turns `user:pass@` into `Authorization: Basic`, which signing replaces.
        .replace_authorization(true)
        .build()
        .unwrap();
    for (url, wire_host) in [
        ("https://API.Example.com:443/a", "api.example.com"),
        ("http://api.example.com:80/a", "api.example.com"),
        ("https://api.example.com:8443/a", "api.example.com:8443"),
        ("http://[::1]:8080/a", "[::1]:8080"),
        ("https://[2001:db8::1]/a", "[2001:db8::1]"),
        (
            "https://user:pass@api.example.com:9000/a",
            "api.example.com:9000",
        ),
    ] {
        let mut request = reqwest::Client::new().get(url).build().unwrap();
        auth.sign(&mut request).await.unwrap();
        let mut headers = vec![("host", wire_host)];
        headers.extend(
            request
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
        );
        let verdict = Verifier::new(session_credentials(), "eu-west-1", "execute-api")
            .now(t0())
            .verify(&ReceivedRequest {
                method: "GET",
                target: "/a",
                headers: &headers,
                body: b"",
            });
        assert!(verdict.is_ok(), "{url}: {}", verdict.unwrap_err());
    }
}

/// Verifies what the server received, as a service with the test credentials would.
fn verifies(request: &wiremock::Request, service: &str) -> Result<(), String> {
    let verifier =
        reqwest_aws_auth::verify::Verifier::new(session_credentials(), "eu-west-1", service)
            .now(t0());
    wire::verify_received(&verifier, request).map_err(|r| r.to_string())
}

#[tokio::test]
async fn tabs_inside_header_values_go_out_collapsed_as_they_are_signed() {
    let server = answering_200("GET").await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth("execute-api"))
        .build();
    client
        .get(server.uri())
        .header("x-meta", "a\tb")
        .header("x-mixed", "a \t  b\t\tc")
        .header("user-agent", "unsigned\t\tkept")
        .send()
        .await
        .unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(header(received, "x-meta"), ["a b"]);
    assert_eq!(header(received, "x-mixed"), ["a b c"]);
    assert_eq!(
        header(received, "user-agent"),
        ["unsigned\t\tkept"],
        "unsigned: untouched"
    );
    verifies(received, "execute-api").unwrap();
}

#[tokio::test]
async fn an_encoded_slash_in_an_s3_key_goes_out_as_a_slash() {
    let server = answering_200("PUT").await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth("s3"))
        .build();
    client
        .put(format!("{}/bucket/dir%2Fsub%2ffile", server.uri()))
        .body("x")
        .send()
        .await
        .unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(received.url.path(), "/bucket/dir/sub/file");
    verifies(received, "s3").unwrap();
}
