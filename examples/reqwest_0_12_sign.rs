//! `cargo run --example reqwest_0_12_sign --features reqwest-0-12`: an app on reqwest 0.12
//! without reqwest-middleware (as openai/codex is) signs each request with `AwsAuth::sign`,
//! offline, against the mock Bedrock Mantle endpoint.

#[path = "support/mock_mantle.rs"]
mod mock_mantle;

use mock_mantle::{REGION, demo_credentials};
use reqwest_aws_auth::AwsAuth;
use reqwest012 as reqwest;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = mock_mantle::start().await?;
    let auth = AwsAuth::bedrock_mantle()
        .region(REGION)
        .credentials(demo_credentials())
        .build()?;

    let client = reqwest::Client::new();
    let mut request = client
        .post(format!("{base}/responses"))
        .header("content-type", "application/json")
        .body(r#"{"model":"openai.gpt-oss-120b","input":"Say hello","stream":true}"#)
        .build()?;
    // The same call as on reqwest 0.13 or an `http::Request`.
    auth.sign(&mut request).await?;
    let response = client.execute(request).await?;
    if !response.status().is_success() {
        return Err(format!("the mock refused the request: {}", response.text().await?).into());
    }
    println!(
        "reqwest 0.12 + AwsAuth::sign: verified as {}",
        response.headers()["x-demo-verified"].to_str()?
    );
    println!("{}", response.text().await?.trim_end());
    Ok(())
}
