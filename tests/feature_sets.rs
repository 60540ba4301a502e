//! One small test binary for every documented feature set: CI runs it under each (`.ci/run`),
//! because a feature set that compiles is not one that works.
//!
//! Whatever the features, a request signs (with no adapter at all, `AwsAuth::sign` on an
//! `http::Request`), on each adapter compiled in. With the default chain, keys in the
//! environment sign a request when aws-config has an HTTP client (`default-https-client`);
//! without one its chain panics at the first load, so `build()` refuses when it would be used
//! and says what to do, and every other credential source still works.

#[cfg(feature = "default-chain")]
#[path = "support/child_env.rs"]
mod child_env;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use bytes::Bytes;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder};

const URL: &str = "https://abc.execute-api.eu-west-1.amazonaws.com/prod/items?x=1";
const KEY_ID: &str = "AKIDFEATURESETS";
const SECRET: &str = "feature-sets-secret";
/// `Credential=` of a signature by [`KEY_ID`] on [`time`].
const SCOPE: &str = "Credential=AKIDFEATURESETS/20261207/eu-west-1/execute-api/aws4_request";

/// 2026-12-07T12:00:00Z.
fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_644_800)
}

fn credentials() -> Credentials {
    Credentials::new(KEY_ID, SECRET, None, None, "test")
}

fn builder() -> AwsAuthBuilder {
    AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .time_source(StaticTimeSource::new(time()))
}

fn authorization(headers: &http::HeaderMap) -> String {
    headers
        .get("authorization")
        .expect("the request was signed")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Signs an `http::Request` (no adapter needed) and returns its `authorization`.
async fn sign_http(auth: &AwsAuth) -> Result<String, reqwest_aws_auth::Error> {
    let mut request = http::Request::post(URL).body(Bytes::from("hello")).unwrap();
    auth.sign(&mut request).await?;
    Ok(authorization(request.headers()))
}

#[tokio::test]
async fn explicit_credentials_sign_as_aws_sigv4_does() {
    let fast = sign_http(&builder().credentials(credentials()).build().unwrap())
        .await
        .unwrap();
    let reference = builder()
        .credentials(credentials())
        .sign_with_aws_sigv4(true)
        .build()
        .unwrap();
    assert_eq!(fast, sign_http(&reference).await.unwrap());
    assert!(fast.contains(SCOPE), "{fast}");

    #[cfg(feature = "verify")]
    {
        let mut request = http::Request::post(URL).body(Bytes::from("hello")).unwrap();
        builder()
            .credentials(credentials())
            .build()
            .unwrap()
            .sign(&mut request)
            .await
            .unwrap();
        let headers: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .chain([("host", "abc.execute-api.eu-west-1.amazonaws.com")])
            .collect();
        reqwest_aws_auth::verify::Verifier::new(credentials(), "eu-west-1", "execute-api")
            .now(time())
            .verify(&reqwest_aws_auth::verify::ReceivedRequest {
                method: "POST",
                target: "/prod/items?x=1",
                headers: &headers,
                body: b"hello",
            })
            .unwrap();
    }
}

#[cfg(feature = "reqwest-0-13")]
#[tokio::test]
async fn reqwest_0_13_requests_sign() {
    let auth = builder().credentials(credentials()).build().unwrap();
    let mut request = reqwest::Client::new()
        .post(URL)
        .body("hello")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    assert_eq!(
        authorization(request.headers()),
        sign_http(&auth).await.unwrap()
    );
}

#[cfg(feature = "reqwest-0-12")]
#[tokio::test]
async fn reqwest_0_12_requests_sign() {
    let auth = builder().credentials(credentials()).build().unwrap();
    let mut request = reqwest012::Client::new()
        .post(URL)
        .body("hello")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    assert_eq!(
        authorization(request.headers()),
        sign_http(&auth).await.unwrap()
    );
}

#[cfg(feature = "tower")]
#[tokio::test]
async fn the_tower_layer_signs() {
    use http_body_util::{BodyExt as _, Full};
    use tower::{Layer as _, ServiceExt as _};

    let auth = builder().credentials(credentials()).build().unwrap();
    // Answers with the `authorization` it was sent.
    let inner = tower::service_fn(|request: http::Request<Full<Bytes>>| async move {
        let seen = Bytes::from(authorization(request.headers()));
        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(seen)))
    });
    let service = reqwest_aws_auth::tower::AwsAuthLayer::new(auth.clone()).layer(inner);
    let request = http::Request::post(URL)
        .body(Full::new(Bytes::from("hello")))
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    let seen = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(seen, sign_http(&auth).await.unwrap().as_bytes());
}

// ---- the default chain, with keys in the environment (in a child process) -------------------

#[cfg(feature = "default-chain")]
#[test]
fn the_default_chain_signs_with_keys_from_the_environment_or_build_says_why_not() {
    child_env::run_child(
        "chain",
        &[
            ("AWS_ACCESS_KEY_ID", KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_REGION", "eu-west-1"),
        ],
        "",
        "",
    );
}

#[cfg(feature = "default-chain")]
#[tokio::test]
#[ignore = "a child process of the default-chain test; checks nothing when run directly"]
async fn child() {
    let Some(scenario) = child_env::scenario() else {
        return;
    };
    assert_eq!(scenario, "chain");
    chain_scenario().await;
    child_env::checked(&scenario);
}

/// With aws-config's HTTP client: the chain finds the keys in the environment.
#[cfg(feature = "default-https-client")]
async fn chain_scenario() {
    let auth = builder().build().unwrap();
    let signed = sign_http(&auth).await.unwrap();
    assert!(signed.contains(SCOPE), "{signed}");
}

/// Without it: `build()` refuses whenever the chain would be used, and only then.
#[cfg(all(feature = "default-chain", not(feature = "default-https-client")))]
async fn chain_scenario() {
    use aws_credential_types::provider::SharedCredentialsProvider;
    use reqwest_aws_auth::ErrorKind;
    use reqwest_aws_auth::bedrock::ShortTermKeyProvider;

    let refusals = [
        ("AwsAuth", builder().build().err()),
        (
            "ShortTermKeyProvider",
            ShortTermKeyProvider::builder()
                .region("us-west-2")
                .build()
                .err(),
        ),
    ];
    for (what, refusal) in refusals {
        let Some(err) = refusal else {
            // What an accepted build led to: the chain's first load, in the caller's task.
            let signed = tokio::spawn(async { sign_http(&builder().build().unwrap()).await })
                .await
                .map_err(|panic| {
                    let panic = panic.into_panic();
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default()
                });
            panic!("{what}: build() accepted a chain without an HTTP client; signing: {signed:?}");
        };
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{what}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("`default-https-client`") && message.contains(".sdk_config(..)"),
            "{what}: {message}"
        );
    }

    // Every other source builds and signs.
    let signed = sign_http(&builder().credentials(credentials()).build().unwrap())
        .await
        .unwrap();
    assert!(signed.contains(SCOPE), "{signed}");
    let config = aws_types::SdkConfig::builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials()))
        .region(aws_types::region::Region::new("eu-west-1"))
        .build();
    let signed = sign_http(&builder().sdk_config(&config).build().unwrap())
        .await
        .unwrap();
    assert!(signed.contains(SCOPE), "{signed}");
    let signed = sign_http(
        &builder()
            .credentials_provider(credentials())
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(signed.contains(SCOPE), "{signed}");
}
