//! `AwsAuth::claude_platform()`: Claude Platform on AWS (`aws-external-anthropic.{region}.api.aws`,
//! signed as `aws-external-anthropic`). Every request carries `anthropic-workspace-id`, from
//! `.workspace_id(..)` or `ANTHROPIC_AWS_WORKSPACE_ID`, signed; `build()` fails without one. An
//! API key (`.bearer_token(..)` or `ANTHROPIC_AWS_API_KEY`) goes as `Authorization: Bearer`, as
//! anthropic-sdk-python's `AnthropicAWS` sends it, with the Bedrock presets' precedence.
//! Cases that read the environment run in a child process with exactly that environment.

use aws_credential_types::Credentials;
use reqwest_aws_auth::bedrock::claude_platform_base_url;
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, Error, ErrorKind};

#[path = "support/child_env.rs"]
mod child_env;

const REGION: &str = "us-east-1";
const WORKSPACE: &str = "wrkspc_01ClaudePlatform";
const API_KEY: &str = "sk-ant-api03-claude-platform-key";

fn credentials() -> Credentials {
    Credentials::new("AKIDCLAUDE", "claude-secret", None, None, "t")
}

fn messages_url(region: &str) -> String {
    format!("{}/v1/messages", claude_platform_base_url(region))
}

/// Signs (or keys) a Messages request to `url` as an Anthropic client would send it.
async fn sign(auth: &AwsAuth, url: &str) -> Result<http::Request<Vec<u8>>, Error> {
    let mut request = http::Request::post(url)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .header("anthropic-workspace-id", "wrkspc_the_app_set_another")
        .body(br#"{"model":"claude","max_tokens":1}"#.to_vec())
        .unwrap();
    auth.sign(&mut request).await?;
    Ok(request)
}

fn header<'a>(request: &'a http::Request<Vec<u8>>, name: &str) -> Option<&'a str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

fn verify(request: &http::Request<Vec<u8>>) {
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
        .chain([("host", request.uri().host().unwrap())])
        .collect();
    Verifier::new(credentials(), REGION, "aws-external-anthropic")
        .verify(&ReceivedRequest {
            method: "POST",
            target: request.uri().path(),
            headers: &headers,
            body: request.body(),
        })
        .unwrap();
}

#[test]
fn the_base_url_is_the_one_anthropics_sdk_appends_v1_messages_to() {
    assert_eq!(
        claude_platform_base_url("eu-west-1"),
        "https://aws-external-anthropic.eu-west-1.api.aws"
    );
}

#[tokio::test]
async fn signs_as_aws_external_anthropic_with_the_workspace_header_signed() {
    let auth = AwsAuth::claude_platform()
        .region(REGION)
        .workspace_id(WORKSPACE)
        .credentials(credentials())
        .build()
        .unwrap();
    let request = sign(&auth, &messages_url(REGION)).await.unwrap();
    // The configured workspace replaces whatever the app put there: one value, the one billed.
    assert_eq!(
        request
            .headers()
            .get_all("anthropic-workspace-id")
            .iter()
            .count(),
        1
    );
    assert_eq!(header(&request, "anthropic-workspace-id"), Some(WORKSPACE));
    let authorization = header(&request, "authorization").unwrap();
    assert!(
        authorization.contains(&format!("/{REGION}/aws-external-anthropic/aws4_request")),
        "{authorization}"
    );
    assert!(
        authorization.contains("anthropic-workspace-id"),
        "{authorization}"
    );
    verify(&request);
}

#[tokio::test]
async fn an_api_key_goes_as_a_bearer_token_with_the_workspace() {
    let auth = AwsAuth::claude_platform()
        .region(REGION)
        .workspace_id(WORKSPACE)
        .bearer_token(API_KEY)
        .build()
        .unwrap();
    let request = sign(&auth, &messages_url(REGION)).await.unwrap();
    assert_eq!(
        header(&request, "authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    assert_eq!(header(&request, "anthropic-workspace-id"), Some(WORKSPACE));
    assert!(header(&request, "x-amz-date").is_none());
    // The key is nowhere in what the setup shows.
    assert!(!format!("{auth:?}").contains(API_KEY));
}

#[tokio::test]
async fn its_scope_is_claude_platform_of_its_region() {
    let auth = AwsAuth::claude_platform()
        .region(REGION)
        .workspace_id(WORKSPACE)
        .credentials(credentials())
        .build()
        .unwrap();
    let kind = |r: Result<_, Error>| r.map(drop).map_err(|e| e.kind());
    assert_eq!(
        kind(sign(&auth, &messages_url("eu-west-1")).await),
        Err(ErrorKind::RegionMismatch)
    );
    for url in [
        "https://bedrock-mantle.us-east-1.api.aws/anthropic/v1/messages",
        "https://bedrock-runtime.us-east-1.amazonaws.com/anthropic/v1/messages",
        "https://api.anthropic.com/v1/messages",
        "https://aws-external-anthropic.us-east-1.api.aws.example.com/v1/messages",
        "https://abc.lambda-url.us-east-1.on.aws/v1/messages",
    ] {
        assert_eq!(
            kind(sign(&auth, url).await),
            Err(ErrorKind::OutOfScope),
            "{url}"
        );
    }
    // Loopback, for mocks.
    let loopback = sign(&auth, "http://127.0.0.1:9/v1/messages").await.unwrap();
    assert_eq!(header(&loopback, "anthropic-workspace-id"), Some(WORKSPACE));
}

#[test]
fn two_explicit_ways_fail_the_build() {
    let err = AwsAuth::claude_platform()
        .region(REGION)
        .workspace_id(WORKSPACE)
        .bearer_token(API_KEY)
        .credentials(credentials())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(!format!("{err} {err:?}").contains(API_KEY));
}

#[test]
fn a_workspace_id_that_cannot_be_a_header_fails_the_build() {
    let err = AwsAuth::claude_platform()
        .region(REGION)
        .workspace_id("wrkspc\nx-injected: 1")
        .credentials(credentials())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("workspace_id"), "{err}");
}

// ---- the environment, in child processes ----

#[test]
fn without_a_workspace_id_build_fails_naming_both_ways() {
    child_env::run_child("no_workspace", &[("AWS_REGION", REGION)], "", "");
    child_env::run_child(
        "no_workspace",
        &[
            ("AWS_REGION", REGION),
            ("ANTHROPIC_AWS_WORKSPACE_ID", "  \n"),
        ],
        "",
        "",
    );
}

#[test]
fn the_workspace_id_from_the_environment_is_trimmed_and_the_builder_wins() {
    child_env::run_child(
        "env_workspace",
        &[
            ("AWS_REGION", REGION),
            ("ANTHROPIC_AWS_WORKSPACE_ID", "  wrkspc_from_env\n"),
        ],
        "",
        "",
    );
}

#[test]
fn the_api_key_from_the_environment_follows_the_precedence_rule() {
    child_env::run_child(
        "env_api_key",
        &[
            ("AWS_REGION", REGION),
            ("ANTHROPIC_AWS_WORKSPACE_ID", WORKSPACE),
            ("ANTHROPIC_AWS_API_KEY", API_KEY),
            ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ],
        "",
        "",
    );
    // A Bedrock key is not a Claude Platform key: the preset signs with SigV4 instead.
    child_env::run_child(
        "bedrock_key_ignored",
        &[
            ("AWS_REGION", REGION),
            ("ANTHROPIC_AWS_WORKSPACE_ID", WORKSPACE),
            ("AWS_BEARER_TOKEN_BEDROCK", "ABSKbedrock"),
            ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ],
        "",
        "",
    );
}

async fn authorization(builder: AwsAuthBuilder) -> String {
    let request = sign(&builder.build().unwrap(), &messages_url(REGION))
        .await
        .unwrap();
    header(&request, "authorization").unwrap().to_owned()
}

#[tokio::test]
#[ignore = "a child process of the claude_platform tests; checks nothing when run directly"]
async fn child() {
    let Some(scenario) = child_env::scenario() else {
        return;
    };
    match scenario.as_str() {
        "no_workspace" => {
            let err = AwsAuth::claude_platform()
                .credentials(credentials())
                .build()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            let text = err.to_string();
            assert!(
                text.contains(".workspace_id(") && text.contains("ANTHROPIC_AWS_WORKSPACE_ID"),
                "{text}"
            );
        }
        "env_workspace" => {
            let auth = AwsAuth::claude_platform()
                .credentials(credentials())
                .build()
                .unwrap();
            let request = sign(&auth, &messages_url(REGION)).await.unwrap();
            assert_eq!(
                header(&request, "anthropic-workspace-id"),
                Some("wrkspc_from_env")
            );
            let auth = AwsAuth::claude_platform()
                .workspace_id(WORKSPACE)
                .credentials(credentials())
                .build()
                .unwrap();
            let request = sign(&auth, &messages_url(REGION)).await.unwrap();
            assert_eq!(header(&request, "anthropic-workspace-id"), Some(WORKSPACE));
        }
        "env_api_key" => {
            assert_eq!(
                authorization(AwsAuth::claude_platform()).await,
                format!("Bearer {API_KEY}")
            );
            assert_eq!(
                authorization(AwsAuth::claude_platform().bearer_token("sk-ant-explicit")).await,
                "Bearer sk-ant-explicit"
            );
            let sigv4 = authorization(AwsAuth::claude_platform().credentials(credentials())).await;
            assert!(
                sigv4.starts_with("AWS4-HMAC-SHA256 Credential=AKIDCLAUDE/"),
                "{sigv4}"
            );
            let off = authorization(AwsAuth::claude_platform().bearer_token_from_env(false)).await;
            assert!(
                off.starts_with("AWS4-HMAC-SHA256 Credential=AKIDFROMENV/"),
                "{off}"
            );
        }
        "bedrock_key_ignored" => {
            let header = authorization(AwsAuth::claude_platform()).await;
            assert!(
                header.starts_with("AWS4-HMAC-SHA256 Credential=AKIDFROMENV/"),
                "{header}"
            );
        }
        other => panic!("unknown scenario {other}"),
    }
    child_env::checked(&scenario);
}
