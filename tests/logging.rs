//! At debug level the crate logs what a user needs to debug a 403 — the canonical request and
//! string-to-sign — and never a secret.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use reqwest_aws_auth::AwsAuth;

#[path = "support/capture_logs.rs"]
mod capture_logs;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue";

#[tokio::test(flavor = "current_thread")]
async fn debug_log_has_canonical_request_and_no_secrets() {
    let (captured, _guard) = capture_logs::capture();

    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            SECRET,
            Some(TOKEN.to_owned()),
            None,
            "test",
        ))
        .time_source(StaticTimeSource::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000),
        ))
        .build()
        .unwrap();
    let mut request = reqwest::Client::new()
        .post("https://abc.execute-api.eu-west-1.amazonaws.com/prod/items?b=2&a=1")
        .header("content-type", "application/json")
        .body(r#"{"x":1}"#)
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();

    let log = captured.text();
    // The canonical request, with the query sorted as SigV4 wants it.
    assert!(log.contains("POST\n/prod/items\na=1&b=2\ncontent-type:application/json\nhost:abc.execute-api.eu-west-1.amazonaws.com\n"), "{log}");
    assert!(
        log.contains(
            "AWS4-HMAC-SHA256\n20251124T160000Z\n20251124/eu-west-1/execute-api/aws4_request\n"
        ),
        "{log}"
    );
    // Recomputing the signature from the logged string-to-sign gives the one that was sent,
    // so the log shows what was really signed.
    let ours = log
        .split("reqwest_aws_auth")
        .find(|event| event.contains("string_to_sign="))
        .expect("our debug event");
    let string_to_sign = ours
        .split("string_to_sign=")
        .nth(1)
        .unwrap()
        .lines()
        .take(4)
        .collect::<Vec<_>>()
        .join("\n");
    let key = aws_sigv4::sign::v4::generate_signing_key(
        SECRET,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000),
        "eu-west-1",
        "execute-api",
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    let authorization = request.headers()["authorization"].to_str().unwrap();
    assert!(
        authorization.ends_with(&format!("Signature={signature}")),
        "{string_to_sign:?}"
    );

    assert!(!log.contains(SECRET), "secret key in log");
    assert!(!log.contains(TOKEN), "session token in log");
    assert!(!log.contains(&signature), "signature in log");
}
