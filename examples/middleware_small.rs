//! Sends N POST 1 KiB requests through a `ClientWithMiddleware` with `AwsAuth` (SigV4, session
//! credentials) whose last middleware answers every request itself, for instruction counting
//! of the middleware's whole per-request path (see BENCHMARKS.md).
//!
//! `valgrind --tool=callgrind target/release/examples/middleware_small 1001 [bearer]`

use reqwest_aws_auth::AwsAuth;

#[path = "../benches/common/mod.rs"]
mod common;
use common::{ANSWERED_URL as URL, Answer};

fn main() {
    let n = common::count_argument();
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
            common::post_json(&client, URL, &body).await;
        }
    });
}
