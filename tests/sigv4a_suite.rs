//! The official SigV4a test suite (`tests/fixtures/sigv4a/suite`, from aws-c-auth; see
//! `SOURCE.md` there) through the crate: its signer (header signing with `AwsAuth::sign`, query
//! signing with `AwsAuth::presign`) and its verifier.
//!
//! For each case the crate's canonical request and string to sign (as its DEBUG event shows
//! them) must equal the suite's byte for byte, its signature must verify with the suite's
//! `public-key.json` over the suite's string to sign, the key the crate derives must be that
//! public key, and the CRT's signed requests in the suite must pass the verifier.
#![cfg(all(feature = "sigv4a", feature = "verify"))]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use reqwest_aws_auth::verify::{ReceivedRequest, RejectReason, Verifier};
use reqwest_aws_auth::{AwsAuth, RegionSet};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tracing_subscriber::layer::SubscriberExt as _;

/// Cases the crate's signer cannot take as written, and why. The verifier still checks what
/// it can of them (see `VERIFIER_CANNOT_RECEIVE`).
const SIGNER_CANNOT_SEND: &[(&str, &str)] = &[
    (
        "get-header-value-multiline",
        "obs-fold line breaks are not a valid HTTP header value for reqwest",
    ),
    (
        "get-space-normalized",
        "a raw space cannot go on the wire; reqwest sends %20, a different path",
    ),
    ("get-space-unnormalized", "as get-space-normalized"),
    (
        "get-utf8",
        "raw UTF-8 cannot go on the wire; reqwest percent-encodes it, a different path",
    ),
    (
        "post-sts-header-after",
        "the session token is always signed (the mode every current service accepts)",
    ),
];

/// Signed requests in the suite that no HTTP server receives as written.
const VERIFIER_CANNOT_RECEIVE: &[&str] = &[
    "get-header-value-multiline",
    "get-space-normalized",
    "get-space-unnormalized",
    "get-utf8",
    "get-vanilla-utf8-query",
    // The token is added after signing: a service refuses an unsigned token.
    "post-sts-header-after",
];

/// Headers this crate leaves unsigned (proxies rewrite them); where a case signs one, its
/// expected canonical request is taken with that header removed.
const UNSIGNED_HERE: &[&str] = &["content-length"];

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigv4a/suite")
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

struct Case {
    name: String,
    dir: PathBuf,
    context: Value,
}

impl Case {
    fn credentials(&self) -> Credentials {
        let creds = &self.context["credentials"];
        Credentials::new(
            creds["access_key_id"].as_str().unwrap(),
            creds["secret_access_key"].as_str().unwrap(),
            creds["token"].as_str().map(str::to_owned),
            None,
            "sigv4a-suite",
        )
    }

    fn region(&self) -> &str {
        self.context["region"].as_str().unwrap()
    }

    fn service(&self) -> &str {
        self.context["service"].as_str().unwrap()
    }

    fn read(&self, file: &str) -> String {
        read(&self.dir, file)
    }

    fn public_key(&self) -> VerifyingKey {
        let json: Value = serde_json::from_str(&self.read("public-key.json")).unwrap();
        let mut sec1 = vec![4u8];
        sec1.extend(hex(json["X"].as_str().unwrap()));
        sec1.extend(hex(json["Y"].as_str().unwrap()));
        VerifyingKey::from_sec1_bytes(&sec1).unwrap()
    }
}

fn cases() -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(suite_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 38, "the suite has 38 cases: {names:?}");
    names
        .into_iter()
        .map(|name| {
            let dir = suite_dir().join(&name);
            let context = serde_json::from_str(&read(&dir, "context.json")).unwrap();
            Case { name, dir, context }
        })
        .collect()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn verifies(key: &VerifyingKey, string_to_sign: &str, signature_hex: &str) -> bool {
    let Ok(signature) = Signature::from_der(&hex(signature_hex)) else {
        return false;
    };
    key.verify(string_to_sign.as_bytes(), &signature).is_ok()
}

/// `2015-08-30T12:36:00Z`, the time of every case.
fn suite_time(case: &Case) -> SystemTime {
    assert_eq!(case.context["timestamp"], "2015-08-30T12:36:00Z");
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// A request as written in a suite file: method, target, headers, body.
struct Written {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(text: &str) -> Written {
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], text.as_bytes()[i + 2..].to_vec()),
        None => (text, Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let method_end = request_line.find(' ').unwrap();
    let version_start = request_line.rfind(' ').unwrap();
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_owned(), value.to_owned()));
    }
    // The signed-request files end in blank lines that are no body.
    let body = if body.iter().all(|b| *b == b'\n') {
        Vec::new()
    } else {
        body
    };
    Written {
        method: request_line[..method_end].to_owned(),
        target: request_line[method_end + 1..version_start].to_owned(),
        headers,
        body,
    }
}

/// The suite's canonical request as this crate signs it: headers it leaves unsigned removed.
fn adjusted_canonical(case: &Case, file: &str) -> String {
    let canonical = case.read(file);
    let mut lines: Vec<String> = canonical.lines().map(str::to_owned).collect();
    lines.retain(|l| {
        !UNSIGNED_HERE
            .iter()
            .any(|h| l.starts_with(&format!("{h}:")))
    });
    let names_line = lines.len() - 2;
    lines[names_line] = lines[names_line]
        .split(';')
        .filter(|h| !UNSIGNED_HERE.contains(h))
        .collect::<Vec<_>>()
        .join(";");
    // Query signing names its signed headers in the query too.
    lines[2] = lines[2].replace("content-length%3B", "");
    lines.join("\n")
}

/// [`adjusted_canonical`] as the crate's DEBUG event shows it: secrets redacted.
fn expected_canonical(case: &Case, file: &str) -> String {
    let mut lines: Vec<String> = adjusted_canonical(case, file)
        .split('\n')
        .map(str::to_owned)
        .collect();
    lines[2] = redact_query_as_logged(&lines[2]);
    for line in &mut lines {
        if let Some(token) = line.strip_prefix("x-amz-security-token:") {
            *line = format!(
                "x-amz-security-token:** redacted (length={}) **",
                token.len()
            );
        }
    }
    lines.join("\n")
}

/// The suite's string to sign, recomputed where a header this crate does not sign was removed.
fn expected_string_to_sign(case: &Case, kind: &str) -> String {
    let file = format!("{kind}-canonical-request.txt");
    let adjusted = adjusted_canonical(case, &file);
    if adjusted == case.read(&file) {
        return case.read(&format!("{kind}-string-to-sign.txt"));
    }
    string_to_sign_of(&adjusted, "20150830T123600Z", case.service())
}

/// The query line as the DEBUG event shows it: the values of the credential, the token and
/// the signature redacted.
fn redact_query_as_logged(query: &str) -> String {
    const SECRET: [&str; 3] = [
        "X-Amz-Credential",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
    ];
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !value.is_empty() && SECRET.contains(&key) => {
                format!("{key}=** redacted (length={}) **", value.len())
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn string_to_sign_of(canonical_unredacted: &str, amz_date: &str, service: &str) -> String {
    format!(
        "AWS4-ECDSA-P256-SHA256\n{amz_date}\n{}/{service}/aws4_request\n{:x}",
        &amz_date[..8],
        Sha256::digest(canonical_unredacted.as_bytes())
    )
}

/// What the crate's DEBUG signing event showed.
#[derive(Clone, Default)]
struct Logged(Arc<Mutex<Vec<(String, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Logged {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        #[derive(Default)]
        struct Fields(Option<String>, Option<String>);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "canonical_request" => self.0 = Some(format!("{value:?}")),
                    "string_to_sign" => self.1 = Some(format!("{value:?}")),
                    _ => {}
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let (Some(canonical), Some(string_to_sign)) = (fields.0, fields.1) {
            self.0.lock().unwrap().push((canonical, string_to_sign));
        }
    }
}

fn capture() -> (Logged, tracing::subscriber::DefaultGuard) {
    let logged = Logged::default();
    let subscriber = tracing_subscriber::registry()
        .with(logged.clone())
        .with(tracing_subscriber::filter::LevelFilter::DEBUG);
    (logged, tracing::subscriber::set_default(subscriber))
}

fn auth_for(case: &Case) -> AwsAuth {
    AwsAuth::builder()
        .service(case.service())
        .region("eu-west-1")
        .sigv4a(RegionSet::new(case.region()).unwrap())
        .credentials(case.credentials())
        .content_sha256_header(case.context["sign_body"] == true)
        .time_source(StaticTimeSource::new(suite_time(case)))
        .build()
        .unwrap()
}

fn reqwest_request(written: &Written) -> reqwest::Request {
    let host = written
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .unwrap();
    let mut builder = reqwest::Client::new().request(
        written.method.parse().unwrap(),
        format!("https://{host}{}", written.target),
    );
    for (name, value) in &written.headers {
        if !name.eq_ignore_ascii_case("host") {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    builder.body(written.body.clone()).build().unwrap()
}

fn signer_skips(case: &Case) -> Option<&'static str> {
    if let Some((_, why)) = SIGNER_CANNOT_SEND.iter().find(|(n, _)| *n == case.name) {
        return Some(why);
    }
    // The url crate resolves dot segments before anything is sent, and for signing names
    // other than S3's the crate normalises paths as AWS does: these are a signer's that keeps
    // them, checked through the verifier instead.
    (case.context["normalize"] == false)
        .then_some("normalize=false: a signer that keeps dot segments")
}

#[test]
fn the_derived_key_is_the_suites_public_key() {
    for case in cases() {
        let credentials = case.credentials();
        let private = aws_sigv4::sign::v4a::generate_signing_key(
            credentials.access_key_id(),
            credentials.secret_access_key(),
        );
        let derived = *p256::ecdsa::SigningKey::from_slice(private.as_ref())
            .unwrap()
            .verifying_key();
        assert_eq!(derived, case.public_key(), "{}", case.name);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn header_signing_matches_the_suite_byte_for_byte() {
    let (logged, _guard) = capture();
    let (mut matched, mut skipped) = (0, Vec::new());
    for case in cases() {
        if let Some(why) = signer_skips(&case) {
            skipped.push(format!("{}: {why}", case.name));
            continue;
        }
        let written = parse_request(&case.read("request.txt"));
        let mut request = reqwest_request(&written);
        auth_for(&case)
            .sign(&mut request)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let (canonical, string_to_sign) = logged.0.lock().unwrap().pop().expect("a DEBUG event");
        assert_eq!(
            canonical,
            expected_canonical(&case, "header-canonical-request.txt"),
            "{}: canonical request",
            case.name
        );
        let expected_sts = expected_string_to_sign(&case, "header");
        assert_eq!(
            string_to_sign, expected_sts,
            "{}: string to sign",
            case.name
        );

        let authorization = request.headers()["authorization"].to_str().unwrap();
        let prefix = "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, SignedHeaders=";
        assert!(
            authorization.starts_with(prefix),
            "{}: {authorization}",
            case.name
        );
        let signature = authorization.rsplit("Signature=").next().unwrap();
        assert!(
            verifies(&case.public_key(), &expected_sts, signature),
            "{}: the signature does not verify with public-key.json",
            case.name
        );
        assert_eq!(
            request.headers()["x-amz-region-set"],
            case.region(),
            "{}",
            case.name
        );
        matched += 1;
    }
    eprintln!(
        "{matched} cases matched byte for byte, {} not sent as written:\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(matched >= 26, "only {matched} cases matched");
}

#[tokio::test(flavor = "current_thread")]
async fn query_signing_matches_the_suite_byte_for_byte() {
    let (logged, _guard) = capture();
    let (mut matched, mut skipped) = (0, Vec::new());
    for case in cases() {
        if let Some(why) = signer_skips(&case) {
            skipped.push(format!("{}: {why}", case.name));
            continue;
        }
        let written = parse_request(&case.read("request.txt"));
        let request = reqwest_request(&written);
        let expires = Duration::from_secs(case.context["expiration_in_seconds"].as_u64().unwrap());
        let url = auth_for(&case)
            .presign(&request, expires)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let (canonical, string_to_sign) = logged.0.lock().unwrap().pop().expect("a DEBUG event");
        let expected = expected_canonical(&case, "query-canonical-request.txt");
        assert_eq!(canonical, expected, "{}: canonical request", case.name);
        let expected_sts = expected_string_to_sign(&case, "query");
        assert_eq!(
            string_to_sign, expected_sts,
            "{}: string to sign",
            case.name
        );
        let signature = url
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-Signature")
            .unwrap()
            .1
            .into_owned();
        assert!(
            verifies(&case.public_key(), &expected_sts, &signature),
            "{}: the presigned signature does not verify with public-key.json",
            case.name
        );
        matched += 1;
    }
    eprintln!(
        "{matched} cases presigned byte for byte, {} skipped",
        skipped.len()
    );
    assert!(matched >= 26, "only {matched} cases matched");
}

#[test]
fn the_suites_signed_requests_pass_the_verifier() {
    let (mut accepted, mut skipped) = (0, 0);
    for case in cases() {
        if VERIFIER_CANNOT_RECEIVE.contains(&case.name.as_str()) {
            skipped += 1;
            continue;
        }
        for kind in ["header", "query"] {
            let written = parse_request(&case.read(&format!("{kind}-signed-request.txt")));
            let headers: Vec<(&str, &str)> = written
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let received = ReceivedRequest {
                method: &written.method,
                target: &written.target,
                headers: &headers,
                body: &written.body,
            };
            let verifier = Verifier::new(case.credentials(), case.region(), case.service())
                .now(suite_time(&case))
                .normalize_path(case.context["normalize"] != false);
            verifier
                .verify(&received)
                .unwrap_or_else(|r| panic!("{} ({kind}): {r}", case.name));
            accepted += 1;

            // With a wrong secret it shows its workings: exactly the suite's.
            let wrong = Credentials::new(
                case.credentials().access_key_id(),
                "not-the-secret",
                case.credentials().session_token().map(str::to_owned),
                None,
                "wrong",
            );
            let rejection = Verifier::new(wrong, case.region(), case.service())
                .now(suite_time(&case))
                .normalize_path(case.context["normalize"] != false)
                .verify(&received)
                .unwrap_err();
            assert_eq!(
                rejection.reason(),
                RejectReason::SignatureMismatch,
                "{}",
                case.name
            );
            assert_eq!(
                rejection.string_to_sign().unwrap(),
                case.read(&format!("{kind}-string-to-sign.txt")),
                "{} ({kind}): the verifier's string to sign",
                case.name
            );
            // A service in another region than the set refuses it.
            let rejection = Verifier::new(case.credentials(), "eu-west-1", case.service())
                .now(suite_time(&case))
                .normalize_path(case.context["normalize"] != false)
                .verify(&received)
                .unwrap_err();
            assert_eq!(
                rejection.reason(),
                RejectReason::WrongRegion,
                "{}",
                case.name
            );
        }
    }
    eprintln!("{accepted} signed requests of the suite accepted, {skipped} cases not receivable");
    assert_eq!(accepted, 64, "32 cases, header and query");
}
