//! What the middleware costs, side by side in one run:
//!
//! - `aws-sigv4 alone`: the signing maths on an equivalent `http::Request`, the floor.
//! - `AwsAuth::sign`: our whole per-request path (URL check, canonical query, header filter,
//!   cached credentials, aws-sigv4, applying headers).
//! - `client without auth` / `client with auth` / `client with bearer key`: a
//!   `reqwest_middleware` client whose last middleware answers in-process, so the difference is
//!   the middleware alone (SigV4, with clock-skew correction on; or a Bedrock API key).
//!
//! Each at a 1 KiB JSON body and a 1 MiB body (where SHA-256 of the body dominates). A counting
//! allocator prints the bytes allocated per signature next to the timings.
//!
//! Run: `cargo bench --bench signing`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http::Extensions;
use reqwest_aws_auth::AwsAuth;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

struct Counting;
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const URL: &str =
    "https://bedrock-mantle.us-west-2.api.aws/v1/responses?api-version=2025-01-01&stream=true";

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("session-token".into()),
        None,
        "bench",
    )
}

fn auth() -> AwsAuth {
    AwsAuth::builder()
        .service("bedrock-mantle")
        .region("us-west-2")
        .credentials(credentials())
        .build()
        .unwrap()
}

fn body(size: usize) -> Vec<u8> {
    let mut body = br#"{"model":"openai.gpt-oss-120b","input":""#.to_vec();
    body.resize(size - 2, b'a');
    body.extend_from_slice(br#""}"#);
    body
}

fn reqwest_request(client: &reqwest::Client, body: &[u8]) -> reqwest::Request {
    client
        .post(URL)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body.to_vec())
        .build()
        .unwrap()
}

fn sign_with_aws_sigv4(identity: &Identity, body: &[u8]) -> http::Request<Vec<u8>> {
    let mut request = http::Request::post(URL)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body.to_vec())
        .unwrap();
    let settings = SigningSettings::default();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region("us-west-2")
        .name("bedrock-mantle")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()));
    let signable = SignableRequest::new(
        request.method().as_str(),
        URL,
        headers,
        SignableBody::Bytes(request.body()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request
}

struct Answer;

#[async_trait::async_trait]
impl Middleware for Answer {
    async fn handle(
        &self,
        _: reqwest::Request,
        _: &mut Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        Ok(http::Response::new(Vec::<u8>::new()).into())
    }
}

fn client(auth: Option<AwsAuth>) -> ClientWithMiddleware {
    let mut builder = ClientBuilder::new(reqwest::Client::new());
    if let Some(auth) = auth {
        builder = builder.with(auth);
    }
    builder.with(Answer).build()
}

fn bearer() -> AwsAuth {
    AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS1mb3ItYmVuY2htYXJrcw==")
        .build()
        .unwrap()
}

/// Bytes allocated by `f`, averaged over `n` runs.
fn allocated_per_run(n: usize, mut f: impl FnMut()) -> usize {
    let before = ALLOCATED.load(Ordering::Relaxed);
    for _ in 0..n {
        f();
    }
    (ALLOCATED.load(Ordering::Relaxed) - before) / n
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let identity: Identity = credentials().into();
    let http_client = reqwest::Client::new();
    let auth = auth();
    runtime.block_on(async {
        let mut warm = reqwest_request(&http_client, b"{}");
        auth.sign(&mut warm).await.unwrap();
    });

    for size in [1024usize, 1024 * 1024] {
        let body = body(size);
        let mut group = c.benchmark_group(format!("sign {} body", human(size)));
        group.throughput(Throughput::Bytes(size as u64));
        if size > 1024 {
            group
                .sample_size(20)
                .measurement_time(Duration::from_secs(4));
        }

        group.bench_function(BenchmarkId::from_parameter("aws-sigv4 alone"), |b| {
            b.iter(|| black_box(sign_with_aws_sigv4(&identity, &body)))
        });
        group.bench_function(BenchmarkId::from_parameter("AwsAuth::sign"), |b| {
            b.to_async(&runtime).iter(|| async {
                let mut request = reqwest_request(&http_client, &body);
                auth.sign(&mut request).await.unwrap();
                black_box(request)
            })
        });
        for (name, auth) in [
            ("client without auth", None),
            ("client with auth", Some(auth.clone())),
            ("client with bearer key", Some(bearer())),
        ] {
            let client = client(auth);
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.to_async(&runtime).iter(|| async {
                    let response = client
                        .post(URL)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    black_box(response)
                })
            });
        }
        group.finish();

        // Allocation per signature, excluding building the request (measured separately).
        let build_only = allocated_per_run(50, || {
            black_box(reqwest_request(&http_client, &body));
        });
        let ours = allocated_per_run(50, || {
            let mut request = reqwest_request(&http_client, &body);
            runtime.block_on(auth.sign(&mut request)).unwrap();
            black_box(request);
        });
        let build_http_only = allocated_per_run(50, || {
            black_box(body.to_vec());
        });
        let theirs = allocated_per_run(50, || {
            black_box(sign_with_aws_sigv4(&identity, &body));
        });
        println!(
            "allocated per signature, {} body: AwsAuth::sign {} bytes, aws-sigv4 alone {} bytes (request construction excluded)",
            human(size),
            ours.saturating_sub(build_only),
            theirs.saturating_sub(build_http_only),
        );
    }
}

fn human(size: usize) -> String {
    if size >= 1024 * 1024 {
        format!("{} MiB", size / (1024 * 1024))
    } else {
        format!("{} KiB", size / 1024)
    }
}

criterion_group!(signing, benches);
criterion_main!(signing);
