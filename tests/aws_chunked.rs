//! aws-chunked uploads (`StreamingBody::AwsChunked`) through every stack: the reqwest 0.13 and
//! 0.12 middleware, the tower layer over hyper-util's client, and `AwsAuth::sign`.
//!
//! A loopback server checks each upload twice: with the crate's `verify::Verifier` (the seed
//! signature, every chunk signature, the trailer signature, the checksum) and with a decoder
//! written here from the S3 docs, independent of the crate's. It answers with the decoded
//! body, and echoes the framing headers it received.
//!
//! Attacks: a stream of unknown length, a stream longer or shorter than it said, a redirect and
//! a clock-skew refusal of an upload that cannot be replayed, a chunk changed on the way, a
//! host outside the scope, a chunk size S3 refuses, and secrets in the logs.

#[path = "support/capture_logs.rs"]
mod capture_logs;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use reqwest_aws_auth::tower::AwsAuthLayer;
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use reqwest_aws_auth::{AwsAuth, AwsChunked, ChecksumAlgorithm, ErrorKind, StreamingBody};
use tower::{Service, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const REGION: &str = "eu-west-1";
const SECRET: &str = "aws-chunked-test-secret-key";

fn credentials() -> Credentials {
    Credentials::new("AKIDAWSCHUNKED", SECRET, None, None, "test")
}

fn auth(streaming: StreamingBody) -> AwsAuth {
    AwsAuth::builder()
        .service("s3")
        .region(REGION)
        .credentials(credentials())
        .allow_host("127.0.0.1")
        .streaming_body(streaming)
        .build()
        .unwrap()
}

// ---- the server ----------------------------------------------------------------------------

struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

/// What the server received and made of it.
#[derive(Debug)]
struct Seen {
    status: u16,
    /// The decoded body (or the server's complaint).
    body: Vec<u8>,
    header: std::collections::HashMap<String, String>,
}

impl Server {
    fn start() -> Self {
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let counter = Arc::clone(&counter);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            counter.fetch_add(1, Ordering::SeqCst);
                            answer(request)
                        });
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await;
                    });
                }
            });
        });
        Self {
            addr: rx.recv().unwrap(),
            requests,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn reply(status: u16, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(body.into()))
        .unwrap()
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if path.starts_with("/redirect") {
        let mut response = reply(307, "moved");
        response
            .headers_mut()
            .insert("location", "/bucket/moved".parse().unwrap());
        return Ok(response);
    }
    if path.starts_with("/skewed") {
        let mut response = reply(
            403,
            "<?xml version=\"1.0\"?><Error><Code>RequestTimeTooSkewed</Code><Message>m</Message></Error>",
        );
        let date =
            httpdate::fmt_http_date(SystemTime::now() + std::time::Duration::from_secs(3600));
        response.headers_mut().insert("date", date.parse().unwrap());
        return Ok(response);
    }
    let Ok(collected) = body.collect().await else {
        return Ok(reply(400, "the body could not be read"));
    };
    let wire = collected.to_bytes();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.to_string());
    let received = ReceivedRequest {
        method: parts.method.as_str(),
        target: &target,
        headers: &borrowed,
        body: &wire,
    };
    let verifier = Verifier::new(credentials(), REGION, "s3");
    if let Err(rejection) = verifier.verify(&received) {
        return Ok(reply(403, format!("rejected: {rejection}")));
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let chunked = header("content-encoding").is_some_and(|v| v.contains("aws-chunked"));
    let body = if chunked {
        let trailer = header("x-amz-trailer");
        match independent_decode(&wire, trailer) {
            Ok(body) => body,
            Err(why) => return Ok(reply(400, format!("framing: {why}"))),
        }
    } else {
        wire.to_vec()
    };
    if chunked && header("x-amz-decoded-content-length") != Some(&body.len().to_string()) {
        return Ok(reply(
            400,
            "x-amz-decoded-content-length is not the decoded length",
        ));
    }
    if header("content-length") != Some(&wire.len().to_string()) {
        return Ok(reply(400, "content-length is not the length received"));
    }
    let mut response = reply(200, body);
    for name in [
        "content-encoding",
        "content-length",
        "x-amz-decoded-content-length",
        "x-amz-content-sha256",
        "x-amz-trailer",
        "x-amz-sdk-checksum-algorithm",
    ] {
        let values: Vec<&str> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if !values.is_empty() {
            response.headers_mut().insert(
                http::HeaderName::from_bytes(format!("x-seen-{name}").as_bytes()).unwrap(),
                values.join(",").parse().unwrap(),
            );
        }
    }
    Ok(response)
}

/// aws-chunked as the S3 docs describe it, read here without the crate: chunks of
/// `hex-size[;chunk-signature=sig]\r\ndata\r\n`, a last one of size 0, then any trailer lines
/// and an empty line. Checks that the trailer named in `x-amz-trailer` is there.
fn independent_decode(wire: &[u8], trailer: Option<&str>) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    let mut rest = wire;
    let line = |rest: &mut &[u8]| -> Result<String, String> {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("no CRLF")?;
        let line = String::from_utf8(rest[..end].to_vec()).map_err(|_| "not text")?;
        *rest = &rest[end + 2..];
        Ok(line)
    };
    loop {
        let header = line(&mut rest)?;
        let size = header.split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size, 16).map_err(|_| format!("size {size:?}"))?;
        if size == 0 {
            break;
        }
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return Err("short chunk".into());
        }
        data.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    let mut trailers = Vec::new();
    loop {
        let line = line(&mut rest)?;
        if line.is_empty() {
            break;
        }
        trailers.push(line);
    }
    if !rest.is_empty() {
        return Err("bytes after the end".into());
    }
    if let Some(name) = trailer
        && !trailers.iter().any(|t| t.starts_with(&format!("{name}:")))
    {
        return Err(format!("no {name} trailer in {trailers:?}"));
    }
    Ok(data)
}

// ---- the bodies and stacks -----------------------------------------------------------------

/// A body made as it is read, in frames of `frame` bytes, saying about its size what `hint`
/// says (an exact hint only when `honest`).
struct Lazy {
    data: Bytes,
    frame: usize,
    honest: bool,
}

impl Body for Lazy {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.frame.min(self.data.len());
        let piece = self.data.split_to(n);
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn size_hint(&self) -> SizeHint {
        if self.honest {
            SizeHint::with_exact(self.data.len() as u64)
        } else {
            SizeHint::default()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stack {
    Reqwest13,
    Reqwest12,
    Tower,
    Sign,
}

const STACKS: [Stack; 4] = [
    Stack::Reqwest13,
    Stack::Reqwest12,
    Stack::Tower,
    Stack::Sign,
];

/// How the app says how long the stream is.
#[derive(Clone, Copy, Debug)]
enum Length {
    /// `Content-Length`.
    Header(u64),
    Decoded(u64),
    SizeHint,
    Unknown,
}

type Outcome = Result<Seen, (Option<ErrorKind>, String)>;

fn seen_of(status: u16, headers: &http::HeaderMap, body: Vec<u8>) -> Seen {
    let header = headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("x-seen-")?;
            Some((name.to_owned(), value.to_str().unwrap().to_owned()))
        })
        .collect();
    Seen {
        status,
        body,
        header,
    }
}

/// The crate's error kind, if ours, and the whole chain of messages.
fn failure(
    ours: Option<&reqwest_aws_auth::Error>,
    err: &(dyn std::error::Error + 'static),
) -> (Option<ErrorKind>, String) {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    (ours.map(reqwest_aws_auth::Error::kind), message)
}

/// PUTs `data` as a stream, cut in frames of `frame` bytes, through `stack`.
async fn upload(
    stack: Stack,
    auth: &AwsAuth,
    url: &str,
    data: &[u8],
    frame: usize,
    length: Length,
) -> Outcome {
    let body = || Lazy {
        data: Bytes::copy_from_slice(data),
        frame,
        honest: matches!(length, Length::SizeHint),
    };
    let mut headers = Vec::new();
    match length {
        Length::Header(n) => headers.push(("content-length", n.to_string())),
        Length::Decoded(n) => headers.push(("x-amz-decoded-content-length", n.to_string())),
        Length::SizeHint | Length::Unknown => {}
    }
    macro_rules! via_reqwest {
        ($reqwest:ident) => {{
            let client = auth.clone().client($reqwest::Client::builder()).unwrap();
            let mut request = client.put(url);
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            match request.body($reqwest::Body::wrap(body())).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    Ok(seen_of(
                        status,
                        &headers,
                        response.bytes().await.unwrap().to_vec(),
                    ))
                }
                Err(err) => Err(failure(
                    reqwest_aws_auth::Error::from_middleware(&err),
                    &err,
                )),
            }
        }};
    }
    match stack {
        Stack::Reqwest13 => via_reqwest!(reqwest),
        Stack::Reqwest12 => via_reqwest!(reqwest012),
        Stack::Tower => {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<reqwest::Body>();
            let mut service = tower::ServiceBuilder::new()
                .layer(AwsAuthLayer::new(auth.clone()))
                .service(client);
            let mut request = http::Request::put(url);
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            let request = request.body(reqwest::Body::wrap(body())).unwrap();
            let ready = service.ready().await.unwrap();
            match ready.call(request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
                    Ok(seen_of(parts.status.as_u16(), &parts.headers, bytes))
                }
                Err(err) => Err(failure(reqwest_aws_auth::Error::find(&*err), &*err)),
            }
        }
        Stack::Sign => {
            let mut request = reqwest::Request::new(reqwest::Method::PUT, url.parse().unwrap());
            for (name, value) in &headers {
                request.headers_mut().insert(*name, value.parse().unwrap());
            }
            *request.body_mut() = Some(reqwest::Body::wrap(body()));
            if let Err(err) = auth.sign(&mut request).await {
                return Err((Some(err.kind()), err.to_string()));
            }
            match reqwest::Client::new().execute(request).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    Ok(seen_of(
                        status,
                        &headers,
                        response.bytes().await.unwrap().to_vec(),
                    ))
                }
                Err(err) => {
                    let ours = reqwest_aws_auth::Error::find(&err);
                    Err(failure(ours, &err))
                }
            }
        }
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

fn modes() -> Vec<AwsChunked> {
    let mut modes = vec![AwsChunked::signed()];
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        modes.push(AwsChunked::signed().trailer(alg));
        modes.push(AwsChunked::unsigned_trailer(alg));
    }
    modes
}

// ---- uploads that work ---------------------------------------------------------------------

/// Every stack, every mode and checksum, sizes around the chunk boundaries: the verifier
/// accepts every chunk and trailer, the independent decoder reads back the data, and the
/// framing headers are S3's.
#[tokio::test]
async fn every_stack_every_mode_is_verified_chunk_by_chunk() {
    let server = Server::start();
    let url = server.url("/bucket/object");
    for stack in STACKS {
        for mode in modes() {
            let auth = auth(StreamingBody::AwsChunked(mode.chunk_size(8192)));
            for len in [0usize, 1, 8191, 8192, 8193, 70_000] {
                let data = data(len);
                let what = format!("{stack:?} {mode:?} {len} bytes");
                let seen = upload(stack, &auth, &url, &data, 1000, Length::Header(len as u64))
                    .await
                    .unwrap_or_else(|err| panic!("{what}: {err:?}"));
                assert_eq!(
                    seen.status,
                    200,
                    "{what}: {}",
                    String::from_utf8_lossy(&seen.body)
                );
                assert_eq!(seen.body, data, "{what}");
                assert_eq!(seen.header["content-encoding"], "aws-chunked", "{what}");
                assert_eq!(
                    seen.header["x-amz-decoded-content-length"],
                    len.to_string(),
                    "{what}"
                );
                let trailer = seen.header.get("x-amz-trailer");
                let sdk = seen.header.get("x-amz-sdk-checksum-algorithm");
                let sha = &seen.header["x-amz-content-sha256"];
                match (trailer, sdk) {
                    (None, None) => assert_eq!(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "{what}"),
                    (Some(trailer), Some(sdk)) => {
                        assert_eq!(
                            trailer,
                            &format!("x-amz-checksum-{}", sdk.to_lowercase()),
                            "{what}"
                        );
                        assert!(sha.ends_with("-TRAILER"), "{what}");
                    }
                    other => {
                        panic!("{what}: x-amz-trailer and the algorithm go together: {other:?}")
                    }
                }
            }
        }
    }
}

/// The length may come from `Content-Length`, `x-amz-decoded-content-length` or an exact size
/// hint; an existing `Content-Encoding` is kept, with `aws-chunked` added.
#[tokio::test]
async fn the_length_comes_from_any_of_three_places() {
    let server = Server::start();
    let url = server.url("/bucket/object");
    let auth = auth(StreamingBody::AwsChunked(AwsChunked::signed()));
    let data = data(100_000);
    for stack in STACKS {
        for length in [
            Length::Header(100_000),
            Length::Decoded(100_000),
            Length::SizeHint,
        ] {
            let seen = upload(stack, &auth, &url, &data, 4096, length)
                .await
                .unwrap();
            assert_eq!(seen.status, 200, "{stack:?} {length:?}");
            assert_eq!(seen.body, data, "{stack:?} {length:?}");
        }
    }
}

/// Per request, through `RequestOptions`, over a builder that refuses streams.
#[tokio::test]
async fn chosen_per_request() {
    let server = Server::start();
    let auth = auth(StreamingBody::Reject);
    let client = auth.client(reqwest::Client::builder()).unwrap();
    let data = data(20_000);
    let response = client
        .put(server.url("/bucket/object"))
        .header("content-length", "20000")
        .with_extension(reqwest_aws_auth::RequestOptions::new().streaming_body(
            StreamingBody::AwsChunked(AwsChunked::unsigned_trailer(ChecksumAlgorithm::Crc32c)),
        ))
        .body(reqwest::Body::wrap(Lazy {
            data: Bytes::from(data.clone()),
            frame: 3000,
            honest: false,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), data);
}

// ---- attacks -------------------------------------------------------------------------------

/// A stream of unknown length cannot be framed (`Content-Length` goes first): a typed error
/// that says what to set, and nothing is sent.
#[tokio::test]
async fn a_stream_of_unknown_length_is_refused_unsent() {
    let server = Server::start();
    let url = server.url("/bucket/object");
    let auth = auth(StreamingBody::AwsChunked(AwsChunked::signed()));
    for stack in STACKS {
        let err = upload(stack, &auth, &url, &data(10), 5, Length::Unknown)
            .await
            .unwrap_err();
        assert_eq!(
            err.0,
            Some(ErrorKind::StreamingBody),
            "{stack:?}: {}",
            err.1
        );
        assert!(
            err.1.contains("x-amz-decoded-content-length"),
            "{stack:?}: {}",
            err.1
        );
    }
    assert_eq!(server.requests(), 0);
}

/// A stream that yields more, or less, than the length it gave is cut off with an error that
/// says so; the server never accepts a body that is not what was declared.
#[tokio::test]
async fn a_stream_that_lies_about_its_length_fails_the_upload() {
    let server = Server::start();
    let url = server.url("/bucket/object");
    let auth = auth(StreamingBody::AwsChunked(AwsChunked::signed()));
    for stack in STACKS {
        for declared in [30_000u64, 10_000] {
            let outcome = upload(
                stack,
                &auth,
                &url,
                &data(20_000),
                4096,
                Length::Header(declared),
            )
            .await;
            match outcome {
                Err((_, message)) => assert!(
                    message.contains("bytes its length announced"),
                    "{stack:?} {declared}: {message}"
                ),
                Ok(seen) => panic!("{stack:?} {declared}: accepted: {seen:?}"),
            }
        }
    }
}

/// A redirect of an upload whose body was a stream is handed to the app (the body is gone; it
/// cannot go to the next hop), and the log says why.
#[tokio::test]
async fn a_redirected_stream_is_returned_with_the_reason() {
    let server = Server::start();
    let url = server.url("/redirect");
    let auth = auth(StreamingBody::AwsChunked(AwsChunked::signed()));
    for stack in [Stack::Reqwest13, Stack::Reqwest12, Stack::Tower] {
        let before = server.requests();
        let (logs, guard) = capture_logs::capture();
        let seen = upload(stack, &auth, &url, &data(9000), 1000, Length::Header(9000))
            .await
            .unwrap();
        drop(guard);
        assert_eq!(seen.status, 307, "{stack:?}");
        assert_eq!(server.requests(), before + 1, "{stack:?}: followed");
        let logs = logs.text();
        assert!(logs.contains("cannot be sent again"), "{stack:?}: {logs}");
    }
}

/// A clock-skew refusal of a streamed upload is returned: the body cannot be sent twice. The
/// log says why.
#[tokio::test]
async fn a_refused_stream_is_returned_with_the_reason() {
    let server = Server::start();
    let url = server.url("/skewed");
    for stack in [Stack::Reqwest13, Stack::Reqwest12, Stack::Tower] {
        // A fresh one each time: a refusal that re-dates teaches the offset for the host.
        let auth = auth(StreamingBody::AwsChunked(AwsChunked::signed()));
        let before = server.requests();
        let (logs, guard) = capture_logs::capture();
        let seen = upload(stack, &auth, &url, &data(9000), 1000, Length::Header(9000))
            .await
            .unwrap();
        drop(guard);
        assert_eq!(seen.status, 403, "{stack:?}");
        assert_eq!(server.requests(), before + 1, "{stack:?}: sent again");
        let logs = logs.text();
        assert!(logs.contains("cannot be sent again"), "{stack:?}: {logs}");
    }
}

/// Outside the scope nothing is framed or signed: the stream goes as it is.
#[tokio::test]
async fn outside_the_scope_the_stream_is_untouched() {
    let server = Server::start();
    let url = server
        .url("/bucket/object")
        .replace("127.0.0.1", "localhost");
    let auth = AwsAuth::builder()
        .service("s3")
        .region(REGION)
        .credentials(credentials())
        .default_scope(false)
        .allow_host("s3.eu-west-1.amazonaws.com")
        .outside_scope(reqwest_aws_auth::OutsideScope::PassThrough)
        .streaming_body(StreamingBody::AwsChunked(AwsChunked::signed()))
        .build()
        .unwrap();
    let client = auth.client(reqwest::Client::builder()).unwrap();
    let response = client
        .put(url)
        .header("content-length", "5000")
        .body(reqwest::Body::wrap(Lazy {
            data: Bytes::from(data(5000)),
            frame: 1000,
            honest: false,
        }))
        .send()
        .await
        .unwrap();
    // The verifier refuses an unsigned request: what arrived carries no signature, no framing.
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert!(!text.contains("aws-chunked"), "{text}");
}

/// S3 refuses chunks under 8 KiB: the builder and a request's options say so, typed.
#[tokio::test]
async fn a_chunk_size_s3_refuses_is_a_typed_error() {
    let err = AwsAuth::builder()
        .service("s3")
        .region(REGION)
        .credentials(credentials())
        .streaming_body(StreamingBody::AwsChunked(
            AwsChunked::signed().chunk_size(8191),
        ))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("8192"), "{err}");

    let server = Server::start();
    let client = auth(StreamingBody::Reject)
        .client(reqwest::Client::builder())
        .unwrap();
    let err = client
        .put(server.url("/bucket/object"))
        .header("content-length", "10")
        .with_extension(reqwest_aws_auth::RequestOptions::new().streaming_body(
            StreamingBody::AwsChunked(AwsChunked::signed().chunk_size(100)),
        ))
        .body(reqwest::Body::wrap(Lazy {
            data: Bytes::from(data(10)),
            frame: 5,
            honest: false,
        }))
        .send()
        .await
        .unwrap_err();
    let ours = reqwest_aws_auth::Error::from_middleware(&err).unwrap();
    assert_eq!(ours.kind(), ErrorKind::InvalidConfig);
    assert_eq!(server.requests(), 0);
}

/// A chunk changed on the way (one byte of the second chunk's data, or a chunk dropped) is
/// refused by the verifier, which names the chunk; so is a checksum that does not match.
#[tokio::test]
async fn a_changed_chunk_is_refused_by_the_verifier_naming_it() {
    for mode in [
        AwsChunked::signed(),
        AwsChunked::signed().trailer(ChecksumAlgorithm::Crc32),
        AwsChunked::unsigned_trailer(ChecksumAlgorithm::Sha256),
    ] {
        let auth = auth(StreamingBody::AwsChunked(mode.chunk_size(8192)));
        let mut request = reqwest::Request::new(
            reqwest::Method::PUT,
            "http://127.0.0.1:9/bucket/object".parse().unwrap(),
        );
        request
            .headers_mut()
            .insert("content-length", "20000".parse().unwrap());
        *request.body_mut() = Some(reqwest::Body::wrap(Lazy {
            data: Bytes::from(data(20_000)),
            frame: 777,
            honest: false,
        }));
        auth.sign(&mut request).await.unwrap();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .chain([("host".to_owned(), "127.0.0.1:9".to_owned())])
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let body = request.body_mut().take().unwrap();
        let wire = body.collect().await.unwrap().to_bytes().to_vec();
        let verifier = Verifier::new(credentials(), REGION, "s3");
        let received = |body: &[u8]| {
            verifier.verify(&ReceivedRequest {
                method: "PUT",
                target: "/bucket/object",
                headers: &headers,
                body,
            })
        };
        received(&wire).unwrap_or_else(|r| panic!("{mode:?}: {r}"));

        // The second chunk starts after the first's 8192 bytes and framing.
        let second = find(&wire, b"\r\n2000").unwrap() + 200;
        let mut changed = wire.clone();
        changed[second] ^= 1;
        let rejection = received(&changed).unwrap_err();
        let detail = rejection.detail();
        if matches!(mode, m if m == AwsChunked::unsigned_trailer(ChecksumAlgorithm::Sha256)) {
            assert!(
                detail.contains("x-amz-checksum-sha256"),
                "{mode:?}: {detail}"
            );
        } else {
            assert!(detail.contains("chunk 2"), "{mode:?}: {detail}");
        }
        // Never the secret, in the rejection either.
        assert!(!rejection.to_string().contains(SECRET));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Signing and streaming at TRACE log neither the secret nor the derived signing key.
#[tokio::test]
async fn no_secret_in_the_logs() {
    let server = Server::start();
    let url = server.url("/bucket/object");
    let (logs, guard) = capture_logs::capture();
    for mode in modes() {
        let auth = auth(StreamingBody::AwsChunked(mode));
        let seen = upload(
            Stack::Reqwest13,
            &auth,
            &url,
            &data(70_000),
            5000,
            Length::Header(70_000),
        )
        .await
        .unwrap();
        assert_eq!(seen.status, 200);
    }
    drop(guard);
    let logs = logs.text();
    assert!(
        logs.contains("aws-chunked"),
        "the uploads were logged: {logs}"
    );
    assert!(!logs.contains(SECRET));
    let now = SystemTime::now();
    let key = aws_sigv4::sign::v4::generate_signing_key(SECRET, now, REGION, "s3");
    let hex: String = key.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert!(!logs.contains(&hex));
}

/// The command line: `-T FILE --aws-chunked [--checksum ALGO]` uploads the file in constant
/// memory (read once, framed as it streams); the server verifies every chunk and echoes the
/// decoded body.
#[cfg(feature = "cli")]
#[test]
fn the_command_line_uploads_a_file_aws_chunked() {
    let server = Server::start();
    let dir = std::env::temp_dir().join(format!("aws-chunked-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("upload.bin");
    let data = data(300_000);
    std::fs::write(&file, &data).unwrap();
    for flags in [
        &["--aws-chunked"][..],
        &["--aws-chunked", "--checksum", "crc32c"],
        &["--aws-chunked=unsigned-trailer", "--checksum", "sha256"],
        &["--aws-chunked=unsigned-trailer"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_aws-sigv4-curl"))
            .args(["--service", "s3", "--region", REGION, "--fail", "-i"])
            .args(flags)
            .arg("-T")
            .arg(&file)
            .arg(server.url("/bucket/object"))
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_ACCESS_KEY_ID", "AKIDAWSCHUNKED")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", dir.join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{flags:?}: {stderr}");
        let stdout = output.stdout;
        let head_end = find(&stdout, b"\r\n\r\n").expect("-i prints the head") + 4;
        let head = String::from_utf8_lossy(&stdout[..head_end]).to_lowercase();
        assert!(
            head.contains("x-seen-content-encoding: aws-chunked"),
            "{flags:?}: {head}"
        );
        assert!(
            stdout[head_end..] == data[..],
            "{flags:?}: the body read back differs"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The wiremock matcher is the verifier: it accepts an aws-chunked upload chunk by chunk.
#[cfg(feature = "wiremock")]
#[tokio::test]
async fn the_wiremock_matcher_accepts_aws_chunked_uploads() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(reqwest_aws_auth::wiremock::SigV4Matcher::new(
            credentials(),
            REGION,
            "s3",
        ))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    for mode in modes() {
        let auth = auth(StreamingBody::AwsChunked(mode));
        let url = format!("{}/bucket/object", server.uri());
        let seen = upload(
            Stack::Reqwest13,
            &auth,
            &url,
            &data(70_000),
            3000,
            Length::Header(70_000),
        )
        .await
        .unwrap();
        assert_eq!(seen.status, 200, "{mode:?}");
    }
}

/// A tower stack whose body type cannot hold the framing (only `reqwest::Body` can) gets a typed
/// error that says what to use, and nothing is sent.
#[tokio::test]
async fn a_tower_body_type_that_cannot_carry_the_framing_is_refused_unsent() {
    /// A body type of the app's own: bytes or a stream, as `B: From<Bytes>` requires.
    enum Custom {
        Bytes(Full<Bytes>),
        Stream(Lazy),
    }
    impl From<Bytes> for Custom {
        fn from(bytes: Bytes) -> Self {
            Custom::Bytes(Full::new(bytes))
        }
    }
    impl Body for Custom {
        type Data = Bytes;
        type Error = BoxError;
        fn poll_frame(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            match self.get_mut() {
                Custom::Bytes(full) => Pin::new(full)
                    .poll_frame(cx)
                    .map_err(|never| match never {}),
                Custom::Stream(lazy) => Pin::new(lazy).poll_frame(cx),
            }
        }
    }
    let server = Server::start();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Custom>();
    let mut service = tower::ServiceBuilder::new()
        .layer(AwsAuthLayer::new(auth(StreamingBody::AwsChunked(
            AwsChunked::signed(),
        ))))
        .service(client);
    let request = http::Request::put(server.url("/bucket/object"))
        .header("content-length", "100000")
        .body(Custom::Stream(Lazy {
            data: Bytes::from(data(100_000)),
            frame: 4096,
            honest: false,
        }))
        .unwrap();
    let err = service
        .ready()
        .await
        .unwrap()
        .call(request)
        .await
        .unwrap_err();
    let ours = reqwest_aws_auth::Error::find(&*err).expect("the crate's error");
    assert_eq!(ours.kind(), ErrorKind::StreamingBody);
    assert!(ours.to_string().contains("reqwest::Body::wrap"), "{ours}");
    assert_eq!(server.requests(), 0);
}
