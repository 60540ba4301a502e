//! SigV4a through every stack (reqwest 0.13 and 0.12 middleware, the tower layer, `sign`),
//! against loopback servers that check it with the crate's wiremock matcher, and the attacks
//! that must fail: a region set the app or a URL brings, a redirect out of the scope, a region
//! set where one region is needed.
#![cfg(all(
    feature = "sigv4a",
    feature = "wiremock",
    feature = "reqwest-0-13",
    feature = "reqwest-0-12",
    feature = "tower"
))]

#[path = "support/capture_logs.rs"]
mod capture_logs;
#[path = "support/stack.rs"]
mod stack;

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use reqwest_aws_auth::wiremock::SigV4Matcher;
use reqwest_aws_auth::{
    AwsAuth, AwsAuthBuilder, ErrorKind, OutsideScope, RegionSet, RequestOptions,
};
use stack::{MIDDLEWARE, STACKS, Stack, send};
use tower::{Service, ServiceExt};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SERVICE: &str = "execute-api";
const TOKEN: &str = "sigv4a/session+token=";

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDSIGV4A",
        "sigv4a/secret/key",
        Some(TOKEN.into()),
        None,
        "test",
    )
}

fn builder() -> AwsAuthBuilder {
    AwsAuth::builder()
        .service(SERVICE)
        .region("us-east-1")
        .credentials(credentials())
}

/// A server in `region`: 200 for a request its matcher accepts, 404 otherwise.
async fn service_in(region: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(SigV4Matcher::new(credentials(), region, SERVICE))
        .respond_with(ResponseTemplate::new(200).set_body_string("accepted"))
        .mount(&server)
        .await;
    server
}

async fn last(server: &MockServer) -> Request {
    server
        .received_requests()
        .await
        .unwrap()
        .pop()
        .expect("a request")
}

fn values(request: &Request, name: &str) -> Vec<String> {
    request
        .headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_stack_signs_sigv4a_that_a_service_in_the_set_accepts() {
    let auth = builder()
        .sigv4a(RegionSet::new("us-east-1, eu-central-1").unwrap())
        .build()
        .unwrap();
    let inside = service_in("eu-central-1").await;
    let outside = service_in("ap-south-1").await;
    for stack in STACKS {
        let url = format!("{}/prod/items?b=2&a=1", inside.uri());
        let seen = send(
            stack,
            &auth,
            "POST",
            &url,
            &[("content-type", "application/json")],
            b"{}",
        )
        .await;
        assert_eq!(seen, Ok((200, b"accepted".to_vec())), "{stack:?}");
        let request = last(&inside).await;
        let authorization = &values(&request, "authorization")[0];
        assert!(
            authorization.starts_with("AWS4-ECDSA-P256-SHA256 Credential=AKIDSIGV4A/")
                && authorization.contains("/execute-api/aws4_request, "),
            "{stack:?}: {authorization}"
        );
        assert_eq!(
            values(&request, "x-amz-region-set"),
            ["us-east-1,eu-central-1"]
        );
        assert_eq!(values(&request, "x-amz-security-token"), [TOKEN]);

        // A service in a region outside the set does not accept it.
        let url = format!("{}/prod/items", outside.uri());
        let seen = send(stack, &auth, "GET", &url, &[], b"").await;
        assert_eq!(seen.map(|(status, _)| status), Ok(404), "{stack:?}");
    }
}

/// One request of an ordinary SigV4 client asks for SigV4a, through each middleware.
async fn send_with_options(
    stack: Stack,
    auth: &AwsAuth,
    url: &str,
    options: RequestOptions,
) -> u16 {
    match stack {
        Stack::Reqwest13 => {
            let client = auth.clone().client(reqwest::Client::builder()).unwrap();
            client
                .get(url)
                .with_extension(options)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
        Stack::Reqwest12 => {
            let client = auth.clone().client(reqwest012::Client::builder()).unwrap();
            client
                .get(url)
                .with_extension(options)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
        Stack::Tower => {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            let mut service = tower::ServiceBuilder::new()
                .layer(reqwest_aws_auth::tower::AwsAuthLayer::new(auth.clone()))
                .service(client);
            let mut request = http::Request::get(url)
                .body(Full::new(Bytes::new()))
                .unwrap();
            request.extensions_mut().insert(options);
            let response = service.ready().await.unwrap().call(request).await.unwrap();
            let status = response.status().as_u16();
            let _ = response.into_body().collect().await;
            status
        }
        Stack::Sign => unreachable!("sign() takes no per-request options"),
    }
}

#[tokio::test]
async fn one_request_can_ask_for_sigv4a_on_each_middleware() {
    let auth = builder().build().unwrap();
    // Only a region set with `*` can be valid in sa-east-1 for a client in us-east-1.
    let server = service_in("sa-east-1").await;
    for stack in MIDDLEWARE {
        let url = format!("{}/prod/one", server.uri());
        let plain = send_with_options(stack, &auth, &url, RequestOptions::new()).await;
        assert_eq!(plain, 404, "{stack:?}: signed with SigV4 for us-east-1");
        let options = RequestOptions::new().sigv4a(RegionSet::all());
        assert_eq!(
            send_with_options(stack, &auth, &url, options).await,
            200,
            "{stack:?}"
        );
        assert_eq!(values(&last(&server).await, "x-amz-region-set"), ["*"]);
    }
}

#[tokio::test]
async fn an_app_set_region_set_header_cannot_widen_the_signature() {
    let auth = builder()
        .sigv4a(RegionSet::new("eu-central-1").unwrap())
        .build()
        .unwrap();
    let elsewhere = service_in("us-west-2").await;
    let home = service_in("eu-central-1").await;
    for stack in STACKS {
        let headers = [("x-amz-region-set", "*"), ("X-Amz-Region-Set", "us-west-2")];
        let url = format!("{}/prod/x", elsewhere.uri());
        let seen = send(stack, &auth, "GET", &url, &headers, b"").await;
        assert_eq!(seen.map(|(status, _)| status), Ok(404), "{stack:?}");
        assert_eq!(
            values(&last(&elsewhere).await, "x-amz-region-set"),
            ["eu-central-1"],
            "{stack:?}: the configured set, once"
        );
        let url = format!("{}/prod/x", home.uri());
        let seen = send(stack, &auth, "GET", &url, &headers, b"").await;
        assert_eq!(seen.map(|(status, _)| status), Ok(200), "{stack:?}");
    }
}

#[tokio::test]
async fn the_region_set_header_is_signed_even_when_listed_as_unsigned() {
    let auth = builder()
        .sigv4a(RegionSet::all())
        .unsigned_header("x-amz-region-set")
        .build()
        .unwrap();
    let server = service_in("eu-west-1").await;
    for stack in STACKS {
        let url = format!("{}/prod/h", server.uri());
        let seen = send(stack, &auth, "GET", &url, &[], b"").await;
        assert_eq!(seen.map(|(status, _)| status), Ok(200), "{stack:?}");
        let authorization = values(&last(&server).await, "authorization").remove(0);
        assert!(
            authorization.contains("x-amz-region-set"),
            "{authorization}"
        );
    }
}

fn verify_url(url: &url::Url, region: &str) -> Result<(), reqwest_aws_auth::verify::Rejection> {
    let target = &url[url::Position::BeforePath..];
    let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
    Verifier::new(credentials(), region, SERVICE).verify(&ReceivedRequest {
        method: "GET",
        target,
        headers: &[("host", host)],
        body: b"",
    })
}

#[tokio::test]
async fn a_url_cannot_bring_its_own_region_set_to_presign() {
    let auth = builder()
        .sigv4a(RegionSet::new("us-east-1").unwrap())
        .build()
        .unwrap();
    for url in [
        "https://abc.execute-api.us-east-1.amazonaws.com/prod/doc?X-Amz-Region-Set=%2A&x=1",
        "https://abc.execute-api.us-east-1.amazonaws.com/prod/doc?x=1&x-amz-region-set=eu-west-1",
        "wss://abc.execute-api.us-east-1.amazonaws.com/prod?X-Amz-Region-Set=*",
    ] {
        let request = reqwest::Client::new().get(url).build().unwrap();
        let presigned = auth
            .presign(&request, Duration::from_secs(300))
            .await
            .unwrap();
        let sets: Vec<String> = presigned
            .query_pairs()
            .filter(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Region-Set"))
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(sets, ["us-east-1"], "{url} -> {presigned}");
        assert_eq!(presigned.scheme(), url.split(':').next().unwrap());
        let algorithm = presigned
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-Algorithm")
            .unwrap()
            .1;
        assert_eq!(algorithm, "AWS4-ECDSA-P256-SHA256");
        let mut as_http = presigned.clone();
        if as_http.scheme() == "wss" {
            as_http.set_scheme("https").unwrap();
        }
        verify_url(&as_http, "us-east-1").unwrap_or_else(|r| panic!("{url}: {r}"));
        let rejection = verify_url(&as_http, "eu-west-1").unwrap_err();
        assert_eq!(
            rejection.reason(),
            reqwest_aws_auth::verify::RejectReason::WrongRegion
        );
    }
}

#[tokio::test]
async fn redirects_are_signed_afresh_in_scope_and_carry_nothing_out_of_it() {
    let a = service_in("eu-west-1").await;
    let b = MockServer::start().await; // outside the scope: records what reaches it
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string("b"))
        .mount(&b)
        .await;
    Mock::given(wiremock::matchers::path("/to-a"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{}/final", a.uri())),
        )
        .with_priority(1)
        .mount(&a)
        .await;
    Mock::given(wiremock::matchers::path("/to-b"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{}/landed", b.uri())),
        )
        .with_priority(1)
        .mount(&a)
        .await;
    let auth = builder()
        .sigv4a(RegionSet::all())
        .default_scope(false)
        .allow_host(format!("127.0.0.1:{}", a.address().port()))
        .outside_scope(OutsideScope::PassThrough)
        .build()
        .unwrap();
    for stack in MIDDLEWARE {
        // /to-a answers 307 to every request, signed or not: the matcher's mock is the
        // fallback. The hop to /final is signed again and accepted.
        let seen = send(
            stack,
            &auth,
            "PUT",
            &format!("{}/to-a", a.uri()),
            &[],
            b"body",
        )
        .await;
        assert_eq!(seen, Ok((200, b"accepted".to_vec())), "{stack:?}");
        let hops: Vec<Request> = a.received_requests().await.unwrap();
        let final_hop = hops
            .iter()
            .rev()
            .find(|r| r.url.path() == "/final")
            .unwrap();
        assert!(values(final_hop, "authorization")[0].starts_with("AWS4-ECDSA-P256-SHA256 "));

        let seen = send(
            stack,
            &auth,
            "PUT",
            &format!("{}/to-b", a.uri()),
            &[],
            b"body",
        )
        .await;
        assert_eq!(seen, Ok((200, b"b".to_vec())), "{stack:?}");
        let landed = last(&b).await;
        let carried: Vec<&str> = landed
            .headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| *name == "authorization" || name.starts_with("x-amz-"))
            .collect();
        assert!(carried.is_empty(), "{stack:?}: {carried:?} left the scope");
    }
}

/// A server whose clock is an hour ahead, refusing signatures more than 5 minutes off its own
/// time as AWS does, with its `Date`.
struct Skewed;

const SKEW: Duration = Duration::from_secs(3600);

impl wiremock::Respond for Skewed {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let now = SystemTime::now() + SKEW;
        let verdict = SigV4Matcher::new(credentials(), "eu-west-1", SERVICE)
            .now(now)
            .verify(request);
        let accepted = verdict.is_ok()
            && values(request, "authorization")[0].starts_with("AWS4-ECDSA-P256-SHA256 ");
        let template = if accepted {
            ResponseTemplate::new(200)
        } else {
            ResponseTemplate::new(403)
                .insert_header("x-amzn-errortype", "InvalidSignatureException")
        };
        template.insert_header("date", httpdate::fmt_http_date(now).as_str())
    }
}

#[tokio::test]
async fn a_refusal_for_the_clock_is_signed_again_with_sigv4a() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Skewed)
        .mount(&server)
        .await;
    let auth = builder().sigv4a(RegionSet::all()).build().unwrap();
    for stack in MIDDLEWARE {
        let before = server.received_requests().await.unwrap().len();
        let url = format!("{}/prod/{stack:?}", server.uri());
        let seen = send(stack, &auth, "POST", &url, &[], b"{}").await;
        assert_eq!(seen.map(|(status, _)| status), Ok(200), "{stack:?}");
        let sent = server.received_requests().await.unwrap().len() - before;
        // The first request teaches the host's offset: refused once, then signed again.
        let expected = if stack == MIDDLEWARE[0] { 2 } else { 1 };
        assert_eq!(sent, expected, "{stack:?}");
    }
}

#[tokio::test]
async fn signing_a_request_again_replaces_its_own_sigv4a_signature() {
    let auth = builder().sigv4a(RegionSet::all()).build().unwrap();
    let server = service_in("eu-west-1").await;
    let mut request = reqwest::Client::new()
        .get(format!("{}/prod/twice", server.uri()))
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    auth.sign(&mut request)
        .await
        .unwrap_or_else(|e| panic!("signing again: {e}"));
    assert_eq!(request.headers().get_all("authorization").iter().count(), 1);
    let response = reqwest::Client::new().execute(request).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_region_set_is_refused_where_one_region_is_needed() {
    for (what, builder) in [
        (
            "mantle",
            AwsAuth::bedrock_mantle()
                .region("us-west-2")
                .credentials(credentials()),
        ),
        (
            "runtime",
            AwsAuth::bedrock_runtime()
                .region("us-west-2")
                .credentials(credentials()),
        ),
        (
            "bearer",
            AwsAuth::builder()
                .region("us-west-2")
                .bearer_token("ABSK-key"),
        ),
    ] {
        let err = builder
            .sigv4a(RegionSet::all())
            .build()
            .err()
            .unwrap_or_else(|| panic!("{what}"));
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{what}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("sigv4a") && message.contains("Bedrock"),
            "{what}: {message}"
        );
    }
    // The set never stands in for the region that credential providers and Bedrock need:
    // without one, signing fails as it would without `.sigv4a(..)`.
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        let outcome = match AwsAuth::builder()
            .service(SERVICE)
            .credentials(credentials())
            .sigv4a(RegionSet::all())
            .build()
        {
            Err(err) => Err(err),
            Ok(auth) => {
                let mut request = reqwest::Client::new()
                    .get("https://abc.execute-api.us-east-1.amazonaws.com/")
                    .build()
                    .unwrap();
                auth.sign(&mut request).await
            }
        };
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::NoRegion);
    }

    // A bearer client refuses a request that asks for SigV4a, and sends nothing.
    let server = MockServer::start().await;
    let bearer = AwsAuth::builder()
        .region("us-west-2")
        .bearer_token("ABSK-key")
        .allow_bearer_over_http(true)
        .build()
        .unwrap();
    for stack in MIDDLEWARE {
        let url = format!("{}/v1/responses", server.uri());
        let client_err = match stack {
            Stack::Reqwest13 => {
                let client = bearer.clone().client(reqwest::Client::builder()).unwrap();
                let err = client
                    .get(&url)
                    .with_extension(RequestOptions::new().sigv4a(RegionSet::all()))
                    .send()
                    .await
                    .unwrap_err();
                reqwest_aws_auth::Error::from_middleware(&err).map(|e| e.kind())
            }
            Stack::Reqwest12 => {
                let client = bearer
                    .clone()
                    .client(reqwest012::Client::builder())
                    .unwrap();
                let err = client
                    .get(&url)
                    .with_extension(RequestOptions::new().sigv4a(RegionSet::all()))
                    .send()
                    .await
                    .unwrap_err();
                reqwest_aws_auth::Error::from_middleware(&err).map(|e| e.kind())
            }
            Stack::Tower => {
                let client = hyper_util::client::legacy::Client::builder(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .build_http::<Full<Bytes>>();
                let mut service = tower::ServiceBuilder::new()
                    .layer(reqwest_aws_auth::tower::AwsAuthLayer::new(bearer.clone()))
                    .service(client);
                let mut request = http::Request::get(&url)
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                request
                    .extensions_mut()
                    .insert(RequestOptions::new().sigv4a(RegionSet::all()));
                let err = service
                    .ready()
                    .await
                    .unwrap()
                    .call(request)
                    .await
                    .unwrap_err();
                reqwest_aws_auth::Error::find(&*err).map(|e| e.kind())
            }
            Stack::Sign => unreachable!(),
        };
        assert_eq!(client_err, Some(ErrorKind::InvalidConfig), "{stack:?}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn nothing_secret_is_logged_while_signing_or_verifying_sigv4a() {
    let (logs, _guard) = capture_logs::capture();
    let auth = builder().sigv4a(RegionSet::all()).build().unwrap();
    let server = service_in("eu-west-1").await;
    let mut signatures = Vec::new();
    for stack in STACKS {
        let url = format!("{}/prod/logged", server.uri());
        let seen = send(stack, &auth, "POST", &url, &[], b"{}").await;
        assert_eq!(seen.map(|(status, _)| status), Ok(200), "{stack:?}");
        let authorization = values(&last(&server).await, "authorization").remove(0);
        signatures.push(
            authorization
                .rsplit("Signature=")
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    // A refusal's text, as the matcher logs it: it names the set, and no secret.
    let mut signed = reqwest::Client::new()
        .get(format!("{}/prod/refused", server.uri()))
        .build()
        .unwrap();
    let scoped = builder()
        .sigv4a(RegionSet::new("eu-west-1").unwrap())
        .build()
        .unwrap();
    scoped.sign(&mut signed).await.unwrap();
    let headers: Vec<(String, String)> = signed
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .chain([(
            "host".to_owned(),
            signed.url()[url::Position::BeforeHost..url::Position::AfterPort].to_owned(),
        )])
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let rejection = Verifier::new(credentials(), "us-west-2", SERVICE)
        .verify(&ReceivedRequest {
            method: "GET",
            target: &signed.url()[url::Position::BeforePath..],
            headers: &headers,
            body: b"",
        })
        .unwrap_err();
    let shown = format!("{rejection} {rejection:?}");
    assert!(
        shown.contains("`eu-west-1`, which does not include `us-west-2`"),
        "{shown}"
    );
    let authorization = signed.headers()["authorization"].to_str().unwrap();
    signatures.push(
        authorization
            .rsplit("Signature=")
            .next()
            .unwrap()
            .to_owned(),
    );
    for secret in [credentials().secret_access_key(), TOKEN, authorization] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let url = format!("{}/prod/presigned", server.uri());
    let request = reqwest::Client::new().get(&url).build().unwrap();
    let presigned = auth
        .presign(&request, Duration::from_secs(60))
        .await
        .unwrap();
    signatures.push(
        presigned
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-Signature")
            .unwrap()
            .1
            .into_owned(),
    );

    let text = logs.text();
    assert!(
        text.contains("AWS4-ECDSA-P256-SHA256"),
        "the signing log shows the algorithm"
    );
    for secret in [credentials().secret_access_key(), TOKEN] {
        assert!(!text.contains(secret), "a secret is logged");
    }
    for signature in &signatures {
        assert!(!text.contains(signature.as_str()), "a signature is logged");
    }
}
