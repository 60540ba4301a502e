//! Bedrock presets and bearer mode: precedence at build time, headers, transport and region
//! checks, Mantle's underscore headers, and reading short-term keys (with a fuzz loop).
//! Cases that depend on environment variables are in `bedrock_env.rs`.

#[path = "support/capture_logs.rs"]
mod capture_logs;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use base64::Engine as _;
use reqwest_aws_auth::bedrock::{
    self, BearerToken, ProvideBearerToken, ProviderError, mint_short_term_key, parse_short_term_key,
};
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, Error, ErrorKind};

const KEY: &str = "ABSKc2VjcmV0LWtleS1mb3ItdGVzdHM=";

fn creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "test",
    )
}

/// One client for the whole file: building one loads the TLS roots, which is slow.
static CLIENT: std::sync::LazyLock<reqwest::Client> =
    std::sync::LazyLock::new(reqwest::Client::new);

fn post(url: &str) -> reqwest::Request {
    CLIENT
        .post(url)
        .header("content-type", "application/json")
        .body(r#"{"model":"m","input":"hi"}"#)
        .build()
        .unwrap()
}

async fn sign(builder: AwsAuthBuilder, url: &str) -> Result<reqwest::Request, Error> {
    let mut request = post(url);
    builder.build()?.sign(&mut request).await?;
    Ok(request)
}

fn short_term_key(region: &str, issued: SystemTime, lifetime: Duration) -> String {
    mint_short_term_key(&creds(), region, issued, lifetime)
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn assert_no_secret(text: &str, secret: &str) {
    assert!(!text.contains(secret), "secret leaked into: {text}");
}

#[tokio::test]
async fn bearer_mode_replaces_signature_headers_with_a_sensitive_bearer_header() {
    let mut request = post("https://bedrock-mantle.us-west-2.api.aws/v1/responses");
    for (name, value) in [
        ("authorization", "AWS4-HMAC-SHA256 Credential=old"),
        ("x-amz-date", "20200101T000000Z"),
        ("x-amz-security-token", "old-session"),
        ("x-amz-content-sha256", "abc"),
        ("x-custom", "kept"),
    ] {
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    let auth = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token(format!("  {KEY}\n"))
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    let headers = request.headers();
    assert_eq!(headers["authorization"], format!("Bearer {KEY}").as_str());
    assert!(headers["authorization"].is_sensitive());
    for gone in ["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"] {
        assert!(headers.get(gone).is_none(), "{gone} left behind");
    }
    assert_eq!(headers.get_all("authorization").iter().count(), 1);
    assert_eq!(headers["x-custom"], "kept");
    assert_eq!(
        request.body().unwrap().as_bytes(),
        Some(&br#"{"model":"m","input":"hi"}"#[..])
    );
}

#[tokio::test]
async fn bearer_mode_sends_streaming_bodies_as_they_are() {
    let stream = futures_util_stream();
    let mut request = CLIENT
        .post("https://bedrock-mantle.us-west-2.api.aws/v1/responses")
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    AwsAuth::builder()
        .bearer_token(KEY)
        .build()
        .unwrap()
        .sign(&mut request)
        .await
        .unwrap();
    assert!(
        request.body().unwrap().as_bytes().is_none(),
        "still a stream"
    );
}

fn futures_util_stream()
-> tokio_stream::Iter<std::vec::IntoIter<Result<&'static [u8], std::io::Error>>> {
    tokio_stream::iter(vec![Ok(&b"{}"[..])])
}

#[tokio::test]
async fn bearer_only_setup_needs_no_signing_name() {
    let request = sign(
        AwsAuth::builder().bearer_token(KEY),
        "https://bedrock-runtime.us-east-1.amazonaws.com/x",
    )
    .await
    .unwrap();
    assert_eq!(
        request.headers()["authorization"],
        format!("Bearer {KEY}").as_str()
    );
    // Without a token the signing name is required again.
    assert_eq!(
        AwsAuth::builder().build().unwrap_err().kind(),
        ErrorKind::InvalidConfig
    );
}

#[test]
fn empty_or_unsendable_tokens_fail_at_build() {
    for token in ["", "   ", "\n\t"] {
        let err = AwsAuth::bedrock_mantle()
            .bearer_token(token)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidToken, "{token:?}");
    }
    let err = AwsAuth::builder()
        .bearer_token("secret-part\nsecond-line")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    assert_no_secret(&format!("{err} {err:?}"), "secret-part");
}

#[derive(Debug)]
struct Rotating(AtomicUsize);

#[async_trait::async_trait]
impl ProvideBearerToken for Rotating {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        Ok(BearerToken::new(format!("key-{n}")))
    }
}

#[derive(Debug)]
struct Failing;

#[async_trait::async_trait]
impl ProvideBearerToken for Failing {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        Err("vault unreachable".into())
    }
}

#[derive(Debug)]
struct Expired;

#[async_trait::async_trait]
impl ProvideBearerToken for Expired {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        Ok(BearerToken::new("expired-secret").with_expiry(UNIX_EPOCH + Duration::from_secs(1)))
    }
}

#[test]
fn two_explicit_ways_to_authenticate_fail_at_build() {
    let cases: Vec<(AwsAuthBuilder, [&str; 2])> = vec![
        (
            AwsAuth::bedrock_mantle()
                .bearer_token(KEY)
                .credentials(creds()),
            ["bearer_token", "credentials"],
        ),
        (
            AwsAuth::bedrock_runtime()
                .bearer_token(KEY)
                .bearer_token_provider(Failing),
            ["bearer_token", "bearer_token_provider"],
        ),
        (
            AwsAuth::builder()
                .service("bedrock")
                .bearer_token_provider(Failing)
                .credentials_provider(creds()),
            ["bearer_token_provider", "credentials_provider"],
        ),
        (
            AwsAuth::bedrock_mantle()
                .credentials(creds())
                .credentials_provider(creds()),
            ["credentials", "credentials_provider"],
        ),
    ];
    for (builder, [a, b]) in cases {
        let err = builder.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(".{a}(")) && msg.contains(&format!(".{b}(")),
            "{msg}"
        );
        assert_no_secret(&msg, KEY);
    }
}

#[tokio::test]
async fn provider_is_asked_before_every_request_and_its_errors_are_typed() {
    let rotating = Arc::new(Rotating(AtomicUsize::new(0)));
    let auth = AwsAuth::bedrock_runtime()
        .region("us-east-1")
        .bearer_token_provider(rotating.clone())
        .build()
        .unwrap();
    for n in 0..3 {
        let mut request =
            post("https://bedrock-runtime.us-east-1.amazonaws.com/openai/v1/responses");
        auth.sign(&mut request).await.unwrap();
        assert_eq!(
            request.headers()["authorization"],
            format!("Bearer key-{n}").as_str()
        );
    }

    let err = sign(
        AwsAuth::builder().bearer_token_provider(Failing),
        "https://bedrock-runtime.us-east-1.amazonaws.com/",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsProvider);
    assert!(err.is_retryable());
    assert!(err.to_string().contains("vault unreachable"), "{err}");

    let err = sign(
        AwsAuth::builder().bearer_token_provider(Expired),
        "https://bedrock-runtime.us-east-1.amazonaws.com/",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    assert_no_secret(&format!("{err} {err:?}"), "expired-secret");

    // A crate error from a provider keeps its kind: here a minting provider with no region.
    let minting = bedrock::ShortTermKeyProvider::builder()
        .credentials(creds())
        .region("us-east-1")
        .build()
        .unwrap();
    let ok = sign(
        AwsAuth::builder().bearer_token_provider(minting),
        "https://bedrock-runtime.us-east-1.amazonaws.com/openai/v1/responses",
    )
    .await
    .unwrap();
    let header = ok.headers()["authorization"].to_str().unwrap();
    assert!(header.starts_with("Bearer bedrock-api-key-"), "{header}");
}

#[tokio::test]
async fn plain_http_is_refused_except_to_loopback_or_when_allowed() {
    let refused = [
        "http://bedrock-runtime.us-east-1.amazonaws.com/openai/v1/responses",
        "http://10.0.0.1:8080/",
        "http://bedrock-mantle.us-west-2.api.aws/v1",
    ];
    for url in refused {
        let err = sign(
            AwsAuth::builder().bearer_token(KEY).allow_host("10.0.0.1"),
            url,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InsecureTransport, "{url}");
        assert!(err.to_string().contains("allow_bearer_over_http"), "{err}");
        assert_no_secret(&format!("{err} {err:?}"), KEY);
        sign(
            AwsAuth::builder()
                .bearer_token(KEY)
                .allow_host("10.0.0.1")
                .allow_bearer_over_http(true),
            url,
        )
        .await
        .unwrap();
    }
    for url in [
        "http://localhost:8080/v1/responses",
        "http://127.0.0.1:1/",
        "http://127.8.9.10/",
        "http://[::1]:9000/",
        "https://bedrock-runtime.us-east-1.amazonaws.com/",
    ] {
        let request = sign(AwsAuth::builder().bearer_token(KEY), url)
            .await
            .unwrap();
        assert!(request.headers().contains_key("authorization"), "{url}");
    }
    // SigV4 never sends a reusable secret, so it is not refused.
    sign(
        AwsAuth::builder()
            .service("es")
            .region("eu-west-1")
            .credentials(creds()),
        "http://abc.execute-api.us-east-1.amazonaws.com/",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn requests_to_another_regions_bedrock_endpoint_fail_naming_both_regions() {
    let cases: Vec<(AwsAuthBuilder, &str, &str, &str)> = vec![
        (
            AwsAuth::bedrock_mantle()
                .region("us-west-2")
                .credentials(creds()),
            "https://bedrock-mantle.us-east-1.api.aws/v1/responses",
            "us-east-1",
            "us-west-2",
        ),
        (
            AwsAuth::bedrock_runtime()
                .region("us-west-2")
                .credentials(creds()),
            "https://bedrock-runtime.eu-west-1.amazonaws.com/openai/v1/chat/completions",
            "eu-west-1",
            "us-west-2",
        ),
        (
            AwsAuth::bedrock_mantle()
                .region("ap-south-1")
                .bearer_token(KEY),
            "https://bedrock-mantle.eu-central-1.api.aws/openai/v1/responses",
            "eu-central-1",
            "ap-south-1",
        ),
        (
            // The key's own region binds it, whatever the configuration says.
            AwsAuth::builder().bearer_token(short_term_key(
                "eu-central-1",
                SystemTime::now(),
                Duration::from_secs(600),
            )),
            "https://bedrock-mantle.us-east-1.api.aws/v1/responses",
            "us-east-1",
            "eu-central-1",
        ),
    ];
    for (builder, url, host_region, keyed_region) in cases {
        let err = sign(builder, url).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RegionMismatch, "{url}");
        let msg = err.to_string();
        assert!(
            msg.contains(host_region) && msg.contains(keyed_region),
            "{msg}"
        );
        assert_no_secret(&msg, KEY);
    }

    // Matching regions, and hosts that are not Bedrock endpoints, pass.
    for (builder, url) in [
        (
            AwsAuth::bedrock_mantle()
                .region("us-west-2")
                .credentials(creds()),
            bedrock::mantle_base_url("us-west-2") + "/responses",
        ),
        (
            AwsAuth::bedrock_runtime()
                .region("us-west-2")
                .credentials(creds()),
            bedrock::runtime_openai_base_url("us-west-2") + "/responses",
        ),
        (
            AwsAuth::bedrock_mantle()
                .region("us-west-2")
                .credentials(creds())
                .allow_host("proxy.internal.example"),
            "https://proxy.internal.example/v1/responses".to_owned(),
        ),
        (
            AwsAuth::bedrock_mantle()
                .bearer_token(short_term_key(
                    "us-west-2",
                    SystemTime::now(),
                    Duration::from_secs(600),
                ))
                .region("us-west-2"),
            bedrock::mantle_openai_base_url("us-west-2") + "/responses",
        ),
    ] {
        sign(builder, &url).await.unwrap();
    }
}

#[tokio::test]
async fn region_can_come_from_a_short_term_key_when_opted_in() {
    let key = short_term_key("sa-east-1", SystemTime::now(), Duration::from_secs(600));
    let builder = || {
        AwsAuth::builder()
            .bearer_token(&key)
            .region_from_bearer_token(true)
    };
    sign(
        builder(),
        "https://bedrock-mantle.sa-east-1.api.aws/v1/responses",
    )
    .await
    .unwrap();
    let err = sign(
        builder(),
        "https://bedrock-runtime.us-east-1.amazonaws.com/openai/v1",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RegionMismatch);

    // A long-term key has no region to read: a clear error, naming the fix.
    let err = sign(
        AwsAuth::builder()
            .bearer_token(KEY)
            .region_from_bearer_token(true),
        "https://bedrock-runtime.us-east-1.amazonaws.com/",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    assert!(err.to_string().contains(".region("), "{err}");
    assert_no_secret(&err.to_string(), KEY);
}

#[tokio::test]
async fn expired_short_term_keys_are_not_sent() {
    let issued = SystemTime::now() - Duration::from_secs(7200);
    let key = short_term_key("us-west-2", issued, Duration::from_secs(3600));
    let err = sign(
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .bearer_token(&key),
        "https://bedrock-mantle.us-west-2.api.aws/v1/responses",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidToken);
    assert!(err.to_string().contains("expired"), "{err}");
    assert_no_secret(&format!("{err} {err:?}"), &key[16..]);
}

fn signed_headers(request: &reqwest::Request) -> String {
    let auth = request.headers()["authorization"].to_str().unwrap();
    auth.split("SignedHeaders=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn mantle_preset_sends_but_does_not_sign_underscore_headers() {
    let time = || StaticTimeSource::new(UNIX_EPOCH + Duration::from_secs(1_795_953_600));
    let url = "https://bedrock-mantle.us-west-2.api.aws/v1/responses";
    let mantle = || {
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .credentials(creds())
            .time_source(time())
            .build()
            .unwrap()
    };
    let mut with = post(url);
    with.headers_mut()
        .insert("x_trace_id", "abc".parse().unwrap());
    with.headers_mut()
        .insert("x-client", "demo".parse().unwrap());
    let mut without = post(url);
    without
        .headers_mut()
        .insert("x-client", "demo".parse().unwrap());
    mantle().sign(&mut with).await.unwrap();
    mantle().sign(&mut without).await.unwrap();

    assert_eq!(with.headers()["x_trace_id"], "abc", "still sent");
    assert!(signed_headers(&with).contains("x-client"));
    assert!(!signed_headers(&with).contains("x_trace_id"));
    // What Mantle verifies (the request minus `_` headers) has exactly this signature.
    assert_eq!(
        with.headers()["authorization"],
        without.headers()["authorization"]
    );

    // Elsewhere such headers are signed; the preset's choice can be turned off.
    for builder in [
        AwsAuth::builder().service("bedrock-mantle"),
        AwsAuth::bedrock_mantle().skip_underscore_headers(false),
    ] {
        let mut request = post(url);
        request
            .headers_mut()
            .insert("x_trace_id", "abc".parse().unwrap());
        builder
            .region("us-west-2")
            .credentials(creds())
            .time_source(time())
            .build()
            .unwrap()
            .sign(&mut request)
            .await
            .unwrap();
        assert!(signed_headers(&request).contains("x_trace_id"));
    }
}

#[tokio::test]
async fn presets_sign_with_their_signing_names() {
    for (builder, name) in [
        (AwsAuth::bedrock_mantle(), "bedrock-mantle"),
        (AwsAuth::bedrock_runtime(), "bedrock"),
    ] {
        let request = sign(
            builder.region("us-west-2").credentials(creds()),
            "https://bedrock-mantle.us-west-2.api.aws/v1/responses",
        )
        .await
        .unwrap();
        let auth = request.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.contains(&format!("/us-west-2/{name}/aws4_request")),
            "{auth}"
        );
    }
}

#[test]
fn debug_output_never_shows_the_token() {
    let builder = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token(KEY);
    let builder_debug = format!("{builder:?}");
    assert!(builder_debug.contains("redacted"), "{builder_debug}");
    let auth = builder.build().unwrap();
    let auth_debug = format!("{auth:?}");
    assert!(auth_debug.contains("Bearer"), "{auth_debug}");
    for text in [
        builder_debug,
        auth_debug,
        format!("{:?}", BearerToken::new(KEY)),
    ] {
        assert_no_secret(&text, KEY);
        assert_no_secret(&text, &KEY[4..12]);
    }
}

#[tokio::test]
async fn the_middleware_sends_the_bearer_header_to_the_server() {
    use wiremock::matchers::{header, method};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AwsAuth::builder().bearer_token(KEY).build().unwrap())
        .build();
    let response = client
        .post(format!("{}/v1/responses", server.uri()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let err = client
        .get("http://bedrock-runtime.us-east-1.amazonaws.com/")
        .send()
        .await
        .unwrap_err();
    let auth_err = Error::from_middleware(&err).expect("our error");
    assert_eq!(auth_err.kind(), ErrorKind::InsecureTransport);
}

// ---- reading short-term keys ----

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn malformed_short_term_keys_are_clear_errors() {
    let good = "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Credential=AKID%2F20261129%2Fus-west-2%2Fbedrock%2Faws4_request&X-Amz-Date=20261129T120000Z&X-Amz-Expires=3600&Version=1";
    let info = parse_short_term_key(&format!("bedrock-api-key-{}", b64(good.as_bytes()))).unwrap();
    assert_eq!(info.region, "us-west-2");
    assert_eq!(info.expires_in, Duration::from_secs(3600));
    // Unpadded base64 is accepted too.
    let unpadded = b64(good.as_bytes()).trim_end_matches('=').to_owned();
    assert_eq!(
        parse_short_term_key(&format!("bedrock-api-key-{unpadded}")).unwrap(),
        info
    );

    let cases: Vec<(String, &str)> = vec![
        (KEY.to_owned(), "does not start"),
        ("bedrock-api-key-".to_owned(), "not a URL"),
        ("bedrock-api-key-!!!!".to_owned(), "not base64"),
        (
            format!("bedrock-api-key-{}", b64(&[0xff, 0xfe, 0x80])),
            "not UTF-8",
        ),
        (
            format!(
                "bedrock-api-key-{}",
                b64(format!("https://{good}").as_bytes())
            ),
            "scheme",
        ),
        (
            format!(
                "bedrock-api-key-{}",
                b64(good.replace("X-Amz-Credential", "X-Cred").as_bytes())
            ),
            "X-Amz-Credential",
        ),
        (
            format!(
                "bedrock-api-key-{}",
                b64(good.replace("%2Faws4_request", "").as_bytes())
            ),
            "scope",
        ),
        (
            format!(
                "bedrock-api-key-{}",
                b64(good.replace("us-west-2", "US_WEST").as_bytes())
            ),
            "region",
        ),
        (
            format!(
                "bedrock-api-key-{}",
                b64(good.replace("T120000Z", "T1200").as_bytes())
            ),
            "X-Amz-Date",
        ),
        (
            format!(
                "bedrock-api-key-{}",
                b64(good.replace("=3600", "=-1").as_bytes())
            ),
            "X-Amz-Expires",
        ),
    ];
    for (token, why) in cases {
        let err = parse_short_term_key(&token).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidToken, "{token}");
        assert!(err.to_string().contains(why), "{why}: {err}");
        if token.len() > 20 {
            assert_no_secret(&err.to_string(), &token[16..]);
        }
    }
}

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

#[tokio::test]
async fn fuzzed_tokens_never_panic() {
    let seed_key = short_term_key(
        "us-west-2",
        UNIX_EPOCH + Duration::from_secs(1_795_953_600),
        Duration::from_secs(3600),
    );
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&seed_key["bedrock-api-key-".len()..])
        .unwrap();
    let alphabet = b"%&=/?.:-_+~ AZaz09TZ\0\xff";
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut parsed, mut rejected) = (0, 0);
    for i in 0..20_000 {
        let token = match i % 4 {
            // Random bytes after the prefix.
            0 => {
                let len = rng.below(64);
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                format!("bedrock-api-key-{}", String::from_utf8_lossy(&bytes))
            }
            // Base64 of random text.
            1 => {
                let len = rng.below(200);
                let bytes: Vec<u8> = (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect();
                format!("bedrock-api-key-{}", b64(&bytes))
            }
            // A real key's URL, mutated: bytes replaced, cut short, or spliced.
            2 => {
                let mut bytes = decoded.clone();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(bytes.len());
                    bytes[at] = alphabet[rng.below(alphabet.len())];
                }
                if rng.below(2) == 0 {
                    bytes.truncate(rng.below(bytes.len() + 1));
                }
                format!("bedrock-api-key-{}", b64(&bytes))
            }
            // A real key, mutated in its base64 text.
            _ => {
                let mut chars: Vec<char> = seed_key.chars().collect();
                let at = rng.below(chars.len());
                chars[at] = alphabet[rng.below(alphabet.len())] as char;
                chars.truncate(chars.len() - rng.below(8));
                chars.into_iter().collect()
            }
        };
        match parse_short_term_key(&token) {
            Ok(info) => {
                parsed += 1;
                assert!(!info.region.is_empty());
                assert!(
                    info.region
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                );
            }
            Err(err) => {
                rejected += 1;
                assert_eq!(err.kind(), ErrorKind::InvalidToken);
            }
        }
        if i % 50 == 0 {
            // Through the middleware too: an error or a header, never a panic.
            let built = AwsAuth::builder()
                .bearer_token(token)
                .region_from_bearer_token(true)
                .build();
            if let Ok(auth) = built {
                let mut request = post("https://bedrock-mantle.us-west-2.api.aws/v1/responses");
                let _ = auth.sign(&mut request).await;
            }
        }
    }
    println!("fuzz: {parsed} parsed, {rejected} rejected");
    assert!(
        parsed > 100 && rejected > 10_000,
        "parsed {parsed}, rejected {rejected}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn trace_logs_never_show_keys_or_what_rebuilds_a_minted_key() {
    let (captured, _guard) = capture_logs::capture();

    let session = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue";
    let minting = bedrock::ShortTermKeyProvider::builder()
        .region("us-west-2")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some(session.to_owned()),
            None,
            "test",
        ))
        .build()
        .unwrap();
    let minted = minting.key().await.unwrap();
    let info = parse_short_term_key(minted.expose_secret()).unwrap();
    let url = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&minted.expose_secret()[16..])
            .unwrap(),
    )
    .unwrap();
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap()[..64].to_owned();
    for builder in [
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .bearer_token(KEY),
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .bearer_token_provider(minting),
    ] {
        sign(
            builder,
            "https://bedrock-mantle.us-west-2.api.aws/v1/responses",
        )
        .await
        .unwrap();
    }
    let logs = captured.text();
    assert!(logs.contains("bearer token"), "nothing logged: {logs}");
    assert!(
        logs.contains("minted a short-term Bedrock API key"),
        "{logs}"
    );
    assert_eq!(info.region, "us-west-2");
    for secret in [
        KEY,
        &minted.expose_secret()[16..60],
        session,
        "wJalrXUtnFEMI",
        &signature,
    ] {
        assert_no_secret(&logs, secret);
    }
}
