//! AWS's official SigV4 test suite (header signing), run through `AwsAuth::sign` with a fixed
//! clock. Each vector's raw request becomes the `reqwest::Request` that would carry it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use reqwest_aws_auth::AwsAuth;
use sha2::{Digest, Sha256};

/// Vectors a reqwest client cannot send as written, or that test a mode this crate does not
/// offer, with the reason. Everything else must match byte for byte.
const NOT_EXPRESSIBLE: &[(&str, &str)] = &[
    (
        "get-header-value-multiline",
        "a header value with obs-fold line breaks is not a valid HTTP header value for reqwest",
    ),
    (
        "get-space-normalized",
        "a raw space cannot go on the wire; reqwest sends %20, which is then a different path",
    ),
    ("get-space-unnormalized", "same as get-space-normalized"),
    (
        "get-utf8",
        "raw UTF-8 cannot go on the wire; reqwest percent-encodes it, a different path",
    ),
    (
        "post-sts-header-after",
        "the session token is always signed (SessionTokenMode::Include), the mode every current service accepts",
    ),
];

/// `normalize: false` vectors model signers that keep dot segments and `//` (S3's rules). The
/// `url` crate resolves dot segments before anything is sent, and for non-S3 signing names
/// this crate normalises as AWS does; S3's rules are covered by the botocore fixtures.
fn unnormalized(context: &serde_json::Value) -> bool {
    context["normalize"] == false
}

/// Headers present in the vector's request that this crate deliberately leaves unsigned
/// (proxies rewrite them). For those vectors the expected signature is recomputed from the
/// vector's own canonical request with the header removed, using aws-sigv4's primitives.
const UNSIGNED_HERE: &[&str] = &["content-length"];

struct Vector {
    name: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    multiline_header: bool,
}

fn parse_request(name: &str, text: &str) -> Vector {
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], text.as_bytes()[i + 2..].to_vec()),
        None => (text, Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let method_end = request_line.find(' ').expect("method");
    let version_start = request_line.rfind(' ').expect("version");
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut multiline_header = false;
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            multiline_header = true;
            continue;
        }
        let (name, value) = line.split_once(':').expect("header line");
        headers.push((name.to_owned(), value.to_owned()));
    }
    Vector {
        name: name.to_owned(),
        method: request_line[..method_end].to_owned(),
        target: request_line[method_end + 1..version_start].to_owned(),
        headers,
        body,
        multiline_header,
    }
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws-sig-v4-test-suite/v4")
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// `2015-08-30T12:36:00Z` as a `SystemTime`.
fn vector_time(context: &serde_json::Value) -> SystemTime {
    let ts: Vec<u64> = context["timestamp"]
        .as_str()
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap())
        .collect();
    let (y, m, d) = (ts[0] as i64, ts[1] as i64, ts[2] as i64);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe - 719_468) as u64;
    SystemTime::UNIX_EPOCH + Duration::from_secs(days * 86_400 + ts[3] * 3600 + ts[4] * 60 + ts[5])
}

/// The two older vectors have no context.json: their scope and date are in the signed request.
fn context_for(dir: &Path) -> serde_json::Value {
    if dir.join("context.json").exists() {
        return serde_json::from_str(&read(dir, "context.json")).unwrap();
    }
    let auth = expected_authorization(dir);
    let scope = auth
        .split("Credential=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap();
    let parts: Vec<&str> = scope.split('/').collect();
    let date = read(dir, "header-signed-request.txt")
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case("x-amz-date"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap();
    let timestamp = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &date[0..4],
        &date[4..6],
        &date[6..8],
        &date[9..11],
        &date[11..13],
        &date[13..15]
    );
    // The secrets these two were signed with: the suite's own, and aws-sigv4's test key.
    let secret = match parts[0] {
        "AKIDEXAMPLE" => "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "ANOTREAL" => "notrealrnrELgWzOk3IfjzDKtFBhDby",
        other => panic!("unknown access key {other}"),
    };
    serde_json::json!({
        "credentials": {"access_key_id": parts[0], "secret_access_key": secret},
        "normalize": true,
        "region": parts[2],
        "service": parts[3],
        "sign_body": false,
        "timestamp": timestamp,
    })
}

fn expected_authorization(dir: &Path) -> String {
    read(dir, "header-signed-request.txt")
        .lines()
        .find_map(|l| l.strip_prefix("Authorization:"))
        .expect("Authorization line")
        .trim()
        .to_owned()
}

/// The signature AWS's canonical request would have with `UNSIGNED_HERE` headers left out.
fn expected_without_unsigned(dir: &Path, context: &serde_json::Value) -> String {
    let creq = read(dir, "header-canonical-request.txt");
    let mut lines: Vec<String> = creq.lines().map(str::to_owned).collect();
    lines.retain(|l| {
        !UNSIGNED_HERE
            .iter()
            .any(|h| l.starts_with(&format!("{h}:")))
    });
    let signed_headers_line = lines.len() - 2;
    let signed_headers: Vec<&str> = lines[signed_headers_line]
        .split(';')
        .filter(|h| !UNSIGNED_HERE.contains(h))
        .collect();
    let signed_headers = signed_headers.join(";");
    lines[signed_headers_line] = signed_headers.clone();
    let creq = lines.join("\n");
    let time = vector_time(context);
    let region = context["region"].as_str().unwrap();
    let service = context["service"].as_str().unwrap();
    let scope = format!("20150830/{region}/{service}/aws4_request");
    assert_eq!(context["timestamp"], "2015-08-30T12:36:00Z");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n{scope}\n{:x}",
        Sha256::digest(creq.as_bytes())
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(
        context["credentials"]["secret_access_key"]
            .as_str()
            .unwrap(),
        time,
        region,
        service,
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    let access_key = context["credentials"]["access_key_id"].as_str().unwrap();
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

async fn sign_vector(vector: &Vector, context: &serde_json::Value) -> reqwest::Request {
    let creds = &context["credentials"];
    let credentials = Credentials::new(
        creds["access_key_id"].as_str().unwrap(),
        creds["secret_access_key"].as_str().unwrap(),
        creds["token"].as_str().map(str::to_owned),
        None,
        "aws-sig-v4-test-suite",
    );
    let auth = AwsAuth::builder()
        .service(context["service"].as_str().unwrap())
        .region(context["region"].as_str().unwrap())
        .credentials(credentials)
        .content_sha256_header(context["sign_body"] == true)
        .time_source(StaticTimeSource::new(vector_time(context)))
        .build()
        .unwrap();
    let host = vector
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .expect("Host header");
    let client = reqwest::Client::new();
    let mut builder = client.request(
        vector.method.parse().unwrap(),
        format!("https://{host}{}", vector.target),
    );
    for (name, value) in &vector.headers {
        if !name.eq_ignore_ascii_case("host") {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    let mut request = builder.body(vector.body.clone()).build().unwrap();
    auth.sign(&mut request)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", vector.name));
    request
}

#[tokio::test]
async fn official_vectors_match_byte_for_byte() {
    let mut names: Vec<String> = std::fs::read_dir(suite_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.len() >= 38, "test suite missing: {names:?}");

    let (mut exact, mut recomputed, mut skipped) = (0, 0, Vec::new());
    for name in &names {
        let dir = suite_dir().join(name);
        let context = context_for(&dir);
        let vector = parse_request(name, &read(&dir, "request.txt"));
        if let Some((_, why)) = NOT_EXPRESSIBLE.iter().find(|(n, _)| n == name) {
            skipped.push(format!("{name}: {why}"));
            continue;
        }
        assert!(
            !vector.multiline_header,
            "{name} has an unlisted multiline header"
        );
        if unnormalized(&context) {
            skipped.push(format!("{name}: normalize=false (S3-style signer)"));
            continue;
        }
        let request = sign_vector(&vector, &context).await;
        let actual = request.headers()["authorization"].to_str().unwrap();
        let has_unsigned = vector
            .headers
            .iter()
            .any(|(n, _)| UNSIGNED_HERE.iter().any(|u| n.eq_ignore_ascii_case(u)));
        let expected = if has_unsigned {
            recomputed += 1;
            expected_without_unsigned(&dir, &context)
        } else {
            exact += 1;
            expected_authorization(&dir)
        };
        assert_eq!(actual, expected, "vector {name}");
        let date = expected_authorization(&dir)
            .split('/')
            .nth(1)
            .unwrap()
            .to_owned();
        assert!(
            request.headers()["x-amz-date"]
                .to_str()
                .unwrap()
                .starts_with(&date),
            "{name}"
        );
        if let Some(token) = context["credentials"]["token"].as_str() {
            assert_eq!(request.headers()["x-amz-security-token"], token, "{name}");
        }
    }
    eprintln!(
        "{exact} vectors exact, {recomputed} recomputed without unsigned headers, {} not applicable:\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(exact >= 27, "only {exact} vectors matched exactly");
    assert_eq!(recomputed, 2, "the two x-www-form-urlencoded vectors");
}

#[tokio::test]
async fn normalized_variants_of_unnormalized_vectors_agree() {
    // The unnormalized vectors' paths, once the url crate has parsed them, are the paths of
    // their normalized twins: signing them must give the twin's signature.
    for (unnormalized, twin) in [
        ("get-relative-unnormalized", "get-relative-normalized"),
        (
            "get-relative-relative-unnormalized",
            "get-relative-relative-normalized",
        ),
        (
            "get-slash-dot-slash-unnormalized",
            "get-slash-dot-slash-normalized",
        ),
        (
            "get-slash-pointless-dot-unnormalized",
            "get-slash-pointless-dot-normalized",
        ),
        ("get-slashes-unnormalized", "get-slashes-normalized"),
        ("get-slash-unnormalized", "get-slash-normalized"),
    ] {
        let dir = suite_dir().join(unnormalized);
        let twin_dir = suite_dir().join(twin);
        let twin_context = context_for(&twin_dir);
        let vector = parse_request(unnormalized, &read(&dir, "request.txt"));
        let request = sign_vector(&vector, &twin_context).await;
        assert_eq!(
            request.headers()["authorization"].to_str().unwrap(),
            expected_authorization(&twin_dir),
            "{unnormalized} signed as {twin}"
        );
    }
}
