//! End to end through the real middleware and reqwest, verified by botocore.
//!
//! Each test starts `tests/support/sigv4_verifier_server.py` on a loopback port and sends it
//! requests through `reqwest_middleware` + `AwsAuth`. The server recomputes every signature
//! with botocore from the request *as received* (raw path and query, the headers named in
//! `SignedHeaders`, the body) and answers 200 or 403 with its canonical request.
//!
//! Needs `python3` with `botocore` (`pip install botocore`): run
//! `cargo test --test e2e_botocore -- --ignored`. A missing interpreter or package fails the
//! tests with a message; it never passes silently.

#[allow(dead_code)] // shared with other end-to-end tests
#[path = "support/python_server.rs"]
mod python_server;

use aws_credential_types::Credentials;
use python_server::{PythonServer, python_script};
use reqwest::Method;
use reqwest_aws_auth::AwsAuth;
use serde_json::Value;

const ACCESS_KEY: &str = "AKIDE2EEXAMPLE";
const SECRET_KEY: &str = "e2e/Secret+Key/EXAMPLE0123456789abcdefg";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzE2E2E//////////token+with/slashes=";
const REGION: &str = "us-east-1";

fn verifier(session_token: Option<&str>) -> PythonServer {
    let mut args = vec![
        python_script("sigv4_verifier_server.py"),
        "--exit-on-stdin-eof".into(),
        "--access-key".into(),
        ACCESS_KEY.into(),
        "--secret-key".into(),
        SECRET_KEY.into(),
        "--region".into(),
        REGION.into(),
    ];
    if let Some(token) = session_token {
        args.extend(["--session-token".into(), token.into()]);
    }
    PythonServer::start("the botocore SigV4 verifier", &["botocore"], &args, &[])
}

fn auth(service: &str, session_token: Option<&str>) -> AwsAuth {
    AwsAuth::builder()
        .service(service)
        .region(REGION)
        .credentials(Credentials::new(
            ACCESS_KEY,
            SECRET_KEY,
            session_token.map(str::to_owned),
            None,
            "e2e",
        ))
        .build()
        .unwrap()
}

fn client(auth: AwsAuth) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(
        reqwest::Client::builder()
            .user_agent("reqwest-aws-auth-e2e/1.0")
            .build()
            .unwrap(),
    )
    .with(auth)
    .build()
}

/// One request of a matrix: method, path and query as the application writes them, headers,
/// body.
struct Case {
    method: Method,
    target: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Option<Vec<u8>>,
}

fn get(target: &'static str) -> Case {
    Case {
        method: Method::GET,
        target,
        headers: &[],
        body: None,
    }
}

fn with_body(method: Method, target: &'static str, body: &[u8]) -> Case {
    Case {
        method,
        target,
        headers: &[("content-type", "application/json")],
        body: Some(body.to_vec()),
    }
}

fn with_headers(target: &'static str, headers: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        method: Method::GET,
        target,
        headers,
        body: None,
    }
}

/// Requests every service must accept; `s3` adds its own below.
fn common_matrix() -> Vec<Case> {
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    vec![
        get("/"),
        get("/prod/items"),
        get("/a/./b/../c"),
        get("/a/b/c/.."),
        get("/a/%2e/b/%2E%2E/c"),
        get("/prod//double//slashes//"),
        get("/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke"),
        get(
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.x-v1%3A0/invoke",
        ),
        get("/model/arn%3aaws%3abedrock%3a1%2fx/invoke"),
        get("/caf\u{e9}/\u{1234}/\u{1F600}"),
        get("/caf%C3%A9/%e1%88%b4"),
        get("/with space/and%20encoded"),
        get("/reserved/!$&'()*+,;=@:x"),
        get("/tilde/~a/%7Eb/%7ec"),
        get("/percent/100%/%zz"),
        get("/bytes/%FF%fe"),
        get("/search?q=hello+world"),
        get("/search?q=1%2B1%3D2&r=c%2b%2b&s=a+%2B+b"),
        get("/search?q=%20lead&q=trail%20&q=+"),
        get("/search?tag=z&tag=a&tag=m&a=1&tag=a"),
        get("/search?flag&empty=&other"),
        get("/search?&&a=1&&"),
        get("/search?"),
        get("/search?a-b=1&a=2&a.b=3&a_b=4&a~=5&A=6&%20=7"),
        get("/search?k=b&k=B&k=a%20b&k=a&k=~&k="),
        get("/search?q=caf\u{e9}&emoji=\u{1F600}&k%C3%A9y=v"),
        get("/search?filter=a:b,c;d@e!f*g'h(i)j$k&path=/x/y?z"),
        get("/search?expr=a=b=c&b64=YWJj=="),
        get("/search?k=%7e%41%2f%3a&j=100%&i=%zz"),
        with_headers(
            "/headers",
            &[
                ("x-multi", "first"),
                ("x-other", "o"),
                ("x-multi", "second"),
                ("x-lead", "   leading"),
                ("x-trail", "trailing   "),
                ("x-inner", "a   b    c"),
                ("x-empty", ""),
                ("X-Mixed-Case", "Value With Caps"),
                ("accept", "application/json"),
            ],
        ),
        with_headers(
            "/headers/excluded",
            &[
                ("x-forwarded-for", "10.0.0.1"),
                ("x-amzn-trace-id", "Root=1-abc"),
                ("via", "1.1 proxy"),
                ("x-custom", "kept"),
            ],
        ),
        Case {
            method: Method::POST,
            target: "/empty-body",
            headers: &[],
            body: Some(Vec::new()),
        },
        with_body(
            Method::POST,
            "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"h\u{e9}llo \u{2713}\"}]}".as_bytes(),
        ),
        with_body(Method::PUT, "/binary", &binary),
        with_body(Method::PATCH, "/items/42?version=3", b"{\"a\":1}"),
        Case {
            method: Method::DELETE,
            target: "/items/42",
            headers: &[],
            body: None,
        },
    ]
}

fn s3_matrix() -> Vec<Case> {
    vec![
        get("/bucket/key%20with%20space"),
        get("/bucket//double//slash/"),
        get("/bucket/a/./b/../c"),
        get("/bucket/c+d/e:f/\u{fc}/%2F/(x)!*'"),
        get("/bucket?list-type=2&prefix=a+b/&delimiter=%2F&encoding-type"),
        get("/bucket?uploads"),
        with_body(Method::PUT, "/bucket/docs/report.json", b"{\"k\":\"v\"}"),
        Case {
            method: Method::PUT,
            target: "/bucket/empty-object",
            headers: &[],
            body: Some(Vec::new()),
        },
    ]
}

async fn send(
    client: &reqwest_middleware::ClientWithMiddleware,
    port: u16,
    case: &Case,
) -> (u16, Value) {
    let url = format!("http://127.0.0.1:{port}{}", case.target);
    let mut builder = client.request(case.method.clone(), &url);
    for (name, value) in case.headers {
        builder = builder.header(*name, *value);
    }
    if let Some(body) = &case.body {
        builder = builder.body(body.clone());
    }
    let response = builder
        .send()
        .await
        .unwrap_or_else(|err| panic!("{} {url}: {err:?}", case.method));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{} {url}: not JSON: {text}", case.method));
    (status, json)
}

fn describe(report: &Value) -> String {
    format!(
        "errors: {}\nreceived target: {}\nbotocore's canonical request:\n{}\n",
        report["errors"],
        report["target"],
        report["canonical_request"].as_str().unwrap_or("(none)"),
    )
}

async fn run_matrix(service: &str, session_token: Option<&str>, cases: &[Case]) {
    let server = verifier(session_token);
    let client = client(auth(service, session_token));
    let mut failures = Vec::new();
    for case in cases {
        let (status, report) = send(&client, server.port(), case).await;
        if status != 200 || report["ok"] != Value::Bool(true) {
            failures.push(format!(
                "{} {} -> {status}\n{}",
                case.method,
                case.target,
                describe(&report)
            ));
        } else if report["canonical_query"] != Value::Bool(true)
            || (service == "s3" && report["canonical_path"] != Value::Bool(true))
        {
            failures.push(format!(
                "{} {}: accepted, but the wire form `{}` is not canonical",
                case.method, case.target, report["target"]
            ));
        } else if report["service"] != service {
            failures.push(format!(
                "{} {}: scope service {}",
                case.method, case.target, report["service"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} `{service}` requests were not accepted by the botocore verifier:\n\n{}\nserver \
         stderr:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n"),
        server.stderr()
    );
}

#[tokio::test]
#[ignore = "needs python3 with botocore: run `cargo test --test e2e_botocore -- --ignored`"]
async fn execute_api_requests_verify() {
    run_matrix("execute-api", None, &common_matrix()).await;
}

#[tokio::test]
#[ignore = "needs python3 with botocore: run `cargo test --test e2e_botocore -- --ignored`"]
async fn session_token_requests_verify_for_several_services() {
    let matrix = common_matrix();
    for service in ["bedrock-mantle", "lambda", "aoss", "es"] {
        run_matrix(service, Some(SESSION_TOKEN), &matrix).await;
    }
}

#[tokio::test]
#[ignore = "needs python3 with botocore: run `cargo test --test e2e_botocore -- --ignored`"]
async fn s3_requests_verify() {
    let mut matrix = s3_matrix();
    matrix.extend(common_matrix());
    run_matrix("s3", None, &matrix).await;
    run_matrix("s3", Some(SESSION_TOKEN), &s3_matrix()).await;
}

#[tokio::test]
#[ignore = "needs python3 with botocore: run `cargo test --test e2e_botocore -- --ignored`"]
async fn requests_without_the_content_hash_header_verify() {
    let server = verifier(None);
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region(REGION)
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "e2e"))
        .content_sha256_header(false)
        .build()
        .unwrap();
    let client = client(auth);
    for case in [
        get("/no-hash?a=1"),
        with_body(Method::POST, "/no-hash", b"{\"x\":[1,2,3]}"),
    ] {
        let (status, report) = send(&client, server.port(), &case).await;
        assert_eq!(status, 200, "{}", describe(&report));
        assert!(
            !report["signed_headers"]
                .as_str()
                .unwrap()
                .contains("x-amz-content-sha256")
        );
    }
}

/// The server really checks: a request changed after signing is refused, and one whose only
/// change is in an unsigned header is accepted.
#[tokio::test]
#[ignore = "needs python3 with botocore: run `cargo test --test e2e_botocore -- --ignored`"]
async fn tampered_requests_are_rejected() {
    let server = verifier(None);
    let port = server.port();
    let auth = auth("execute-api", None);
    let http = reqwest::Client::new();

    let signed = || async {
        let mut request = http
            .post(format!("http://127.0.0.1:{port}/items/a%3Ab?q=1"))
            .header("content-type", "application/json")
            .header("x-custom", "original")
            .header("user-agent", "signed-agent/1.0")
            .body("{\"n\":1}")
            .build()
            .unwrap();
        auth.sign(&mut request).await.unwrap();
        request
    };
    let status_of = |request: reqwest::Request| async {
        let response = http.execute(request).await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str::<Value>(&text).unwrap())
    };

    let (status, report) = status_of(signed().await).await;
    assert_eq!(status, 200, "untampered: {}", describe(&report));

    let mut request = signed().await;
    request
        .headers_mut()
        .insert("x-custom", "changed".parse().unwrap());
    let (status, report) = status_of(request).await;
    assert_eq!(status, 403, "signed header changed: {report}");
    assert!(
        report["errors"].to_string().contains("signature"),
        "{report}"
    );

    let mut request = signed().await;
    *request.body_mut() = Some(reqwest::Body::from("{\"n\":2}"));
    let (status, report) = status_of(request).await;
    assert_eq!(status, 403, "body byte changed: {report}");
    assert!(
        report["errors"]
            .to_string()
            .contains("x-amz-content-sha256"),
        "{report}"
    );

    let mut request = signed().await;
    request.url_mut().set_query(Some("q=2"));
    let (status, report) = status_of(request).await;
    assert_eq!(status, 403, "query changed: {report}");

    let mut request = signed().await;
    request.url_mut().set_path("/items/a%3Ac");
    let (status, report) = status_of(request).await;
    assert_eq!(status, 403, "path changed: {report}");

    let mut request = signed().await;
    request
        .headers_mut()
        .insert("user-agent", "rewritten-by-proxy/2.0".parse().unwrap());
    let (status, report) = status_of(request).await;
    assert_eq!(
        status,
        200,
        "an unsigned header changed in transit: {}",
        describe(&report)
    );

    // The body hash header is consistent but the signature is over the old hash.
    let mut request = signed().await;
    *request.body_mut() = Some(reqwest::Body::from("{\"n\":2}"));
    let hash = sha256_hex_of_n2();
    request
        .headers_mut()
        .insert("x-amz-content-sha256", hash.parse().unwrap());
    let (status, report) = status_of(request).await;
    assert_eq!(status, 403, "body and its hash changed: {report}");
    assert!(
        report["errors"].to_string().contains("signature"),
        "{report}"
    );
}

/// SHA-256 of `{"n":2}` (from Python's hashlib; no hashing crate needed).
fn sha256_hex_of_n2() -> &'static str {
    "363379742f80b51bdb9206579af7754911543079b9399cb3fc315fb199f476e8"
}

fn stream_body(chunks: &[&'static [u8]]) -> reqwest::Body {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = chunks
        .iter()
        .map(|c| Ok(bytes::Bytes::from_static(c)))
        .collect();
    reqwest::Body::wrap_stream(tokio_stream::iter(chunks))
}

/// Streaming bodies: buffered and hashed (any service), or sent as `UNSIGNED-PAYLOAD` (S3),
/// chunked on the wire.
#[tokio::test]
#[ignore = "needs python3 with botocore: run `cargo test --test e2e_botocore -- --ignored`"]
async fn streaming_bodies_verify() {
    let server = verifier(Some(SESSION_TOKEN));
    let chunks: &[&'static [u8]] = &[b"{\"part\":", b"1,", b"\"rest\":\"\xc3\xa9\"}"];
    for (service, streaming) in [
        (
            "execute-api",
            reqwest_aws_auth::StreamingBody::Buffer { max_bytes: 1 << 20 },
        ),
        (
            "s3",
            reqwest_aws_auth::StreamingBody::Buffer { max_bytes: 1 << 20 },
        ),
        ("s3", reqwest_aws_auth::StreamingBody::UnsignedPayload),
    ] {
        let auth = AwsAuth::builder()
            .service(service)
            .region(REGION)
            .credentials(Credentials::new(
                ACCESS_KEY,
                SECRET_KEY,
                Some(SESSION_TOKEN.to_owned()),
                None,
                "e2e",
            ))
            .streaming_body(streaming)
            .build()
            .unwrap();
        let client = client(auth);
        let response = client
            .put(format!(
                "http://127.0.0.1:{}/bucket/streamed%20object?x=a+b",
                server.port()
            ))
            .header("content-type", "application/json")
            .body(stream_body(chunks))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let report: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(
            status,
            200,
            "{service} {streaming:?}: {}",
            describe(&report)
        );
        let unsigned_payload = streaming == reqwest_aws_auth::StreamingBody::UnsignedPayload;
        assert_eq!(
            report["canonical_request"]
                .as_str()
                .unwrap()
                .ends_with("UNSIGNED-PAYLOAD"),
            unsigned_payload,
            "{service} {streaming:?}: {}",
            describe(&report)
        );
    }
}
