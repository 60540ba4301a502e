//! The scope judges the request that goes on the wire, played by hostile apps and URLs through
//! every stack (reqwest 0.13 and 0.12 middleware, the tower layer, `AwsAuth::sign`): a URL
//! prefix cannot be escaped by any spelling of `..` or `/`, a `Host` header cannot name
//! another host than the URL, a second `Authorization` value is never dropped unseen, and a
//! Bedrock API key goes to Bedrock's hosts only unless the app names others.
#![cfg(all(feature = "reqwest-0-13", feature = "reqwest-0-12", feature = "tower"))]

#[path = "support/stack.rs"]
mod stack;

use aws_credential_types::Credentials;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, ErrorKind};
use stack::{STACKS, Stack, send};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "ABSK-bedrock-key-for-scope-attacks";

fn sigv4(service: &str) -> AwsAuthBuilder {
    AwsAuth::builder()
        .service(service)
        .region("us-east-1")
        .credentials(Credentials::new(
            "AKIDSCOPEATTACK",
            "scope-attack-secret",
            Some("scope-attack-token".into()),
            None,
            "test",
        ))
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_url_prefix_cannot_be_escaped_by_dot_segments_or_encoded_slashes() {
    let server = server().await;
    let prefix = format!("{}/aws/", server.uri());
    for service in ["s3", "execute-api"] {
        let auth = sigv4(service)
            .default_scope(false)
            .allow_url_prefix(&prefix)
            .build()
            .unwrap();
        for stack in STACKS {
            let at = format!("{stack:?}, {service}");
            let ok = send(
                stack,
                &auth,
                "GET",
                &format!("{prefix}items/a%20b"),
                &[],
                b"",
            )
            .await;
            assert_eq!(ok.map(|(s, _)| s), Ok(200), "{at}");
            for escape in [
                "..%2Fadmin/secret",
                "..%2fadmin/secret",
                "..%5Cadmin",
                "%2e%2e%2Fadmin",
                ".%2E%2fadmin",
                "%252e%252e%252fadmin",
                "x%2F..%2F..%2Fadmin",
            ] {
                let before = requests(&server).await;
                let seen = send(stack, &auth, "GET", &format!("{prefix}{escape}"), &[], b"").await;
                assert_eq!(seen, Err(ErrorKind::OutOfScope), "{at}: {escape}");
                assert_eq!(requests(&server).await, before, "{at}: {escape} was sent");
            }
        }
    }
}

#[tokio::test]
async fn a_host_header_must_name_the_urls_own_host_once() {
    let server = server().await;
    let port = server.address().port();
    let scoped = |builder: AwsAuthBuilder| {
        builder
            .default_scope(false)
            .allow_host(format!("127.0.0.1:{port}"))
            .build()
            .unwrap()
    };
    let own = format!("127.0.0.1:{port}");
    for (how, auth) in [
        ("sigv4", scoped(sigv4("s3"))),
        ("bearer", scoped(AwsAuth::builder().bearer_token(KEY))),
    ] {
        for stack in STACKS {
            let at = format!("{stack:?}, {how}");
            let url = format!("{}/bucket/key", server.uri());
            for hostile in [
                vec![("host", "victim.s3.us-east-1.amazonaws.com")],
                vec![("host", "evil.example")],
                vec![("host", "127.0.0.1")],
                vec![("host", own.as_str()), ("host", "evil.example")],
            ] {
                let before = requests(&server).await;
                let seen = send(stack, &auth, "PUT", &url, &hostile, b"x").await;
                assert_eq!(seen, Err(ErrorKind::HostMismatch), "{at}: {hostile:?}");
                assert_eq!(
                    requests(&server).await,
                    before,
                    "{at}: {hostile:?} was sent"
                );
            }
            let seen = send(stack, &auth, "PUT", &url, &[("host", own.as_str())], b"x").await;
            assert_eq!(seen.map(|(s, _)| s), Ok(200), "{at}: its own host is fine");
        }
    }
}

#[tokio::test]
async fn every_authorization_value_is_checked() {
    let server = server().await;
    for (how, auth) in [
        ("sigv4", sigv4("execute-api").build().unwrap()),
        (
            "bearer",
            AwsAuth::builder().bearer_token(KEY).build().unwrap(),
        ),
    ] {
        for stack in STACKS {
            let at = format!("{stack:?}, {how}");
            let before = requests(&server).await;
            let seen = send(
                stack,
                &auth,
                "GET",
                &format!("{}/x", server.uri()),
                &[
                    ("authorization", "AWS4-HMAC-SHA256 Credential=earlier"),
                    ("authorization", "Bearer the-apps-own-token"),
                ],
                b"",
            )
            .await;
            assert_eq!(seen, Err(ErrorKind::AuthorizationPresent), "{at}");
            assert_eq!(requests(&server).await, before, "{at}: sent");
        }
    }
}

#[tokio::test]
async fn a_bearer_key_goes_to_bedrock_hosts_only_unless_others_are_named() {
    let lambda_url = "https://abc123.lambda-url.us-east-1.on.aws/";
    let plain = AwsAuth::builder().bearer_token(KEY).build().unwrap();
    for stack in [
        Stack::Sign,
        Stack::Reqwest13,
        Stack::Reqwest12,
        Stack::Tower,
    ] {
        let seen = send(stack, &plain, "POST", lambda_url, &[], b"{}").await;
        assert_eq!(seen, Err(ErrorKind::OutOfScope), "{stack:?}");
    }
    let mut request = reqwest::Client::new()
        .post("https://bedrock-runtime.us-east-1.amazonaws.com/openai/v1/responses")
        .build()
        .unwrap();
    plain.sign(&mut request).await.unwrap();
    assert!(request.headers().contains_key("authorization"));

    let named = AwsAuth::builder()
        .bearer_token(KEY)
        .allow_host("abc123.lambda-url.us-east-1.on.aws")
        .build()
        .unwrap();
    let mut request = reqwest::Client::new().post(lambda_url).build().unwrap();
    named.sign(&mut request).await.unwrap();
    assert_eq!(
        request.headers()["authorization"],
        format!("Bearer {KEY}").as_str()
    );
}

#[test]
fn the_builder_checks_what_it_is_given_in_bearer_mode_too() {
    for (what, builder) in [
        (
            "unsigned_header",
            AwsAuth::builder()
                .bearer_token(KEY)
                .unsigned_header("bad header"),
        ),
        (
            "service",
            AwsAuth::builder().bearer_token(KEY).service("Bad Name"),
        ),
        (
            "region",
            AwsAuth::bedrock_mantle()
                .bearer_token(KEY)
                .region("us east 1"),
        ),
    ] {
        let err = builder.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{what}");
    }
}

#[tokio::test]
async fn fips_and_dual_spelled_bedrock_hosts_are_in_the_presets_scope() {
    let auth = AwsAuth::bedrock_mantle()
        .region("us-east-1")
        .bearer_token(KEY)
        .build()
        .unwrap();
    for url in [
        "https://bedrock-mantle-fips.us-east-1.api.aws/v1/responses",
        "https://bedrock-runtime-fips.us-east-1.amazonaws.com/openai/v1/responses",
        "https://BEDROCK-MANTLE.us-east-1.api.aws./v1/models",
    ] {
        let mut request = reqwest::Client::new().post(url).build().unwrap();
        auth.sign(&mut request).await.unwrap();
        assert!(request.headers().contains_key("authorization"), "{url}");
    }
    let mut request = reqwest::Client::new()
        .post("https://bedrock-mantle-fips.us-west-2.api.aws/v1/responses")
        .build()
        .unwrap();
    let err = auth.sign(&mut request).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::RegionMismatch,
        "another region's FIPS host"
    );
}
