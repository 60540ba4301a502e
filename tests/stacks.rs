//! One behaviour table, every HTTP stack: each case runs through each driver (reqwest 0.13
//! and 0.12 middleware, the tower layer over hyper-util's client, and `AwsAuth::sign` on a
//! reqwest 0.13, a reqwest 0.12 and an `http::Request`) against a loopback server that
//! verifies what it receives with the crate's independent verifier.
//!
//! Also: request-body compression placed before auth, on each middleware stack.
#![cfg(all(feature = "reqwest-0-13", feature = "reqwest-0-12", feature = "tower"))]
#![allow(dead_code)] // The shared server's SSE support is not used here.

#[path = "support/verifying_server.rs"]
mod verifying_server;

use std::io::Write as _;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use bytes::Bytes;
use http_body_util::BodyExt;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, ErrorKind, StreamingBody};
use tower::{Service, ServiceExt};
use verifying_server::{Expect, Server};

const KEY: &str = "test-bedrock-api-key";

fn credentials(token: bool) -> Credentials {
    Credentials::new(
        "AKIDSTACKS",
        "stacks/secret/key",
        token.then(|| "session/token+value=".to_owned()),
        None,
        "stacks",
    )
}

/// What a case sends.
#[derive(Clone)]
enum Body {
    Empty,
    Bytes(&'static [u8]),
    /// A stream of these chunks (drivers without streaming bodies skip the case).
    Stream(Vec<&'static [u8]>),
}

/// What a case expects.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    /// 200, authenticated as `sigv4` or `bearer` (the server's report).
    Accepted(&'static str),
    /// This status, as the server answered.
    Status(u16),
    /// Refused before sending, with this kind.
    Refused(ErrorKind),
}

struct Case {
    name: &'static str,
    service: &'static str,
    /// Temporary credentials, with a session token.
    token: bool,
    auth: fn(AwsAuthBuilder) -> AwsAuthBuilder,
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Body,
    expect: Outcome,
    /// What `AwsAuth::sign` alone gives, where it differs (no recovery, no redirects).
    expect_sign_only: Option<Outcome>,
}

fn table() -> Vec<Case> {
    vec![
        Case {
            name: "GET with an unsorted query and a space",
            service: "execute-api",
            token: false,
            auth: |b| b,
            method: "GET",
            path: "/items?b=2&a=1&c=x+y",
            headers: &[("accept", "application/json")],
            body: Body::Empty,
            expect: Outcome::Accepted("sigv4"),
            expect_sign_only: None,
        },
        Case {
            name: "POST JSON with a session token",
            service: "bedrock-mantle",
            token: true,
            auth: |b| b,
            method: "POST",
            path: "/v1/responses",
            headers: &[("content-type", "application/json")],
            body: Body::Bytes(br#"{"model":"m","input":"Hello!"}"#),
            expect: Outcome::Accepted("sigv4"),
            expect_sign_only: None,
        },
        Case {
            name: "S3 PUT of an awkward key",
            service: "s3",
            token: false,
            auth: |b| b,
            method: "PUT",
            path: "/bucket/a%20b/c+d%3A~e.txt",
            headers: &[("content-type", "text/plain")],
            body: Body::Bytes(b"object body"),
            expect: Outcome::Accepted("sigv4"),
            expect_sign_only: None,
        },
        Case {
            name: "a stream is refused by default",
            service: "execute-api",
            token: false,
            auth: |b| b,
            method: "POST",
            path: "/upload",
            headers: &[],
            body: Body::Stream(vec![b"part one, ", b"part two"]),
            expect: Outcome::Refused(ErrorKind::StreamingBody),
            expect_sign_only: None,
        },
        Case {
            name: "a stream is buffered and signed",
            service: "execute-api",
            token: false,
            auth: |b| b.streaming_body(StreamingBody::Buffer { max_bytes: 1024 }),
            method: "POST",
            path: "/upload",
            headers: &[],
            body: Body::Stream(vec![b"part one, ", b"part two"]),
            expect: Outcome::Accepted("sigv4"),
            expect_sign_only: None,
        },
        Case {
            name: "a stream over the buffering limit is refused",
            service: "execute-api",
            token: false,
            auth: |b| b.streaming_body(StreamingBody::Buffer { max_bytes: 4 }),
            method: "POST",
            path: "/upload",
            headers: &[],
            body: Body::Stream(vec![b"part one, ", b"part two"]),
            expect: Outcome::Refused(ErrorKind::BodyTooLarge),
            expect_sign_only: None,
        },
        Case {
            name: "an S3 stream goes as UNSIGNED-PAYLOAD",
            service: "s3",
            token: false,
            auth: |b| b.streaming_body(StreamingBody::UnsignedPayload),
            method: "PUT",
            path: "/bucket/streamed.bin",
            headers: &[],
            body: Body::Stream(vec![b"chunk-1 ", b"chunk-2"]),
            expect: Outcome::Accepted("sigv4"),
            expect_sign_only: None,
        },
        Case {
            name: "a host outside the scope is refused",
            service: "execute-api",
            token: false,
            auth: |b| b.default_scope(false).allow_host("api.example.com"),
            method: "GET",
            path: "/items",
            headers: &[],
            body: Body::Empty,
            expect: Outcome::Refused(ErrorKind::OutOfScope),
            expect_sign_only: None,
        },
        Case {
            name: "an app's own Authorization is not overwritten",
            service: "execute-api",
            token: false,
            auth: |b| b,
            method: "GET",
            path: "/items",
            headers: &[("authorization", "Basic dXNlcjpwYXNz")],
            body: Body::Empty,
            expect: Outcome::Refused(ErrorKind::AuthorizationPresent),
            expect_sign_only: None,
        },
        Case {
            name: "a Bedrock API key goes as a bearer token",
            service: "bedrock-mantle",
            token: false,
            auth: |_| AwsAuth::builder().bearer_token(KEY),
            method: "POST",
            path: "/v1/chat/completions",
            headers: &[("content-type", "application/json")],
            body: Body::Bytes(br#"{"messages":[]}"#),
            expect: Outcome::Accepted("bearer"),
            expect_sign_only: None,
        },
        Case {
            name: "a clock an hour slow is corrected after the refusal",
            service: "execute-api",
            token: false,
            auth: |b| {
                b.time_source(StaticTimeSource::new(
                    SystemTime::now() - Duration::from_secs(3600),
                ))
                .clock_skew_correction(true)
            },
            method: "POST",
            path: "/items",
            headers: &[("content-type", "application/json")],
            body: Body::Bytes(br#"{"name":"widget"}"#),
            expect: Outcome::Accepted("sigv4"),
            // Signing alone cannot learn from the refusal.
            expect_sign_only: Some(Outcome::Status(403)),
        },
        Case {
            name: "a same-host redirect is followed and signed afresh",
            service: "execute-api",
            token: false,
            auth: |b| b,
            method: "GET",
            path: "/status/307",
            headers: &[],
            body: Body::Empty,
            expect: Outcome::Accepted("sigv4"),
            expect_sign_only: Some(Outcome::Status(307)),
        },
        Case {
            name: "a 404 is the app's to handle",
            service: "execute-api",
            token: false,
            auth: |b| b,
            method: "DELETE",
            path: "/status/404",
            headers: &[],
            body: Body::Empty,
            expect: Outcome::Status(404),
            expect_sign_only: None,
        },
    ]
}

fn auth_for(case: &Case) -> AwsAuth {
    let base = AwsAuth::builder()
        .service(case.service)
        .region("eu-west-1")
        .credentials(credentials(case.token));
    (case.auth)(base).build().unwrap()
}

/// What a driver saw: a status and the body, or the crate's error kind.
type Seen = Result<(u16, Vec<u8>), ErrorKind>;

fn judge(case: &Case, driver: &str, sign_only: bool, seen: Seen) {
    let expect = match (sign_only, case.expect_sign_only) {
        (true, Some(outcome)) => outcome,
        _ => case.expect,
    };
    let context = format!("{driver}: {}", case.name);
    match (expect, seen) {
        (Outcome::Accepted(how), Ok((200, body))) => {
            let body = String::from_utf8_lossy(&body);
            let report: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("{context}: not a report: {body}"));
            assert_eq!(report["auth"], how, "{context}: {body}");
        }
        (Outcome::Status(status), Ok((got, body))) => {
            assert_eq!(got, status, "{context}: {}", String::from_utf8_lossy(&body))
        }
        (Outcome::Refused(kind), Err(got)) => assert_eq!(got, kind, "{context}"),
        (expect, seen) => {
            let seen =
                seen.map(|(status, body)| (status, String::from_utf8_lossy(&body).into_owned()));
            panic!("{context}: expected {expect:?}, saw {seen:?}")
        }
    }
}

fn server_for(case: &Case) -> Server {
    Server::start(Expect {
        credentials: credentials(case.token),
        region: "eu-west-1",
        service: case.service,
        bearer: Some(KEY),
    })
}

// ---- drivers --------------------------------------------------------------------------

fn stream_of(
    chunks: &[&'static [u8]],
) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
    tokio_stream::iter(chunks)
}

macro_rules! reqwest_driver {
    ($name:ident, $sign_name:ident, $reqwest:ident, $middleware:ident) => {
        async fn $name(
            case: &Case,
            server: &Server,
            extra: Option<std::sync::Arc<dyn $middleware::Middleware>>,
        ) -> Seen {
            let auth = auth_for(case);
            let http = $reqwest::Client::builder()
                .redirect($reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut builder = $middleware::ClientBuilder::new(http);
            if let Some(extra) = extra {
                builder = builder.with_arc(extra);
            }
            let client = builder.with(auth).build();
            let mut request = client.request(case.method.parse().unwrap(), server.url(case.path));
            for (name, value) in case.headers {
                request = request.header(*name, *value);
            }
            request = match &case.body {
                Body::Empty => request,
                Body::Bytes(bytes) => request.body(bytes.to_vec()),
                Body::Stream(chunks) => {
                    request.body($reqwest::Body::wrap_stream(stream_of(chunks)))
                }
            };
            match request.send().await {
                Ok(response) => Ok((
                    response.status().as_u16(),
                    response.bytes().await.unwrap().to_vec(),
                )),
                Err(err) => Err(reqwest_aws_auth::Error::from_middleware(&err)
                    .unwrap_or_else(|| panic!("{}: not the crate's error: {err:?}", case.name))
                    .kind()),
            }
        }

        async fn $sign_name(case: &Case, server: &Server) -> Seen {
            let auth = auth_for(case);
            let client = $reqwest::Client::builder()
                .redirect($reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut request = client.request(case.method.parse().unwrap(), server.url(case.path));
            for (name, value) in case.headers {
                request = request.header(*name, *value);
            }
            request = match &case.body {
                Body::Empty => request,
                Body::Bytes(bytes) => request.body(bytes.to_vec()),
                Body::Stream(chunks) => {
                    request.body($reqwest::Body::wrap_stream(stream_of(chunks)))
                }
            };
            let mut request = request.build().unwrap();
            auth.sign(&mut request).await.map_err(|e| e.kind())?;
            let response = client.execute(request).await.unwrap();
            Ok((
                response.status().as_u16(),
                response.bytes().await.unwrap().to_vec(),
            ))
        }
    };
}

reqwest_driver!(
    reqwest_0_13_middleware,
    reqwest_0_13_sign,
    reqwest,
    reqwest_middleware
);
reqwest_driver!(
    reqwest_0_12_middleware,
    reqwest_0_12_sign,
    reqwest012,
    reqwest_middleware04
);

type HyperClient<B> =
    hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, B>;

fn hyper_client<B>() -> HyperClient<B>
where
    B: http_body::Body + Send + 'static + Unpin,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

fn http_request<B>(case: &Case, server: &Server, body: B) -> http::Request<B> {
    let mut request = http::Request::builder()
        .method(case.method)
        .uri(server.url(case.path));
    for (name, value) in case.headers {
        request = request.header(*name, *value);
    }
    request.body(body).unwrap()
}

async fn read(
    response: http::Response<impl http_body::Body<Data = Bytes, Error = impl std::fmt::Debug>>,
) -> (u16, Vec<u8>) {
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

/// The tower layer over hyper-util's client. The body type is reqwest's, which is both a
/// `From<Bytes>` body and (wrapped) a stream.
async fn tower_layer(case: &Case, server: &Server, gzip: bool) -> Seen {
    let auth = auth_for(case);
    let body = match &case.body {
        Body::Empty => reqwest::Body::from(Bytes::new()),
        Body::Bytes(bytes) => reqwest::Body::from(bytes.to_vec()),
        Body::Stream(chunks) => reqwest::Body::wrap_stream(stream_of(chunks)),
    };
    let client = hyper_client::<reqwest::Body>();
    let mut service = tower::ServiceBuilder::new()
        .option_layer(gzip.then(|| tower::util::MapRequestLayer::new(gzip_http_request)))
        .layer(reqwest_aws_auth::tower::AwsAuthLayer::new(auth))
        .service(client);
    let request = http_request(case, server, body);
    match service.ready().await.unwrap().call(request).await {
        Ok(response) => Ok(read(response).await),
        Err(err) => Err(err
            .downcast_ref::<reqwest_aws_auth::Error>()
            .unwrap_or_else(|| panic!("{}: not the crate's error: {err:?}", case.name))
            .kind()),
    }
}

/// `AwsAuth::sign` on an `http::Request<Bytes>`, sent with hyper-util.
async fn http_sign(case: &Case, server: &Server) -> Option<Seen> {
    let body = match &case.body {
        Body::Empty => Bytes::new(),
        Body::Bytes(bytes) => Bytes::from_static(bytes),
        Body::Stream(_) => return None,
    };
    let auth = auth_for(case);
    let mut request = http_request(case, server, body);
    if let Err(err) = auth.sign(&mut request).await {
        return Some(Err(err.kind()));
    }
    let request = request.map(http_body_util::Full::new);
    let response = hyper_client().request(request).await.unwrap();
    Some(Ok(read(response).await))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stack_passes_the_same_behaviour_table() {
    let mut runs = 0;
    for case in table() {
        let server = server_for(&case);
        judge(
            &case,
            "reqwest 0.13 middleware",
            false,
            reqwest_0_13_middleware(&case, &server, None).await,
        );
        judge(
            &case,
            "reqwest 0.12 middleware",
            false,
            reqwest_0_12_middleware(&case, &server, None).await,
        );
        judge(
            &case,
            "tower layer + hyper-util",
            false,
            tower_layer(&case, &server, false).await,
        );
        judge(
            &case,
            "reqwest 0.13 AwsAuth::sign",
            true,
            reqwest_0_13_sign(&case, &server).await,
        );
        judge(
            &case,
            "reqwest 0.12 AwsAuth::sign",
            true,
            reqwest_0_12_sign(&case, &server).await,
        );
        runs += 5;
        if let Some(seen) = http_sign(&case, &server).await {
            judge(&case, "http::Request AwsAuth::sign", true, seen);
            runs += 1;
        }
    }
    // 13 cases, 5 drivers each, and the http::Request driver for the 9 without a stream.
    assert_eq!(runs, 13 * 5 + 9);
}

// ---- compression before auth ------------------------------------------------------------

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn gzip_http_request(request: http::Request<reqwest::Body>) -> http::Request<reqwest::Body> {
    let (mut parts, body) = request.into_parts();
    let bytes = body.as_bytes().map(gzip).expect("a buffered body");
    parts
        .headers
        .insert("content-encoding", "gzip".parse().unwrap());
    http::Request::from_parts(parts, reqwest::Body::from(bytes))
}

macro_rules! gzip_middleware {
    ($name:ident, $reqwest:ident, $middleware:ident) => {
        /// Compresses the request body, as codex does before its Bedrock provider signs.
        struct $name;

        #[async_trait::async_trait]
        impl $middleware::Middleware for $name {
            async fn handle(
                &self,
                mut request: $reqwest::Request,
                extensions: &mut http::Extensions,
                next: $middleware::Next<'_>,
            ) -> $middleware::Result<$reqwest::Response> {
                let compressed = request.body().and_then(|b| b.as_bytes()).map(gzip);
                if let Some(compressed) = compressed {
                    request
                        .headers_mut()
                        .insert("content-encoding", "gzip".parse().unwrap());
                    *request.body_mut() = Some(compressed.into());
                }
                next.run(request, extensions).await
            }
        }
    };
}

gzip_middleware!(Gzip013, reqwest, reqwest_middleware);
gzip_middleware!(Gzip012, reqwest012, reqwest_middleware04);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_compressed_before_auth_is_signed_as_sent_on_every_stack() {
    let payload: &'static [u8] =
        br#"{"model":"m","input":"a prompt that compresses well, well, well, well, well"}"#;
    let case = Case {
        name: "gzip before auth",
        service: "bedrock-mantle",
        token: false,
        auth: |b| b,
        method: "POST",
        path: "/echo",
        headers: &[("content-type", "application/json")],
        body: Body::Bytes(payload),
        expect: Outcome::Status(200),
        expect_sign_only: None,
    };
    let server = server_for(&case);
    let seen = [
        (
            "reqwest 0.13",
            reqwest_0_13_middleware(&case, &server, Some(std::sync::Arc::new(Gzip013))).await,
        ),
        (
            "reqwest 0.12",
            reqwest_0_12_middleware(&case, &server, Some(std::sync::Arc::new(Gzip012))).await,
        ),
        ("tower", tower_layer(&case, &server, true).await),
    ];
    for (stack, seen) in seen {
        let (status, body) = seen.unwrap_or_else(|kind| panic!("{stack}: {kind:?}"));
        // `/echo` answers only a verified request, with the body it received: the gzip bytes,
        // which were what got signed.
        assert_eq!(status, 200, "{stack}: {}", String::from_utf8_lossy(&body));
        let mut decoded = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut decoded)
            .unwrap_or_else(|_| panic!("{stack}: the server did not receive gzip: {body:?}"));
        assert_eq!(decoded.as_bytes(), payload, "{stack}");
    }
}

// ---- tower specifics ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tower_layer_reads_request_options_and_keeps_refusal_bodies_whole() {
    let case = Case {
        name: "tower options",
        service: "execute-api",
        token: false,
        auth: |b| b,
        method: "GET",
        path: "/items",
        headers: &[],
        body: Body::Empty,
        expect: Outcome::Status(200),
        expect_sign_only: None,
    };
    let server = server_for(&case);
    let mut service = tower::ServiceBuilder::new()
        .layer(reqwest_aws_auth::tower::AwsAuthLayer::new(auth_for(&case)))
        .service(hyper_client::<http_body_util::Full<Bytes>>());

    // Signed: accepted.
    let request = http_request(&case, &server, http_body_util::Full::new(Bytes::new()));
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(response.status(), 200);

    // `skip_auth` in the request's extensions: sent without credentials, so the verifying
    // server refuses it, and its error code is read while the body stays whole.
    let mut request = http_request(&case, &server, http_body_util::Full::new(Bytes::new()));
    request
        .extensions_mut()
        .insert(reqwest_aws_auth::RequestOptions::new().skip_auth(true));
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(response.status(), 403);
    let (status, body) = read(response).await;
    assert_eq!(status, 403);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("no Authorization header"), "{body}");

    // A per-request region: signed for it, so a server expecting eu-west-1 refuses it.
    let mut request = http_request(&case, &server, http_body_util::Full::new(Bytes::new()));
    request
        .extensions_mut()
        .insert(reqwest_aws_auth::RequestOptions::new().region("ap-south-1"));
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(
        response
            .extensions()
            .get::<reqwest_aws_auth::AwsErrorCode>()
            .map(|c| c.as_str()),
        Some("InvalidSignatureException"),
        "the code of a refusal to a signed request is recorded"
    );
    let (_, body) = read(response).await;
    assert!(String::from_utf8_lossy(&body).contains("ap-south-1"));
}
