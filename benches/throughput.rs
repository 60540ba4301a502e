//! Requests per second through a `reqwest_middleware::ClientWithMiddleware` against a
//! keep-alive loopback hyper server (HTTP/1.1, in the same process), 32 requests in flight:
//! no auth (unsigned) vs SigV4 (`AwsAuth`, session credentials) vs a Bedrock API key (bearer).
//! Each request is a POST of 1 KiB JSON. Rounds alternate the three clients (the order rotates)
//! and the result is the median of the per-round ratios signed/unsigned and bearer/unsigned.
//!
//! A fourth client has a middleware that only passes the request on: the cost of any
//! middleware at all, for comparison. Two more send the very headers SigV4 and the key add,
//! fixed, without signing: the cost of the bytes. And `SigV4Floor` does only what every
//! SigV4 signer must (hash the body and a canonical request, one HMAC) and adds those headers:
//! the most any correct signer could reach here.
//!
//! Run: `cargo bench --bench throughput` (ROUNDS=N, REQUESTS=N per round and client;
//! ONLY=unsigned|sigv4|bearer|pass-through|sigv4-headers|bearer-header|sigv4-floor runs one
//! client alone, for profiling; CONTENT_SHA256=0 signs without `x-amz-content-sha256`, which
//! the SigV4 clients then leave out, as `.content_sha256_header(false)` does; MAX_REDIRECTS=0
//! builds both with `.max_redirects(0)`, so the key's requests are not copied to follow a
//! redirect).

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
use common::{PassThrough, SigV4Floor, StaticHeaders, headers_of};

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

const NAMES: [&str; 7] = [
    "unsigned",
    "SigV4",
    "Bedrock API key",
    "pass-through middleware (no auth)",
    "SigV4's headers, not signed",
    "Bedrock key header, not signed",
    "SigV4 floor: its hashing, HMAC and headers only",
];

async fn clients(addr: SocketAddr) -> [(&'static str, ClientWithMiddleware); 7] {
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
        .content_sha256_header(std::env::var("CONTENT_SHA256").as_deref() != Ok("0"))
        .max_redirects(env("MAX_REDIRECTS", 10))
        .build()
        .unwrap();
    let bearer = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS1mb3ItYmVuY2htYXJrcw==")
        .allow_bearer_over_http(true)
        .allow_url_prefix(&prefix)
        .max_redirects(env("MAX_REDIRECTS", 10))
        .build()
        .unwrap();
    let url = format!("{prefix}v1/responses");
    let body = common::json_body(1024);
    let signed = headers_of(&sigv4, &http, &url, &body).await;
    let floor = SigV4Floor::new(signed.clone(), &url);
    let sigv4_headers = StaticHeaders(signed);
    let bearer_headers = StaticHeaders(headers_of(&bearer, &http, &url, &body).await);
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
            ClientBuilder::new(http.clone()).with(PassThrough).build(),
        ),
        (
            "sigv4-headers",
            ClientBuilder::new(http.clone()).with(sigv4_headers).build(),
        ),
        (
            "bearer-header",
            ClientBuilder::new(http.clone())
                .with(bearer_headers)
                .build(),
        ),
        ("sigv4-floor", ClientBuilder::new(http).with(floor).build()),
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
        let clients = clients(addr).await;
        for (_, client) in &clients {
            run(client, &url, &body, 500).await; // warm up: connections, credentials
        }
        let n = clients.len();
        let mut rps: Vec<Vec<f64>> = vec![Vec::new(); n];
        let mut to_unsigned: Vec<Vec<f64>> = vec![Vec::new(); n];
        // SigV4 against its headers sent unsigned; the key against its header sent alone.
        let (mut sigv4_own, mut bearer_own) = (Vec::new(), Vec::new());
        let mut sigv4_floor = Vec::new();
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
            let mut this = vec![0.0; n];
            for step in 0..n {
                let which = (step + round) % n;
                this[which] = run(&clients[which].1, &url, &body, requests).await;
            }
            for i in 0..n {
                to_unsigned[i].push(this[i] / this[0]);
                rps[i].push(this[i]);
            }
            sigv4_own.push(this[1] / this[4]);
            sigv4_floor.push(this[1] / this[6]);
            bearer_own.push(this[2] / this[5]);
        }
        println!(
            "loopback keep-alive, {IN_FLIGHT} in flight, POST 1 KiB JSON, {rounds} rounds x {requests} requests{}",
            if std::env::var("CONTENT_SHA256").as_deref() == Ok("0") {
                ", SigV4 without x-amz-content-sha256"
            } else {
                ""
            }
        );
        println!("| client | requests/s (median) | ratio to unsigned (median of paired rounds) |");
        println!("| --- | --- | --- |");
        for i in 0..n {
            println!(
                "| {} | {:.0} | {:.3} |",
                NAMES[i],
                median(&mut rps[i]),
                median(&mut to_unsigned[i])
            );
        }
        println!(
            "\nthe middleware's own cost, against the same headers sent without signing (median of paired rounds):"
        );
        println!("| SigV4 / SigV4's headers unsigned | {:.3} |", median(&mut sigv4_own));
        println!("| Bedrock key / its header unsigned | {:.3} |", median(&mut bearer_own));
        println!("| SigV4 / SigV4 floor | {:.3} |", median(&mut sigv4_floor));
    });
}
