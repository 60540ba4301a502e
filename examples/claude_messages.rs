//! `cargo run --example claude_messages`: Anthropic's Messages API on AWS, offline.
//!
//! Sends a Messages request, plain and streamed, through `AwsAuth::claude_platform()` (Claude
//! Platform on AWS, signed as `aws-external-anthropic`, with the workspace header) and through
//! `AwsAuth::bedrock()` (whose signing name follows the host: `bedrock-mantle` on Mantle,
//! `bedrock` on bedrock-runtime). The requests go to the offline mock, reached under the real
//! endpoints' names with reqwest's `resolve`, which verifies each signature for that
//! endpoint's own signing name. Like an Anthropic client, the app sends an `x-api-key`
//! placeholder: the presets remove it before signing, and the mock would refuse it.

#[path = "support/mock_mantle.rs"]
mod mock_mantle;

use mock_mantle::{REGION, demo_credentials};
use reqwest_aws_auth::{AwsAuth, bedrock};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock: std::net::SocketAddr = mock_mantle::start()
        .await?
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .parse()?;
    println!("Mock AWS model endpoints at {mock}\n");

    let runs = [
        (
            "Claude Platform on AWS: AwsAuth::claude_platform().workspace_id(..)",
            AwsAuth::claude_platform().workspace_id("wrkspc_demo"),
            bedrock::claude_platform_base_url(REGION),
        ),
        (
            "Mantle's Anthropic path: AwsAuth::bedrock()",
            AwsAuth::bedrock(),
            bedrock::mantle_anthropic_base_url(REGION),
        ),
        (
            "bedrock-runtime's Anthropic path: AwsAuth::bedrock()",
            AwsAuth::bedrock(),
            bedrock::runtime_anthropic_base_url(REGION),
        ),
    ];
    for (n, (title, builder, base)) in runs.into_iter().enumerate() {
        println!("[{}] {title}", n + 1);
        let auth = builder
            .region(REGION)
            .credentials(demo_credentials())
            .build()?;
        // The real host name, on the mock's port, over plain HTTP: only the mock is offline.
        let url = url::Url::parse(&base)?;
        let host = url.host_str().ok_or("no host")?.to_owned();
        let base = format!(
            "http://{host}:{}{}",
            mock.port(),
            url.path().trim_end_matches('/')
        );
        let client = auth.client(reqwest::Client::builder().resolve(&host, mock))?;
        for stream in [false, true] {
            let response = client
                .post(format!("{base}/v1/messages"))
                .header("content-type", "application/json")
                .header("anthropic-version", "2023-06-01")
                .header("x-api-key", "sk-ant-placeholder")
                .body(format!(
                    r#"{{"model":"anthropic.claude-demo","max_tokens":64,"stream":{stream},"messages":[{{"role":"user","content":"Say hello"}}]}}"#
                ))
                .send()
                .await?;
            if !response.status().is_success() {
                return Err(
                    format!("the mock refused the request: {}", response.text().await?).into(),
                );
            }
            let verified = response.headers()["x-demo-verified"].to_str()?.to_owned();
            if stream {
                print!("    streamed: ");
                stream_text(response).await?;
            } else {
                println!("    verified: {verified}");
                let message: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
                println!("    answer:   {}", message["content"][0]["text"]);
            }
        }
    }
    Ok(())
}

/// Prints each `text_delta` of a Messages API event stream as it arrives.
async fn stream_text(mut response: reqwest::Response) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write as _;
    let mut pending = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = pending.drain(..end + 2).collect();
            for line in String::from_utf8_lossy(&event).lines() {
                let Some(data) = line.strip_prefix("data: ") else {
                    continue;
                };
                let value: serde_json::Value = serde_json::from_str(data)?;
                if value["delta"]["type"] == "text_delta" {
                    print!("{}", value["delta"]["text"].as_str().unwrap_or_default());
                    std::io::stdout().flush()?;
                }
            }
        }
    }
    println!();
    Ok(())
}
