//! A loopback HTTP server that answers only requests the crate's `verify::Verifier` accepts
//! (header-signed or presigned), or that carry the expected Bedrock API key, for tests that
//! drive a client from outside (the `aws-sigv4-curl` binary, a plain reqwest GET of a
//! presigned URL).
//!
//! Refused requests get `403`, `x-amzn-ErrorType: InvalidSignatureException` and the rejection
//! (reason, canonical request, string-to-sign); hyper adds the server's `Date`.
//! Accepted ones are routed by path:
//! - `/echo...`: the body received, with `x-signed-headers` naming what was signed;
//! - `/status/NNN`: that status, body `status NNN`;
//! - `/sse`: Server-Sent Events: `data: 1`, then, once the test calls [`Server::release`],
//!   `data: 2` and `data: [DONE]`;
//! - anything else: `200` and a JSON report (`method`, `target`, `auth`, `signed_headers`,
//!   `body_len`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use tokio::sync::Notify;

/// What the server accepts.
pub struct Expect {
    pub credentials: Credentials,
    pub region: &'static str,
    pub service: &'static str,
    /// A Bedrock API key accepted as `Authorization: Bearer <key>`.
    pub bearer: Option<&'static str>,
}

pub struct Server {
    addr: SocketAddr,
    release: Arc<Notify>,
}

impl Server {
    /// Starts the server on its own thread and runtime, for the rest of the test process.
    pub fn start(expect: Expect) -> Self {
        let release = Arc::new(Notify::new());
        let state = Arc::new((expect, Arc::clone(&release)));
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
                    let state = Arc::clone(&state);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let state = Arc::clone(&state);
                            async move { Ok::<_, Infallible>(handle(request, &state).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Self {
            addr: rx.recv().unwrap(),
            release,
        }
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Lets a waiting `/sse` response send the rest of its events.
    pub fn release(&self) {
        self.release.notify_one();
    }
}

type Body = BoxBody<Bytes, Infallible>;

fn full(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()).boxed());
    *response.status_mut() = status;
    response
}

async fn handle(request: Request<Incoming>, state: &(Expect, Arc<Notify>)) -> Response<Body> {
    let (expect, release) = state;
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return full(StatusCode::BAD_REQUEST, format!("body: {err}")),
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let authorization = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();

    let (auth, signed_headers) = if let Some(key) = authorization.strip_prefix("Bearer ") {
        if Some(key) != expect.bearer {
            return full(StatusCode::FORBIDDEN, "wrong or unexpected bearer token\n");
        }
        ("bearer", String::new())
    } else {
        let verifier = Verifier::new(expect.credentials.clone(), expect.region, expect.service);
        let received = ReceivedRequest {
            method: parts.method.as_str(),
            target: &target,
            headers: &header_refs,
            body: &body,
        };
        if let Err(rejection) = verifier.verify(&received) {
            // As AWS's JSON services answer a bad signature (or signing time).
            let mut response = full(StatusCode::FORBIDDEN, format!("{rejection}\n"));
            response.headers_mut().insert(
                "x-amzn-errortype",
                "InvalidSignatureException".parse().unwrap(),
            );
            return response;
        }
        if authorization.is_empty() {
            let url = url::Url::parse(&format!("http://h{target}")).unwrap();
            let signed = url
                .query_pairs()
                .find(|(k, _)| k == "X-Amz-SignedHeaders")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            ("query", signed)
        } else {
            let signed = authorization
                .split("SignedHeaders=")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .unwrap_or_default()
                .to_owned();
            ("sigv4", signed)
        }
    };

    let path = parts.uri.path();
    if path.starts_with("/echo") {
        let mut response = full(StatusCode::OK, body);
        response
            .headers_mut()
            .insert("x-signed-headers", signed_headers.parse().unwrap());
        return response;
    }
    if let Some(code) = path.strip_prefix("/status/") {
        let status = StatusCode::from_bytes(code.as_bytes()).unwrap();
        let mut response = full(status, format!("status {code}\n"));
        if status.is_redirection() {
            response
                .headers_mut()
                .insert("location", "/elsewhere".parse().unwrap());
        }
        return response;
    }
    if path == "/sse" {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(4);
        let release = Arc::clone(release);
        tokio::spawn(async move {
            let send = |text: &'static str| tx.send(Ok(Frame::data(Bytes::from(text))));
            let _ = send("data: 1\n\n").await;
            release.notified().await;
            let _ = send("data: 2\n\n").await;
            let _ = send("data: [DONE]\n\n").await;
        });
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        let mut response = Response::new(StreamBody::new(stream).boxed());
        response
            .headers_mut()
            .insert("content-type", "text/event-stream".parse().unwrap());
        return response;
    }
    let report = serde_json::json!({
        "method": parts.method.as_str(),
        "target": target,
        "auth": auth,
        "signed_headers": signed_headers,
        "body_len": body.len(),
    });
    let mut response = full(StatusCode::OK, format!("{report}\n"));
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}
