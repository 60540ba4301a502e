//! Presigned URLs against botocore, byte for byte, on a matrix of awkward requests.
//!
//! `tests/fixtures/botocore_presign.json` is written by
//! `tests/fixtures/gen_botocore_presign_fixtures.py` (botocore's `SigV4QueryAuth` /
//! `S3SigV4QueryAuth` with a frozen clock); this test needs no Python. For each case the
//! request is built from the URL and headers the *application* passes to reqwest, presigned with
//! `AwsAuth::presign` at the recorded time, and the URL compared with botocore's. The crate's
//! own verifier must accept every botocore URL too (a second, independent check of it).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use reqwest_aws_auth::{AwsAuth, PresignSessionToken};
use serde_json::Value;

const FIXTURES: &str = include_str!("fixtures/botocore_presign.json");

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("fixture field `{key}` is not a string: {value}"))
}

fn credentials(case: &Value) -> Credentials {
    let creds = &case["credentials"];
    Credentials::new(
        str_field(creds, "access_key"),
        str_field(creds, "secret_key"),
        creds["session_token"].as_str().map(str::to_owned),
        None,
        "botocore-presign-fixtures",
    )
}

fn placement(case: &Value) -> PresignSessionToken {
    match str_field(case, "token_placement") {
        "signed" => PresignSessionToken::Signed,
        "appended-after-signing" => PresignSessionToken::AppendedAfterSigning,
        other => panic!("unknown token placement `{other}`"),
    }
}

fn time(case: &Value) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(case["unix_time"].as_u64().unwrap())
}

async fn presign(case: &Value) -> Result<String, String> {
    let auth = AwsAuth::builder()
        .service(str_field(case, "service"))
        .region(str_field(case, "region"))
        .credentials(credentials(case))
        .time_source(StaticTimeSource::new(time(case)))
        .presign_session_token(placement(case))
        // A custom domain case: the user would allow it.
        .allow_host("gateway.example.com")
        .build()
        .map_err(|e| e.to_string())?;
    let method = reqwest::Method::from_bytes(str_field(case, "method").as_bytes()).unwrap();
    let mut request = reqwest::Request::new(method, str_field(case, "url").parse().unwrap());
    for header in case["headers"].as_array().unwrap() {
        request.headers_mut().append(
            HeaderName::from_bytes(header[0].as_str().unwrap().as_bytes()).unwrap(),
            HeaderValue::from_str(header[1].as_str().unwrap()).unwrap(),
        );
    }
    let expires = Duration::from_secs(case["expires_in"].as_u64().unwrap());
    auth.presign(&request, expires)
        .await
        .map(|url| url.to_string())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn presigned_urls_match_botocore_byte_for_byte() {
    let fixtures: Value = serde_json::from_str(FIXTURES).expect("fixture JSON parses");
    let cases = fixtures["cases"].as_array().expect("`cases` is an array");
    assert!(cases.len() >= 25, "only {} fixture cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let expected = str_field(&case["expected"], "url");
        match presign(case).await {
            Ok(ours) if ours == expected => {}
            outcome => failures.push(format!(
                "case `{}`:\n  ours:     {outcome:?}\n  botocore: {expected}\n  botocore's \
                 canonical request:\n{}\n",
                str_field(case, "name"),
                str_field(&case["expected"], "canonical_request")
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from botocore {}:\n\n{}",
        failures.len(),
        cases.len(),
        str_field(&fixtures, "botocore_version"),
        failures.join("\n")
    );
}

/// The verifier is written independently of the signer: it must accept botocore's URLs as a
/// server would receive them, and refuse each one with its signature changed.
#[test]
fn the_verifier_accepts_every_botocore_url() {
    let fixtures: Value = serde_json::from_str(FIXTURES).unwrap();
    for case in fixtures["cases"].as_array().unwrap() {
        let name = str_field(case, "name");
        let url = url::Url::parse(str_field(&case["expected"], "url")).unwrap();
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap()),
            None => url.host_str().unwrap().to_owned(),
        };
        let mut headers: Vec<(&str, &str)> = vec![("host", &host)];
        for header in case["headers"].as_array().unwrap() {
            headers.push((header[0].as_str().unwrap(), header[1].as_str().unwrap()));
        }
        let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let verifier = Verifier::new(
            credentials(case),
            str_field(case, "region"),
            str_field(case, "service"),
        )
        .now(time(case))
        .presign_session_token(placement(case));
        let received = ReceivedRequest {
            method: str_field(case, "method"),
            target,
            headers: &headers,
            body: b"",
        };
        if let Err(rejection) = verifier.verify(&received) {
            panic!("case `{name}` refused:\n{rejection}");
        }
        let signature_at = target.find("X-Amz-Signature=").unwrap() + 16;
        let mut tampered = target.to_owned();
        let flipped = if &tampered[signature_at..=signature_at] == "0" {
            "1"
        } else {
            "0"
        };
        tampered.replace_range(signature_at..=signature_at, flipped);
        let rejection = verifier
            .verify(&ReceivedRequest {
                target: &tampered,
                ..received
            })
            .expect_err(name);
        assert_eq!(
            rejection.reason(),
            reqwest_aws_auth::verify::RejectReason::SignatureMismatch,
            "{name}: {rejection}"
        );
    }
}

#[test]
fn fixture_matrix_covers_the_awkward_parts() {
    let fixtures: Value = serde_json::from_str(FIXTURES).unwrap();
    let cases = fixtures["cases"].as_array().unwrap();
    let any = |pred: &dyn Fn(&Value) -> bool| cases.iter().any(pred);
    for service in ["s3", "execute-api", "iotdevicegateway", "lambda", "es"] {
        assert!(any(&|c| str_field(c, "service") == service), "{service}");
    }
    for scheme in ["https://", "http://", "wss://", "ws://"] {
        assert!(
            any(&|c| str_field(c, "url").starts_with(scheme)),
            "{scheme}"
        );
    }
    for method in ["GET", "PUT", "DELETE", "HEAD"] {
        assert!(any(&|c| str_field(c, "method") == method), "{method}");
    }
    assert!(any(&|c| str_field(c, "token_placement")
        == "appended-after-signing"
        && !c["credentials"]["session_token"].is_null()));
    assert!(any(&|c| str_field(c, "token_placement") == "signed"
        && !c["credentials"]["session_token"].is_null()));
    assert!(any(&|c| c["expires_in"] == 1));
    assert!(any(&|c| c["expires_in"] == 604_800));
    assert!(any(&|c| !c["headers"].as_array().unwrap().is_empty()));
    assert!(any(&|c| str_field(c, "url").contains('+')));
}
