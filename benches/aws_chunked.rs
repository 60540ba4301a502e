//! aws-chunked uploads (issue 22): peak RSS of one large streamed upload, and throughput
//! against an unsigned streamed upload, both to a loopback sink (hyper, same process) that
//! reads and drops every byte.
//!
//! The body is a stream of 64 KiB frames, each freshly allocated and filled (as a file's
//! reads would be), with no size hint; its length is given in `Content-Length`.
//!
//! - `cargo bench --bench aws_chunked` runs each mode in a child process of its own, one
//!   upload of `MIB` MiB (default 1024), and prints its peak RSS (`VmHWM`) and the seconds it
//!   took; then `ROUNDS` (default 5) paired rounds of `THROUGHPUT_MIB` (default 256) MiB per
//!   mode in one process, the order rotating, and the median per-round ratio of each mode's
//!   throughput to the unsigned stream's.
//! - `cargo bench --bench aws_chunked -- one MODE MIB` runs one upload (what the parent runs).
//!
//! Modes: `unsigned` (the stream as it is, `UNSIGNED-PAYLOAD`), `signed`
//! (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), `signed-crc64` (… `-TRAILER` with CRC-64/NVME),
//! `unsigned-crc64` and `unsigned-crc32c` (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`), and `sha256`
//! (the SHA-256 of the bytes alone, no upload: the floor for the signed modes).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Instant;

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use reqwest_aws_auth::{AwsAuth, AwsChunked, ChecksumAlgorithm, StreamingBody};

const FRAME: usize = 64 * 1024;
const MODES: [&str; 5] = [
    "unsigned",
    "signed",
    "signed-crc64",
    "unsigned-crc64",
    "unsigned-crc32c",
];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `len` bytes in fresh 64 KiB frames, reporting no size.
struct Source {
    left: u64,
    counter: u8,
}

impl Body for Source {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.left.min(FRAME as u64) as usize;
        self.left -= n as u64;
        self.counter = self.counter.wrapping_add(1);
        let frame = Bytes::from(vec![self.counter; n]);
        std::task::Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

async fn sink() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async {
                        let mut body = request.into_body();
                        let mut len = 0u64;
                        while let Some(frame) = body.frame().await {
                            if let Ok(data) = frame.map(|f| f.into_data())
                                && let Ok(data) = data
                            {
                                len += data.len() as u64;
                            }
                        }
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(
                            len.to_string(),
                        ))))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn client(mode: &str) -> reqwest_middleware::ClientWithMiddleware {
    let streaming = match mode {
        "unsigned" => StreamingBody::UnsignedPayload,
        "signed" => StreamingBody::AwsChunked(AwsChunked::signed()),
        "signed-crc64" => {
            StreamingBody::AwsChunked(AwsChunked::signed().trailer(ChecksumAlgorithm::Crc64Nvme))
        }
        "unsigned-crc64" => {
            StreamingBody::AwsChunked(AwsChunked::unsigned_trailer(ChecksumAlgorithm::Crc64Nvme))
        }
        "unsigned-crc32c" => {
            StreamingBody::AwsChunked(AwsChunked::unsigned_trailer(ChecksumAlgorithm::Crc32c))
        }
        other => panic!("unknown mode {other}"),
    };
    AwsAuth::builder()
        .service("s3")
        .region("us-east-1")
        .credentials(Credentials::new(
            "AKIDBENCH",
            "bench-secret",
            None,
            None,
            "bench",
        ))
        .allow_host("127.0.0.1")
        .streaming_body(streaming)
        .build()
        .unwrap()
        .client(reqwest::Client::builder())
        .unwrap()
}

async fn upload(client: &reqwest_middleware::ClientWithMiddleware, addr: SocketAddr, len: u64) {
    let response = client
        .put(format!("http://{addr}/bucket/object"))
        .header("content-length", len)
        .body(reqwest::Body::wrap(Source {
            left: len,
            counter: 0,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received: u64 = response.text().await.unwrap().parse().unwrap();
    assert!(received >= len, "the sink got {received} of {len} bytes");
}

fn sha256_only(len: u64) {
    use sha2::Digest;
    let mut sha = sha2::Sha256::new();
    let mut source = Source {
        left: len,
        counter: 0,
    };
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    while let std::task::Poll::Ready(Some(Ok(frame))) =
        std::pin::Pin::new(&mut source).poll_frame(&mut cx)
    {
        sha.update(frame.into_data().unwrap());
    }
    std::hint::black_box(sha.finalize());
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One upload in this process: prints `MODE MIB seconds peak_rss_kib`.
fn one(mode: &str, mib: u64) {
    let len = mib << 20;
    let started = Instant::now();
    if mode == "sha256" {
        sha256_only(len);
    } else {
        runtime().block_on(async {
            let addr = sink().await;
            upload(&client(mode), addr, len).await;
        });
    }
    println!(
        "{mode} {mib} {:.3} {}",
        started.elapsed().as_secs_f64(),
        peak_rss_kib()
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("one") {
        one(&args[1], args[2].parse().unwrap());
        return;
    }
    let mib = env_or("MIB", 1024);
    println!("peak RSS, one upload of {mib} MiB per process (mode, MiB, seconds, VmHWM KiB):");
    let exe = std::env::current_exe().unwrap();
    for mode in MODES.iter().chain(&["sha256"]) {
        let out = std::process::Command::new(&exe)
            .args(["one", mode, &mib.to_string()])
            .output()
            .unwrap();
        print!("  {}", String::from_utf8_lossy(&out.stdout));
    }

    let rounds = env_or("ROUNDS", 5) as usize;
    let len = env_or("THROUGHPUT_MIB", 256) << 20;
    let runtime = runtime();
    let mut seconds: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    runtime.block_on(async {
        let addr = sink().await;
        let clients: Vec<_> = MODES.iter().map(|mode| client(mode)).collect();
        for round in 0..rounds {
            for i in 0..MODES.len() {
                let m = (i + round) % MODES.len();
                let started = Instant::now();
                upload(&clients[m], addr, len).await;
                seconds[m].push(started.elapsed().as_secs_f64());
            }
        }
    });
    println!(
        "throughput, {rounds} paired rounds of {} MiB (median MiB/s; median per-round ratio to unsigned):",
        len >> 20
    );
    for (m, mode) in MODES.iter().enumerate() {
        let ratios = (0..rounds).map(|r| seconds[0][r] / seconds[m][r]).collect();
        let rate = (len >> 20) as f64 / median(seconds[m].clone());
        println!("  {mode:16} {rate:8.1} MiB/s  {:.3}", median(ratios));
    }
}
