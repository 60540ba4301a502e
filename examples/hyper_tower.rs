//! `cargo run --example hyper_tower --features tower`: hyper-util's client with
//! `reqwest_aws_auth::tower::AwsAuthLayer`, offline, against the mock Bedrock Mantle endpoint.

#[path = "support/mock_mantle.rs"]
mod mock_mantle;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use mock_mantle::{REGION, demo_credentials};
use reqwest_aws_auth::AwsAuth;
use reqwest_aws_auth::tower::AwsAuthLayer;
use tower::{Service, ServiceBuilder, ServiceExt};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let base = mock_mantle::start().await?;
    let auth = AwsAuth::bedrock_mantle()
        .region(REGION)
        .credentials(demo_credentials())
        .build()?;

    // Layers that rewrite the body (compression) or retry go above this one.
    let mut client = ServiceBuilder::new()
        .layer(AwsAuthLayer::new(auth))
        .service(Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>());

    let request = http::Request::post(format!("{base}/responses"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"model":"openai.gpt-oss-120b","input":"Say hello","stream":true}"#,
        )))?;
    let response = client.ready().await?.call(request).await?;
    let status = response.status();
    let verified = response
        .headers()
        .get("x-demo-verified")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body = response.into_body().collect().await?.to_bytes();
    let (Some(verified), true) = (verified, status.is_success()) else {
        return Err(format!(
            "the mock refused the request: {}",
            String::from_utf8_lossy(&body)
        )
        .into());
    };
    println!("hyper-util + tower AwsAuthLayer: verified as {verified}");
    println!("{}", String::from_utf8_lossy(&body).trim_end());
    Ok(())
}
