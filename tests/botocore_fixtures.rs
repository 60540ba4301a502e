//! Our signer against botocore, byte for byte, on a matrix of awkward requests.
//!
//! `tests/fixtures/botocore_sigv4.json` is written by `tests/fixtures/gen_botocore_fixtures.py`
//! (botocore's `SigV4Auth` / `S3SigV4Auth` with a frozen clock); this test needs no Python. For
//! each case the request is built from the URL, headers and body the *application* passes to
//! reqwest, signed at the recorded time, and compared with what botocore computed for the
//! canonical wire form of that request: the URL after signing, `authorization`, `x-amz-date`,
//! `x-amz-content-sha256` and `x-amz-security-token`.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest_aws_auth::AwsAuth;
use serde_json::Value;

const FIXTURES: &str = include_str!("fixtures/botocore_sigv4.json");

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("fixture field `{key}` is not a string: {value}"))
}

fn opt_str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value[key].as_str()
}

fn build_request(case: &Value) -> reqwest::Request {
    let method = reqwest::Method::from_bytes(str_field(case, "method").as_bytes()).unwrap();
    let url = reqwest::Url::parse(str_field(case, "url")).unwrap();
    let mut request = reqwest::Request::new(method, url);
    for header in case["headers"].as_array().unwrap() {
        let name = HeaderName::from_bytes(header[0].as_str().unwrap().as_bytes()).unwrap();
        let value = HeaderValue::from_str(header[1].as_str().unwrap()).unwrap();
        request.headers_mut().append(name, value);
    }
    if let Some(body) = opt_str_field(case, "body") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        *request.body_mut() = Some(reqwest::Body::from(bytes));
    }
    request
}

fn auth_for(case: &Value) -> AwsAuth {
    let creds = &case["credentials"];
    let credentials = Credentials::new(
        str_field(creds, "access_key"),
        str_field(creds, "secret_key"),
        opt_str_field(creds, "session_token").map(str::to_owned),
        None,
        "botocore-fixtures",
    );
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(case["unix_time"].as_u64().unwrap());
    AwsAuth::builder()
        .service(str_field(case, "service"))
        .region(str_field(case, "region"))
        .credentials(credentials)
        .time_source(StaticTimeSource::new(time))
        // Some cases are custom domains: the user would allow them.
        .allow_host("gateway.example.com")
        .build()
        .unwrap()
}

fn header<'a>(request: &'a reqwest::Request, name: &str) -> Option<&'a str> {
    let mut values = request.headers().get_all(name).iter();
    let first = values.next()?;
    assert!(values.next().is_none(), "`{name}` was sent more than once");
    Some(first.to_str().unwrap())
}

/// Signs one case; returns a description of every difference from botocore.
async fn check(case: &Value) -> Option<String> {
    let expected = &case["expected"];
    let mut request = build_request(case);
    if let Err(err) = auth_for(case).sign(&mut request).await {
        return Some(format!("signing failed: {err}"));
    }

    let mut diffs = String::new();
    let mut compare = |what: &str, ours: Option<&str>, theirs: Option<&str>| {
        if ours != theirs {
            let _ = writeln!(
                diffs,
                "  {what}:\n    ours:     {ours:?}\n    botocore: {theirs:?}"
            );
        }
    };
    compare(
        "wire URL",
        Some(request.url().as_str()),
        opt_str_field(expected, "wire_url"),
    );
    compare(
        "authorization",
        header(&request, "authorization"),
        opt_str_field(expected, "authorization"),
    );
    compare(
        "x-amz-date",
        header(&request, "x-amz-date"),
        opt_str_field(expected, "x_amz_date"),
    );
    compare(
        "x-amz-content-sha256",
        header(&request, "x-amz-content-sha256"),
        opt_str_field(expected, "x_amz_content_sha256"),
    );
    compare(
        "x-amz-security-token",
        header(&request, "x-amz-security-token"),
        opt_str_field(expected, "x_amz_security_token"),
    );
    if diffs.is_empty() {
        return None;
    }
    let _ = write!(
        diffs,
        "  botocore's canonical request:\n{}\n  botocore's string to sign:\n{}\n",
        indent(str_field(expected, "canonical_request")),
        indent(str_field(expected, "string_to_sign")),
    );
    Some(diffs)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    | {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn signatures_match_botocore_byte_for_byte() {
    let fixtures: Value = serde_json::from_str(FIXTURES).expect("fixture JSON parses");
    let cases = fixtures["cases"].as_array().expect("`cases` is an array");
    assert!(cases.len() >= 40, "only {} fixture cases", cases.len());

    let mut failures = Vec::new();
    for case in cases {
        if let Some(diff) = check(case).await {
            failures.push(format!(
                "case `{}` ({} {} {}):\n{diff}",
                str_field(case, "name"),
                str_field(case, "service"),
                str_field(case, "method"),
                str_field(case, "url"),
            ));
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

/// The fixture is checked in; make sure it covers what it claims to cover.
#[test]
fn fixture_matrix_covers_the_awkward_parts() {
    let fixtures: Value = serde_json::from_str(FIXTURES).unwrap();
    let cases = fixtures["cases"].as_array().unwrap();
    let services: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| str_field(c, "service")).collect();
    for service in [
        "execute-api",
        "bedrock-mantle",
        "lambda",
        "aoss",
        "es",
        "s3",
    ] {
        assert!(services.contains(service), "no `{service}` case");
    }
    let any = |pred: &dyn Fn(&Value) -> bool| cases.iter().any(pred);
    assert!(any(&|c| str_field(c, "url").contains(":0/")));
    assert!(any(&|c| str_field(c, "url").contains("%2F")));
    assert!(any(&|c| str_field(c, "url").contains('+')));
    assert!(any(&|c| !c["credentials"]["session_token"].is_null()));
    assert!(any(&|c| c["credentials"]["session_token"].is_null()));
    assert!(any(
        &|c| str_field(&c["expected"], "wire_url").contains(":8443/")
    ));
}
