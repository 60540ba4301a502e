//! `AwsAuth::bedrock()`: one preset for bedrock-runtime and Mantle, whose signing name follows
//! the host of each request (`bedrock` for runtime, `bedrock-mantle` for Mantle), with the
//! Bedrock presets' region check and scope. A host the grammar does not know (a proxy, a
//! loopback mock) fails with a typed error that says to call `.service(..)`, unless it was.

use aws_credential_types::Credentials;
use reqwest_aws_auth::bedrock::{
    mantle_anthropic_base_url, mantle_base_url, mantle_openai_base_url, runtime_anthropic_base_url,
    runtime_openai_base_url,
};
use reqwest_aws_auth::verify::Verifier;
use reqwest_aws_auth::{AwsAuth, ErrorKind};

#[path = "support/stack.rs"]
mod stack;
#[path = "support/wire.rs"]
mod wire;

const REGION: &str = "us-west-2";

fn credentials() -> Credentials {
    Credentials::new("AKIDFOLLOW", "follow-secret", None, None, "t")
}

fn auth() -> AwsAuth {
    AwsAuth::bedrock()
        .region(REGION)
        .credentials(credentials())
        .build()
        .unwrap()
}

/// The signing name in the credential scope of a request to `url` signed by `auth`.
async fn signing_name(auth: &AwsAuth, url: &str) -> Result<String, reqwest_aws_auth::Error> {
    let mut request = http::Request::post(url).body(b"{}".to_vec()).unwrap();
    auth.sign(&mut request).await?;
    let authorization = request.headers()["authorization"].to_str().unwrap();
    Ok(authorization.split('/').nth(3).unwrap().to_owned())
}

#[tokio::test]
async fn the_signing_name_follows_each_requests_host() {
    let auth = auth();
    let cases = [
        (
            format!("{}/responses", runtime_openai_base_url(REGION)),
            "bedrock",
        ),
        (
            format!("{}/v1/messages", runtime_anthropic_base_url(REGION)),
            "bedrock",
        ),
        (
            format!("https://bedrock-runtime-fips.{REGION}.amazonaws.com/model/m/converse"),
            "bedrock",
        ),
        (
            format!("https://bedrock-runtime.{REGION}.api.aws/openai/v1/responses"),
            "bedrock",
        ),
        (
            format!("{}/responses", mantle_base_url(REGION)),
            "bedrock-mantle",
        ),
        (
            format!("{}/responses", mantle_openai_base_url(REGION)),
            "bedrock-mantle",
        ),
        (
            format!("{}/v1/messages", mantle_anthropic_base_url(REGION)),
            "bedrock-mantle",
        ),
        (
            format!("https://bedrock-mantle-fips.{REGION}.api.aws/v1/responses"),
            "bedrock-mantle",
        ),
    ];
    // The same AwsAuth, alternating hosts: no request takes another's name.
    for _ in 0..2 {
        for (url, name) in &cases {
            assert_eq!(signing_name(&auth, url).await.unwrap(), *name, "{url}");
        }
    }
}

#[tokio::test]
async fn the_anthropic_base_urls_are_where_anthropics_sdks_append_v1_messages() {
    assert_eq!(
        runtime_anthropic_base_url("eu-central-1"),
        "https://bedrock-runtime.eu-central-1.amazonaws.com/anthropic"
    );
    assert_eq!(
        runtime_anthropic_base_url("cn-north-1"),
        "https://bedrock-runtime.cn-north-1.amazonaws.com.cn/anthropic"
    );
    assert_eq!(
        mantle_anthropic_base_url("us-east-1"),
        "https://bedrock-mantle.us-east-1.api.aws/anthropic"
    );
    // openai-python's runtime URLs for every partition it knows.
    assert_eq!(
        runtime_openai_base_url("eusc-de-east-1"),
        "https://bedrock-runtime.eusc-de-east-1.amazonaws.eu/openai/v1"
    );
    assert_eq!(
        runtime_openai_base_url("us-isob-east-1"),
        "https://bedrock-runtime.us-isob-east-1.sc2s.sgov.gov/openai/v1"
    );
}

#[tokio::test]
async fn a_host_the_grammar_does_not_know_needs_service() {
    let auth = auth();
    let err = signing_name(&auth, "http://127.0.0.1:9/openai/v1/responses")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains(".service("), "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");

    let fixed = AwsAuth::bedrock()
        .service("bedrock-mantle")
        .region(REGION)
        .credentials(credentials())
        .build()
        .unwrap();
    assert_eq!(
        signing_name(&fixed, "http://127.0.0.1:9/v1/responses")
            .await
            .unwrap(),
        "bedrock-mantle"
    );
    // Given, the name is the app's for every host.
    assert_eq!(
        signing_name(
            &fixed,
            &format!("{}/responses", runtime_openai_base_url(REGION))
        )
        .await
        .unwrap(),
        "bedrock-mantle"
    );
}

#[tokio::test]
async fn scope_and_region_are_the_bedrock_presets() {
    let auth = auth();
    let kind = |r: Result<String, reqwest_aws_auth::Error>| r.map_err(|e| e.kind());
    assert_eq!(
        kind(
            signing_name(
                &auth,
                &format!("{}/responses", mantle_base_url("us-east-1"))
            )
            .await
        ),
        Err(ErrorKind::RegionMismatch)
    );
    for url in [
        "https://aws-external-anthropic.us-west-2.api.aws/v1/messages",
        "https://abc.lambda-url.us-west-2.on.aws/",
        "https://bedrock-runtime.us-west-2.amazonaws.com.example.com/openai/v1/responses",
        "https://bedrock.us-west-2.amazonaws.com/foundation-models",
    ] {
        assert_eq!(
            kind(signing_name(&auth, url).await),
            Err(ErrorKind::OutOfScope),
            "{url}"
        );
    }
}

#[tokio::test]
async fn every_adapter_signs_for_the_hosts_name_and_a_mock_verifies_it() {
    // On loopback through each adapter, with the name a Mantle or runtime host would pick.
    for (service, name) in [("bedrock-mantle", "mantle"), ("bedrock", "runtime")] {
        let auth = AwsAuth::bedrock()
            .service(service)
            .region(REGION)
            .credentials(credentials())
            .build()
            .unwrap();
        for stack in stack::STACKS {
            let server = wire::scripted(vec![wiremock::ResponseTemplate::new(200)]).await;
            let url = format!("{}/openai/v1/responses", server.uri());
            let seen = stack::send(stack, &auth, "POST", &url, &[], b"{}").await;
            assert_eq!(seen.map(|(s, _)| s), Ok(200), "{name} {stack:?}");
            let request = &server.received_requests().await.unwrap()[0];
            wire::verify_received(&Verifier::new(credentials(), REGION, service), request)
                .unwrap_or_else(|r| panic!("{name} {stack:?}: {r}"));
        }
    }
}

#[tokio::test]
async fn a_bedrock_api_key_needs_no_signing_name() {
    let auth = AwsAuth::bedrock()
        .region(REGION)
        .bearer_token("ABSKfollow-key")
        .build()
        .unwrap();
    for url in [
        format!("{}/responses", runtime_openai_base_url(REGION)),
        format!("{}/v1/messages", mantle_anthropic_base_url(REGION)),
    ] {
        let mut request = http::Request::post(&url).body(Vec::new()).unwrap();
        auth.sign(&mut request).await.unwrap();
        assert_eq!(request.headers()["authorization"], "Bearer ABSKfollow-key");
    }
}
