//! `sign_with_aws_sigv4(true)` (aws-sigv4's own `http_request::sign` for every request) and the
//! default (the crate's canonical request with a cached signing key) write the same headers.
#![cfg(feature = "reqwest-0-13")]

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use reqwest_aws_auth::AwsAuth;

fn auth(service: &str, slow: bool) -> AwsAuth {
    AwsAuth::builder()
        .service(service)
        .region("eu-west-1")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("token/with+chars=".into()),
            None,
            "test",
        ))
        .time_source(StaticTimeSource::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000),
        ))
        .sign_with_aws_sigv4(slow)
        .build()
        .unwrap()
}

#[tokio::test]
async fn both_paths_sign_byte_for_byte_alike() {
    let client = reqwest::Client::new();
    let requests = [
        ("execute-api", client.get("https://abc.execute-api.eu-west-1.amazonaws.com/prod/a%20b/../c?z=1&a=2&a=1&sp=x+y")),
        ("s3", client.put("https://bucket.s3.eu-west-1.amazonaws.com/dir//key%3A~(1).txt").body("object")),
        ("bedrock-mantle", client.post("https://bedrock-mantle.eu-west-1.api.aws/v1/responses").header("content-type", "application/json").header("x-custom", "  spaced   value ").body(r#"{"input":"hi"}"#)),
    ];
    for (service, builder) in requests {
        let mut fast = builder.build().unwrap();
        let mut slow = fast.try_clone().unwrap();
        auth(service, false).sign(&mut fast).await.unwrap();
        auth(service, true).sign(&mut slow).await.unwrap();
        assert_eq!(fast.url(), slow.url(), "{service}");
        assert_eq!(fast.headers(), slow.headers(), "{service}");
        assert!(
            fast.headers()["authorization"]
                .to_str()
                .unwrap()
                .starts_with("AWS4-HMAC-SHA256 ")
        );
    }
}
