//! Short-term Bedrock API keys: the same keys as AWS's generator, expiry rules, and refresh.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::TimeSource;
use base64::Engine as _;
use reqwest_aws_auth::bedrock::{
    MAX_SHORT_TERM_KEY_LIFETIME, ShortTermKeyProvider, mint_short_term_key, parse_short_term_key,
};
use reqwest_aws_auth::{AwsAuth, ErrorKind};

const FIXTURE: &str = include_str!("fixtures/bedrock_token_generator.json");

/// 2026-11-29T12:00:00Z, the fixture's clock.
fn fixture_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_953_600)
}

/// The decoded presigned URL: host+path, then the query parameters in order.
fn decode(token: &str) -> (String, Vec<(String, String)>) {
    let b64 = token.strip_prefix("bedrock-api-key-").expect("prefix");
    let url = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    assert!(!url.contains("://"), "the scheme is dropped: {url}");
    let (base, query) = url.split_once('?').unwrap();
    let params = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (base.to_owned(), params)
}

/// What must agree between two generators minting at different times with different keys.
fn structure(token: &str) -> (String, Vec<String>, BTreeMap<String, String>) {
    let (base, params) = decode(token);
    let names = params.iter().map(|(k, _)| k.clone()).collect();
    let mut fixed = BTreeMap::new();
    for (k, v) in params {
        match k.as_str() {
            "X-Amz-Credential" => {
                // AKID%2Fdate%2Fregion%2Fservice%2Faws4_request: keep region/service/terminator.
                let parts: Vec<&str> = v.split("%2F").collect();
                assert_eq!(parts.len(), 5, "{v}");
                fixed.insert(k, parts[2..].join("/"));
            }
            "X-Amz-Date" | "X-Amz-Signature" | "X-Amz-Security-Token" => {
                fixed.insert(k, format!("<{} chars>", v.len().min(64)));
            }
            _ => {
                fixed.insert(k, v);
            }
        }
    }
    (base, names, fixed)
}

struct Case {
    name: String,
    region: String,
    expires: u64,
    session_token: Option<String>,
    token: String,
}

fn fixture_cases() -> (Credentials, Vec<Case>) {
    let json: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_owned(),
            region: c["region"].as_str().unwrap().to_owned(),
            expires: c["expires"].as_u64().unwrap(),
            session_token: c["session_token"].as_str().map(str::to_owned),
            token: c["token"].as_str().unwrap().to_owned(),
        })
        .collect();
    let creds = Credentials::new(
        json["access_key"].as_str().unwrap(),
        json["secret_key"].as_str().unwrap(),
        None,
        None,
        "fixture",
    );
    (creds, cases)
}

#[test]
fn minted_keys_equal_aws_generator_output_byte_for_byte() {
    let (base, cases) = fixture_cases();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let creds = Credentials::new(
            base.access_key_id(),
            base.secret_access_key(),
            case.session_token.clone(),
            None,
            "fixture",
        );
        let ours = mint_short_term_key(
            &creds,
            &case.region,
            fixture_time(),
            Duration::from_secs(case.expires),
        )
        .unwrap();
        assert_eq!(
            structure(ours.expose_secret()),
            structure(&case.token),
            "{}",
            case.name
        );
        // Same credentials, same clock: the signature (and so the whole key) is identical.
        assert_eq!(ours.expose_secret(), case.token, "{}", case.name);
        assert_eq!(
            ours.expires_at(),
            Some(fixture_time() + Duration::from_secs(case.expires))
        );
    }
}

#[test]
fn generator_keys_parse_to_their_scope_and_expiry() {
    let (_, cases) = fixture_cases();
    for case in cases {
        let info = parse_short_term_key(&case.token).unwrap();
        assert_eq!(info.host, "bedrock.amazonaws.com");
        assert_eq!(info.action.as_deref(), Some("CallWithBearerToken"));
        assert_eq!(info.region, case.region);
        assert_eq!(info.service, "bedrock");
        assert_eq!(info.version.as_deref(), Some("1"));
        assert_eq!(info.issued_at, fixture_time());
        assert_eq!(info.expires_in, Duration::from_secs(case.expires));
        assert_eq!(info.query_names.first().map(String::as_str), Some("Action"));
        assert_eq!(info.query_names.last().map(String::as_str), Some("Version"));
        assert_eq!(
            info.query_names
                .contains(&"X-Amz-Security-Token".to_owned()),
            case.session_token.is_some()
        );
    }
}

#[test]
fn expiry_is_bounded_by_12_hours_and_by_the_credentials() {
    let now = fixture_time();
    let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "static");
    for bad in [
        Duration::ZERO,
        Duration::from_millis(999),
        MAX_SHORT_TERM_KEY_LIFETIME + Duration::from_secs(1),
    ] {
        let err = mint_short_term_key(&creds, "us-east-1", now, bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{bad:?}");
    }
    assert!(mint_short_term_key(&creds, "us-east-1", now, MAX_SHORT_TERM_KEY_LIFETIME).is_ok());

    let expiring = Credentials::new(
        "AKID",
        "secret",
        Some("tok".into()),
        Some(now + Duration::from_secs(600)),
        "t",
    );
    let err =
        mint_short_term_key(&expiring, "us-east-1", now, Duration::from_secs(601)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(!err.to_string().contains("secret"));
    assert!(mint_short_term_key(&expiring, "us-east-1", now, Duration::from_secs(600)).is_ok());
    let err = mint_short_term_key(&creds, "US_EAST", now, Duration::from_secs(60)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
}

/// A clock the test moves by hand.
#[derive(Debug, Clone)]
struct FakeClock(Arc<Mutex<SystemTime>>);

impl FakeClock {
    fn new(at: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl TimeSource for FakeClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn provider_caches_and_mints_the_next_key_before_expiry() {
    let clock = FakeClock::new(fixture_time());
    let provider = ShortTermKeyProvider::builder()
        .region("us-west-2")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "static",
        ))
        .lifetime(Duration::from_secs(3600))
        .refresh_before(Duration::from_secs(300))
        .time_source(clock.clone())
        .build()
        .unwrap();

    let first = provider.key().await.unwrap();
    let info = parse_short_term_key(first.expose_secret()).unwrap();
    assert_eq!(
        (info.region.as_str(), info.issued_at),
        ("us-west-2", fixture_time())
    );
    assert_eq!(info.expires_in, Duration::from_secs(3600));

    clock.advance(Duration::from_secs(3600 - 301));
    assert_eq!(
        provider.key().await.unwrap(),
        first,
        "cached until the refresh point"
    );

    clock.advance(Duration::from_secs(2)); // 4 m 59 s before expiry
    let second = provider.key().await.unwrap();
    assert_ne!(second, first, "minted anew ahead of expiry");
    let info = parse_short_term_key(second.expose_secret()).unwrap();
    assert_eq!(info.issued_at, fixture_time() + Duration::from_secs(3301));
    assert!(info.expires_at() > clock.now() + Duration::from_secs(3000));
    assert_eq!(
        provider.clone().key().await.unwrap(),
        second,
        "clones share the cache"
    );
}

#[tokio::test]
async fn provider_keys_never_outlive_the_credentials() {
    let clock = FakeClock::new(fixture_time());
    let expiry = fixture_time() + Duration::from_secs(1800);
    let provider = ShortTermKeyProvider::builder()
        .region("eu-west-1")
        .credentials(Credentials::new(
            "AKID",
            "secret",
            Some("session".into()),
            Some(expiry),
            "t",
        ))
        .time_source(clock.clone())
        .build()
        .unwrap();
    let key = provider.key().await.unwrap();
    assert_eq!(key.expires_at(), Some(expiry));
    assert_eq!(
        parse_short_term_key(key.expose_secret())
            .unwrap()
            .expires_in,
        Duration::from_secs(1800)
    );

    assert_eq!(
        ShortTermKeyProvider::builder()
            .lifetime(Duration::from_secs(12 * 3600 + 1))
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidConfig
    );
}

#[tokio::test]
async fn provider_works_as_the_bearer_token_provider() {
    let clock = FakeClock::new(fixture_time());
    let provider = ShortTermKeyProvider::builder()
        .region("us-west-2")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "static",
        ))
        .time_source(clock.clone())
        .build()
        .unwrap();
    let auth = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token_provider(provider.clone())
        .time_source(clock.clone())
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let mut request = client
        .post("https://bedrock-mantle.us-west-2.api.aws/v1/responses")
        .body("{}")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    let header = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    let key = provider.key().await.unwrap();
    assert_eq!(header, format!("Bearer {}", key.expose_secret()));
    assert!(request.headers().get("x-amz-date").is_none());

    // The minted key is bound to us-west-2: another region's endpoint is refused.
    let mut request = client
        .post("https://bedrock-mantle.us-east-1.api.aws/v1/responses")
        .build()
        .unwrap();
    let err = AwsAuth::bedrock_mantle()
        .region("us-east-1")
        .bearer_token_provider(provider)
        .time_source(clock)
        .build()
        .unwrap()
        .sign(&mut request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RegionMismatch);
    assert!(
        err.to_string().contains("us-west-2") && err.to_string().contains("us-east-1"),
        "{err}"
    );
}

/// Mints with AWS's generator now and compares with a key minted here with the same inputs.
#[test]
#[ignore = "needs python3 + aws-bedrock-token-generator: run `pip install aws-bedrock-token-generator && cargo test --test bedrock_mint -- --ignored live_python_generator`"]
fn live_python_generator_agrees() {
    let out = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gen_bedrock_token.py"
        ))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checked_in: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    assert_eq!(
        live["cases"], checked_in["cases"],
        "the installed generator ({}) mints different keys from the fixture's",
        live["generator"]
    );
}
