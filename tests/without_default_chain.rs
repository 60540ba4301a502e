//! Built without the `default-chain` feature (CI: `cargo test --no-default-features --features
//! reqwest-0-13 --test without_default_chain`): explicit credentials work, and a builder that
//! would need the chain says at `build()` that it is not compiled in.
#![cfg(all(not(feature = "default-chain"), feature = "reqwest-0-13"))]

use aws_credential_types::Credentials;
use reqwest_aws_auth::{AwsAuth, ErrorKind};

#[test]
fn without_credentials_the_build_says_the_chain_is_not_compiled_in() {
    let err = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoCredentials);
    let message = err.to_string();
    assert!(message.contains("not compiled"), "{message}");
    assert!(message.contains("`default-chain`"), "{message}");
    assert!(message.contains(".credentials(...)"), "{message}");
}

#[test]
fn a_profile_cannot_be_read_without_the_chain() {
    let err = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .profile("dev")
        .credentials(Credentials::new("AKID", "secret", None, None, "test"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("`default-chain`"), "{err}");
}

#[tokio::test]
async fn explicit_credentials_sign_and_the_region_comes_from_the_builder() {
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .credentials(Credentials::new("AKID", "secret", None, None, "test"))
        .build()
        .unwrap();
    let mut request = reqwest::Client::new()
        .get("https://abc.execute-api.eu-west-1.amazonaws.com/prod/items")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    let authorization = request.headers()["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKID/"),
        "{authorization}"
    );
    assert!(authorization.contains("/eu-west-1/execute-api/aws4_request"));
}
