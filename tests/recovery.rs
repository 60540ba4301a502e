//! What the middleware does with refusals, driven through it against loopback servers: a
//! request is re-sent (once) only when an AWS error code blames the clock (and `Date` explains
//! it) or the credentials (and fresh ones differ); an app's own 403, a hostile `Date` without
//! such a code, or a code whose `Date` explains nothing are returned as they are, with one
//! request on the wire and the body intact.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, future};
use reqwest_aws_auth::verify::Verifier;
use reqwest_aws_auth::{AwsAuth, AwsErrorCode, StreamingBody};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

#[path = "support/wire.rs"]
mod wire;
use wire::{scripted as server, verify_received};

const HOUR: Duration = Duration::from_secs(3600);

fn tomorrow() -> String {
    httpdate::fmt_http_date(SystemTime::now() + 24 * HOUR)
}

fn static_auth() -> AwsAuth {
    AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(Credentials::new("AKIDSTATIC", "secret", None, None, "test"))
        .build()
        .unwrap()
}

fn client(auth: AwsAuth) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build()
}

fn date_of(request: &Request) -> String {
    request.headers["x-amz-date"].to_str().unwrap().to_owned()
}

fn access_key(request: &Request) -> String {
    let authorization = request.headers["authorization"].to_str().unwrap();
    let credential = authorization.split("Credential=").nth(1).unwrap();
    credential.split('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_apps_403_with_a_skewed_date_is_returned_as_it_is() {
    // A hostile or merely unrelated server: a 403 of its own, a Date a day ahead.
    let big_body = format!(
        r#"{{"message":"not your order","pad":"{}"}}"#,
        "x".repeat(10_000)
    );
    let server = server(vec![
        ResponseTemplate::new(403)
            .insert_header("date", tomorrow().as_str())
            .insert_header("content-type", "application/json")
            .set_body_string(big_body.clone()),
    ])
    .await;
    let client = client(static_auth());
    let response = client
        .post(format!("{}/orders", server.uri()))
        .body(r#"{"item":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.extensions().get::<AwsErrorCode>().is_none());
    assert_eq!(
        response.url().path(),
        "/orders",
        "the response keeps its URL"
    );
    assert_eq!(
        response.text().await.unwrap(),
        big_body,
        "body readable, whole"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "sent once"
    );

    // Nothing was learned: the next request is signed with this machine's time.
    client.get(server.uri()).send().await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(date_of(&received[1])[..8], today_utc());
}

fn today_utc() -> String {
    let format = time::macros::format_description!("[year][month][day]");
    time::OffsetDateTime::now_utc().format(&format).unwrap()
}

#[tokio::test]
async fn a_clock_code_in_an_xml_body_with_an_explaining_date_is_signed_again_once() {
    let body = "<?xml version=\"1.0\"?><Error><Code>RequestTimeTooSkewed</Code><Message>m</Message></Error>";
    let server = server(vec![
        ResponseTemplate::new(403)
            .insert_header(
                "date",
                httpdate::fmt_http_date(SystemTime::now() + HOUR).as_str(),
            )
            .set_body_string(body),
        ResponseTemplate::new(200),
    ])
    .await;
    let response = client(static_auth())
        .put(format!("{}/bucket/key", server.uri()))
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_ne!(date_of(&received[0]), date_of(&received[1]));
    assert_eq!(received[1].body, b"data");
}

#[tokio::test]
async fn a_clock_code_whose_date_explains_nothing_is_returned() {
    let server = server(vec![
        ResponseTemplate::new(403)
            .insert_header("date", httpdate::fmt_http_date(SystemTime::now()).as_str())
            .set_body_string(r#"{"__type":"com.amazon.coral.service#SignatureDoesNotMatch"}"#),
    ])
    .await;
    let response = client(static_auth())
        .get(server.uri())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response
            .extensions()
            .get::<AwsErrorCode>()
            .map(AwsErrorCode::as_str),
        Some("SignatureDoesNotMatch")
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn clock_and_credential_recovery_together_resend_at_most_once() {
    let provider = Rotating::default();
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .build()
        .unwrap();
    let server = server(vec![
        ResponseTemplate::new(403)
            .insert_header(
                "date",
                httpdate::fmt_http_date(SystemTime::now() + HOUR).as_str(),
            )
            .insert_header("x-amzn-errortype", "InvalidSignatureException"),
        ResponseTemplate::new(403).insert_header("x-amzn-errortype", "ExpiredTokenException"),
        ResponseTemplate::new(200),
    ])
    .await;
    let response = client(auth).get(server.uri()).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// Hands out `AKID1`, `AKID2`, ... one per call, each without an expiry.
#[derive(Debug, Clone, Default)]
struct Rotating {
    calls: Arc<AtomicUsize>,
    same_every_time: bool,
}

impl ProvideCredentials for Rotating {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let n = if self.same_every_time { 1 } else { n };
        future::ProvideCredentials::ready(Ok(Credentials::new(
            format!("AKID{n}"),
            format!("secret{n}"),
            Some(format!("token{n}")),
            None,
            "rotating",
        )))
    }
}

/// Refuses every key but `good` as an STS-style `400 ExpiredToken` (XML body), verifying the
/// rest with the verifier.
struct AcceptsOnly {
    good: &'static str,
}

impl wiremock::Respond for AcceptsOnly {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if access_key(request) != self.good {
            return ResponseTemplate::new(400).set_body_string(
                "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>\
                 <Message>The security token included in the request is expired</Message>\
                 </Error></ErrorResponse>",
            );
        }
        let credentials = Credentials::new("AKID2", "secret2", Some("token2".into()), None, "t");
        let verifier = Verifier::new(credentials, "us-east-1", "execute-api");
        match verify_received(&verifier, request) {
            Ok(()) => ResponseTemplate::new(200),
            Err(rejection) => ResponseTemplate::new(418).set_body_string(rejection.to_string()),
        }
    }
}

async fn accepting_only_akid2() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(AcceptsOnly { good: "AKID2" })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn rejected_credentials_are_dropped_and_the_request_sent_again_with_fresh_ones() {
    let server = accepting_only_akid2().await;
    let provider = Rotating::default();
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .build()
        .unwrap();
    let client = client(auth);
    let response = client
        .post(format!("{}/items", server.uri()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let received = server.received_requests().await.unwrap();
    assert_eq!(
        received.iter().map(access_key).collect::<Vec<_>>(),
        ["AKID1", "AKID2"]
    );
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);

    // The cache now holds the new credentials.
    let response = client
        .get(format!("{}/items", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn when_fresh_credentials_are_the_same_the_request_is_not_sent_again() {
    let server = accepting_only_akid2().await;
    let provider = Rotating {
        same_every_time: true,
        ..Rotating::default()
    };
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .build()
        .unwrap();
    let response = client(auth).get(server.uri()).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response
            .extensions()
            .get::<AwsErrorCode>()
            .map(AwsErrorCode::as_str),
        Some("ExpiredToken")
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<Code>ExpiredToken</Code>")
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        2,
        "asked for fresh ones once"
    );

    // Static credentials: nothing to reload, nothing re-sent.
    let response = client(static_auth())
        .get(server.uri())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_stream_is_not_sent_again_but_the_dead_credentials_are_still_dropped() {
    let server = accepting_only_akid2().await;
    let provider = Rotating::default();
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials_provider(provider.clone())
        .streaming_body(StreamingBody::UnsignedPayload)
        .build()
        .unwrap();
    let client = client(auth);
    let chunks: Vec<Result<&'static str, std::io::Error>> = vec![Ok("a"), Ok("b")];
    let response = client
        .post(server.uri())
        .body(reqwest::Body::wrap_stream(tokio_stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let response = client.get(server.uri()).send().await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "the next request loads new credentials"
    );
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
}
