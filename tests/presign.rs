//! `AwsAuth::presign`: the rules (expiry, credentials' lifetime, what is signed, WebSocket
//! URLs, session tokens, bearer mode) and the verifier's checks of presigned requests. The
//! byte-for-byte comparison with botocore is in `presign_botocore_fixtures.rs`.

#[path = "support/capture_logs.rs"]
mod capture_logs;

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use reqwest_aws_auth::verify::{ReceivedRequest, RejectReason, Rejection, Verifier};
use reqwest_aws_auth::{AwsAuth, ErrorKind, PresignSessionToken};

const ACCESS_KEY: &str = "AKIDPRESIGNEXAMPLE";
const SECRET_KEY: &str = "presign/Secret+Key/EXAMPLE0123456789abcdef";
const TOKEN: &str = "FwoGZXIvYXdzEPresign//////////token+with/slashes=";
const REGION: &str = "eu-west-1";
/// 2026-11-29T12:34:56Z
const T0: u64 = 1_795_955_696;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0)
}

fn credentials(token: Option<&str>) -> Credentials {
    Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        token.map(str::to_owned),
        None,
        "test",
    )
}

fn auth(service: &str, token: Option<&str>) -> AwsAuth {
    AwsAuth::builder()
        .service(service)
        .region(REGION)
        .credentials(credentials(token))
        .time_source(StaticTimeSource::new(t0()))
        .build()
        .unwrap()
}

fn get(url: &str) -> reqwest::Request {
    reqwest::Client::new().get(url).build().unwrap()
}

/// `url` as a server receives it: the request target, and `host` plus `headers`.
fn verify_url(
    verifier: &Verifier,
    method: &str,
    url: &url::Url,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), Rejection> {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_owned(),
    };
    let mut all = vec![("host", host.as_str())];
    all.extend_from_slice(headers);
    verifier.verify(&ReceivedRequest {
        method,
        target: &url[url::Position::BeforePath..url::Position::AfterQuery],
        headers: &all,
        body,
    })
}

fn verifier(service: &str, token: Option<&str>) -> Verifier {
    Verifier::new(credentials(token), REGION, service).now(t0())
}

fn query_value(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn presigned_urls_are_accepted_by_the_verifier_and_only_as_signed() {
    for token in [None, Some(TOKEN)] {
        let auth = auth("s3", token);
        let url = auth
            .presign(
                &get("https://bucket.s3.eu-west-1.amazonaws.com/a b/c+d?versionId=1&t=b&t=a"),
                Duration::from_secs(600),
            )
            .await
            .unwrap();
        assert_eq!(
            query_value(&url, "X-Amz-Security-Token").as_deref(),
            token,
            "{url}"
        );
        assert_eq!(query_value(&url, "X-Amz-SignedHeaders").unwrap(), "host");
        let v = verifier("s3", token);
        verify_url(&v, "GET", &url, &[], b"").unwrap();
        // S3 signs UNSIGNED-PAYLOAD: any body goes.
        verify_url(&v, "GET", &url, &[], b"ignored").unwrap();

        let wrong_method = verify_url(&v, "PUT", &url, &[], b"").unwrap_err();
        assert_eq!(wrong_method.reason(), RejectReason::SignatureMismatch);
        let mut other_key = url.clone();
        other_key.set_path("/a b/other");
        let rejection = verify_url(&v, "GET", &other_key, &[], b"").unwrap_err();
        assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
        assert!(
            rejection
                .canonical_request()
                .unwrap()
                .starts_with("GET\n/a%20b/other\n"),
            "{rejection}"
        );
        if token.is_some() {
            assert!(!rejection.to_string().contains(TOKEN), "{rejection}");
        }
    }
}

#[tokio::test]
async fn other_services_sign_the_body_hash() {
    let auth = auth("execute-api", None);
    let request = reqwest::Client::new()
        .post("https://abc.execute-api.us-east-1.amazonaws.com/prod/items")
        .body("{\"a\":1}")
        .build()
        .unwrap();
    let url = auth
        .presign(&request, Duration::from_secs(60))
        .await
        .unwrap();
    let v = verifier("execute-api", None);
    verify_url(&v, "POST", &url, &[], b"{\"a\":1}").unwrap();
    let rejection = verify_url(&v, "POST", &url, &[], b"{\"a\":2}").unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);

    let get_url = auth
        .presign(
            &get("https://abc.execute-api.us-east-1.amazonaws.com/prod/items"),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let rejection = verify_url(&v, "GET", &get_url, &[], b"x").unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
    assert!(
        rejection
            .canonical_request()
            .unwrap()
            .ends_with("\n2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
        "{rejection}"
    );
}

#[tokio::test]
async fn headers_the_request_carries_are_signed_and_must_be_sent() {
    let auth = auth("s3", None);
    let request = reqwest::Client::new()
        .put("https://bucket.s3.eu-west-1.amazonaws.com/upload.png")
        .header("content-type", "image/png")
        .header("user-agent", "not signed/1.0")
        .header("x-forwarded-for", "10.0.0.1")
        .build()
        .unwrap();
    let url = auth
        .presign(&request, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        query_value(&url, "X-Amz-SignedHeaders").unwrap(),
        "content-type;host"
    );
    let v = verifier("s3", None);
    verify_url(&v, "PUT", &url, &[("content-type", "image/png")], b"png").unwrap();
    let missing = verify_url(&v, "PUT", &url, &[], b"png").unwrap_err();
    assert_eq!(missing.reason(), RejectReason::MissingSignedHeader);
    let changed = verify_url(&v, "PUT", &url, &[("content-type", "text/html")], b"").unwrap_err();
    assert_eq!(changed.reason(), RejectReason::SignatureMismatch);
}

#[tokio::test]
async fn websocket_urls_keep_their_scheme_and_sign_the_handshake() {
    let auth = auth("execute-api", Some(TOKEN));
    for (input, scheme, host) in [
        (
            "wss://abc.execute-api.eu-west-1.amazonaws.com/prod",
            "wss",
            None,
        ),
        (
            "ws://127.0.0.1:8080/prod?room=a+b",
            "ws",
            Some("127.0.0.1:8080"),
        ),
    ] {
        let url = auth
            .presign(&get(input), Duration::from_secs(300))
            .await
            .unwrap();
        assert_eq!(url.scheme(), scheme);
        assert_eq!(query_value(&url, "X-Amz-Expires").unwrap(), "300");
        if let Some(host) = host {
            assert!(
                url.as_str()
                    .starts_with(&format!("ws://{host}/prod?room=a%20b&"))
            );
        }
        verify_url(&verifier("execute-api", Some(TOKEN)), "GET", &url, &[], b"").unwrap();
    }
}

#[tokio::test]
async fn the_session_token_can_be_appended_after_signing() {
    let auth = AwsAuth::builder()
        .service("iotdevicegateway")
        .region(REGION)
        .credentials(credentials(Some(TOKEN)))
        .time_source(StaticTimeSource::new(t0()))
        .presign_session_token(PresignSessionToken::AppendedAfterSigning)
        .build()
        .unwrap();
    let url = auth
        .presign(
            &get("wss://abc-ats.iot.eu-west-1.amazonaws.com/mqtt"),
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    let query = url.query().unwrap();
    let signature_at = query.find("&X-Amz-Signature=").unwrap();
    let token_at = query.find("&X-Amz-Security-Token=").unwrap();
    assert!(token_at > signature_at, "{query}");
    let iot = verifier("iotdevicegateway", Some(TOKEN))
        .presign_session_token(PresignSessionToken::AppendedAfterSigning);
    verify_url(&iot, "GET", &url, &[], b"").unwrap();
    // A service that expects the token signed refuses it.
    let rejection = verify_url(
        &verifier("iotdevicegateway", Some(TOKEN)),
        "GET",
        &url,
        &[],
        b"",
    )
    .unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
}

#[tokio::test]
async fn the_verifier_checks_the_expiry_window() {
    let url = auth("s3", None)
        .presign(
            &get("https://bucket.s3.eu-west-1.amazonaws.com/k"),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let at = |secs_after: i64| {
        let now = if secs_after >= 0 {
            t0() + Duration::from_secs(secs_after as u64)
        } else {
            t0() - Duration::from_secs(secs_after.unsigned_abs())
        };
        let v = Verifier::new(credentials(None), REGION, "s3").now(now);
        verify_url(&v, "GET", &url, &[], b"")
    };
    at(0).unwrap();
    at(60).unwrap();
    at(-300).unwrap();
    let expired = at(61).unwrap_err();
    assert_eq!(expired.reason(), RejectReason::Expired);
    assert!(
        expired.detail().contains("expired at `20261129T123556Z`"),
        "{expired}"
    );
    let early = at(-301).unwrap_err();
    assert_eq!(early.reason(), RejectReason::DateOutOfRange);
    // Any skew allowed: signed in the future is fine, and nothing overflows.
    let lenient = Verifier::new(credentials(None), REGION, "s3")
        .now(t0() - Duration::from_secs(86_400))
        .max_skew(Duration::MAX);
    verify_url(&lenient, "GET", &url, &[], b"").unwrap();
}

#[tokio::test]
async fn the_verifier_names_what_is_wrong_with_a_presigned_query() {
    let url = auth("s3", Some(TOKEN))
        .presign(
            &get("https://bucket.s3.eu-west-1.amazonaws.com/k?uploads"),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let v = verifier("s3", Some(TOKEN));
    verify_url(&v, "GET", &url, &[], b"").unwrap();
    let edit = |from: &str, to: &str| {
        let query = url.query().unwrap();
        assert!(query.contains(from), "{query} has no {from}");
        let mut edited = url.clone();
        edited.set_query(Some(&query.replacen(from, to, 1)));
        edited
    };
    let cases = [
        (
            edit("X-Amz-Expires=60", "X-Amz-Expires=0"),
            RejectReason::InvalidExpires,
        ),
        (
            edit("X-Amz-Expires=60", "X-Amz-Expires=604801"),
            RejectReason::InvalidExpires,
        ),
        (
            edit("X-Amz-Expires=60", "X-Amz-Expires=6e1"),
            RejectReason::InvalidExpires,
        ),
        (
            edit(
                "X-Amz-Expires=60",
                "X-Amz-Expires=60&X-Amz-Date=20261129T123456Z",
            ),
            RejectReason::MalformedQuerySignature,
        ),
        (
            edit("X-Amz-Credential=", "X-Amz-Credentials="),
            RejectReason::MalformedQuerySignature,
        ),
        (
            edit("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=Host"),
            RejectReason::MalformedQuerySignature,
        ),
        (
            edit("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-a"),
            RejectReason::HostNotSigned,
        ),
        (
            edit("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
            // With SigV4a supported, a SigV4 scope under its name is malformed.
            if cfg!(feature = "sigv4a") {
                RejectReason::MalformedQuerySignature
            } else {
                RejectReason::UnsupportedAlgorithm
            },
        ),
        (
            edit("X-Amz-Date=20261129T", "X-Amz-Date=20261329T"),
            RejectReason::MalformedDate,
        ),
        (
            edit("%2Feu-west-1%2F", "%2Fus-east-1%2F"),
            RejectReason::WrongRegion,
        ),
        (edit("%2Fs3%2F", "%2Fs4%2F"), RejectReason::WrongService),
        (edit(ACCESS_KEY, "AKIDOTHER"), RejectReason::WrongAccessKey),
        (
            edit("%2F20261129%2F", "%2F20261128%2F"),
            RejectReason::WrongScopeDate,
        ),
        (
            edit("X-Amz-Security-Token=", "X-Amz-Security-Token=x"),
            RejectReason::SessionTokenMismatch,
        ),
        (
            edit("X-Amz-Security-Token=", "X-Amz-Unrelated="),
            RejectReason::MissingSessionToken,
        ),
        (
            edit("uploads", "uploads=1"),
            RejectReason::SignatureMismatch,
        ),
    ];
    for (url, reason) in cases {
        let rejection = verify_url(&v, "GET", &url, &[], b"").unwrap_err();
        assert_eq!(rejection.reason(), reason, "{url}: {rejection}");
        assert!(!rejection.to_string().contains(TOKEN), "{rejection}");
        assert!(!format!("{rejection:?}").contains(TOKEN), "{rejection:?}");
    }
    // Without a token the verifier refuses one.
    let rejection = verify_url(&verifier("s3", None), "GET", &url, &[], b"").unwrap_err();
    assert_eq!(rejection.reason(), RejectReason::SessionTokenMismatch);
}

#[tokio::test]
async fn expiry_must_be_between_one_second_and_seven_days() {
    let auth = auth("s3", None);
    let request = get("https://bucket.s3.eu-west-1.amazonaws.com/k");
    for ok in [1, 604_800] {
        let url = auth
            .presign(&request, Duration::from_secs(ok))
            .await
            .unwrap();
        assert_eq!(query_value(&url, "X-Amz-Expires").unwrap(), ok.to_string());
    }
    for bad in [
        Duration::ZERO,
        Duration::from_millis(999),
        Duration::from_secs(604_801),
        Duration::MAX,
    ] {
        let err = auth.presign(&request, bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidExpiry, "{bad:?}");
        assert!(
            err.to_string().contains("between 1 second and 7 days"),
            "{err}"
        );
    }
}

#[test]
fn a_url_never_outlives_its_credentials_and_says_so() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (logs, _guard) = capture_logs::capture();
    let expiring = Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        Some(TOKEN.to_owned()),
        Some(t0() + Duration::from_secs(900)),
        "test",
    );
    let auth = AwsAuth::builder()
        .service("s3")
        .region(REGION)
        .credentials(expiring)
        .time_source(StaticTimeSource::new(t0()))
        .build()
        .unwrap();
    let request = get("https://bucket.s3.eu-west-1.amazonaws.com/k");
    let url = runtime
        .block_on(auth.presign(&request, Duration::from_secs(3600)))
        .unwrap();
    assert_eq!(query_value(&url, "X-Amz-Expires").unwrap(), "900");
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("in 900 s instead of the 3600 s asked for"),
        "{text}"
    );
    // Shorter than the credentials: as asked, no warning.
    let url = runtime
        .block_on(auth.presign(&request, Duration::from_secs(899)))
        .unwrap();
    assert_eq!(query_value(&url, "X-Amz-Expires").unwrap(), "899");
    assert_eq!(logs.text().matches("WARN").count(), 1);
}

#[test]
fn no_secret_is_logged_at_any_level() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (logs, _guard) = capture_logs::capture();
    let url = runtime
        .block_on(auth("s3", Some(TOKEN)).presign(
            &get("https://bucket.s3.eu-west-1.amazonaws.com/k"),
            Duration::from_secs(60),
        ))
        .unwrap();
    let text = logs.text();
    let encoded_token = query_value(&url, "X-Amz-Security-Token").unwrap();
    assert_eq!(encoded_token, TOKEN);
    assert!(text.contains("presigned a URL with SigV4"), "{text}");
    assert!(text.contains("X-Amz-Security-Token=** redacted"), "{text}");
    assert!(text.contains("UNSIGNED-PAYLOAD"), "{text}");
    let raw_token = url
        .query()
        .unwrap()
        .split("X-Amz-Security-Token=")
        .nth(1)
        .unwrap();
    let raw_token = raw_token.split('&').next().unwrap();
    for secret in [TOKEN, raw_token, SECRET_KEY, "token+with", "token%2Bwith"] {
        assert!(!text.contains(secret), "`{secret}` logged:\n{text}");
    }
}

#[tokio::test]
async fn presigning_again_replaces_the_signing_parameters() {
    let auth = auth("s3", Some(TOKEN));
    let request = get("https://bucket.s3.eu-west-1.amazonaws.com/k?a=1");
    let first = auth
        .presign(&request, Duration::from_secs(60))
        .await
        .unwrap();
    let again = auth
        .presign(&get(first.as_str()), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(again, first);
}

#[tokio::test]
async fn bad_input_gets_a_typed_error_never_a_panic() {
    let bearer = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token("ABSKexample")
        .build()
        .unwrap();
    let err = bearer
        .presign(
            &get("https://bedrock-mantle.us-west-2.api.aws/v1/models"),
            Duration::from_secs(60),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PresignUnsupported);
    assert!(
        err.to_string().contains("presign with SigV4 credentials"),
        "{err}"
    );
    assert!(!err.to_string().contains("ABSKexample"));

    let sigv4 = auth("execute-api", None);
    for url in [
        "ftp://example.com/file",
        "file:///etc/passwd",
        "data:text/plain,hi",
    ] {
        let request = reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
        let err = sigv4
            .presign(&request, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl, "{url}: {err}");
    }
    let err = sigv4
        .presign(
            &get("https://h.execute-api.us-east-1.amazonaws.com/?k=%FF"),
            Duration::from_secs(60),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidUrl);
    let err = sigv4
        .presign(
            &reqwest::Request::new(
                reqwest::Method::GET,
                "https://user:pw@h.execute-api.us-east-1.amazonaws.com/"
                    .parse()
                    .unwrap(),
            ),
            Duration::from_secs(60),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidUrl);
    assert!(err.to_string().contains("user info"), "{err}");
    assert!(!err.to_string().contains("pw"), "{err}");

    let stream = futures_stream();
    let request = reqwest::Client::new()
        .put("https://h.execute-api.us-east-1.amazonaws.com/upload")
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    let err = sigv4
        .presign(&request, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamingBody);
    // S3 signs UNSIGNED-PAYLOAD and never reads the body.
    let stream = futures_stream();
    let request = reqwest::Client::new()
        .put("https://bucket.s3.eu-west-1.amazonaws.com/upload")
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    auth("s3", None)
        .presign(&request, Duration::from_secs(60))
        .await
        .unwrap();
}

fn futures_stream() -> tokio_stream::Iter<std::vec::IntoIter<Result<&'static [u8], std::io::Error>>>
{
    tokio_stream::iter(vec![Ok(&b"chunk"[..])])
}

#[cfg(feature = "wiremock")]
#[tokio::test]
async fn the_wiremock_matcher_accepts_presigned_urls() {
    use reqwest_aws_auth::wiremock::SigV4Matcher;
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(SigV4Matcher::new(credentials(Some(TOKEN)), REGION, "s3"))
        .respond_with(ResponseTemplate::new(200).set_body_string("object"))
        .mount(&server)
        .await;
    let auth = AwsAuth::builder()
        .service("s3")
        .region(REGION)
        .credentials(credentials(Some(TOKEN)))
        .build()
        .unwrap();
    let url = auth
        .presign(
            &get(&format!("{}/bucket/key", server.uri())),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let response = reqwest::get(url.as_str()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "object");
    let tampered = url.as_str().replace("/bucket/key?", "/bucket/other?");
    assert_eq!(reqwest::get(&tampered).await.unwrap().status(), 404);
}

/// A server may read a literal `+` in the query as a plus or as a space; the verifier accepts
/// a presigned query under either reading, as it does for header signing.
#[tokio::test]
async fn a_literal_plus_in_a_presigned_query_is_read_both_ways() {
    let v = verifier("execute-api", None);
    for (signed, on_the_wire) in [("a b", "a%20b"), ("a+b", "a%2Bb")] {
        let mut request = get("https://abc.execute-api.us-east-1.amazonaws.com/prod");
        request.url_mut().query_pairs_mut().append_pair("q", signed);
        let url = auth("execute-api", None)
            .presign(&request, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            url.query()
                .unwrap()
                .starts_with(&format!("q={on_the_wire}&")),
            "{url}"
        );
        let mut plus = url.clone();
        plus.set_query(Some(&url.query().unwrap().replacen(on_the_wire, "a+b", 1)));
        verify_url(&v, "GET", &plus, &[], b"").unwrap();
        let mut other = url.clone();
        other.set_query(Some(&url.query().unwrap().replacen(on_the_wire, "a+c", 1)));
        let rejection = verify_url(&v, "GET", &other, &[], b"").unwrap_err();
        assert_eq!(rejection.reason(), RejectReason::SignatureMismatch);
    }
}
