//! Sends N POST 1 KiB requests through a `ClientWithMiddleware` with `AwsAuth` (SigV4, session
//! credentials) whose last middleware answers every request itself, for instruction counting
//! of the middleware's whole per-request path (see BENCHMARKS.md).
//!
//! `valgrind --tool=callgrind target/release/examples/middleware_small 1001 [bearer]`

use bytes::Bytes;
use reqwest_aws_auth::AwsAuth;

#[path = "../benches/common/mod.rs"]
mod common;

/// Answers every request with an empty 200, without sending it anywhere.
struct Answer;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for Answer {
    async fn handle(
        &self,
        request: reqwest::Request,
        _: &mut http::Extensions,
        _: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        std::hint::black_box(request);
        Ok(reqwest::Response::from(http::Response::new(Bytes::new())))
    }
}

const URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com/v1/responses";

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let bearer = std::env::args().nth(2).as_deref() == Some("bearer");
    let auth = if bearer {
        AwsAuth::bedrock_mantle()
            .region("us-east-1")
            .bearer_token("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS1mb3ItYmVuY2htYXJrcw==")
            .allow_url_prefix("https://abc123.execute-api.us-east-1.amazonaws.com/")
            .build()
            .unwrap()
    } else {
        AwsAuth::builder()
            .service(common::SERVICE)
            .region(common::REGION)
            .credentials(common::credentials(true))
            .build()
            .unwrap()
    };
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .with(Answer)
        .build();
    let body = common::json_body(1024);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for _ in 0..n {
            let response = client
                .post(URL)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
        }
    });
}
