//! `aws-sigv4-curl --sigv4a [--region-set SET]`, spawned as a user would, against a loopback
//! server in ap-northeast-1 that accepts only what the crate's wiremock matcher verifies. The
//! CLI's own region (eu-west-1) is not in any set it is given, so only SigV4a can pass.
#![cfg(all(feature = "cli", feature = "wiremock"))]

use std::process::{Command, Output};

use aws_credential_types::Credentials;
use reqwest_aws_auth::wiremock::SigV4Matcher;
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_aws-sigv4-curl");
const ACCESS_KEY: &str = "AKIDCLISIGV4A";
const SECRET_KEY: &str = "cli/sigv4a/Secret+Key/EXAMPLE";

fn run(args: &[&str]) -> Output {
    let nowhere = std::env::temp_dir().join("reqwest-aws-auth-sigv4a-cli-nonexistent");
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &nowhere)
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "eu-west-1")
        .args(args)
        .output()
        .unwrap()
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "cli");
    Mock::given(SigV4Matcher::new(credentials, "ap-northeast-1", "s3"))
        .respond_with(ResponseTemplate::new(200).set_body_string("object body"))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn sigv4a_from_the_command_line() {
    let server = server().await;
    let url = format!("{}/photos/cat.jpg", server.uri());

    let output = run(&["--service", "s3", "--sigv4a", "-v", &url]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(output.stdout, b"object body");
    assert!(stderr.contains("AWS4-ECDSA-P256-SHA256"), "{stderr}");
    assert!(stderr.contains("x-amz-region-set:*"), "{stderr}");
    assert!(!stderr.contains(SECRET_KEY));

    let output = run(&[
        "--service",
        "s3",
        "--sigv4a",
        "--region-set",
        "us-east-1, ap-*",
        "--fail",
        &url,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A set without the server's region, and SigV4 for the CLI's own region: refused.
    for args in [
        &[
            "--service",
            "s3",
            "--sigv4a",
            "--region-set",
            "eu-west-1",
            "--fail",
            &url,
        ][..],
        &["--service", "s3", "--fail", &url],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(22), "{args:?}");
    }

    // A malformed set is a usage error that names the problem.
    let output = run(&[
        "--service",
        "s3",
        "--sigv4a",
        "--region-set",
        "us-east-1,,x",
        &url,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("empty entry"));

    // Presigned with SigV4a: the URL works without credentials.
    let output = run(&["--service", "s3", "--sigv4a", "--presign", "60", &url]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let presigned = String::from_utf8(output.stdout).unwrap();
    assert!(
        presigned.contains("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256"),
        "{presigned}"
    );
    let response = reqwest::get(presigned.trim()).await.unwrap();
    assert_eq!(response.status(), 200);
}
