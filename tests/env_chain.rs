//! Region and credential resolution through the environment and shared config files, the way
//! the AWS SDK does it. Each case runs in a child process (this test binary, re-executed with a
//! controlled environment), because the environment is process-wide.

use std::path::PathBuf;
use std::process::Command;

use reqwest_aws_auth::{AwsAuth, ErrorKind};

const CHILD_MARKER: &str = "REQWEST_AWS_AUTH_ENV_CHILD";

/// True in a child started by `run_child`; a child run any other way (say with
/// `--include-ignored`) has an uncontrolled environment and checks nothing.
fn in_child(name: &str) -> bool {
    let yes = std::env::var_os(CHILD_MARKER).is_some();
    if !yes {
        eprintln!("{name} only runs as a child of its parent test");
    }
    yes
}

fn checked(name: &str) {
    println!("{name}: checked");
}

/// Runs the ignored test `name` in a child process with only `env` (plus PATH) set and no
/// reachable shared config, and asserts that it passed.
fn run_child(name: &str, env: &[(&str, &str)], files: &[(&str, &str)]) {
    let dir = std::env::temp_dir().join(format!("reqwest-aws-auth-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(&config, "").unwrap();
    std::fs::write(&credentials, "").unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(CHILD_MARKER, "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success()
            && stdout.contains("1 passed")
            && stdout.contains(&format!("{name}: checked")),
        "child {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(PathBuf::from(&dir));
}

async fn signed(auth: &AwsAuth) -> Result<String, reqwest_aws_auth::Error> {
    let mut request = reqwest::Client::new()
        .get("https://api.example.com/")
        .build()
        .unwrap();
    auth.sign(&mut request).await?;
    Ok(request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned())
}

#[test]
fn region_and_credentials_from_env() {
    run_child(
        "child_region_and_credentials_from_env",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_REGION", "eu-central-1"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ],
        &[],
    );
}

#[tokio::test]
#[ignore = "child process of region_and_credentials_from_env"]
async fn child_region_and_credentials_from_env() {
    if !in_child("child_region_and_credentials_from_env") {
        return;
    }
    let auth = AwsAuth::builder().service("execute-api").build().unwrap();
    let authorization = signed(&auth).await.unwrap();
    assert!(
        authorization.contains("Credential=AKIDENV/")
            && authorization.contains("/eu-central-1/execute-api/"),
        "{authorization}"
    );
    // The builder's region wins over the environment.
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("us-west-2")
        .build()
        .unwrap();
    assert!(
        signed(&auth)
            .await
            .unwrap()
            .contains("/us-west-2/execute-api/")
    );
    checked("child_region_and_credentials_from_env");
}

#[test]
fn aws_default_region_is_the_fallback() {
    run_child(
        "child_aws_default_region_is_the_fallback",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ],
        &[],
    );
}

#[tokio::test]
#[ignore = "child process of aws_default_region_is_the_fallback"]
async fn child_aws_default_region_is_the_fallback() {
    if !in_child("child_aws_default_region_is_the_fallback") {
        return;
    }
    let auth = AwsAuth::builder().service("es").build().unwrap();
    assert!(signed(&auth).await.unwrap().contains("/ap-south-1/es/"));
    checked("child_aws_default_region_is_the_fallback");
}

#[test]
fn profile_applies_to_credentials_and_region() {
    run_child(
        "child_profile_applies_to_credentials_and_region",
        &[],
        &[
            (
                "config",
                "[default]\nregion = us-east-1\n\n[profile work]\nregion = eu-north-1\n",
            ),
            (
                "credentials",
                "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = s2\n",
            ),
        ],
    );
}

#[tokio::test]
#[ignore = "child process of profile_applies_to_credentials_and_region"]
async fn child_profile_applies_to_credentials_and_region() {
    if !in_child("child_profile_applies_to_credentials_and_region") {
        return;
    }
    let default = AwsAuth::builder().service("aoss").build().unwrap();
    let authorization = signed(&default).await.unwrap();
    assert!(
        authorization.contains("Credential=AKIDDEFAULT/")
            && authorization.contains("/us-east-1/aoss/"),
        "{authorization}"
    );
    let work = AwsAuth::builder()
        .service("aoss")
        .profile("work")
        .build()
        .unwrap();
    let authorization = signed(&work).await.unwrap();
    assert!(
        authorization.contains("Credential=AKIDWORK/")
            && authorization.contains("/eu-north-1/aoss/"),
        "{authorization}"
    );
    checked("child_profile_applies_to_credentials_and_region");
}

#[test]
fn no_region_is_a_clear_error() {
    run_child(
        "child_no_region_is_a_clear_error",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ],
        &[],
    );
}

#[tokio::test]
#[ignore = "child process of no_region_is_a_clear_error"]
async fn child_no_region_is_a_clear_error() {
    if !in_child("child_no_region_is_a_clear_error") {
        return;
    }
    let auth = AwsAuth::builder().service("execute-api").build().unwrap();
    let err = signed(&auth).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoRegion);
    let message = err.to_string();
    assert!(
        message.contains(".region(") && message.contains("AWS_REGION"),
        "{message}"
    );
    assert!(!err.is_retryable());
    checked("child_no_region_is_a_clear_error");
}

#[test]
fn no_credentials_is_a_clear_error() {
    run_child(
        "child_no_credentials_is_a_clear_error",
        &[("AWS_REGION", "us-east-1")],
        &[],
    );
}

#[tokio::test]
#[ignore = "child process of no_credentials_is_a_clear_error"]
async fn child_no_credentials_is_a_clear_error() {
    if !in_child("child_no_credentials_is_a_clear_error") {
        return;
    }
    let auth = AwsAuth::builder().service("execute-api").build().unwrap();
    let err = signed(&auth).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoCredentials, "{err}");
    let message = err.to_string();
    for needle in [
        "AWS_ACCESS_KEY_ID",
        "aws sso login",
        "AWS_PROFILE",
        ".credentials(",
    ] {
        assert!(message.contains(needle), "{needle} missing from: {message}");
    }
    checked("child_no_credentials_is_a_clear_error");
}

#[test]
fn invalid_region_from_env_is_refused() {
    run_child(
        "child_invalid_region_from_env_is_refused",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_REGION", "US East (N. Virginia)"),
        ],
        &[],
    );
}

#[tokio::test]
#[ignore = "child process of invalid_region_from_env_is_refused"]
async fn child_invalid_region_from_env_is_refused() {
    if !in_child("child_invalid_region_from_env_is_refused") {
        return;
    }
    let auth = AwsAuth::builder().service("execute-api").build().unwrap();
    let err = signed(&auth).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
    assert!(err.to_string().contains("us-east-1"), "{err}");
    checked("child_invalid_region_from_env_is_refused");
}
