//! Streamed responses (Server-Sent Events) reach the app untouched and as they arrive: the
//! server sends one event, then waits until the app has seen it before sending the rest.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_credential_types::Credentials;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const FIRST: &str = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hel\"}\n\n";
const REST: [&str; 2] = [
    "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"lo\"}\n\n",
    "event: response.completed\ndata: {\"type\":\"response.completed\"}\n\n",
];

fn chunk(data: &str) -> String {
    format!("{:x}\r\n{data}\r\n", data.len())
}

/// Serves one request: the first event, a wait for `first_seen` (10 s at most), the rest.
/// Returns the request head it received.
async fn serve_once(
    listener: TcpListener,
    first_seen: oneshot::Receiver<()>,
    finished: Arc<AtomicBool>,
) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    while !received.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the request head");
        received.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&received).into_owned();
    let head = head.split("\r\n\r\n").next().unwrap().to_owned();
    socket
        .write_all(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
                 transfer-encoding: chunked\r\n\r\n{}",
                chunk(FIRST)
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    socket.flush().await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), first_seen).await;
    finished.store(true, Ordering::SeqCst);
    let rest: String = REST.iter().map(|e| chunk(e)).collect();
    socket
        .write_all(format!("{rest}0\r\n\r\n").as_bytes())
        .await
        .unwrap();
    socket.flush().await.unwrap();
    head
}

async fn streams_incrementally(builder: AwsAuthBuilder, expect_authorization: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (seen_tx, seen_rx) = oneshot::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let server = tokio::spawn(serve_once(listener, seen_rx, finished.clone()));

    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(builder.build().unwrap())
        .build();
    let mut response = client
        .post(format!("http://127.0.0.1:{port}/v1/responses"))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(r#"{"model":"openai.gpt-oss-120b","input":"hi","stream":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");

    let mut body = Vec::new();
    while !body.windows(2).any(|w| w == b"\n\n") {
        let chunk = response.chunk().await.unwrap().expect("stream ended early");
        body.extend_from_slice(&chunk);
    }
    assert!(
        !finished.load(Ordering::SeqCst),
        "the first event arrived only after the server had sent everything"
    );
    assert_eq!(String::from_utf8_lossy(&body), FIRST);
    seen_tx.send(()).unwrap();
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!("{FIRST}{}", REST.concat())
    );

    let head = server.await.unwrap().to_ascii_lowercase();
    assert!(
        head.contains(&format!(
            "\r\nauthorization: {}",
            expect_authorization.to_ascii_lowercase()
        )),
        "{head}"
    );
}

#[tokio::test]
async fn sse_passes_through_incrementally_in_bearer_mode() {
    streams_incrementally(
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .bearer_token("sse-key"),
        "Bearer sse-key",
    )
    .await;
}

#[tokio::test]
async fn sse_passes_through_incrementally_with_sigv4() {
    streams_incrementally(
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .credentials(Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
                None,
                "test",
            )),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/",
    )
    .await;
}
