//! Credentials go only where they belong, driven through the middleware against loopback
//! servers (other names are pointed at loopback with `reqwest::ClientBuilder::resolve`, so
//! nothing but loopback is ever contacted): the scope, pass-through, redirects, per-request
//! options, an app's own `Authorization`, and a property test of the host matcher.

#[path = "support/rng.rs"]
mod rng;
#[path = "support/wire.rs"]
mod wire;
use wire::verify_received;

use std::net::SocketAddr;

use aws_credential_types::Credentials;
use reqwest_aws_auth::verify::Verifier;
use reqwest_aws_auth::{
    AwsAuth, AwsAuthBuilder, Error, ErrorKind, OutsideScope, RequestOptions, StreamingBody,
};
use reqwest_middleware::ClientWithMiddleware;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "session-token-that-must-not-leak";
const KEY: &str = "ABSKbedrock-api-key-that-must-not-leak";

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDSCOPE",
        "scope-secret",
        Some(TOKEN.into()),
        None,
        "test",
    )
}

fn sigv4() -> AwsAuthBuilder {
    AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(credentials())
}

/// A server that answers each request with `answer` and records it.
async fn server(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

fn addr(server: &MockServer) -> SocketAddr {
    *server.address()
}

/// `name`'s URL on `server` (the client resolves `name` to it).
fn url(name: &str, server: &MockServer, path: &str) -> String {
    format!("http://{name}:{}{path}", addr(server).port())
}

fn client(auth: AwsAuth, names: &[(&str, &MockServer)]) -> ClientWithMiddleware {
    let mut http = reqwest::Client::builder();
    for (name, server) in names {
        http = http.resolve(name, addr(server));
    }
    auth.client(http).unwrap()
}

fn has_credentials(request: &Request) -> bool {
    request.headers.contains_key("authorization")
        || request
            .headers
            .keys()
            .any(|k| k.as_str().starts_with("x-amz-"))
        || request.headers.values().any(|v| {
            v.as_bytes()
                .windows(TOKEN.len())
                .any(|w| w == TOKEN.as_bytes())
        })
}

fn verify(request: &Request, service: &str, region: &str) -> Result<(), String> {
    verify_received(&Verifier::new(credentials(), region, service), request)
        .map_err(|r| r.to_string())
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

#[tokio::test]
async fn a_host_outside_the_default_scope_is_refused_before_sending() {
    let other = server(ResponseTemplate::new(200)).await;
    let client = client(sigv4().build().unwrap(), &[("hooks.example.com", &other)]);
    let err = client
        .post(url("hooks.example.com", &other, "/notify"))
        .body("{}")
        .send()
        .await
        .unwrap_err();
    let ours = Error::from_middleware(&err).unwrap();
    assert_eq!(ours.kind(), ErrorKind::OutOfScope);
    assert!(
        ours.to_string()
            .contains(r#".allow_host("hooks.example.com")"#),
        "{ours}"
    );
    assert!(!ours.is_retryable());
    assert!(received(&other).await.is_empty(), "nothing was sent");

    // Allowed by name: signed, and it verifies.
    let client = client_with(
        sigv4().allow_host("hooks.example.com"),
        &other,
        "hooks.example.com",
    );
    client
        .get(url("hooks.example.com", &other, "/x"))
        .send()
        .await
        .unwrap();
    verify(&received(&other).await[0], "execute-api", "us-east-1").unwrap();
}

fn client_with(builder: AwsAuthBuilder, server: &MockServer, name: &str) -> ClientWithMiddleware {
    client(builder.build().unwrap(), &[(name, server)])
}

#[tokio::test]
async fn pass_through_sends_other_hosts_unsigned_and_untouched() {
    let other = server(ResponseTemplate::new(200)).await;
    let client = client_with(
        sigv4().outside_scope(OutsideScope::PassThrough),
        &other,
        "hooks.example.com",
    );
    client
        .post(url("hooks.example.com", &other, "/notify"))
        .header("x-app", "kept")
        .body("{}")
        .send()
        .await
        .unwrap();
    let request = &received(&other).await[0];
    assert!(!has_credentials(request), "{:?}", request.headers);
    assert_eq!(request.headers["x-app"], "kept");
    assert_eq!(request.body, b"{}");
}

#[tokio::test]
async fn bedrock_presets_send_their_key_only_to_bedrock_hosts_and_loopback() {
    let other = server(ResponseTemplate::new(200)).await;
    let auth = AwsAuth::bedrock_mantle()
        .region("us-west-2")
        .bearer_token(KEY)
        .allow_bearer_over_http(true)
        .build()
        .unwrap();
    let client = client(
        auth,
        &[
            ("api.openai.com", &other),
            ("s3.us-west-2.amazonaws.com", &other),
        ],
    );
    for host in ["api.openai.com", "s3.us-west-2.amazonaws.com"] {
        let err = client
            .get(url(host, &other, "/v1/models"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            Error::from_middleware(&err).unwrap().kind(),
            ErrorKind::OutOfScope,
            "{host}"
        );
    }
    assert!(received(&other).await.is_empty());
    // Loopback (a local mock) is in scope.
    client
        .get(format!("{}/v1/models", other.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        received(&other).await[0].headers["authorization"],
        format!("Bearer {KEY}").as_str()
    );
}

/// Server A (loopback, in scope) redirects; server B, reached as `outside.test`, is outside.
struct Redirects {
    a: MockServer,
    b: MockServer,
}

async fn redirects(status: u16) -> Redirects {
    let b = server(ResponseTemplate::new(200).set_body_string("b")).await;
    let a = MockServer::start().await;
    let to_b = url("outside.test", &b, "/landing");
    Mock::given(wiremock::matchers::path("/cross"))
        .respond_with(ResponseTemplate::new(status).insert_header("location", to_b.as_str()))
        .mount(&a)
        .await;
    Mock::given(wiremock::matchers::path("/same"))
        .respond_with(ResponseTemplate::new(status).insert_header("location", "/landed?x=1"))
        .mount(&a)
        .await;
    Mock::given(wiremock::matchers::path("/landed"))
        .respond_with(ResponseTemplate::new(200).set_body_string("a"))
        .mount(&a)
        .await;
    Redirects { a, b }
}

#[tokio::test]
async fn cross_host_redirects_leak_neither_token_nor_key() {
    for status in [302, 307] {
        // Refused by default: the redirect target is outside the scope.
        let r = redirects(status).await;
        let client = client_with(sigv4(), &r.b, "outside.test");
        let err = client
            .post(format!("{}/cross", r.a.uri()))
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            Error::from_middleware(&err).unwrap().kind(),
            ErrorKind::OutOfScope
        );
        assert!(received(&r.b).await.is_empty(), "{status}");

        // Passed through: followed, without any credential.
        for auth in [
            sigv4().outside_scope(OutsideScope::PassThrough),
            AwsAuth::bedrock_mantle()
                .region("us-west-2")
                .bearer_token(KEY)
                .outside_scope(OutsideScope::PassThrough),
        ] {
            let r = redirects(status).await;
            let client = client_with(auth, &r.b, "outside.test");
            let response = client
                .post(format!("{}/cross", r.a.uri()))
                .header("authorization-hint", "x")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(response.text().await.unwrap(), "b");
            let at_a = &received(&r.a).await[0];
            assert!(
                at_a.headers.contains_key("authorization"),
                "A was authenticated"
            );
            let at_b = &received(&r.b).await[0];
            assert!(!has_credentials(at_b), "{status}: {:?}", at_b.headers);
            assert!(
                !at_b
                    .headers
                    .values()
                    .any(|v| v.to_str().unwrap().contains(KEY)),
                "{status}: key leaked"
            );
            if status == 302 {
                assert_eq!(at_b.method.as_str(), "GET", "302 after POST becomes GET");
                assert!(at_b.body.is_empty());
            } else {
                assert_eq!(at_b.method.as_str(), "POST", "307 keeps the method");
                assert_eq!(at_b.body, b"{}");
            }
        }
    }
}

#[tokio::test]
async fn same_host_redirects_arrive_re_signed() {
    for (status, method) in [(307, "PUT"), (308, "POST"), (303, "POST"), (301, "GET")] {
        let r = redirects(status).await;
        let client = client_with(sigv4(), &r.b, "outside.test");
        let response = client
            .request(method.parse().unwrap(), format!("{}/same", r.a.uri()))
            .body("payload")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{status}");
        let all = received(&r.a).await;
        assert_eq!(all.len(), 2);
        let landed = &all[1];
        assert_eq!(landed.url.path(), "/landed");
        verify(landed, "execute-api", "us-east-1").unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_ne!(
            all[0].headers["authorization"],
            landed.headers["authorization"]
        );
        if status == 303 {
            assert_eq!(landed.method.as_str(), "GET");
            assert!(landed.body.is_empty());
        } else {
            assert_eq!(landed.method.as_str(), method);
            assert_eq!(landed.body, b"payload");
        }
    }
}

#[tokio::test]
async fn redirects_are_bounded_and_can_be_turned_off() {
    let looping = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/again"))
        .mount(&looping)
        .await;
    let client = sigv4()
        .max_redirects(3)
        .build()
        .unwrap()
        .client(reqwest::Client::builder())
        .unwrap();
    let response = client.get(looping.uri()).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(received(&looping).await.len(), 4, "the request and 3 hops");

    let client = sigv4()
        .max_redirects(0)
        .build()
        .unwrap()
        .client(reqwest::Client::builder())
        .unwrap();
    let response = client.get(looping.uri()).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(received(&looping).await.len(), 5);
}

#[tokio::test]
async fn request_options_override_the_builder_for_one_request() {
    let s = server(ResponseTemplate::new(200)).await;
    let client = client(sigv4().build().unwrap(), &[]);

    // skip_auth: no credential at all.
    client
        .get(s.uri())
        .with_extension(RequestOptions::new().skip_auth(true))
        .send()
        .await
        .unwrap();
    // service and region.
    client
        .get(format!("{}/sts", s.uri()))
        .with_extension(RequestOptions::new().service("sts").region("eu-west-1"))
        .send()
        .await
        .unwrap();
    // streaming body: UnsignedPayload for this upload, though the builder refuses streams.
    let chunks: Vec<Result<&'static str, std::io::Error>> = vec![Ok("a"), Ok("b")];
    client
        .put(format!("{}/upload", s.uri()))
        .body(reqwest::Body::wrap_stream(tokio_stream::iter(chunks)))
        .with_extension(RequestOptions::new().streaming_body(StreamingBody::UnsignedPayload))
        .send()
        .await
        .unwrap();
    let chunks: Vec<Result<&'static str, std::io::Error>> = vec![Ok("a")];
    let err = client
        .put(format!("{}/upload", s.uri()))
        .body(reqwest::Body::wrap_stream(tokio_stream::iter(chunks)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        Error::from_middleware(&err).unwrap().kind(),
        ErrorKind::StreamingBody
    );

    let all = received(&s).await;
    assert_eq!(all.len(), 3);
    assert!(!has_credentials(&all[0]));
    verify(&all[1], "sts", "eu-west-1").unwrap();
    assert!(verify(&all[1], "execute-api", "us-east-1").is_err());
    assert_eq!(all[2].headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    verify(&all[2], "execute-api", "us-east-1").unwrap();

    // Bad overrides are typed errors.
    let err = client
        .get(s.uri())
        .with_extension(RequestOptions::new().region("Mars"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        Error::from_middleware(&err).unwrap().kind(),
        ErrorKind::InvalidConfig
    );
}

#[tokio::test]
async fn overrides_still_pass_the_scope_and_the_bedrock_region_check() {
    let other = server(ResponseTemplate::new(200)).await;
    let client = client(sigv4().build().unwrap(), &[("hooks.example.com", &other)]);
    let err = client
        .get(url("hooks.example.com", &other, "/"))
        .with_extension(RequestOptions::new().service("s3").region("eu-west-1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        Error::from_middleware(&err).unwrap().kind(),
        ErrorKind::OutOfScope
    );
    assert!(received(&other).await.is_empty());

    for auth in [
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .credentials(credentials()),
        AwsAuth::bedrock_mantle()
            .region("us-west-2")
            .bearer_token(KEY),
    ] {
        let client = client_with(auth, &other, "unused.test");
        let err = client
            .post("https://bedrock-mantle.us-west-2.api.aws/v1/responses")
            .with_extension(RequestOptions::new().region("us-east-1"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            Error::from_middleware(&err).unwrap().kind(),
            ErrorKind::RegionMismatch
        );
    }
}

#[tokio::test]
async fn an_apps_own_authorization_is_refused_unless_replacing_is_allowed() {
    let s = server(ResponseTemplate::new(200)).await;
    let client = client(sigv4().build().unwrap(), &[]);
    let err = client
        .get(s.uri())
        .bearer_auth("app-token")
        .send()
        .await
        .unwrap_err();
    let ours = Error::from_middleware(&err).unwrap();
    assert_eq!(ours.kind(), ErrorKind::AuthorizationPresent);
    assert!(
        ours.to_string().contains("replace_authorization(true)"),
        "{ours}"
    );
    assert!(!ours.to_string().contains("app-token"), "{ours}");
    assert!(received(&s).await.is_empty());

    let client = client_with(sigv4().replace_authorization(true), &s, "unused.test");
    client
        .get(s.uri())
        .bearer_auth("app-token")
        .send()
        .await
        .unwrap();
    verify(&received(&s).await[0], "execute-api", "us-east-1").unwrap();

    // The crate's own earlier signature is replaced, as on a retry.
    let auth = sigv4().build().unwrap();
    let mut request = reqwest::Client::new().get(s.uri()).build().unwrap();
    auth.sign(&mut request).await.unwrap();
    auth.sign(&mut request).await.unwrap();
    assert_eq!(request.headers().get_all("authorization").iter().count(), 1);
}

/// Random hosts against random rules: a host is allowed exactly when a rule names it, or a
/// `*.` rule's suffix ends it at a label boundary, whatever the labels look like.
#[tokio::test]
async fn the_matcher_allows_exactly_the_hosts_the_rules_name() {
    const LABELS: [&str; 10] = [
        "a",
        "aws",
        "amazonaws",
        "com",
        "evil",
        "evil-amazonaws",
        "xn--80ak6aa92e",
        "api",
        "x1",
        "cn",
    ];
    let mut rng = rng::Rng(0x5C0B_E5EE_D000_0001);
    let name = |rng: &mut rng::Rng, min: usize| {
        let n = min + rng.below(3);
        (0..n)
            .map(|_| rng.pick(&LABELS))
            .collect::<Vec<_>>()
            .join(".")
    };
    let (mut allowed, mut refused) = (0, 0);
    for _ in 0..300 {
        let rules: Vec<(bool, String)> = (0..1 + rng.below(3))
            .map(|_| (rng.below(2) == 0, name(&mut rng, 2)))
            .collect();
        let mut builder = sigv4()
            .default_scope(false)
            .outside_scope(OutsideScope::PassThrough);
        for (wildcard, host) in &rules {
            builder = builder.allow_host(if *wildcard {
                format!("*.{host}")
            } else {
                host.clone()
            });
        }
        let auth = builder.build().unwrap();
        for _ in 0..10 {
            // Random names, and near misses of the rules: the rule's host, a subdomain of it,
            // the same text glued to another label, or the rule with a label appended.
            let (_, rule) = &rules[rng.below(rules.len())];
            let label = rng.pick(&LABELS);
            let host = match rng.below(5) {
                0 => name(&mut rng, 1),
                1 => rule.clone(),
                2 => format!("{label}.{rule}"),
                3 => format!("{label}{rule}"),
                _ => format!("{rule}.{label}"),
            };
            let expected = rules.iter().any(|(wildcard, rule)| {
                if *wildcard {
                    host.ends_with(&format!(".{rule}"))
                } else {
                    host == *rule
                }
            });
            // Glued labels can make invalid punycode: not a URL, nothing to sign.
            let Ok(url) = format!("https://{host}/").parse() else {
                continue;
            };
            let mut request = reqwest::Request::new(reqwest::Method::GET, url);
            auth.sign(&mut request).await.unwrap();
            let signed = request.headers().contains_key("authorization");
            assert_eq!(signed, expected, "host {host}, rules {rules:?}");
            if signed { allowed += 1 } else { refused += 1 }
        }
    }
    println!("{allowed} allowed, {refused} refused");
    assert!(
        allowed > 100 && refused > 100,
        "{allowed} allowed, {refused} refused"
    );
}

#[test]
fn scope_rules_are_validated_at_build() {
    for bad in ["", "*.com", "https://x.com", "user@x.com"] {
        let err = sigv4().allow_host(bad).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{bad}");
    }
    let err = sigv4().default_scope(false).build().unwrap_err();
    assert!(err.to_string().contains("allow_host"), "{err}");
}

#[tokio::test]
async fn presigned_urls_are_only_made_for_hosts_in_scope() {
    let auth = sigv4()
        .outside_scope(OutsideScope::PassThrough)
        .build()
        .unwrap();
    let request = reqwest::Request::new(
        reqwest::Method::GET,
        "https://files.example.com/report.pdf".parse().unwrap(),
    );
    let err = auth
        .presign(&request, std::time::Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfScope);
    let request = reqwest::Request::new(
        reqwest::Method::GET,
        "https://abc.execute-api.us-east-1.amazonaws.com/prod"
            .parse()
            .unwrap(),
    );
    let url = auth
        .presign(&request, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert!(url.query().unwrap().contains("X-Amz-Signature="));
}
