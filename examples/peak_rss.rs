//! Peak memory sending one large body to a loopback server in the same process, for issue 11's
//! RSS target. Run it under `/usr/bin/time -v` (maximum resident set size) in each mode; it also
//! prints the heap high-water mark from a counting allocator.
//!
//! `peak_rss MODE MIB` where MODE is
//! - `unsigned` / `signed`: a buffered body (`Vec<u8>`), sent without / with SigV4;
//! - `stream-unsigned` / `stream-buffered`: a streaming body of 64 KiB chunks allocated on the fly,
//!   sent without auth / signed with `StreamingBody::Buffer` (which must cost one copy).

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest_aws_auth::AwsAuth;
use reqwest_aws_auth::StreamingBody;

#[path = "../benches/common/mod.rs"]
mod common;

struct HighWater;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for HighWater {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: HighWater = HighWater;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "signed".into());
    let mib: usize = args.next().and_then(|m| m.parse().ok()).unwrap_or(256);
    let size = mib << 20;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = service_fn(|request: hyper::Request<hyper::body::Incoming>| async {
            // Count the body frame by frame; never hold it.
            let mut body = request.into_body();
            let mut received = 0usize;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.unwrap().into_data() {
                    received += data.len();
                }
            }
            Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(
                received.to_string(),
            ))))
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .await;
    });

    let prefix = format!("http://{addr}/");
    let mut builder = reqwest_middleware::ClientBuilder::new(reqwest::Client::new());
    if mode == "signed" || mode == "stream-buffered" {
        let auth = AwsAuth::builder()
            .service(common::SERVICE)
            .region(common::REGION)
            .credentials(common::credentials(true))
            .allow_url_prefix(&prefix)
            .streaming_body(StreamingBody::Buffer {
                max_bytes: size + 1,
            })
            .build()
            .unwrap();
        builder = builder.with(auth);
    }
    let client = builder.build();
    let request = client.put(format!("{prefix}upload"));
    let request = if mode.starts_with("stream") {
        // Each chunk its own allocation, as when reading a file or a socket.
        let chunk = 64 << 10;
        let chunks =
            (0..size / chunk).map(move |_| Ok::<_, Infallible>(Bytes::from(vec![b'a'; chunk])));
        request.body(reqwest::Body::wrap_stream(tokio_stream::iter(chunks)))
    } else {
        request.body(vec![b'a'; size])
    };
    let response = request.send().await.unwrap();
    assert!(response.status().is_success());
    let received: usize = response.text().await.unwrap().parse().unwrap();
    assert_eq!(received, size);
    println!(
        "{mode} {mib} MiB: heap high-water {:.1} MiB",
        PEAK.load(Ordering::Relaxed) as f64 / (1 << 20) as f64
    );
}
