//! The middleware's own CPU per request, with no network: a `ClientWithMiddleware` whose last
//! middleware answers every request itself (`common::Answer`, an empty 200), so that what is timed
//! is building the request, the middleware chain, and reading the answer. Clients:
//!
//! - `none`: only the answering middleware;
//! - `pass-through`: a middleware that passes the request on (the cost of any middleware);
//! - `SigV4`: `AwsAuth` with session credentials;
//! - `SigV4's headers`: the very headers `AwsAuth` writes, inserted by a trivial middleware;
//! - `SigV4 floor`: those headers plus only the hashing and HMAC every SigV4 signer does
//!   (`common::SigV4Floor`);
//! - `Bearer`: `AwsAuth` in Bedrock API key mode;
//! - `Bearer header`: the key's `authorization` header, inserted by a trivial middleware.
//!
//! Each round times a batch of requests per client back to back (order rotating); printed:
//! the median µs per request, and the median of the per-round differences to `none` (what each
//! middleware adds). POST 1 KiB JSON, as in `throughput`.
//!
//! Run: `cargo bench --bench middleware` (ROUNDS=N, default 301; BATCH=N, default 200).

use std::time::Instant;

use bytes::Bytes;
use reqwest_aws_auth::AwsAuth;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

#[path = "common/mod.rs"]
mod common;
use common::{ANSWERED_URL as URL, Answer, PassThrough, SigV4Floor, StaticHeaders, headers_of};

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn batch(client: &ClientWithMiddleware, body: &Bytes, n: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        let response = common::post_json(client, URL, body).await;
        std::hint::black_box(response.bytes().await.unwrap());
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (rounds, n) = (env("ROUNDS", 301), env("BATCH", 200));
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let body = common::json_body(1024);
        let sigv4 = AwsAuth::builder()
            .service(common::SERVICE)
            .region(common::REGION)
            .credentials(common::credentials(true))
            .build()
            .unwrap();
        let bearer = AwsAuth::bedrock_mantle()
            .region("us-east-1")
            .bearer_token("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS1mb3ItYmVuY2htYXJrcw==")
            .allow_url_prefix("https://abc123.execute-api.us-east-1.amazonaws.com/")
            .build()
            .unwrap();
        let signed = headers_of(&sigv4, &http, URL, &body).await;
        let floor = SigV4Floor::new(signed.clone(), URL);
        let sigv4_headers = StaticHeaders(signed);
        let bearer_headers = StaticHeaders(headers_of(&bearer, &http, URL, &body).await);
        let build = |b: ClientBuilder| b.with(Answer).build();
        let clients: Vec<(&str, ClientWithMiddleware)> = vec![
            ("none", build(ClientBuilder::new(http.clone()))),
            (
                "pass-through",
                build(ClientBuilder::new(http.clone()).with(PassThrough)),
            ),
            ("SigV4", build(ClientBuilder::new(http.clone()).with(sigv4))),
            (
                "SigV4's headers",
                build(ClientBuilder::new(http.clone()).with(sigv4_headers)),
            ),
            (
                "SigV4 floor",
                build(ClientBuilder::new(http.clone()).with(floor)),
            ),
            (
                "Bearer",
                build(ClientBuilder::new(http.clone()).with(bearer)),
            ),
            (
                "Bearer header",
                build(ClientBuilder::new(http).with(bearer_headers)),
            ),
        ];
        for (_, client) in &clients {
            batch(client, &body, n).await; // warm up
        }
        let k = clients.len();
        let mut micros: Vec<Vec<f64>> = vec![Vec::new(); k];
        let mut added: Vec<Vec<f64>> = vec![Vec::new(); k];
        for round in 0..rounds {
            let mut this = vec![0.0; k];
            for step in 0..k {
                let which = (step + round) % k;
                this[which] = batch(&clients[which].1, &body, n).await;
            }
            for i in 0..k {
                micros[i].push(this[i]);
                added[i].push(this[i] - this[0]);
            }
        }
        println!("in process, no network, POST 1 KiB JSON, {rounds} rounds x {n} requests");
        println!(
            "| client | µs per request (median) | added to `none`, µs (median of paired rounds) |"
        );
        println!("| --- | --- | --- |");
        for i in 0..k {
            println!(
                "| {} | {:.2} | {:.2} |",
                clients[i].0,
                median(&mut micros[i]),
                median(&mut added[i])
            );
        }
    });
}
