//! SigV4a against the AWS CRT (the signer botocore uses for SigV4a), both ways.
//!
//! - `crt_signed_requests_pass_the_verifier`: the table of requests the CRT signed
//!   (`tests/fixtures/sigv4a/crt_signed.json`, made by `scripts/sigv4a_crt.py sign`; CI signs a
//!   fresh one and names it in `SIGV4A_CRT_TABLE`) passes the crate's verifier, and each one
//!   changed after signing is refused.
//! - `crate_signed_requests_pass_the_crt` (ignored: CI runs it, then the CRT's check): the crate
//!   signs the same shapes and writes them with the string to sign its signer logged;
//!   `scripts/sigv4a_crt.py verify` has the CRT sign each again and checks that both signatures
//!   verify over that one string to sign.
#![cfg(all(feature = "sigv4a", feature = "verify"))]

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use base64::Engine as _;
use reqwest_aws_auth::verify::{ReceivedRequest, RejectReason, Rejection, Verifier};
use reqwest_aws_auth::{AwsAuth, RegionSet};
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt as _;

const TABLE: &str = include_str!("fixtures/sigv4a/crt_signed.json");
/// The CRT signs with these names; the crate's requests carry them as the CRT would.
const SIGNING_NAMES: [&str; 5] = [
    "authorization",
    "x-amz-date",
    "x-amz-region-set",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

struct Case {
    name: String,
    service: String,
    region_set: String,
    session_token: bool,
    query_signed: bool,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

struct Table {
    credentials: Credentials,
    token_credentials: Credentials,
    signed_at: SystemTime,
    cases: Vec<Case>,
}

/// The checked-in table, or (CI) one the installed CRT has just signed.
fn table() -> Table {
    let text = match std::env::var("SIGV4A_CRT_TABLE") {
        Ok(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        Err(_) => TABLE.to_owned(),
    };
    let doc: Value = serde_json::from_str(&text).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    let akid = text(&doc["access_key_id"]);
    let secret = text(&doc["secret_access_key"]);
    let token = text(&doc["session_token"]);
    let cases = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: text(&c["name"]),
            service: text(&c["service"]),
            region_set: text(&c["region_set"]),
            session_token: c["session_token"].as_bool().unwrap(),
            query_signed: c["query_signed"].as_bool().unwrap(),
            method: text(&c["method"]),
            target: text(&c["target"]),
            headers: c["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (text(&h[0]), text(&h[1])))
                .collect(),
            body: base64::engine::general_purpose::STANDARD
                .decode(c["body_base64"].as_str().unwrap())
                .unwrap(),
        })
        .collect();
    Table {
        credentials: Credentials::new(&akid, &secret, None, None, "crt-table"),
        token_credentials: Credentials::new(&akid, &secret, Some(token), None, "crt-table"),
        signed_at: UNIX_EPOCH + Duration::from_secs(doc["signed_at"].as_u64().unwrap()),
        cases,
    }
}

impl Case {
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

    /// A region the set covers, as the service receiving it would be in.
    fn region_in_set(&self) -> &str {
        match self.region_set.as_str() {
            "*" => "ap-southeast-2",
            "eu-*" => "eu-west-3",
            list => list.rsplit(',').next().unwrap(),
        }
    }

    fn host(&self) -> &str {
        &self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .unwrap()
            .1
    }
}

fn verifier(table: &Table, case: &Case, region: &str) -> Verifier {
    let credentials = if case.session_token {
        &table.token_credentials
    } else {
        &table.credentials
    };
    Verifier::new(credentials.clone(), region, &case.service).now(table.signed_at)
}

#[test]
fn crt_signed_requests_pass_the_verifier() {
    let table = table();
    assert!(table.cases.len() >= 30, "{} cases", table.cases.len());
    let (mut accepted, mut tampered, mut outside_set) = (0, 0, 0);
    let mut refused = Vec::new();
    for case in &table.cases {
        let verifier = verifier(&table, case, case.region_in_set());
        if let Err(rejection) = case.verify(&verifier) {
            refused.push(format!(
                "{}: the CRT's request is refused: {rejection}",
                case.name
            ));
            continue;
        }
        accepted += 1;

        // The same request received with another path: the signature no longer verifies.
        let mut changed = Case {
            target: case.target.replacen('/', "/x", 1),
            headers: case.headers.clone(),
            body: case.body.clone(),
            name: case.name.clone(),
            service: case.service.clone(),
            region_set: case.region_set.clone(),
            method: case.method.clone(),
            ..*case
        };
        let rejection = changed.verify(&verifier).unwrap_err();
        assert_eq!(
            rejection.reason(),
            RejectReason::SignatureMismatch,
            "{}: {rejection}",
            case.name
        );
        // Another region set than the one signed: the ECDSA signature covers it.
        if !case.query_signed {
            let set = changed
                .headers
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-region-set"))
                .unwrap();
            set.1 = format!("{},{}", set.1, case.region_in_set());
            changed.target = case.target.clone();
            let rejection = changed.verify(&verifier).unwrap_err();
            assert_eq!(
                rejection.reason(),
                RejectReason::SignatureMismatch,
                "{}: {rejection}",
                case.name
            );
        }
        tampered += 1;

        // A service in a region outside the set refuses it, naming the set.
        if case.region_set != "*" {
            let rejection = case
                .verify(&verifier_for(&table, case, "sa-east-1"))
                .unwrap_err();
            assert_eq!(
                rejection.reason(),
                RejectReason::WrongRegion,
                "{}",
                case.name
            );
            assert!(
                rejection.detail().contains(&case.region_set),
                "{}: {}",
                case.name,
                rejection.detail()
            );
            outside_set += 1;
        }
    }
    eprintln!(
        "{accepted} CRT-signed requests accepted, {tampered} changed ones refused, \
         {outside_set} refused outside their region set"
    );
    assert!(refused.is_empty(), "{}", refused.join("\n\n"));
    assert!(outside_set >= 5);
}

fn verifier_for(table: &Table, case: &Case, region: &str) -> Verifier {
    verifier(table, case, region)
}

/// What the signer logged as its string to sign, for each request it signed.
#[derive(Clone, Default)]
struct StringsToSign(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StringsToSign {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Find(Option<String>);
        impl tracing::field::Visit for Find {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "string_to_sign" {
                    // Display-formatted fields reach a visitor through a Debug that writes
                    // the Display text.
                    self.0 = Some(format!("{value:?}"));
                }
            }
        }
        let mut find = Find(None);
        event.record(&mut find);
        if let Some(found) = find.0 {
            self.0.lock().unwrap().push(found);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "CI: writes the crate's SigV4a requests for `scripts/sigv4a_crt.py verify`"]
async fn crate_signed_requests_pass_the_crt() {
    let table = table();
    let strings = StringsToSign::default();
    let subscriber = tracing_subscriber::registry()
        .with(strings.clone())
        .with(tracing_subscriber::filter::LevelFilter::DEBUG);
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut out = Vec::new();
    for case in &table.cases {
        let credentials = if case.session_token {
            table.token_credentials.clone()
        } else {
            table.credentials.clone()
        };
        let auth = AwsAuth::builder()
            .service(&case.service)
            // The ordinary region, for what needs one; the signature names the set.
            .region("us-east-1")
            .sigv4a(RegionSet::new(&case.region_set).unwrap())
            .credentials(credentials)
            .content_sha256_header(case.service == "vpc-lattice-svcs")
            .time_source(StaticTimeSource::new(table.signed_at))
            .build()
            .unwrap();
        let (path, query) = case.target.split_once('?').unwrap_or((&case.target, ""));
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("X-Amz-"))
            .collect();
        let url = if kept.is_empty() {
            format!("https://{}{path}", case.host())
        } else {
            format!("https://{}{path}?{}", case.host(), kept.join("&"))
        };
        let mut builder = reqwest::Client::new().request(case.method.parse().unwrap(), &url);
        for (name, value) in &case.headers {
            let lower = name.to_ascii_lowercase();
            if lower != "host" && !SIGNING_NAMES.contains(&lower.as_str()) {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        let mut request = builder.body(case.body.clone()).build().unwrap();
        let before = strings.0.lock().unwrap().len();
        let (target, headers) = if case.query_signed {
            let expires = Duration::from_secs(900);
            let url = auth.presign(&request, expires).await.unwrap();
            let target = url[url::Position::BeforePath..].to_owned();
            (target, vec![("host".to_owned(), case.host().to_owned())])
        } else {
            auth.sign(&mut request).await.unwrap();
            let url = request.url();
            let mut headers = vec![("host".to_owned(), case.host().to_owned())];
            for (name, value) in request.headers() {
                headers.push((name.as_str().to_owned(), value.to_str().unwrap().to_owned()));
            }
            (url[url::Position::BeforePath..].to_owned(), headers)
        };
        let logged = strings.0.lock().unwrap();
        assert_eq!(logged.len(), before + 1, "{}: one signing event", case.name);
        let string_to_sign = logged[before].clone();
        drop(logged);
        assert!(
            string_to_sign.starts_with("AWS4-ECDSA-P256-SHA256\n"),
            "{}: {string_to_sign}",
            case.name
        );
        let signed = Case {
            target: target.clone(),
            headers: headers.clone(),
            name: case.name.clone(),
            service: case.service.clone(),
            region_set: case.region_set.clone(),
            method: case.method.clone(),
            body: case.body.clone(),
            ..*case
        };
        signed
            .verify(&verifier(&table, case, case.region_in_set()))
            .unwrap_or_else(|r| panic!("{}: the crate's own request is refused: {r}", case.name));
        out.push(json!({
            "name": case.name,
            "session_token": case.session_token,
            "query_signed": case.query_signed,
            "method": case.method,
            "target": target,
            "headers": headers,
            "body_base64": base64::engine::general_purpose::STANDARD.encode(&case.body),
            "string_to_sign": string_to_sign,
        }));
    }
    let doc = json!({
        "about": "Requests signed with SigV4a by reqwest-aws-auth, for scripts/sigv4a_crt.py verify",
        "access_key_id": table.credentials.access_key_id(),
        "secret_access_key": table.credentials.secret_access_key(),
        "cases": out,
    });
    let path = std::env::var("SIGV4A_CRATE_SIGNED").unwrap_or_else(|_| {
        concat!(env!("CARGO_TARGET_TMPDIR"), "/sigv4a_crate_signed.json").into()
    });
    let mut file = std::fs::File::create(&path).unwrap();
    serde_json::to_writer_pretty(&mut file, &doc).unwrap();
    file.write_all(b"\n").unwrap();
    eprintln!(
        "{} requests signed by the crate written to {path}",
        table.cases.len()
    );
}
