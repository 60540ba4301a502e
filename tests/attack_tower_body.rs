//! The tower layer and bodies it cannot prove are in memory (issue 19, item 6).
//!
//! hyper's `Incoming` reports an exact size hint for any request with `Content-Length`, so an
//! exact hint says nothing about memory: whoever sends the body picks it. Each test plays that
//! sender with a body that makes its bytes only when polled and counts what the layer pulled,
//! then checks that `StreamingBody` decided, not the size hint. The counts are the assertions
//! that matter; the resident-set checks (`VmHWM`) only back them up.
#![cfg(feature = "tower")]
#![allow(dead_code)] // The shared server's SSE support is not used here.

#[path = "support/verifying_server.rs"]
mod verifying_server;

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use reqwest_aws_auth::tower::{AwsAuthLayer, BoxError, ResponseBody};
use reqwest_aws_auth::{AwsAuth, ErrorKind, StreamingBody};
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::{Service, ServiceExt};
use verifying_server::{Expect, Server};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
/// What the layer may read of a body before `StreamingBody` decides, under `Reject` and
/// `UnsignedPayload` (documented in `reqwest_aws_auth::tower`).
const BOUND: u64 = 64 * KIB;
/// The frames the lazy bodies yield, about what hyper's `Incoming` yields.
const FRAME: usize = 16 * 1024;

/// Tests that measure the process's peak resident set run one at a time, and every test takes
/// this lock, so that no other test's allocations show up in a measurement.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn credentials() -> Credentials {
    Credentials::new("AKIDTOWERBODY", "tower/body/secret", None, None, "test")
}

fn server(service: &'static str) -> Server {
    Server::start(Expect {
        credentials: credentials(),
        region: "eu-west-1",
        service,
        bearer: None,
    })
}

fn auth(service: &str, streaming: StreamingBody) -> AwsAuth {
    AwsAuth::builder()
        .service(service)
        .region("eu-west-1")
        .credentials(credentials())
        .streaming_body(streaming)
        .build()
        .unwrap()
}

// ---- bodies -------------------------------------------------------------------------------

/// What a lazy body says about its size.
#[derive(Clone, Copy)]
enum Hint {
    /// Exactly what is left, as hyper's `Incoming` says for a request with `Content-Length`.
    Honest,
    /// Exactly this many bytes, whatever it yields.
    Claims(u64),
    /// Nothing (a chunked request).
    Unknown,
}

/// A request body for the layer: bytes in memory (what the layer rebuilds with `From<Bytes>`),
/// zeros made one frame at a time when polled, or a real hyper `Incoming`; the last two count
/// the bytes pulled from them.
enum Probe {
    Bytes(Full<Bytes>),
    Lazy {
        /// `None`: never ends.
        left: Option<u64>,
        hint: Hint,
        pulled: Arc<AtomicU64>,
    },
    Incoming {
        body: hyper::body::Incoming,
        pulled: Arc<AtomicU64>,
    },
}

impl Probe {
    fn lazy(len: u64, hint: Hint) -> (Self, Arc<AtomicU64>) {
        let pulled = Arc::new(AtomicU64::new(0));
        let body = Probe::Lazy {
            left: Some(len),
            hint,
            pulled: Arc::clone(&pulled),
        };
        (body, pulled)
    }

    fn endless(hint: Hint) -> (Self, Arc<AtomicU64>) {
        let pulled = Arc::new(AtomicU64::new(0));
        let body = Probe::Lazy {
            left: None,
            hint,
            pulled: Arc::clone(&pulled),
        };
        (body, pulled)
    }
}

impl From<Bytes> for Probe {
    fn from(bytes: Bytes) -> Self {
        Probe::Bytes(Full::new(bytes))
    }
}

impl Body for Probe {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Probe::Bytes(full) => Pin::new(full)
                .poll_frame(cx)
                .map_err(|never| match never {}),
            Probe::Lazy { left, pulled, .. } => {
                let len = match left {
                    Some(0) => return Poll::Ready(None),
                    Some(left) => (*left).min(FRAME as u64),
                    None => FRAME as u64,
                };
                if let Some(left) = left {
                    *left -= len;
                }
                pulled.fetch_add(len, Ordering::Relaxed);
                // A fresh allocation per frame, as a socket read would make.
                let data = Bytes::from(vec![0u8; len as usize]);
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            Probe::Incoming { body, pulled } => {
                let polled = Pin::new(body).poll_frame(cx);
                if let Poll::Ready(Some(Ok(frame))) = &polled
                    && let Some(data) = frame.data_ref()
                {
                    pulled.fetch_add(data.len() as u64, Ordering::Relaxed);
                }
                polled.map_err(Into::into)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Probe::Bytes(full) => full.is_end_stream(),
            Probe::Lazy { left, .. } => *left == Some(0),
            Probe::Incoming { body, .. } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Probe::Bytes(full) => full.size_hint(),
            Probe::Lazy { left, hint, .. } => match (hint, left) {
                (Hint::Honest, Some(left)) => SizeHint::with_exact(*left),
                (Hint::Claims(len), _) => SizeHint::with_exact(*len),
                _ => SizeHint::default(),
            },
            Probe::Incoming { body, .. } => body.size_hint(),
        }
    }
}

// ---- the stack ----------------------------------------------------------------------------

/// What reached the inner service: the headers the layer wrote, and how many bytes had been
/// pulled from the body by then.
#[derive(Default)]
struct Reached {
    headers: Option<http::HeaderMap>,
    pulled_at_call: Option<u64>,
}

type Seen = Arc<Mutex<Reached>>;

type HyperClient =
    hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Probe>;

fn hyper_client() -> HyperClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// The layer over hyper-util's client (with a recorder in between), as one boxed service.
type Stack = tower::util::BoxCloneService<
    http::Request<Probe>,
    http::Response<ResponseBody<hyper::body::Incoming>>,
    BoxError,
>;

/// The layer over hyper-util's client, with a recorder in between that notes what reached it
/// and, with `pulled`, how much of the body had been read by then.
fn stack(auth: AwsAuth, pulled: Option<Arc<AtomicU64>>) -> (Stack, Seen) {
    let seen = Seen::default();
    let record = Arc::clone(&seen);
    let client = hyper_client();
    let inner = tower::service_fn(move |request: http::Request<Probe>| {
        let mut reached = record.lock().unwrap();
        reached.headers = Some(request.headers().clone());
        reached.pulled_at_call = pulled.as_ref().map(|p| p.load(Ordering::Relaxed));
        drop(reached);
        let client = client.clone();
        async move { client.request(request).await }
    });
    let service = tower::ServiceBuilder::new()
        .layer(AwsAuthLayer::new(auth))
        .service(inner);
    (tower::util::BoxCloneService::new(service), seen)
}

fn request(server: &Server, path: &str, body: Probe) -> http::Request<Probe> {
    http::Request::put(server.url(path)).body(body).unwrap()
}

/// Sends `request` through the layer: the status and body, or the crate's error kind.
async fn send(
    service: &mut Stack,
    request: http::Request<Probe>,
) -> Result<(u16, String), ErrorKind> {
    let call = async {
        service.ready().await.unwrap();
        service.call(request).await
    };
    // A layer that reads an endless body never returns: fail instead of hanging.
    match tokio::time::timeout(Duration::from_secs(60), call)
        .await
        .expect("the layer did not return within a minute")
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            Ok((status, String::from_utf8_lossy(&body).into_owned()))
        }
        Err(err) => Err(err
            .downcast_ref::<reqwest_aws_auth::Error>()
            .unwrap_or_else(|| panic!("not the crate's error: {err:?}"))
            .kind()),
    }
}

fn content_sha256(seen: &Seen) -> Option<String> {
    let reached = seen.lock().unwrap();
    let headers = reached.headers.as_ref()?;
    Some(
        headers
            .get("x-amz-content-sha256")?
            .to_str()
            .unwrap()
            .to_owned(),
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---- resident set -------------------------------------------------------------------------

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap()
}

/// Resets the peak resident set to the current one, and returns it (KiB).
fn reset_peak() -> u64 {
    // "5" resets VmHWM (Linux 4.0+); where that is refused, the peak so far stays the baseline.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_kib("VmHWM:")
}

/// How far the peak resident set rose above `baseline` (KiB).
fn peak_growth(baseline: u64) -> u64 {
    status_kib("VmHWM:").saturating_sub(baseline)
}

// ---- the attacks --------------------------------------------------------------------------

/// A 256 MiB body that says exactly how long it is and makes its bytes only when read, as
/// hyper's `Incoming` does: under `Reject` it is refused, and at most the bound (plus one
/// frame) is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_body_with_an_exact_hint_is_refused_under_reject_without_being_read() {
    let _serial = SERIAL.lock().await;
    let server = server("execute-api");
    let (mut service, seen) = stack(auth("execute-api", StreamingBody::Reject), None);
    let (body, pulled) = Probe::lazy(256 * MIB, Hint::Honest);

    let baseline = reset_peak();
    let outcome = send(&mut service, request(&server, "/upload", body)).await;
    let growth = peak_growth(baseline);
    let pulled = pulled.load(Ordering::Relaxed);

    assert_eq!(
        outcome,
        Err(ErrorKind::StreamingBody),
        "pulled {pulled} bytes"
    );
    assert!(
        pulled <= BOUND + 1 + FRAME as u64,
        "pulled {pulled} bytes of the body before refusing it"
    );
    assert!(
        seen.lock().unwrap().headers.is_none(),
        "the inner service was called"
    );
    assert!(
        growth < 16 * 1024,
        "peak resident set grew by {growth} KiB refusing the body"
    );
}

/// Under `Buffer { max_bytes: 1024 }` the same body is refused as too large, having read no
/// more than the limit (plus one frame).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_with_an_exact_hint_is_refused_past_the_buffer_limit() {
    let _serial = SERIAL.lock().await;
    let server = server("execute-api");
    let max_bytes = 1024;
    let (mut service, seen) = stack(
        auth("execute-api", StreamingBody::Buffer { max_bytes }),
        None,
    );

    for hint in [Hint::Honest, Hint::Claims(100), Hint::Unknown] {
        let (body, pulled) = Probe::lazy(32 * MIB, hint);
        let outcome = send(&mut service, request(&server, "/upload", body)).await;
        let pulled = pulled.load(Ordering::Relaxed);
        let expected = match hint {
            // It said 100 bytes and yielded more: a broken body, not one too large.
            Hint::Claims(_) => ErrorKind::BodyRead,
            _ => ErrorKind::BodyTooLarge,
        };
        assert_eq!(outcome, Err(expected), "pulled {pulled} bytes");
        assert!(
            pulled <= max_bytes as u64 + 1 + FRAME as u64,
            "pulled {pulled} bytes of the body before refusing it"
        );
        if let Hint::Honest = hint {
            assert_eq!(
                pulled, 0,
                "a body that says it is over the limit is refused unread"
            );
        }
    }
    assert!(
        seen.lock().unwrap().headers.is_none(),
        "the inner service was called"
    );
}

/// Under `UnsignedPayload` a large body with an exact hint is sent as the stream it is,
/// signed `UNSIGNED-PAYLOAD`: nothing is read before the inner service has it, and every byte
/// arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_with_an_exact_hint_is_streamed_unsigned_under_unsigned_payload() {
    let _serial = SERIAL.lock().await;
    let server = server("s3");
    let len = 8 * MIB;
    let (body, pulled) = Probe::lazy(len, Hint::Honest);
    let (mut service, seen) = stack(
        auth("s3", StreamingBody::UnsignedPayload),
        Some(Arc::clone(&pulled)),
    );

    let outcome = send(&mut service, request(&server, "/bucket/big.bin", body)).await;
    let (status, report) = outcome.expect("sent");
    assert_eq!(status, 200, "{report}");
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["auth"], "sigv4", "{report}");
    assert_eq!(report["body_len"], len, "{report}");
    assert_eq!(
        content_sha256(&seen).as_deref(),
        Some("UNSIGNED-PAYLOAD"),
        "the payload hash signed"
    );
    let at_call = seen.lock().unwrap().pulled_at_call.unwrap();
    assert_eq!(
        at_call, 0,
        "bytes read before the inner service had the body"
    );
    assert_eq!(pulled.load(Ordering::Relaxed), len);
}

/// Small bodies are cheap to read and are signed with their hash under every policy, whether
/// they are made when polled or rebuilt from bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_bodies_are_signed_with_their_hash_under_every_policy() {
    let _serial = SERIAL.lock().await;
    let policies = [
        StreamingBody::Reject,
        StreamingBody::Buffer { max_bytes: 4096 },
        StreamingBody::UnsignedPayload,
    ];
    for service_name in ["execute-api", "s3"] {
        let server = server(service_name);
        for policy in policies {
            let context = format!("{service_name}, {policy:?}");
            let (mut service, seen) = stack(auth(service_name, policy), None);

            let (body, _) = Probe::lazy(3000, Hint::Honest);
            let (status, report) = send(&mut service, request(&server, "/small", body))
                .await
                .unwrap_or_else(|kind| panic!("{context}: a small lazy body: {kind:?}"));
            assert_eq!(status, 200, "{context}: {report}");
            assert_eq!(
                content_sha256(&seen),
                Some(sha256_hex(&[0; 3000])),
                "{context}: a small lazy body"
            );

            let small = Bytes::from(vec![7u8; 4000]);
            let body = Probe::from(small.clone());
            let (status, report) = send(&mut service, request(&server, "/bytes", body))
                .await
                .unwrap_or_else(|kind| panic!("{context}: a small body of bytes: {kind:?}"));
            assert_eq!(status, 200, "{context}: {report}");
            assert_eq!(
                content_sha256(&seen),
                Some(sha256_hex(&small)),
                "{context}: a small body of bytes"
            );
        }
    }
}

/// Sends `body` through the layer over hyper-util's client for bodies of type `B`; returns
/// the status, the server's report and the payload hash the layer signed.
async fn send_typed<B>(
    server: &Server,
    service_name: &str,
    policy: StreamingBody,
    body: B,
) -> (u16, String, Option<String>)
where
    B: Body<Data = Bytes> + From<Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    let seen = Seen::default();
    let record = Arc::clone(&seen);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<B>();
    let inner = tower::service_fn(move |request: http::Request<B>| {
        record.lock().unwrap().headers = Some(request.headers().clone());
        let client = client.clone();
        async move { client.request(request).await }
    });
    let mut service = tower::ServiceBuilder::new()
        .layer(AwsAuthLayer::new(auth(service_name, policy)))
        .service(inner);
    let request = http::Request::put(server.url("/in-memory"))
        .body(body)
        .unwrap();
    let response = service.ready().await.unwrap().call(request).await;
    let response = response.unwrap_or_else(|err| panic!("{service_name}, {policy:?}: {err}"));
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        content_sha256(&seen),
    )
}

/// Bodies whose type holds their bytes (`Full<Bytes>`, the crate's docs' example, and a
/// `reqwest::Body` of bytes) keep working as before, however large: read whole and signed
/// with their hash under every policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_in_memory_by_their_type_are_signed_with_their_hash_under_every_policy() {
    let _serial = SERIAL.lock().await;
    let policies = [
        StreamingBody::Reject,
        StreamingBody::Buffer { max_bytes: 1024 },
        StreamingBody::UnsignedPayload,
    ];
    let bytes = Bytes::from(vec![1u8; 2 * MIB as usize]);
    let hash = Some(sha256_hex(&bytes));
    let mut runs = 0;
    for service_name in ["execute-api", "s3"] {
        let server = server(service_name);
        for policy in policies {
            let context = format!("{service_name}, {policy:?}");
            let mut seen = vec![(
                "Full<Bytes>",
                send_typed(&server, service_name, policy, Full::new(bytes.clone())).await,
            )];
            #[cfg(feature = "reqwest-0-13")]
            seen.push((
                "reqwest 0.13 Body",
                send_typed(
                    &server,
                    service_name,
                    policy,
                    reqwest::Body::from(bytes.clone()),
                )
                .await,
            ));
            #[cfg(feature = "reqwest-0-12")]
            seen.push((
                "reqwest 0.12 Body",
                send_typed(
                    &server,
                    service_name,
                    policy,
                    reqwest012::Body::from(bytes.clone()),
                )
                .await,
            ));
            for (body_type, (status, report, signed)) in seen {
                assert_eq!(status, 200, "{context}, {body_type}: {report}");
                let report: serde_json::Value = serde_json::from_str(&report).unwrap();
                assert_eq!(report["body_len"], 2 * MIB, "{context}, {body_type}");
                assert_eq!(
                    signed, hash,
                    "{context}, {body_type}: the payload hash signed"
                );
                runs += 1;
            }
        }
    }
    assert!(runs >= 6);
}

/// A body that never ends is refused under `Reject` and `Buffer`, whatever size it claims,
/// without hanging and having read no more than the bound (plus one frame).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_ends_is_refused_without_hanging_or_growing() {
    let _serial = SERIAL.lock().await;
    let server = server("execute-api");
    let cases = [
        // It claims 256 MiB: read whole, the layer would never stop before 256 MiB.
        (
            StreamingBody::Reject,
            Hint::Claims(256 * MIB),
            ErrorKind::StreamingBody,
            0,
        ),
        // It claims 10 bytes: a small body, read, until it proves to be more.
        (
            StreamingBody::Reject,
            Hint::Claims(10),
            ErrorKind::BodyRead,
            10,
        ),
        (
            StreamingBody::Reject,
            Hint::Unknown,
            ErrorKind::StreamingBody,
            0,
        ),
        (
            StreamingBody::Buffer { max_bytes: 1024 },
            Hint::Claims(256 * MIB),
            ErrorKind::BodyTooLarge,
            1024,
        ),
        (
            StreamingBody::Buffer { max_bytes: 1024 },
            Hint::Unknown,
            ErrorKind::BodyTooLarge,
            1024,
        ),
        (
            StreamingBody::UnsignedPayload,
            Hint::Claims(10),
            ErrorKind::BodyRead,
            10,
        ),
    ];
    let baseline = reset_peak();
    for (policy, hint, expected, may_read) in cases {
        let (mut service, seen) = stack(auth("execute-api", policy), None);
        let (body, pulled) = Probe::endless(hint);
        let outcome = send(&mut service, request(&server, "/upload", body)).await;
        let pulled = pulled.load(Ordering::Relaxed);
        let context = format!("{policy:?}, pulled {pulled} bytes");
        assert_eq!(outcome, Err(expected), "{context}");
        assert!(pulled <= may_read + 1 + FRAME as u64, "{context}");
        assert!(
            seen.lock().unwrap().headers.is_none(),
            "{context}: the inner service was called"
        );
    }
    let growth = peak_growth(baseline);
    assert!(growth < 16 * 1024, "peak resident set grew by {growth} KiB");

    // The refusal of a body that broke its size hint says so, and what to do.
    let (mut service, _) = stack(auth("execute-api", StreamingBody::Reject), None);
    let (body, _) = Probe::endless(Hint::Claims(10));
    let request = request(&server, "/upload", body);
    let err = service
        .ready()
        .await
        .unwrap()
        .call(request)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("more than the 10 bytes its exact size hint announced")
            && message.contains("inexact size hint"),
        "{message}"
    );
}

// ---- through hyper, end to end ------------------------------------------------------------

/// A proxy built the way the issue found it: a hyper server hands each request's `Incoming`
/// body to the layer over hyper-util's client, towards the verifying server. A client then
/// uploads 256 MiB with `Content-Length`, making the bytes only as the proxy reads them.
/// Under `Reject` the proxy's layer refuses it, having pulled no more than the bound (plus
/// one frame) from `Incoming`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_upload_through_a_hyper_proxy_is_refused_under_reject() {
    let _serial = SERIAL.lock().await;
    let upstream = server("execute-api");
    let upstream_base = upstream.url("");
    let pulled = Arc::new(AtomicU64::new(0));
    let (service, seen) = stack(auth("execute-api", StreamingBody::Reject), None);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let counter = Arc::clone(&pulled);
    let accept = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let handler =
            hyper::service::service_fn(move |incoming: http::Request<hyper::body::Incoming>| {
                let mut service = service.clone();
                let pulled = Arc::clone(&counter);
                let upstream = format!("{upstream_base}{}", incoming.uri().path());
                async move {
                    let (mut parts, body) = incoming.into_parts();
                    parts.uri = upstream.parse().unwrap();
                    // The client's `Host` names the proxy; a proxy names the upstream in the URI.
                    parts.headers.remove(http::header::HOST);
                    let request =
                        http::Request::from_parts(parts, Probe::Incoming { body, pulled });
                    let answer = match send(&mut service, request).await {
                        Ok((status, body)) => format!("{status} {body}"),
                        Err(kind) => format!("refused {kind:?}"),
                    };
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from(
                        answer,
                    ))))
                }
            });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), handler)
            .await;
    });

    let baseline = reset_peak();
    let stream = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let len = 256 * MIB;
    let upload = tokio::spawn(async move {
        let head =
            format!("PUT /upload HTTP/1.1\r\nhost: {proxy}\r\ncontent-length: {len}\r\n\r\n");
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![0u8; 64 * 1024];
        let mut sent = 0;
        while sent < len {
            writer.write_all(&chunk).await?;
            sent += chunk.len() as u64;
        }
        Ok::<_, std::io::Error>(sent)
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&answer).contains("refused")
        && !String::from_utf8_lossy(&answer).contains(" 200 ")
    {
        let read = tokio::time::timeout_at(deadline, reader.read(&mut buf))
            .await
            .expect("the proxy did not answer within a minute")
            .unwrap();
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..read]);
    }
    upload.abort();
    accept.abort();
    let growth = peak_growth(baseline);
    let pulled = pulled.load(Ordering::Relaxed);
    let answer = String::from_utf8_lossy(&answer);

    assert!(
        answer.contains("refused StreamingBody"),
        "pulled {pulled} bytes; the proxy answered: {}",
        answer.lines().last().unwrap_or_default()
    );
    assert!(
        pulled <= BOUND + 1 + FRAME as u64,
        "pulled {pulled} bytes from Incoming before refusing"
    );
    assert!(
        seen.lock().unwrap().headers.is_none(),
        "the upload was sent upstream"
    );
    assert!(growth < 16 * 1024, "peak resident set grew by {growth} KiB");
}
