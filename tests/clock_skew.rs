//! Clock-skew correction against a server whose clock is an hour ahead of this machine's and
//! that refuses signatures more than five minutes off its own time, as AWS services do
//! (`403` with `x-amzn-ErrorType: InvalidSignatureException`). Hostile and app refusals are in
//! `tests/recovery.rs`.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use reqwest_aws_auth::AwsAuth;
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use reqwest_middleware::ClientBuilder;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SKEW: Duration = Duration::from_secs(3600);

fn credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "skew-secret", None, None, "test")
}

fn server_now() -> SystemTime {
    SystemTime::now() + SKEW
}

/// Verifies each request with the server's (skewed) clock; answers 200 or 403, with the
/// server's `Date` either way (and an `Age` when `cached`).
struct SkewedService {
    cached: bool,
}

impl wiremock::Respond for SkewedService {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let target = match request.url.query() {
            Some(q) => format!("{}?{q}", request.url.path()),
            None => request.url.path().to_owned(),
        };
        let verdict = Verifier::new(credentials(), "us-east-1", "execute-api")
            .now(server_now())
            .verify(&ReceivedRequest {
                method: request.method.as_str(),
                target: &target,
                headers: &headers,
                body: &request.body,
            });
        let template = match verdict {
            Ok(()) => ResponseTemplate::new(200),
            // As API Gateway answers: the error code in x-amzn-ErrorType.
            Err(rejection) => ResponseTemplate::new(403)
                .insert_header("x-amzn-errortype", "InvalidSignatureException")
                .set_body_string(format!(r#"{{"message":"{}"}}"#, rejection.reason())),
        }
        .insert_header("date", httpdate::fmt_http_date(server_now()).as_str());
        if self.cached {
            template.insert_header("age", "12")
        } else {
            template
        }
    }
}

async fn server(cached: bool) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(SkewedService { cached })
        .mount(&server)
        .await;
    server
}

fn auth(correction: Option<bool>) -> AwsAuth {
    let mut builder = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(credentials());
    if let Some(on) = correction {
        builder = builder.clock_skew_correction(on);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_refusal_caused_by_the_clock_is_signed_again_with_the_servers_time() {
    let server = server(false).await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth(None))
        .build();

    let first = client
        .post(format!("{}/items", server.uri()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2, "refused once, then accepted");

    // Later requests are signed with the server's time from the start.
    let second = client
        .post(format!("{}/items", server.uri()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn correction_can_be_turned_off() {
    let server = server(false).await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth(Some(false)))
        .build();
    for _ in 0..2 {
        let response = client.get(server.uri()).send().await.unwrap();
        assert_eq!(response.status(), 403);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_cached_response_teaches_nothing() {
    let server = server(true).await;
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth(None))
        .build();
    let response = client.get(server.uri()).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_explicit_time_source_is_trusted_as_it_is() {
    let server = server(false).await;
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(credentials())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .build()
        .unwrap();
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    let response = client.get(server.uri()).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
