//! A mock Amazon Bedrock Mantle endpoint on loopback, shared by the examples. It checks
//! requests for real: SigV4 signatures with `reqwest_aws_auth::verify` (after dropping header
//! names that contain `_`, as Mantle does), API keys by constant-time comparison. It answers a
//! Responses API request with a short event stream.

use std::time::Duration;

use aws_credential_types::Credentials;
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const REGION: &str = "us-west-2";
// The AWS SigV4 test suite's example identity and a made-up API key: not real secrets.
const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const API_KEY: &str = "ABSKZGVtby1rZXktZm9yLXRoZS1tb2NrLW1hbnRsZS1lbmRwb2ludA==";

pub fn demo_credentials() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "demo")
}

/// Starts the mock; returns its base URL (`http://127.0.0.1:PORT/v1`).
pub async fn start() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(mock_mantle(listener));
    Ok(base)
}

async fn mock_mantle(listener: TcpListener) {
    while let Ok((socket, _)) = listener.accept().await {
        tokio::spawn(async move {
            if let Err(err) = serve(socket).await {
                eprintln!("mock: {err}");
            }
        });
    }
}

async fn serve(mut socket: TcpStream) -> std::io::Result<()> {
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        received.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    // Mantle drops header names containing `_` before it verifies a signature.
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
        .filter(|(name, _)| !name.contains('_'))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    while received.len() < head_end + 4 + length {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
    }
    let body = &received[head_end + 4..(head_end + 4 + length).min(received.len())];

    let authorization = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| *value)
        .unwrap_or_default();
    let verdict = if let Some(token) = authorization.strip_prefix("Bearer ") {
        constant_time_eq(token.as_bytes(), API_KEY.as_bytes())
            .then(|| "the Bedrock API key it issued (constant-time compare)".to_owned())
            .ok_or_else(|| "unknown API key".to_owned())
    } else {
        let request = ReceivedRequest {
            method,
            target,
            headers: &headers,
            body,
        };
        Verifier::new(demo_credentials(), REGION, "bedrock-mantle")
            .verify(&request)
            .map(|()| {
                let signed = authorization
                    .split("SignedHeaders=")
                    .nth(1)
                    .and_then(|s| s.split(',').next())
                    .unwrap_or_default();
                format!(
                    "SigV4 by {ACCESS_KEY} for {REGION}/bedrock-mantle, signed headers {signed}; \
                     x_demo_trace went unsigned (Mantle drops `_` headers)"
                )
            })
            .map_err(|rejection| rejection.reason().to_string())
    };
    let verified = match verdict {
        Ok(verified) => verified,
        Err(why) => {
            let body = format!(r#"{{"message":"{why}"}}"#);
            let response = format!(
                "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            return socket.write_all(response.as_bytes()).await;
        }
    };
    let how = if authorization.starts_with("Bearer ") {
        "an API key"
    } else {
        "SigV4"
    };
    socket
        .write_all(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-demo-verified: {verified}\r\n\
                 transfer-encoding: chunked\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    let text = format!("Hello from the mock Mantle endpoint, reached with {how}.");
    for word in text.split_inclusive(' ') {
        let data = serde_json::json!({"type": "response.output_text.delta", "delta": word});
        send_event(&mut socket, "response.output_text.delta", &data).await?;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    send_event(
        &mut socket,
        "response.completed",
        &serde_json::json!({"type": "response.completed"}),
    )
    .await?;
    socket.write_all(b"0\r\n\r\n").await
}

async fn send_event(
    socket: &mut TcpStream,
    name: &str,
    data: &serde_json::Value,
) -> std::io::Result<()> {
    let event = format!("event: {name}\ndata: {data}\n\n");
    socket
        .write_all(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes())
        .await?;
    socket.flush().await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
