//! The verifier (`reqwest_aws_auth::verify`) against requests signed by others: AWS's official
//! SigV4 test suite and botocore. Each must be accepted; each tampering must be refused with the
//! right reason; and where the verifier is handed a wrong secret, the canonical request and
//! string-to-sign it shows must be exactly the ones the reference signer computed.

#[path = "support/capture_logs.rs"]
mod capture_logs;

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use base64::Engine as _;
use reqwest_aws_auth::verify::{ReceivedRequest, RejectReason, Rejection, Verifier};
use serde_json::Value;

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/aws-sig-v4-test-suite/v4"
);
const BOTOCORE: &str = include_str!("fixtures/botocore_sigv4.json");
const WRONG_SECRET: &str = "not-the-secret-key";

/// An owned received request, with `ReceivedRequest` views of it.
#[derive(Clone, Debug)]
struct Owned {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Owned {
    fn verify(&self, verifier: &Verifier) -> Result<(), Rejection> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        verifier.verify(&ReceivedRequest {
            method: &self.method,
            target: &self.target,
            headers: &headers,
            body: &self.body,
        })
    }

    fn header_mut(&mut self, name: &str) -> &mut String {
        &mut self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("no {name} header"))
            .1
    }

    fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}

fn unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// `2015-08-30T12:36:00Z` to a time.
fn parse_rfc3339_utc(s: &str) -> SystemTime {
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (mut y, m, d) = (n(0..4), n(5..7), n(8..10));
    if m <= 2 {
        y -= 1;
    }
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    unix(u64::try_from(secs).unwrap())
}

// ---------------------------------------------------------------------------------------------
// AWS's official test suite

struct Vector {
    name: String,
    request: Owned,
    verifier: Verifier,
    /// Same, with a wrong secret: its rejection shows the canonical request and string-to-sign.
    wrong_secret: Verifier,
    canonical_request: String,
    string_to_sign: Option<String>,
}

/// Parses `header-signed-request.txt` the way an HTTP/1.1 server would, with obs-fold
/// continuation lines unfolded into one space.
fn parse_http(text: &str) -> Result<Owned, String> {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let target = rest.strip_suffix(" HTTP/1.1").unwrap_or(rest);
    if let Some(bad) = target.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "its request line carries {bad:?} unencoded, which is not a valid request target on \
             the wire (no HTTP server or client passes it); percent-encoding it changes what a \
             non-S3 service signs (the path is encoded a second time)"
        ));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.trim_start().to_owned()));
        }
    }
    Ok(Owned {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    })
}

/// Every vector of the suite, or why it cannot be verified from the wire.
fn suite() -> Vec<Result<Vector, (String, String)>> {
    let mut names: Vec<String> = fs::read_dir(SUITE)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let dir = Path::new(SUITE).join(&name);
            let read = |file: &str| fs::read_to_string(dir.join(file)).ok();
            let context: Value = match read("context.json") {
                Some(json) => serde_json::from_str(&json).unwrap(),
                None if name == "double-url-encode" => {
                    // No context.json: the suite's usual example credentials, the scope and the
                    // time in its Authorization and X-Amz-Date.
                    serde_json::json!({
                        "credentials": {
                            "access_key_id": "AKIDEXAMPLE",
                            "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
                        },
                        "region": "us-east-2",
                        "service": "lambda",
                        "normalize": true,
                        "timestamp": "2021-05-11T15:40:45Z"
                    })
                }
                None => {
                    return Err((
                        name,
                        "no context.json, and its files disagree (access key ANOTREAL with an \
                         unknown secret; x-amz-date 20150830 in the signed request, 20210511 \
                         in the canonical request)"
                            .to_owned(),
                    ));
                }
            };
            let signed = read("header-signed-request.txt").unwrap();
            let request = parse_http(&signed).map_err(|why| (name.clone(), why))?;
            let creds = &context["credentials"];
            let credentials = |secret: &str| {
                Credentials::new(
                    creds["access_key_id"].as_str().unwrap(),
                    secret,
                    creds["token"].as_str().map(str::to_owned),
                    None,
                    "aws-sig-v4-test-suite",
                )
            };
            let verifier = |secret: &str| {
                Verifier::new(
                    credentials(secret),
                    context["region"].as_str().unwrap(),
                    context["service"].as_str().unwrap(),
                )
                .normalize_path(context["normalize"].as_bool().unwrap())
                .now(parse_rfc3339_utc(context["timestamp"].as_str().unwrap()))
            };
            Ok(Vector {
                verifier: verifier(creds["secret_access_key"].as_str().unwrap()),
                wrong_secret: verifier(WRONG_SECRET),
                canonical_request: read("header-canonical-request.txt")
                    .unwrap()
                    .trim_end_matches('\n')
                    .to_owned(),
                string_to_sign: read("header-string-to-sign.txt")
                    .map(|s| s.trim_end_matches('\n').to_owned()),
                request,
                name,
            })
        })
        .collect()
}

/// Vectors whose expected outcome is a rejection, and why.
fn expected_rejection(name: &str) -> Option<RejectReason> {
    match name {
        // The session token is added after signing (`omit_session_token`): a service that
        // requires a signed token (as this verifier does) refuses it.
        "post-sts-header-after" => Some(RejectReason::SessionTokenNotSigned),
        _ => None,
    }
}

#[test]
fn every_aws_test_suite_vector_is_accepted() {
    let mut verified = 0;
    let mut skipped = Vec::new();
    for vector in suite() {
        let vector = match vector {
            Ok(vector) => vector,
            Err((name, why)) => {
                skipped.push(name.clone());
                eprintln!("skipped {name}: {why}");
                continue;
            }
        };
        let result = vector.request.verify(&vector.verifier);
        match expected_rejection(&vector.name) {
            None => {
                if let Err(rejection) = result {
                    panic!("{} refused: {rejection}", vector.name);
                }
            }
            Some(reason) => assert_eq!(
                result.map_err(|r| r.reason()),
                Err(reason),
                "{}",
                vector.name
            ),
        }
        verified += 1;
    }
    // get-space-normalized, get-space-unnormalized (raw space), get-utf8,
    // get-vanilla-utf8-query (raw UTF-8), double-encode-path (no context).
    assert_eq!(
        skipped,
        [
            "double-encode-path",
            "get-space-normalized",
            "get-space-unnormalized",
            "get-utf8",
            "get-vanilla-utf8-query"
        ]
    );
    assert_eq!(verified, 35);
}

#[test]
fn canonical_request_and_string_to_sign_match_the_aws_test_suite() {
    for vector in suite().into_iter().flatten() {
        if expected_rejection(&vector.name).is_some() {
            continue;
        }
        let rejection = vector.request.verify(&vector.wrong_secret).unwrap_err();
        assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
        let expected = redact_token(&vector.canonical_request);
        assert_eq!(
            rejection.canonical_request(),
            Some(expected.as_str()),
            "{}",
            vector.name
        );
        if let Some(string_to_sign) = &vector.string_to_sign {
            assert_eq!(
                rejection.string_to_sign(),
                Some(string_to_sign.as_str()),
                "{}",
                vector.name
            );
        }
    }
}

/// The verifier shows the session token as `** redacted (length=N) **`.
fn redact_token(canonical_request: &str) -> String {
    canonical_request
        .split('\n')
        .map(|line| match line.strip_prefix("x-amz-security-token:") {
            Some(token) => format!(
                "x-amz-security-token:** redacted (length={}) **",
                token.len()
            ),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// botocore

struct BotocoreCase {
    name: String,
    service: String,
    region: String,
    credentials: Credentials,
    now: SystemTime,
    request: Owned,
    canonical_request: String,
    string_to_sign: String,
}

impl BotocoreCase {
    fn verifier(&self) -> Verifier {
        Verifier::new(self.credentials.clone(), &self.region, &self.service).now(self.now)
    }

    fn verifier_with(&self, credentials: Credentials) -> Verifier {
        Verifier::new(credentials, &self.region, &self.service).now(self.now)
    }
}

/// The request botocore's signature is for, as a server receives it: the wire URL's target and
/// host, the application's headers with botocore's signature headers in place of any earlier
/// ones, the body.
fn botocore_cases() -> Vec<BotocoreCase> {
    let fixtures: Value = serde_json::from_str(BOTOCORE).unwrap();
    fixtures["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let s = |v: &Value| v.as_str().unwrap().to_owned();
            let expected = &case["expected"];
            let wire_url = expected["wire_url"].as_str().unwrap();
            let after_scheme = &wire_url[wire_url.find("://").unwrap() + 3..];
            let target_start = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
            let target = match &after_scheme[target_start..] {
                "" => "/".to_owned(),
                t if t.starts_with('?') => format!("/{t}"),
                t => t.to_owned(),
            };
            let url = url::Url::parse(wire_url).unwrap();
            let host = match url.port() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap()),
                None => url.host_str().unwrap().to_owned(),
            };
            let mut headers = vec![("Host".to_owned(), host)];
            for header in case["headers"].as_array().unwrap() {
                let name = s(&header[0]);
                if ![
                    "authorization",
                    "x-amz-date",
                    "x-amz-security-token",
                    "x-amz-content-sha256",
                ]
                .contains(&name.to_ascii_lowercase().as_str())
                {
                    headers.push((name, s(&header[1])));
                }
            }
            for (name, key) in [
                ("X-Amz-Date", "x_amz_date"),
                ("X-Amz-Security-Token", "x_amz_security_token"),
                ("X-Amz-Content-SHA256", "x_amz_content_sha256"),
                ("Authorization", "authorization"),
            ] {
                if let Some(value) = expected[key].as_str() {
                    headers.push((name.to_owned(), value.to_owned()));
                }
            }
            let body = match case["body"].as_str() {
                Some(b64) => base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
                None => Vec::new(),
            };
            let creds = &case["credentials"];
            BotocoreCase {
                name: s(&case["name"]),
                service: s(&case["service"]),
                region: s(&case["region"]),
                credentials: Credentials::new(
                    s(&creds["access_key"]),
                    s(&creds["secret_key"]),
                    creds["session_token"].as_str().map(str::to_owned),
                    None,
                    "botocore-fixtures",
                ),
                now: unix(case["unix_time"].as_u64().unwrap()),
                request: Owned {
                    method: s(&case["method"]),
                    target,
                    headers,
                    body,
                },
                canonical_request: s(&expected["canonical_request"]),
                string_to_sign: s(&expected["string_to_sign"]),
            }
        })
        .collect()
}

fn botocore_case(name: &str) -> BotocoreCase {
    botocore_cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no botocore case {name}"))
}

#[test]
fn every_botocore_signed_request_is_accepted() {
    let cases = botocore_cases();
    assert!(cases.len() >= 60, "{} botocore cases", cases.len());
    for case in &cases {
        if let Err(rejection) = case.request.verify(&case.verifier()) {
            panic!("botocore case {} refused: {rejection}", case.name);
        }
    }
}

#[test]
fn canonical_request_and_string_to_sign_match_botocore() {
    for case in botocore_cases() {
        let wrong = Credentials::new(
            case.credentials.access_key_id(),
            WRONG_SECRET,
            case.credentials.session_token().map(str::to_owned),
            None,
            "test",
        );
        let rejection = case.request.verify(&case.verifier_with(wrong)).unwrap_err();
        assert_eq!(
            rejection.reason(),
            RejectReason::SignatureMismatch,
            "{}",
            case.name
        );
        assert_eq!(
            rejection.canonical_request(),
            Some(redact_token(&case.canonical_request).as_str()),
            "{}",
            case.name
        );
        assert_eq!(
            rejection.string_to_sign(),
            Some(case.string_to_sign.as_str()),
            "{}",
            case.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tampering

/// `patch-json-with-token`: a JSON body, a session token, `x-amz-content-sha256`.
fn signed_with_token() -> BotocoreCase {
    let case = botocore_case("patch-json-with-token");
    assert!(case.credentials.session_token().is_some());
    assert!(!case.request.body.is_empty());
    case.request.verify(&case.verifier()).unwrap();
    case
}

fn reason(result: Result<(), Rejection>) -> RejectReason {
    result.expect_err("the request was accepted").reason()
}

#[tokio::test]
async fn a_changed_body_byte_is_refused() {
    let case = signed_with_token();
    let mut request = case.request.clone();
    request.body[0] ^= 0x01;
    let rejection = request.verify(&case.verifier()).unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::BodyHashMismatch);
    assert!(rejection.to_string().contains("hashes to"), "{rejection}");

    // Without x-amz-content-sha256 the body hash is only in the signature.
    let (mut request, verifier) = signed_without_content_sha256().await;
    request.body[0] ^= 0x01;
    assert_eq!(
        reason(request.verify(&verifier)),
        RejectReason::SignatureMismatch
    );
}

/// A request with a body, signed by this crate without `x-amz-content-sha256`: the body's hash
/// is only in the signature.
async fn signed_without_content_sha256() -> (Owned, Verifier) {
    let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
    let time = unix(1_795_955_696);
    let auth = reqwest_aws_auth::AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(credentials.clone())
        .content_sha256_header(false)
        .time_source(aws_smithy_async::time::StaticTimeSource::new(time))
        .build()
        .unwrap();
    let mut request = reqwest::Client::new()
        .post("https://abc123.execute-api.us-east-1.amazonaws.com/prod/items")
        .header("content-type", "application/json")
        .body(r#"{"name":"widget"}"#)
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    assert!(!request.headers().contains_key("x-amz-content-sha256"));
    let mut headers = vec![(
        "host".to_owned(),
        request.url().host_str().unwrap().to_owned(),
    )];
    for (name, value) in request.headers() {
        headers.push((name.to_string(), value.to_str().unwrap().to_owned()));
    }
    let owned = Owned {
        method: request.method().to_string(),
        target: request.url()[url::Position::BeforePath..].to_owned(),
        headers,
        body: request.body().unwrap().as_bytes().unwrap().to_vec(),
    };
    let verifier = Verifier::new(credentials, "us-east-1", "execute-api").now(time);
    owned.verify(&verifier).unwrap();
    (owned, verifier)
}

#[test]
fn a_changed_path_or_query_is_refused() {
    let case = signed_with_token();
    for target in [
        "/prod/items/43",
        "/prod/items/42/",
        "/prod/Items/42",
        "/prod/items/42?",
    ] {
        let mut request = case.request.clone();
        request.target = target.to_owned();
        let result = request.verify(&case.verifier());
        if target.ends_with('?') {
            // An empty query is no query: the same canonical request.
            assert!(result.is_ok(), "{target}");
        } else {
            assert_eq!(reason(result), RejectReason::SignatureMismatch, "{target}");
        }
    }

    let case = botocore_case("query-repeated-keys");
    for target in [
        "/prod/items?tag=z&tag=a&tag=m&a=2",
        "/prod/items?tag=z&tag=a&a=1",
        "/prod/items?tag=z&tag=a&tag=m&a=1&b",
        "/prod/items",
    ] {
        let mut request = case.request.clone();
        request.target = target.to_owned();
        assert_eq!(
            reason(request.verify(&case.verifier())),
            RejectReason::SignatureMismatch,
            "{target}"
        );
    }
    // Reordering the pairs keeps the canonical query: still valid.
    let mut request = case.request.clone();
    request.target = "/prod/items?a=1&tag=m&tag=z&tag=a".to_owned();
    request.verify(&case.verifier()).unwrap();
}

#[test]
fn a_changed_signed_header_is_refused_and_an_unsigned_one_is_not() {
    let case = signed_with_token();
    let mut request = case.request.clone();
    *request.header_mut("content-type") = "text/plain".to_owned();
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::SignatureMismatch
    );

    let mut request = case.request.clone();
    request.remove_header("content-type");
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::MissingSignedHeader
    );

    // Whitespace that canonicalisation removes, and an unsigned header, change nothing.
    let mut request = case.request.clone();
    *request.header_mut("content-type") = format!("  {}  ", request.header_mut("content-type"));
    request
        .headers
        .push(("user-agent".to_owned(), "anything".to_owned()));
    request.verify(&case.verifier()).unwrap();

    let mut request = case.request.clone();
    request
        .headers
        .push(("content-type".to_owned(), "second".to_owned()));
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::SignatureMismatch
    );
}

#[test]
fn a_wrong_scope_is_refused_with_the_part_that_differs() {
    let case = signed_with_token();
    let cases = [
        ("/us-east-1/", "/eu-west-1/", RejectReason::WrongRegion),
        ("/execute-api/", "/lambda/", RejectReason::WrongService),
        (
            "/aws4_request",
            "/aws4_requesx",
            RejectReason::WrongScopeTerminator,
        ),
        ("/20261129/", "/20261128/", RejectReason::WrongScopeDate),
        (
            "Credential=AKIDEXAMPLE/",
            "Credential=AKIDOTHER/",
            RejectReason::WrongAccessKey,
        ),
    ];
    for (from, to, expected) in cases {
        let mut request = case.request.clone();
        let authorization = request.header_mut("authorization");
        assert!(authorization.contains(from), "{authorization}");
        *authorization = authorization.replace(from, to);
        let rejection = request.verify(&case.verifier()).unwrap_err();
        assert_eq!(rejection.reason(), expected, "{from} -> {to}");
        // The canonical request and string-to-sign are shown even so.
        assert!(rejection.canonical_request().is_some());
        if expected != RejectReason::WrongAccessKey {
            // The scope in the string-to-sign is the request's.
            let string_to_sign = rejection.string_to_sign().unwrap();
            assert!(
                string_to_sign.contains(to.trim_matches('/')),
                "{string_to_sign}"
            );
        }
    }

    // The verifier expects another region or service than the one signed for.
    let verifier =
        Verifier::new(case.credentials.clone(), "eu-west-1", "execute-api").now(case.now);
    assert_eq!(
        reason(case.request.verify(&verifier)),
        RejectReason::WrongRegion
    );
    let verifier = Verifier::new(case.credentials.clone(), "us-east-1", "lambda").now(case.now);
    assert_eq!(
        reason(case.request.verify(&verifier)),
        RejectReason::WrongService
    );
}

#[test]
fn a_wrong_secret_is_refused() {
    let case = signed_with_token();
    let credentials = Credentials::new(
        case.credentials.access_key_id(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
        case.credentials.session_token().map(str::to_owned),
        None,
        "test",
    );
    let rejection = case
        .request
        .verify(&case.verifier_with(credentials))
        .unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
    // The signature is still the request's; only the expected one differs.
    let mut request = case.request.clone();
    let authorization = request.header_mut("authorization");
    let last = authorization.pop().unwrap();
    authorization.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::SignatureMismatch
    );
}

#[test]
fn a_stale_or_future_date_is_refused_outside_the_skew_window() {
    let case = signed_with_token();
    let verifier = |now| case.verifier().now(now);
    for (now, ok) in [
        (case.now + Duration::from_secs(299), true),
        (case.now - Duration::from_secs(300), true),
        (case.now + Duration::from_secs(301), false),
        (case.now - Duration::from_secs(3600), false),
    ] {
        let result = case.request.verify(&verifier(now));
        if ok {
            result.unwrap();
        } else {
            let rejection = result.unwrap_err();
            assert_eq!(rejection.reason(), RejectReason::DateOutOfRange);
            assert!(
                rejection.detail().contains("20261129T123456Z"),
                "{rejection}"
            );
        }
    }
    let wide = case
        .verifier()
        .now(case.now + Duration::from_secs(3600))
        .max_skew(Duration::from_secs(3600));
    case.request.verify(&wide).unwrap();

    // Against the system clock, a 2026-11-29T12:34:56Z signature is stale (or not yet valid).
    let system_clock = Verifier::new(case.credentials.clone(), &case.region, &case.service);
    let now = SystemTime::now();
    if now.duration_since(case.now).unwrap_or_default() > Duration::from_secs(300)
        || case.now.duration_since(now).unwrap_or_default() > Duration::from_secs(300)
    {
        assert_eq!(
            reason(case.request.verify(&system_clock)),
            RejectReason::DateOutOfRange
        );
    }

    // A changed x-amz-date no longer matches the scope (or, within the same day, the signature).
    let mut request = case.request.clone();
    *request.header_mut("x-amz-date") = "20261130T123456Z".to_owned();
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::WrongScopeDate
    );
    let mut request = case.request.clone();
    *request.header_mut("x-amz-date") = "20261129T123457Z".to_owned();
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::SignatureMismatch
    );
    *request.header_mut("x-amz-date") = "2026-11-29T12:34:57Z".to_owned();
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::MalformedDate
    );
    request.remove_header("x-amz-date");
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::MissingDate
    );
}

#[test]
fn session_token_rules() {
    let case = signed_with_token();

    // Credentials with a token, a request without one.
    let mut request = case.request.clone();
    request.remove_header("x-amz-security-token");
    let rejection = request.verify(&case.verifier()).unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::MissingSessionToken);

    // A request signed without a token, for credentials that have one.
    let plain = botocore_case("vanilla-get");
    let with_token = Credentials::new(
        plain.credentials.access_key_id(),
        plain.credentials.secret_access_key(),
        Some("a-session-token".to_owned()),
        None,
        "test",
    );
    assert_eq!(
        reason(plain.request.verify(&plain.verifier_with(with_token))),
        RejectReason::MissingSessionToken
    );

    // Another token than the credentials'.
    let other = Credentials::new(
        case.credentials.access_key_id(),
        case.credentials.secret_access_key(),
        Some("another-token".to_owned()),
        None,
        "test",
    );
    assert_eq!(
        reason(case.request.verify(&case.verifier_with(other))),
        RejectReason::SessionTokenMismatch
    );

    // A token sent for credentials that have none.
    let no_token = Credentials::new(
        case.credentials.access_key_id(),
        case.credentials.secret_access_key(),
        None,
        None,
        "test",
    );
    assert_eq!(
        reason(case.request.verify(&case.verifier_with(no_token))),
        RejectReason::SessionTokenMismatch
    );

    // A token sent but not signed.
    let mut request = case.request.clone();
    let authorization = request.header_mut("authorization");
    *authorization = authorization.replace(";x-amz-security-token", "");
    assert_eq!(
        reason(request.verify(&case.verifier())),
        RejectReason::SessionTokenNotSigned
    );
}

#[test]
fn malformed_or_incomplete_authorization_is_refused() {
    let case = botocore_case("vanilla-get");
    type Edit = (&'static str, fn(&mut Owned), RejectReason);
    let edits: [Edit; 8] = [
        (
            "no authorization",
            |r| r.remove_header("authorization"),
            RejectReason::MissingAuthorization,
        ),
        (
            "bearer",
            |r| *r.header_mut("authorization") = "Bearer abc".to_owned(),
            RejectReason::MalformedAuthorization,
        ),
        (
            "sigv4a",
            |r| {
                let a = r.header_mut("authorization");
                *a = a.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256");
            },
            // With SigV4a supported, a SigV4 scope under its name is malformed.
            if cfg!(feature = "sigv4a") {
                RejectReason::MalformedAuthorization
            } else {
                RejectReason::UnsupportedAlgorithm
            },
        ),
        (
            "unsorted signed headers",
            |r| {
                let a = r.header_mut("authorization");
                *a = a.replace(
                    "host;x-amz-content-sha256;x-amz-date",
                    "x-amz-date;host;x-amz-content-sha256",
                );
            },
            RejectReason::MalformedAuthorization,
        ),
        (
            "host unsigned",
            |r| {
                let a = r.header_mut("authorization");
                *a = a.replace("host;", "");
            },
            RejectReason::HostNotSigned,
        ),
        (
            "date unsigned",
            |r| {
                let a = r.header_mut("authorization");
                *a = a.replace(";x-amz-date", "");
            },
            RejectReason::DateNotSigned,
        ),
        (
            "content sha unsigned",
            |r| {
                let a = r.header_mut("authorization");
                *a = a.replace(";x-amz-content-sha256", "");
            },
            RejectReason::ContentSha256NotSigned,
        ),
        (
            "raw space in target",
            |r| r.target = "/prod/my items".to_owned(),
            RejectReason::MalformedTarget,
        ),
    ];
    for (what, edit, expected) in edits {
        let mut request = case.request.clone();
        edit(&mut request);
        assert_eq!(reason(request.verify(&case.verifier())), expected, "{what}");
    }

    // S3 requires x-amz-content-sha256.
    let s3 = botocore_case("s3-get-object");
    let mut request = s3.request.clone();
    request.remove_header("x-amz-content-sha256");
    let authorization = request.header_mut("authorization");
    *authorization = authorization.replace(";x-amz-content-sha256", "");
    assert_eq!(
        reason(request.verify(&s3.verifier())),
        RejectReason::MissingContentSha256
    );
}

#[test]
fn rejections_explain_themselves_without_secrets() {
    let case = signed_with_token();
    let secret = case.credentials.secret_access_key().to_owned();
    let token = case.credentials.session_token().unwrap().to_owned();
    let mut request = case.request.clone();
    request.target = "/prod/items/43".to_owned();
    let rejection = request.verify(&case.verifier()).unwrap_err();
    let shown = rejection.to_string();
    let debug = format!("{rejection:?} {:?}", case.verifier());
    for text in [&shown, &debug] {
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains(&token), "{text}");
    }
    assert!(
        shown.starts_with("SigV4 verification failed: signature mismatch: "),
        "{shown}"
    );
    assert!(
        shown.contains("\n\ncanonical request:\nPATCH\n/prod/items/43\n"),
        "{shown}"
    );
    assert!(
        shown.contains("x-amz-security-token:** redacted (length="),
        "{shown}"
    );
    assert!(
        shown.contains("\n\nstring to sign:\nAWS4-HMAC-SHA256\n20261129T123456Z\n20261129/us-east-1/execute-api/aws4_request\n"),
        "{shown}"
    );

    // ReceivedRequest's Debug redacts the token too.
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let received = ReceivedRequest {
        method: &request.method,
        target: &request.target,
        headers: &headers,
        body: &request.body,
    };
    assert!(!format!("{received:?}").contains(&token));
}

/// Signs `GET /?q=a+b` for `execute-api` with `string_to_sign`'s signature at 2015-08-30.
fn plus_request(string_to_sign: Option<&str>, secret: &str) -> Owned {
    let time = unix(1_440_938_160);
    let signature = string_to_sign.map_or("0".repeat(64), |sts| {
        let key =
            aws_sigv4::sign::v4::generate_signing_key(secret, time, "us-east-1", "execute-api");
        aws_sigv4::sign::v4::calculate_signature(key, sts.as_bytes())
    });
    Owned {
        method: "GET".into(),
        target: "/?q=a+b".into(),
        headers: vec![
            ("host".into(), "example.amazonaws.com".into()),
            ("x-amz-date".into(), "20150830T123600Z".into()),
            (
                "authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature={signature}"
                ),
            ),
        ],
        body: Vec::new(),
    }
}

/// A literal `+` in a query is a plus to some services and a space to others (aws-sigv4 and
/// this crate's signer read it as a space, botocore as a plus): the verifier accepts either
/// reading, and its rejection says it tried both.
#[test]
fn a_literal_plus_in_the_query_is_accepted_under_either_reading() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let credentials = Credentials::new("AKIDEXAMPLE", secret, None, None, "test");
    let verifier =
        Verifier::new(credentials.clone(), "us-east-1", "execute-api").now(unix(1_440_938_160));

    // The verifier's own workings for the literal reading, from a refused request.
    let refused = plus_request(None, secret).verify(&verifier).unwrap_err();
    assert_eq!(refused.reason(), RejectReason::SignatureMismatch);
    assert!(
        refused.detail().contains("literal plus") && refused.detail().contains("space"),
        "{refused}"
    );
    let canonical = refused.canonical_request().unwrap();
    assert!(canonical.contains("\nq=a%2Bb\n"), "{canonical}");
    plus_request(refused.string_to_sign(), secret)
        .verify(&verifier)
        .expect("signed with `+` as a plus");

    // aws-sigv4, signing the same URL, reads `+` as a space.
    let identity = aws_smithy_runtime_api::client::identity::Identity::from(credentials);
    let mut settings = aws_sigv4::http_request::SigningSettings::default();
    settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::NoHeader;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("execute-api")
        .time(unix(1_440_938_160))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        "GET",
        "https://example.amazonaws.com/?q=a+b",
        [("host", "example.amazonaws.com")].into_iter(),
        aws_sigv4::http_request::SignableBody::Bytes(&[]),
    )
    .unwrap();
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .unwrap()
        .into_parts();
    let mut request = plus_request(None, secret);
    for header in instructions.headers() {
        *request.header_mut(header.0) = header.1.to_owned();
    }
    request
        .verify(&verifier)
        .expect("signed with `+` as a space");
}

// ---------------------------------------------------------------------------------------------
// Size (issue 25.11): handled correctly whatever the size; the time is in `benches/verify.rs`.

const HUGE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2026-12-07T12:00:00Z.
const HUGE_DATE: &str = "20261207T120000Z";

fn huge_verifier() -> Verifier {
    let credentials = Credentials::new("AKIDEXAMPLE", HUGE_SECRET, None, None, "test");
    Verifier::new(credentials, "us-east-1", "execute-api").now(unix(1_796_644_800))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `GET /` with `host`, `x-amz-date` and `extra` (lowercase names, each once, values without
/// spaces), every header signed: the canonical request written out by hand.
fn signed_by_hand(extra: Vec<(String, String)>) -> Owned {
    let mut headers = vec![
        ("host".to_owned(), "example.amazonaws.com".to_owned()),
        ("x-amz-date".to_owned(), HUGE_DATE.to_owned()),
    ];
    headers.extend(extra);
    let mut sorted: Vec<&(String, String)> = headers.iter().collect();
    sorted.sort();
    let names: Vec<&str> = sorted.iter().map(|(name, _)| name.as_str()).collect();
    let signed_headers = names.join(";");
    let mut canonical = "GET\n/\n\n".to_owned();
    for (name, value) in &sorted {
        canonical.push_str(&format!("{name}:{value}\n"));
    }
    canonical.push_str(&format!("\n{signed_headers}\n{}", sha256_hex(b"")));
    let scope = format!("{}/us-east-1/execute-api/aws4_request", &HUGE_DATE[..8]);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{HUGE_DATE}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(
        HUGE_SECRET,
        unix(1_796_644_800),
        "us-east-1",
        "execute-api",
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    headers.push((
        "authorization".to_owned(),
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders={signed_headers}, \
             Signature={signature}"
        ),
    ));
    Owned {
        method: "GET".into(),
        target: "/".into(),
        headers,
        body: Vec::new(),
    }
}

#[test]
fn many_signed_headers_and_a_huge_authorization_are_verified_or_refused_correctly() {
    let verifier = huge_verifier();

    // 16k signed names, 16k headers: verified; one value changed or one header gone: refused.
    let many = signed_by_hand(
        (0..16_384)
            .map(|i| (format!("x-h{i:05}"), format!("v{i}")))
            .collect(),
    );
    many.verify(&verifier).expect("16k signed headers");
    let mut changed = many.clone();
    *changed.header_mut("x-h09999") = "v9999x".to_owned();
    assert_eq!(
        reason(changed.verify(&verifier)),
        RejectReason::SignatureMismatch
    );
    let mut missing = many.clone();
    missing.remove_header("x-h12345");
    let rejection = missing.verify(&verifier).unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::MissingSignedHeader);
    assert!(rejection.detail().contains("`x-h12345`"), "{rejection}");
    // Names in any case, values sent in several lines: the same request.
    let mut split = many.clone();
    for (name, _) in split
        .headers
        .iter_mut()
        .filter(|(n, _)| n.starts_with("x-h0"))
    {
        *name = name.to_ascii_uppercase();
    }
    split.verify(&verifier).expect("names in upper case");

    // 16k signed names of 576 bytes: a 9 MiB Authorization, verified.
    let long_names = signed_by_hand(
        (0..16_384)
            .map(|i| (format!("x-{}{i:06}", "a".repeat(568)), format!("v{i}")))
            .collect(),
    );
    let authorization = &long_names.headers.last().unwrap().1;
    assert!(authorization.len() > 9 << 20, "{}", authorization.len());
    long_names.verify(&verifier).expect("a 9 MiB Authorization");

    // 16k lines of one header: one signed name, the values joined in order.
    let mut repeated = signed_by_hand(vec![(
        "x-repeated".to_owned(),
        (0..16_384)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(","),
    )]);
    let at = repeated
        .headers
        .iter()
        .position(|(n, _)| n == "x-repeated")
        .unwrap();
    repeated.headers.splice(
        at..=at,
        (0..16_384).map(|i| ("x-repeated".to_owned(), i.to_string())),
    );
    repeated.verify(&verifier).expect("16k lines of one header");
    repeated.headers.swap(at, at + 1);
    assert_eq!(
        reason(repeated.verify(&verifier)),
        RejectReason::SignatureMismatch
    );

    // 9 MiB that are not SigV4, or not well formed: refused, without being echoed.
    let filler = "k".repeat(9 << 20);
    let scope = format!(
        "AKIDEXAMPLE/{}/us-east-1/execute-api/aws4_request",
        &HUGE_DATE[..8]
    );
    for value in [
        filler.clone(),
        format!("AWS4-HMAC-SHA256 {filler}"),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date;{filler}, Signature={}",
            "0".repeat(64)
        ),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date;x-{filler}, Signature={}",
            "0".repeat(64)
        ),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature={}{}",
            "0".repeat(64),
            " ".repeat(9 << 20)
        ),
    ] {
        let mut request = signed_by_hand(Vec::new());
        *request.header_mut("authorization") = value.clone();
        let rejection = request.verify(&verifier).unwrap_err();
        // The detail quotes at most a short prefix of what it names; the canonical request
        // shown holds the signed names, never the header's text.
        let detail = rejection.detail();
        assert!(
            detail.len() < 1024,
            "{} bytes: {detail:.1024}",
            detail.len()
        );
        assert!(!detail.contains(&"k".repeat(101)), "{detail:.1024}");
        assert!(
            !rejection.to_string().contains(&value),
            "{:?}",
            rejection.reason()
        );
    }
}

/// Issue 25.5 for the verifier: its rejections and `ReceivedRequest`'s `Debug` never show the
/// `Authorization` text, bearer keys, SSE-C keys or cookies, and it logs nothing that does.
#[test]
fn the_verifier_never_shows_the_authorization_text_or_secret_headers() {
    let key =
        "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbg==";
    let sse_c = "c2VjcmV0LXNzZS1jLWtleS1vZi0zMi1ieXRlcyEhISE=";
    let scope = format!(
        "AKIDEXAMPLE/{}/us-east-1/execute-api/aws4_request",
        &HUGE_DATE[..8]
    );
    let verifier = huge_verifier();
    let signed = signed_by_hand(vec![
        (
            "x-amz-server-side-encryption-customer-key".to_owned(),
            sse_c.to_owned(),
        ),
        ("x-api-key".to_owned(), key.to_owned()),
        ("cookie".to_owned(), format!("k={key}")),
        ("proxy-authorization".to_owned(), format!("Basic {key}")),
    ]);
    signed.verify(&verifier).expect("signed by hand");
    let (captured, _guard) = capture_logs::capture();
    for authorization in [
        key.to_owned(),
        format!("Bearer\t{key}"),
        format!("bearer {key}"),
        format!("AWS4-{key}"),
        format!("AWS4-HMAC-SHA256 {key}"),
        format!(
            "AWS4-HMAC-SHA256 Credential={key}, SignedHeaders=host, Signature={}",
            "0".repeat(64)
        ),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={key}, Signature={}",
            "0".repeat(64)
        ),
        format!(
            "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=authorization;cookie;host;\
             proxy-authorization;x-amz-date;x-amz-server-side-encryption-customer-key;x-api-key, \
             Signature={}",
            "0".repeat(64)
        ),
    ] {
        let mut request = signed.clone();
        *request.header_mut("authorization") = authorization.clone();
        let rejection = request.verify(&verifier).unwrap_err();
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let received = ReceivedRequest {
            method: &request.method,
            target: &request.target,
            headers: &headers,
            body: &request.body,
        };
        let shown = format!(
            "{rejection}\n{rejection:?}\n{received:?}\n{verifier:?}\n{}",
            captured.text()
        );
        for secret in [authorization.as_str(), key, sse_c, HUGE_SECRET] {
            assert!(!shown.contains(secret), "`{secret}` shown in:\n{shown}");
        }
    }
    // The last one was refused for its signature, with the canonical request shown, redacted.
    let mut request = signed.clone();
    let authorization = request.header_mut("authorization");
    *authorization = authorization.replace("SignedHeaders=", "SignedHeaders=authorization;");
    let rejection = request.verify(&verifier).unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
    let canonical = rejection.canonical_request().unwrap();
    assert!(
        canonical.contains("\nauthorization:** redacted (length="),
        "{canonical}"
    );
    assert!(
        canonical.contains("\nx-api-key:** redacted (length="),
        "{canonical}"
    );
}
