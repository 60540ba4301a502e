//! The official SDKs' wire against the crate's, on loopback (run by `.ci/run` with
//! `--ignored`; needs Python with `openai==3.63.0`, `anthropic==2.17.0` and `botocore`).
//!
//! `scripts/bedrock_sdk_wire.py serve` verifies every request with the botocore-based verifier
//! for the scope it was signed for and records it. The crate sends each call through plain
//! reqwest with the preset an app would use (`AwsAuth::bedrock()`, whose signing name follows
//! the host, reached under the real endpoint's name with reqwest's `resolve`; and
//! `AwsAuth::claude_platform()`), as a Rust client would send it (an Anthropic client's
//! `x-api-key` included); then the script's `clients` mode makes the same calls with
//! openai-python's Bedrock provider (runtime and Mantle) and anthropic-sdk-python's
//! `AnthropicBedrockMantle` and `AnthropicAWS`. For every call both sides must have the same
//! method, path, signing name and region, the headers the API requires, no `x-api-key`, and a
//! signature botocore accepts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;

use aws_credential_types::Credentials;
use reqwest_aws_auth::AwsAuth;
use serde_json::Value;

#[path = "support/python_server.rs"]
#[allow(dead_code)] // shared with other tests; this one uses part of it
mod python_server;

const REGION: &str = "us-east-1";
const ACCESS_KEY: &str = "AKIDSDKWIRE";
const SECRET_KEY: &str = "sdk-wire-secret";
const WORKSPACE_ID: &str = "wrkspc_sdkwire";
const MODULES: [&str; 4] = ["openai", "anthropic", "botocore", "httpx2"];

fn script() -> String {
    format!("{}/scripts/bedrock_sdk_wire.py", env!("CARGO_MANIFEST_DIR"))
}

struct Call {
    case: &'static str,
    host: &'static str,
    path: &'static str,
    body: &'static str,
    anthropic: bool,
}

const CALLS: [Call; 6] = [
    Call {
        case: "openai-runtime-responses",
        host: "bedrock-runtime.us-east-1.amazonaws.com",
        path: "/openai/v1/responses",
        body: r#"{"model":"wire","input":"Hello"}"#,
        anthropic: false,
    },
    Call {
        case: "openai-runtime-chat",
        host: "bedrock-runtime.us-east-1.amazonaws.com",
        path: "/openai/v1/chat/completions",
        body: r#"{"model":"wire","messages":[{"role":"user","content":"Hello"}]}"#,
        anthropic: false,
    },
    Call {
        case: "openai-mantle-responses",
        host: "bedrock-mantle.us-east-1.api.aws",
        path: "/v1/responses",
        body: r#"{"model":"wire","input":"Hello"}"#,
        anthropic: false,
    },
    Call {
        case: "openai-mantle-openai-responses",
        host: "bedrock-mantle.us-east-1.api.aws",
        path: "/openai/v1/responses",
        body: r#"{"model":"wire","input":"Hello"}"#,
        anthropic: false,
    },
    Call {
        case: "anthropic-mantle-messages",
        host: "bedrock-mantle.us-east-1.api.aws",
        path: "/anthropic/v1/messages",
        body: r#"{"model":"anthropic.claude-wire","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}"#,
        anthropic: true,
    },
    Call {
        case: "anthropic-aws-messages",
        host: "aws-external-anthropic.us-east-1.api.aws",
        path: "/v1/messages",
        body: r#"{"model":"claude-wire","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}"#,
        anthropic: true,
    },
];

async fn label(port: u16, label: String) {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/__label"))
        .body(label)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// The crate's side: each call as a Rust app would make it.
async fn crate_calls(port: u16) {
    let loopback = SocketAddr::from(([127, 0, 0, 1], port));
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "wire");
    for call in &CALLS {
        let builder = if call.host.starts_with("aws-external-anthropic") {
            AwsAuth::claude_platform().workspace_id(WORKSPACE_ID)
        } else {
            AwsAuth::bedrock()
        };
        let auth = builder
            .region(REGION)
            .credentials(credentials.clone())
            .build()
            .unwrap();
        let client = auth
            .client(reqwest::Client::builder().resolve(call.host, loopback))
            .unwrap();
        label(port, format!("crate:{}", call.case)).await;
        let mut request = client
            .post(format!("http://{}:{port}{}", call.host, call.path))
            .header("content-type", "application/json")
            .body(call.body);
        if call.anthropic {
            request = request.header("anthropic-version", "2023-06-01").header(
                "x-api-key",
                "sk-ant-api03-placeholder-the-rust-client-sends",
            );
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            200,
            "{}: {}",
            call.case,
            response.text().await.unwrap()
        );
    }
}

#[tokio::test]
#[ignore = "needs Python with openai, anthropic and botocore; run by .ci/run"]
async fn the_crate_and_the_official_sdks_put_the_same_calls_on_the_wire() {
    let server = python_server::PythonServer::start(
        "the SDK wire differential",
        &MODULES,
        &[script(), "serve".into(), "--region".into(), REGION.into()],
        &[],
    );
    let port = server.port();
    crate_calls(port).await;

    let output = Command::new(python_server::python())
        .args([
            &script(),
            "clients",
            "--port",
            &port.to_string(),
            "--region",
            REGION,
        ])
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_BEARER_TOKEN_BEDROCK")
        .env_remove("ANTHROPIC_AWS_API_KEY")
        .env_remove("OPENAI_API_KEY")
        // What a developer's shell may hold: neither SDK may send it in SigV4 mode.
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-from-the-environment")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    // Exits non-zero, naming each call that failed, when any SDK call raised.
    assert!(
        output.status.success(),
        "the SDK clients failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let records = reqwest::get(format!("http://127.0.0.1:{port}/__records"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let records: Vec<Value> = serde_json::from_slice(&records).unwrap();
    let mut by_label: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for record in &records {
        by_label
            .entry(record["label"].as_str().unwrap().to_owned())
            .or_default()
            .push(record);
    }
    for call in &CALLS {
        let one = |side: &str| -> &Value {
            let seen = by_label
                .get(&format!("{side}:{}", call.case))
                .unwrap_or_else(|| panic!("{side} made no {} request", call.case));
            assert_eq!(seen.len(), 1, "{side}:{}: {seen:?}", call.case);
            seen[0]
        };
        let (sdk, ours) = (one("sdk"), one("crate"));
        for (side, record) in [("sdk", sdk), ("crate", ours)] {
            assert_eq!(
                record["verified"], true,
                "{side}:{}: {}",
                call.case, record["errors"]
            );
            let headers: Vec<&str> = record["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap())
                .collect();
            assert!(
                !headers.contains(&"x-api-key"),
                "{side}:{} sent x-api-key",
                call.case
            );
            if call.anthropic {
                assert!(
                    headers.contains(&"anthropic-version"),
                    "{side}:{}",
                    call.case
                );
            }
        }
        assert_eq!(sdk["method"], ours["method"], "{}", call.case);
        assert_eq!(sdk["path"], ours["path"], "{}", call.case);
        assert_eq!(sdk["path"], call.path, "{}", call.case);
        // [date, region, service, aws4_request]: the same region and signing name.
        assert_eq!(sdk["scope"][1], ours["scope"][1], "{}", call.case);
        assert_eq!(sdk["scope"][2], ours["scope"][2], "{}", call.case);
        assert_eq!(sdk["scope"][3], "aws4_request");
        assert_eq!(
            sdk["values"]["anthropic-workspace-id"], ours["values"]["anthropic-workspace-id"],
            "{}",
            call.case
        );
        assert_eq!(
            sdk["values"]["content-type"], ours["values"]["content-type"],
            "{}",
            call.case
        );
    }
    let aws = by_label["sdk:anthropic-aws-messages"][0];
    assert_eq!(aws["values"]["anthropic-workspace-id"], WORKSPACE_ID);
    assert_eq!(aws["scope"][2], "aws-external-anthropic");
    drop(server);
}
