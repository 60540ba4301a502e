//! A client's own credentials never reach AWS: an Anthropic client sends its key (a
//! placeholder, or a real `sk-ant-…` key found in the environment) as `x-api-key`. Under every
//! Bedrock and Claude preset the crate removes it before signing or attaching its own key,
//! through every adapter; the server never sees it, and the signature still verifies. Other
//! builders keep it (API Gateway uses `x-api-key` next to SigV4), signed.

use aws_credential_types::Credentials;
use reqwest_aws_auth::verify::Verifier;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "support/stack.rs"]
mod stack;
#[path = "support/wire.rs"]
mod wire;

use stack::{STACKS, send};

const ANTHROPIC_KEY: &str = "sk-ant-api03-client-key-that-must-stay-home";
const BEDROCK_KEY: &str = "ABSKbedrock-key-of-the-crate";
const REGION: &str = "us-east-1";

fn credentials() -> Credentials {
    Credentials::new("AKIDAPIKEYHEADER", "api-key-header-secret", None, None, "t")
}

type Preset = fn() -> AwsAuthBuilder;

/// The presets, each with the signing name it uses on loopback.
fn presets() -> Vec<(&'static str, Preset, &'static str)> {
    vec![
        ("bedrock_mantle", AwsAuth::bedrock_mantle, "bedrock-mantle"),
        ("bedrock_runtime", AwsAuth::bedrock_runtime, "bedrock"),
        (
            "bedrock().service(bedrock)",
            || AwsAuth::bedrock().service("bedrock"),
            "bedrock",
        ),
        (
            "claude_platform",
            || AwsAuth::claude_platform().workspace_id("wrkspc_api_key_header"),
            "aws-external-anthropic",
        ),
    ]
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

const HEADERS: [(&str, &str); 3] = [
    ("x-api-key", ANTHROPIC_KEY),
    ("anthropic-version", "2023-06-01"),
    ("content-type", "application/json"),
];

#[tokio::test]
async fn no_preset_forwards_a_clients_x_api_key_through_any_adapter() {
    let mut checked = 0;
    for (name, builder, service) in presets() {
        for bearer in [false, true] {
            let builder = builder().region(REGION);
            let auth = if bearer {
                builder.bearer_token(BEDROCK_KEY)
            } else {
                builder.credentials(credentials())
            }
            .build()
            .unwrap();
            for stack in STACKS {
                let server = server().await;
                let url = format!("{}/anthropic/v1/messages", server.uri());
                let seen = send(stack, &auth, "POST", &url, &HEADERS, b"{\"max_tokens\":1}").await;
                assert_eq!(seen.map(|(s, _)| s), Ok(200), "{name} {stack:?}");
                let received = server.received_requests().await.unwrap();
                assert_eq!(received.len(), 1);
                let request = &received[0];
                assert!(
                    request.headers.get("x-api-key").is_none(),
                    "{name} {stack:?} bearer={bearer}: the server saw x-api-key"
                );
                assert_eq!(request.headers["anthropic-version"], "2023-06-01");
                if bearer {
                    assert_eq!(
                        request.headers["authorization"],
                        format!("Bearer {BEDROCK_KEY}").as_str()
                    );
                } else {
                    let verifier = Verifier::new(credentials(), REGION, service);
                    wire::verify_received(&verifier, request)
                        .unwrap_or_else(|r| panic!("{name} {stack:?}: {r}"));
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 2 * STACKS.len());
}

#[tokio::test]
async fn replace_api_key_header_false_keeps_it_signed_and_other_builders_keep_it() {
    let builders = [
        AwsAuth::bedrock_mantle().replace_api_key_header(false),
        AwsAuth::builder().service("execute-api"),
    ];
    for builder in builders {
        let service = if format!("{builder:?}").contains("execute-api") {
            "execute-api"
        } else {
            "bedrock-mantle"
        };
        let auth = builder
            .region(REGION)
            .credentials(credentials())
            .build()
            .unwrap();
        for stack in STACKS {
            let server = server().await;
            let url = format!("{}/prod/items", server.uri());
            let seen = send(stack, &auth, "POST", &url, &HEADERS, b"{}").await;
            assert_eq!(seen.map(|(s, _)| s), Ok(200), "{service} {stack:?}");
            let request = &server.received_requests().await.unwrap()[0];
            assert_eq!(request.headers["x-api-key"], ANTHROPIC_KEY, "{stack:?}");
            let signed = request.headers["authorization"].to_str().unwrap();
            assert!(signed.contains("x-api-key"), "{signed}");
            wire::verify_received(&Verifier::new(credentials(), REGION, service), request).unwrap();
        }
    }
}

#[tokio::test]
async fn a_request_passed_through_outside_the_scope_is_left_as_the_app_wrote_it() {
    let auth = AwsAuth::bedrock_mantle()
        .region(REGION)
        .credentials(credentials())
        .default_scope(false)
        .allow_host("bedrock-mantle.us-east-1.api.aws")
        .outside_scope(reqwest_aws_auth::OutsideScope::PassThrough)
        .build()
        .unwrap();
    let server = server().await;
    let url = format!("{}/v1/messages", server.uri());
    let seen = send(
        stack::Stack::Reqwest13,
        &auth,
        "POST",
        &url,
        &HEADERS,
        b"{}",
    )
    .await;
    assert_eq!(seen.map(|(s, _)| s), Ok(200));
    let request = &server.received_requests().await.unwrap()[0];
    // Not AWS, not ours to edit: the app's own request to its own server.
    assert_eq!(request.headers["x-api-key"], ANTHROPIC_KEY);
    assert!(request.headers.get("authorization").is_none());
}
