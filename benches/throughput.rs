//! Requests per second through a `reqwest_middleware::ClientWithMiddleware` against a
//! keep-alive loopback hyper server (HTTP/1.1, in the same process), 32 requests in flight:
//! no auth (unsigned) vs SigV4 (`AwsAuth`, session credentials) vs a Bedrock API key (bearer).
//! Each request is a POST of 1 KiB JSON. Rounds alternate the three clients (the order rotates)
//! and the result is the median of the per-round ratios signed/unsigned and bearer/unsigned.
//!
//! A fourth client has a middleware that only passes the request on: the cost of any
//! middleware at all, for comparison.
//!
//! Run: `cargo bench --bench throughput` (ROUNDS=N, REQUESTS=N per round and client;
//! ONLY=unsigned|sigv4|bearer|pass-through runs one client alone, for profiling).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest_aws_auth::AwsAuth;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

#[path = "common/mod.rs"]
mod common;

const IN_FLIGHT: usize = 32;

/// Connections the server accepted, to see that keep-alive holds for every client.
static ACCEPTED: AtomicUsize = AtomicUsize::new(0);

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            ACCEPTED.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let service = service_fn(|request: hyper::Request<hyper::body::Incoming>| async {
                    // Read the whole body, as a real server would.
                    let body = request.into_body().collect().await.map(|b| b.to_bytes());
                    let len = body.map(|b| b.len()).unwrap_or(0);
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(format!(
                        "{{\"received\":{len}}}"
                    )))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Passes every request on untouched: the cost of having a middleware at all.
struct PassThrough;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for PassThrough {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        next.run(request, extensions).await
    }
}

fn clients(addr: SocketAddr) -> [(&'static str, ClientWithMiddleware); 4] {
    let prefix = format!("http://{addr}/");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .build()
        .unwrap();
    let sigv4 = AwsAuth::builder()
        .service(common::SERVICE)
        .region(common::REGION)
        .credentials(common::credentials(true))
        .allow_url_prefix(&prefix)
        .build()
        .unwrap();
    let bearer = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS1mb3ItYmVuY2htYXJrcw==")
        .allow_bearer_over_http(true)
        .allow_url_prefix(&prefix)
        .build()
        .unwrap();
    [
        ("unsigned", ClientBuilder::new(http.clone()).build()),
        (
            "sigv4",
            ClientBuilder::new(http.clone()).with(sigv4).build(),
        ),
        (
            "bearer",
            ClientBuilder::new(http.clone()).with(bearer).build(),
        ),
        (
            "pass-through",
            ClientBuilder::new(http).with(PassThrough).build(),
        ),
    ]
}

/// Sends `total` requests with `IN_FLIGHT` workers; returns requests per second.
async fn run(client: &ClientWithMiddleware, url: &str, body: &Bytes, total: usize) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (client, url, body, next) =
            (client.clone(), url.to_owned(), body.clone(), next.clone());
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.unwrap();
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

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

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (rounds, requests) = (env("ROUNDS", 21), env("REQUESTS", 4000));
    runtime.block_on(async {
        let addr = serve().await;
        let url = format!("http://{addr}/v1/responses");
        let body = common::json_body(1024);
        let clients = clients(addr);
        for (_, client) in &clients {
            run(client, &url, &body, 500).await; // warm up: connections, credentials
        }
        let (mut signed, mut bearer, mut pass) = (Vec::new(), Vec::new(), Vec::new());
        let mut rps: [Vec<f64>; 4] = Default::default();
        // ONLY=name runs one client alone (for profiling).
        let only = std::env::var("ONLY").ok();
        if let Some(only) = only {
            let (_, client) = clients.iter().find(|(name, _)| *name == only).unwrap();
            for _ in 0..rounds {
                let before = ACCEPTED.load(Ordering::Relaxed);
                let rps = run(client, &url, &body, requests).await;
                let connections = ACCEPTED.load(Ordering::Relaxed) - before;
                println!("{only}: {rps:.0} requests/s, {connections} new connections");
            }
            return;
        }
        for round in 0..rounds {
            let mut this = [0.0; 4];
            for step in 0..4 {
                let which = (step + round) % 4;
                this[which] = run(&clients[which].1, &url, &body, requests).await;
            }
            signed.push(this[1] / this[0]);
            bearer.push(this[2] / this[0]);
            pass.push(this[3] / this[0]);
            for (all, one) in rps.iter_mut().zip(this) {
                all.push(one);
            }
        }
        println!(
            "loopback keep-alive, {IN_FLIGHT} in flight, POST 1 KiB JSON, {rounds} rounds x {requests} requests"
        );
        println!("| client | requests/s (median) | ratio to unsigned (median of paired rounds) |");
        println!("| --- | --- | --- |");
        println!("| unsigned | {:.0} | 1.000 |", median(&mut rps[0]));
        println!("| SigV4 | {:.0} | {:.3} |", median(&mut rps[1]), median(&mut signed));
        println!(
            "| Bedrock API key | {:.0} | {:.3} |",
            median(&mut rps[2]),
            median(&mut bearer)
        );
        println!(
            "| pass-through middleware (no auth) | {:.0} | {:.3} |",
            median(&mut rps[3]),
            median(&mut pass)
        );
    });
}
