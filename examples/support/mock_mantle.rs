//! A mock of AWS's model endpoints on loopback, shared by the examples. It checks requests for
//! real: SigV4 signatures with `reqwest_aws_auth::verify` (after dropping header names that
//! contain `_`, as Mantle does) for the signing name of the endpoint the request is for, API
//! keys by constant-time comparison. It answers the Responses and Chat Completions APIs with
//! bodies of OpenAI's shape (`usage` details included), and Anthropic's Messages API
//! (`/v1/messages`, `/anthropic/v1/messages`) with Anthropic's, streamed (`"stream": true`) or
//! not, so that typed clients parse them.
//!
//! Which endpoint a request is for, and so which signing name it must carry, comes from its
//! `Host` (a client may reach the mock under a real endpoint's name, with reqwest's
//! `resolve`): `bedrock-runtime.*` is `bedrock`, `bedrock-mantle.*` is `bedrock-mantle`,
//! `aws-external-anthropic.*` is `aws-external-anthropic`; on `127.0.0.1`, `/v1/messages` is
//! Claude Platform's and anything else Mantle's. Claude Platform requests must carry
//! `anthropic-workspace-id`, Messages requests `anthropic-version`, and no request may carry
//! `x-api-key` (an Anthropic key has no business at AWS).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest_aws_auth::Credentials;
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const REGION: &str = "us-west-2";
// The AWS SigV4 test suite's example identity and a made-up API key: not real secrets.
const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const API_KEY: &str = "ABSKZGVtby1rZXktZm9yLXRoZS1tb2NrLW1hbnRsZS1lbmRwb2ludA==";

// How many verified requests to answer with `503` (as a busy endpoint does), and how many
// passed verification: for the examples that show a client's own retries going through the
// signer.
static FAIL_NEXT: AtomicUsize = AtomicUsize::new(0);
static VERIFIED: AtomicUsize = AtomicUsize::new(0);

/// Makes the next `n` requests that pass verification fail with `503 Service Unavailable`.
#[allow(dead_code)] // used by the OpenAI client examples only
pub fn fail_next(n: usize) {
    FAIL_NEXT.store(n, Ordering::SeqCst);
}

/// How many requests passed verification so far.
#[allow(dead_code)] // used by the OpenAI client examples only
pub fn verified_requests() -> usize {
    VERIFIED.load(Ordering::SeqCst)
}

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
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| *value)
    };
    let path = target.split('?').next().unwrap_or_default();
    let service = signing_name(header("host").unwrap_or_default(), path);
    let verdict = if header("x-api-key").is_some() {
        Err("an `x-api-key` header reached AWS".to_owned())
    } else if service == "aws-external-anthropic" && header("anthropic-workspace-id").is_none() {
        Err("Claude Platform on AWS needs `anthropic-workspace-id`".to_owned())
    } else if path.ends_with("/messages") && header("anthropic-version").is_none() {
        Err("the Messages API needs `anthropic-version`".to_owned())
    } else if let Some(token) = authorization.strip_prefix("Bearer ") {
        constant_time_eq(token.as_bytes(), API_KEY.as_bytes())
            .then(|| "the API key it issued (constant-time compare)".to_owned())
            .ok_or_else(|| "unknown API key".to_owned())
    } else {
        let request = ReceivedRequest {
            method,
            target,
            headers: &headers,
            body,
        };
        Verifier::new(demo_credentials(), REGION, service)
            .verify(&request)
            .map(|()| {
                let signed = authorization
                    .split("SignedHeaders=")
                    .nth(1)
                    .and_then(|s| s.split(',').next())
                    .unwrap_or_default();
                format!("SigV4 by {ACCESS_KEY} for {REGION}/{service}, signed headers {signed}")
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
    VERIFIED.fetch_add(1, Ordering::SeqCst);
    if FAIL_NEXT
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        let body = r#"{"error":{"message":"busy, try again","type":"server_error"}}"#;
        let response = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        return socket.write_all(response.as_bytes()).await;
    }
    let how = if authorization.starts_with("Bearer ") {
        "an API key"
    } else {
        "SigV4"
    };
    let endpoint = match service {
        "bedrock" => "bedrock-runtime",
        "aws-external-anthropic" => "Claude Platform",
        _ => "Mantle",
    };
    let text = format!("Hello from the mock {endpoint} endpoint, reached with {how}.");
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let model = request["model"].as_str().unwrap_or("openai.gpt-oss-120b");
    let stream = request["stream"].as_bool().unwrap_or(false);
    let api = if path.ends_with("/responses") {
        Api::Responses
    } else if path.ends_with("/chat/completions") {
        Api::ChatCompletions
    } else if path.ends_with("/v1/messages") {
        Api::Messages
    } else {
        let body =
            r#"{"message":"the mock serves /responses, /chat/completions and /v1/messages"}"#;
        let response = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        return socket.write_all(response.as_bytes()).await;
    };
    if !stream {
        let answer = match api {
            Api::Responses => response_object(model, &text),
            Api::ChatCompletions => chat_completion(model, &text),
            Api::Messages => message(model, &text),
        }
        .to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-demo-verified: {verified}\r\n\
             content-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        return socket.write_all(response.as_bytes()).await;
    }
    socket
        .write_all(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-demo-verified: {verified}\r\n\
                 transfer-encoding: chunked\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    match api {
        Api::Responses => stream_response(&mut socket, model, &text).await?,
        Api::ChatCompletions => stream_chat_completion(&mut socket, model, &text).await?,
        Api::Messages => stream_message(&mut socket, model, &text).await?,
    }
    socket.write_all(b"0\r\n\r\n").await
}

enum Api {
    Responses,
    ChatCompletions,
    Messages,
}

/// The signing name of the endpoint a request is for: by the name it reached the mock under,
/// or on loopback by its path.
fn signing_name(host: &str, path: &str) -> &'static str {
    let name = host
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name.starts_with("bedrock-runtime") {
        "bedrock"
    } else if name.starts_with("aws-external-anthropic")
        || (path == "/v1/messages" && !name.starts_with("bedrock-mantle"))
    {
        "aws-external-anthropic"
    } else {
        "bedrock-mantle"
    }
}

// Fixed ids and times: the mock answers the same way every run.
const RESPONSE_ID: &str = "resp_mock";
const MESSAGE_ID: &str = "msg_mock";
const CREATED: u64 = 1_780_000_000;

/// Token counts for a short prompt and `text`, in both APIs' shapes: typed clients refuse an
/// answer whose `usage` lacks the details objects.
fn response_usage(text: &str) -> serde_json::Value {
    let output = text.split(' ').count();
    serde_json::json!({
        "input_tokens": 8,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 8 + output,
    })
}

fn chat_usage(text: &str) -> serde_json::Value {
    let output = text.split(' ').count();
    serde_json::json!({
        "prompt_tokens": 8,
        "completion_tokens": output,
        "total_tokens": 8 + output,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    })
}

fn output_message(text: &str, status: &str) -> serde_json::Value {
    let content = if text.is_empty() {
        serde_json::json!([])
    } else {
        serde_json::json!([output_text(text)])
    };
    serde_json::json!({
        "type": "message",
        "id": MESSAGE_ID,
        "role": "assistant",
        "status": status,
        "content": content,
    })
}

fn output_text(text: &str) -> serde_json::Value {
    serde_json::json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

/// A Responses API `response` object; `text` empty for one still in progress.
fn response_object(model: &str, text: &str) -> serde_json::Value {
    let (status, output, usage) = if text.is_empty() {
        (
            "in_progress",
            serde_json::json!([]),
            serde_json::Value::Null,
        )
    } else {
        (
            "completed",
            serde_json::json!([output_message(text, "completed")]),
            response_usage(text),
        )
    };
    serde_json::json!({
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": CREATED,
        "model": model,
        "status": status,
        "output": output,
        "usage": usage,
    })
}

fn chat_completion(model: &str, text: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
            "logprobs": null,
        }],
        "usage": chat_usage(text),
    })
}

/// An Anthropic Messages API `message` with one text block.
fn message(model: &str, text: &str) -> serde_json::Value {
    serde_json::json!({
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 8, "output_tokens": text.split(' ').count()},
    })
}

/// The event sequence Anthropic sends for a streamed message with one text block.
async fn stream_message(socket: &mut TcpStream, model: &str, text: &str) -> std::io::Result<()> {
    let mut start = message(model, "");
    start["content"] = serde_json::json!([]);
    start["stop_reason"] = serde_json::Value::Null;
    start["usage"]["output_tokens"] = 0.into();
    send_event(
        socket,
        "message_start",
        &serde_json::json!({"type": "message_start", "message": start}),
    )
    .await?;
    send_event(
        socket,
        "content_block_start",
        &serde_json::json!({"type": "content_block_start", "index": 0,
                            "content_block": {"type": "text", "text": ""}}),
    )
    .await?;
    for word in text.split_inclusive(' ') {
        let delta = serde_json::json!({"type": "content_block_delta", "index": 0,
                                        "delta": {"type": "text_delta", "text": word}});
        send_event(socket, "content_block_delta", &delta).await?;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    send_event(
        socket,
        "content_block_stop",
        &serde_json::json!({"type": "content_block_stop", "index": 0}),
    )
    .await?;
    send_event(
        socket,
        "message_delta",
        &serde_json::json!({"type": "message_delta",
                            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                            "usage": {"output_tokens": text.split(' ').count()}}),
    )
    .await?;
    send_event(
        socket,
        "message_stop",
        &serde_json::json!({"type": "message_stop"}),
    )
    .await
}

/// The event sequence OpenAI sends for a streamed response with one text message.
async fn stream_response(socket: &mut TcpStream, model: &str, text: &str) -> std::io::Result<()> {
    let mut sequence = 0u64;
    let mut event = |name: &str, mut data: serde_json::Value| {
        data["type"] = name.into();
        data["sequence_number"] = sequence.into();
        sequence += 1;
        (name.to_owned(), data)
    };
    let in_progress = response_object(model, "");
    let part = serde_json::json!({"item_id": MESSAGE_ID, "output_index": 0, "content_index": 0});
    let mut opening = vec![
        event(
            "response.created",
            serde_json::json!({"response": in_progress}),
        ),
        event(
            "response.output_item.added",
            serde_json::json!({"output_index": 0, "item": output_message("", "in_progress")}),
        ),
    ];
    let mut added = part.clone();
    added["part"] = output_text("");
    opening.push(event("response.content_part.added", added));
    for (name, data) in &opening {
        send_event(socket, name, data).await?;
    }
    for word in text.split_inclusive(' ') {
        let mut delta = part.clone();
        delta["delta"] = word.into();
        delta["logprobs"] = serde_json::json!([]);
        let (name, data) = event("response.output_text.delta", delta);
        send_event(socket, &name, &data).await?;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let mut text_done = part.clone();
    text_done["text"] = text.into();
    text_done["logprobs"] = serde_json::json!([]);
    let mut part_done = part.clone();
    part_done["part"] = output_text(text);
    let closing = [
        event("response.output_text.done", text_done),
        event("response.content_part.done", part_done),
        event(
            "response.output_item.done",
            serde_json::json!({"output_index": 0, "item": output_message(text, "completed")}),
        ),
        event(
            "response.completed",
            serde_json::json!({"response": response_object(model, text)}),
        ),
    ];
    for (name, data) in &closing {
        send_event(socket, name, data).await?;
    }
    Ok(())
}

/// Chat Completions chunks, the usage chunk OpenAI sends last, then `[DONE]`.
async fn stream_chat_completion(
    socket: &mut TcpStream,
    model: &str,
    text: &str,
) -> std::io::Result<()> {
    let chunk = |delta: serde_json::Value, finish: Option<&str>, usage: serde_json::Value| {
        let choices = if delta.is_null() {
            serde_json::json!([])
        } else {
            serde_json::json!([{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}])
        };
        serde_json::json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": choices,
            "usage": usage,
        })
    };
    let role = chunk(
        serde_json::json!({"role": "assistant", "content": ""}),
        None,
        serde_json::Value::Null,
    );
    send_data(socket, &role.to_string()).await?;
    for word in text.split_inclusive(' ') {
        let data = chunk(
            serde_json::json!({"content": word}),
            None,
            serde_json::Value::Null,
        );
        send_data(socket, &data.to_string()).await?;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let stop = chunk(serde_json::json!({}), Some("stop"), serde_json::Value::Null);
    send_data(socket, &stop.to_string()).await?;
    let usage = chunk(serde_json::Value::Null, None, chat_usage(text));
    send_data(socket, &usage.to_string()).await?;
    send_data(socket, "[DONE]").await
}

async fn send_data(socket: &mut TcpStream, data: &str) -> std::io::Result<()> {
    let event = format!("data: {data}\n\n");
    socket
        .write_all(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes())
        .await?;
    socket.flush().await
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
