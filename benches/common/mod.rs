//! Shared by the benchmarks: the four request shapes of issue 11, and the three signers that
//! are compared on them.
//!
//! - OURS: `AwsAuth::sign` on a `reqwest::Request` (the crate's whole per-request path).
//! - RAW: `aws-sigv4` used directly, a minimal correct integration: an `http::Request`, its
//!   headers as `(&str, &str)`, `SignableBody::Bytes`, `x-amz-content-sha256` on (as OURS),
//!   `apply_to_request_http1x`. The `Identity` is built once, outside the timed loop.
//! - RQS+SHA: reqsign's AWS v4 signer (`reqsign-aws-v4`), with the body's SHA-256 computed and
//!   set as `x-amz-content-sha256` by the caller (reqsign never hashes the body itself).

#![allow(dead_code)] // each bench binary uses part of this

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use reqsign_core::SignRequest as _;
use reqwest_aws_auth::AwsAuth;
use sha2::{Digest, Sha256};

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDbenchmarktokenvalueAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
pub const SERVICE: &str = "execute-api";
pub const REGION: &str = "us-east-1";

/// One request shape: everything the three signers need to build the same request.
#[derive(Clone)]
pub struct Shape {
    pub name: &'static str,
    pub method: &'static str,
    pub url: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
    pub body: Bytes,
    pub session_token: bool,
}

pub fn json_body(size: usize) -> Bytes {
    let mut body = br#"{"model":"openai.gpt-oss-120b","input":""#.to_vec();
    body.resize(size - 2, b'a');
    body.extend_from_slice(br#""}"#);
    Bytes::from(body)
}

const POST_URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/v1/responses";
const JSON_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("accept", "application/json"),
];

/// GET with a 3-parameter query and no session token; POST 1 KiB JSON with a session token;
/// POST 1 MiB; POST 64 MiB (both with a session token).
pub fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "GET 3-param query, no token",
            method: "GET",
            url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items?limit=10&sort=name&page=2",
            headers: &[("accept", "application/json")],
            body: Bytes::new(),
            session_token: false,
        },
        Shape {
            name: "POST 1 KiB JSON, session token",
            method: "POST",
            url: POST_URL,
            headers: JSON_HEADERS,
            body: json_body(1024),
            session_token: true,
        },
        Shape {
            name: "POST 1 MiB",
            method: "POST",
            url: POST_URL,
            headers: JSON_HEADERS,
            body: json_body(1024 * 1024),
            session_token: true,
        },
        Shape {
            name: "POST 64 MiB",
            method: "POST",
            url: POST_URL,
            headers: JSON_HEADERS,
            body: json_body(64 * 1024 * 1024),
            session_token: true,
        },
    ]
}

pub fn credentials(token: bool) -> Credentials {
    Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        token.then(|| SESSION_TOKEN.to_owned()),
        None,
        "bench",
    )
}

/// OURS, as configured by default (no builder option changes the signing path).
pub fn ours(shape: &Shape) -> AwsAuth {
    AwsAuth::builder()
        .service(SERVICE)
        .region(REGION)
        .credentials(credentials(shape.session_token))
        .build()
        .unwrap()
}

pub fn reqwest_request(client: &reqwest::Client, shape: &Shape) -> reqwest::Request {
    let mut builder = client.request(shape.method.parse().unwrap(), shape.url);
    for (name, value) in shape.headers {
        builder = builder.header(*name, *value);
    }
    if !shape.body.is_empty() {
        builder = builder.body(shape.body.clone());
    }
    builder.build().unwrap()
}

pub fn http_request(shape: &Shape) -> http::Request<Bytes> {
    let mut builder = http::Request::builder().method(shape.method).uri(shape.url);
    for (name, value) in shape.headers {
        builder = builder.header(*name, *value);
    }
    builder.body(shape.body.clone()).unwrap()
}

/// RAW: aws-sigv4 directly.
pub struct Raw {
    identity: Identity,
}

impl Raw {
    pub fn new(shape: &Shape) -> Self {
        Self {
            identity: credentials(shape.session_token).into(),
        }
    }

    pub fn sign(&self, request: &mut http::Request<Bytes>) {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&self.identity)
            .region(REGION)
            .name(SERVICE)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let uri = request.uri().to_string();
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()));
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri.as_str(),
            headers,
            SignableBody::Bytes(request.body()),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(request);
    }
}

/// RQS+SHA: reqsign's v4 signer, the body hash computed and set by the caller.
pub struct Rqs {
    signer: reqsign_aws_v4::RequestSigner,
    credential: reqsign_aws_v4::Credential,
    context: reqsign_core::Context,
}

impl Rqs {
    pub fn new(shape: &Shape) -> Self {
        Self {
            signer: reqsign_aws_v4::RequestSigner::new(SERVICE, REGION),
            credential: reqsign_aws_v4::Credential {
                access_key_id: ACCESS_KEY.into(),
                secret_access_key: SECRET_KEY.into(),
                session_token: shape.session_token.then(|| SESSION_TOKEN.to_owned()),
                expires_in: None,
            },
            context: reqsign_core::Context::new(),
        }
    }

    pub async fn sign(&self, request: http::Request<Bytes>) -> http::Request<Bytes> {
        let (mut parts, body) = request.into_parts();
        let hash = sha256_hex(&body);
        parts.headers.insert(
            "x-amz-content-sha256",
            http::HeaderValue::from_str(&hash).unwrap(),
        );
        self.signer
            .sign_request(&self.context, &mut parts, Some(&self.credential), None)
            .await
            .unwrap();
        http::Request::from_parts(parts, body)
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    out
}

/// The value of `authorization` after signing, to check that each signer did sign.
pub fn authorization_of(headers: &http::HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Passes every request on untouched: the cost of having a middleware at all.
pub struct PassThrough;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for PassThrough {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        next.run(request, extensions).await
    }
}

/// Where the in-process benches send: nothing is sent, [`Answer`] answers.
pub const ANSWERED_URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com/v1/responses";

/// Answers every request with an empty 200, without sending it anywhere: the last middleware
/// of the in-process benches, so that they time the client and the middleware chain alone.
pub struct Answer;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for Answer {
    async fn handle(
        &self,
        request: reqwest::Request,
        _: &mut http::Extensions,
        _: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        std::hint::black_box(request);
        Ok(reqwest::Response::from(http::Response::new(Bytes::new())))
    }
}

/// POSTs `body` as JSON to `url` through `client`, and checks that the answer is a success.
pub async fn post_json(
    client: &reqwest_middleware::ClientWithMiddleware,
    url: &str,
    body: &Bytes,
) -> reqwest::Response {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response
}

/// The examples' first argument: how many times to run (1 when absent).
pub fn count_argument() -> usize {
    std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// Adds fixed headers: the bytes a signature puts on the wire, without the work of signing.
pub struct StaticHeaders(pub http::HeaderMap);

impl StaticHeaders {
    fn apply(&self, request: &mut reqwest::Request) {
        for (name, value) in &self.0 {
            request.headers_mut().insert(name, value.clone());
        }
    }
}

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for StaticHeaders {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.apply(&mut request);
        next.run(request, extensions).await
    }
}

/// The headers `auth` writes on a POST of `body` (JSON) to `url`.
pub async fn headers_of(
    auth: &AwsAuth,
    http: &reqwest::Client,
    url: &str,
    body: &Bytes,
) -> http::HeaderMap {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.clone())
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    let mut added = request.headers().clone();
    added.remove("content-type");
    added
}

/// The least work any SigV4 signer does for a request, with none of the crate's checks: the
/// body's SHA-256, the SHA-256 of a canonical request of the real one's length, the string to
/// sign and its HMAC with a signing key derived once (aws-sigv4's `calculate_signature`), then
/// the very headers a signature adds (fixed, from [`headers_of`]). A throughput floor: no
/// correct signer can cost less per request.
pub struct SigV4Floor {
    headers: StaticHeaders,
    canonical_prefix: Vec<u8>,
    key: [u8; 32],
}

impl SigV4Floor {
    /// For the requests `headers_of` signed: `signed` is what it returned for `url`.
    pub fn new(signed: http::HeaderMap, url: &str) -> Self {
        let url = reqwest::Url::parse(url).unwrap();
        let mut prefix = format!(
            "POST\n{}\n{}\ncontent-type:application/json\nhost:{}\n",
            url.path(),
            url.query().unwrap_or_default(),
            url.host_str().unwrap()
        );
        let mut names = vec!["content-type", "host"];
        for (name, value) in &signed {
            if name != "authorization" {
                prefix.push_str(&format!("{}:{}\n", name, value.to_str().unwrap()));
                names.push(name.as_str());
            }
        }
        prefix.push('\n');
        prefix.push_str(&names.join(";"));
        prefix.push('\n');
        let derived = aws_sigv4::sign::v4::generate_signing_key(
            SECRET_KEY,
            SystemTime::now(),
            REGION,
            SERVICE,
        );
        Self {
            headers: StaticHeaders(signed),
            canonical_prefix: prefix.into_bytes(),
            key: derived.as_ref().try_into().unwrap(),
        }
    }

    fn signature(&self, body: &[u8]) -> String {
        let mut body_hex = [0u8; 64];
        hex_into(&Sha256::digest(body), &mut body_hex);
        let creq = Sha256::new()
            .chain_update(&self.canonical_prefix)
            .chain_update(body_hex)
            .finalize();
        let mut string_to_sign = [0u8; 160];
        let head =
            b"AWS4-HMAC-SHA256\n20251124T000000Z\n20251124/us-east-1/execute-api/aws4_request\n";
        string_to_sign[..head.len()].copy_from_slice(head);
        let mut creq_hex = [0u8; 64];
        hex_into(&creq, &mut creq_hex);
        let end = head.len() + 64;
        string_to_sign[head.len()..end].copy_from_slice(&creq_hex);
        aws_sigv4::sign::v4::calculate_signature(self.key, &string_to_sign[..end])
    }
}

fn hex_into(bytes: &[u8], out: &mut [u8; 64]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().take(32).enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 15)];
    }
}

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for SigV4Floor {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default();
        std::hint::black_box(self.signature(body));
        self.headers.apply(&mut request);
        next.run(request, extensions).await
    }
}
