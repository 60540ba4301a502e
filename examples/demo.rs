//! `cargo run --example demo`: both ways to authenticate to Amazon Bedrock Mantle, offline.
//!
//! Starts a mock Mantle endpoint on loopback that checks requests for real (SigV4 signatures
//! with `reqwest_aws_auth::verify`, after dropping header names that contain `_` as Mantle
//! does; API keys by constant-time comparison), then sends a streaming Responses API request
//! signed with demo AWS credentials and one carrying a Bedrock API key, and prints the answer
//! as it streams in. No AWS account or network is needed.

#[path = "support/mock_mantle.rs"]
mod mock_mantle;

use mock_mantle::{API_KEY, REGION, demo_credentials};
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = mock_mantle::start().await?;
    println!(
        "Mock Bedrock Mantle at {base} (checks SigV4 for bedrock-mantle/{REGION}, and its API key)\n"
    );

    let runs: [(&str, AwsAuthBuilder); 2] = [
        (
            "SigV4 with AWS credentials: AwsAuth::bedrock_mantle().region(..).credentials(..)",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .credentials(demo_credentials()),
        ),
        (
            "Bedrock API key: AwsAuth::bedrock_mantle().region(..).bearer_token(..)",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .bearer_token(API_KEY),
        ),
    ];
    for (n, (title, builder)) in runs.into_iter().enumerate() {
        println!("[{}] {title}", n + 1);
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(builder.build()?)
            .build();
        let response = client
            .post(format!("{base}/responses"))
            .header("content-type", "application/json")
            .header("x_demo_trace", "dropped-by-mantle")
            .body(r#"{"model":"openai.gpt-oss-120b","input":"Say hello","stream":true}"#)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("the mock refused the request: {}", response.text().await?).into());
        }
        let verified = response.headers()["x-demo-verified"].to_str()?.to_owned();
        println!("    verified: {verified}");
        print!("    streamed: ");
        stream_text(response).await?;
        println!();
    }

    let wrong = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .bearer_token("ABSKwrong")
                .build()?,
        )
        .build()
        .post(format!("{base}/responses"))
        .body("{}")
        .send()
        .await?;
    println!("[3] A wrong API key: the mock answers {}", wrong.status());
    Ok(())
}

/// Prints each `response.output_text.delta` of a Responses API event stream as it arrives.
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
                if value["type"] == "response.output_text.delta" {
                    print!("{}", value["delta"].as_str().unwrap_or_default());
                    std::io::stdout().flush()?;
                }
            }
        }
    }
    println!();
    Ok(())
}
