//! Region and credential resolution through the environment and shared config files, the way
//! the AWS SDK does it. Each case runs in a child process (see `support/child_env.rs`).

#[path = "support/child_env.rs"]
mod child_env;

use child_env::run_child;
use reqwest_aws_auth::{AwsAuth, ErrorKind};

const ENV_CREDS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDENV"),
    ("AWS_SECRET_ACCESS_KEY", "env-secret"),
];

fn with_creds<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    ENV_CREDS.iter().chain(extra).copied().collect()
}

// ---- parents ----

#[test]
fn region_and_credentials_from_env() {
    run_child(
        "env_region_and_credentials",
        &with_creds(&[
            ("AWS_REGION", "eu-central-1"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ]),
        "",
        "",
    );
}

#[test]
fn aws_default_region_is_the_fallback() {
    run_child(
        "aws_default_region",
        &with_creds(&[("AWS_DEFAULT_REGION", "ap-south-1")]),
        "",
        "",
    );
}

#[test]
fn profile_applies_to_credentials_and_region() {
    run_child(
        "profile",
        &[],
        "[default]\nregion = us-east-1\n\n[profile work]\nregion = eu-north-1\n",
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n\
         [work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = s2\n",
    );
}

#[test]
fn aws_profile_selects_the_profile() {
    run_child(
        "aws_profile",
        &[("AWS_PROFILE", "work")],
        "[profile work]\nregion = eu-north-1\n",
        "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = s2\n",
    );
}

#[test]
fn no_region_is_a_clear_error() {
    run_child("no_region", &with_creds(&[]), "", "");
}

#[test]
fn no_credentials_is_a_clear_error() {
    run_child("no_credentials", &[("AWS_REGION", "us-east-1")], "", "");
}

/// The default chain's last source, instance metadata, refuses (as on an instance where it is
/// disabled): the error keeps the cause and says how to configure credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_failing_metadata_service_says_how_to_configure_credentials() {
    let imds = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(403))
        .mount(&imds)
        .await;
    let endpoint = imds.uri();
    tokio::task::spawn_blocking(move || {
        run_child(
            "imds_refuses",
            &[
                ("AWS_REGION", "us-east-1"),
                ("AWS_EC2_METADATA_DISABLED", "false"),
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint),
            ],
            "",
            "",
        )
    })
    .await
    .unwrap();
    assert!(!imds.received_requests().await.unwrap().is_empty());
}

#[test]
fn invalid_region_from_env_is_refused() {
    run_child(
        "invalid_region",
        &with_creds(&[("AWS_REGION", "US East (N. Virginia)")]),
        "",
        "",
    );
}

/// A `credential_process` that never answers: the default chain's load times out, and the
/// request fails with a retryable error naming the chain, instead of hanging.
#[test]
fn a_hung_credential_process_times_out() {
    run_child(
        "hung_credential_process",
        &[],
        "[default]\nregion = us-east-1\ncredential_process = sleep 60\n",
        "",
    );
}

/// A `credential_process` whose keys rotate and carry no expiry: asked again after 15 minutes.
#[test]
fn keys_without_expiry_from_credential_process_are_fetched_again() {
    let dir =
        std::env::temp_dir().join(format!("reqwest-aws-auth-rotating-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("rotate.sh");
    let counter = dir.join("count");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nn=$(cat '{c}' 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > '{c}'\n\
             printf '{{\"Version\":1,\"AccessKeyId\":\"AKIDPROC%s\",\"SecretAccessKey\":\"s\"}}' $n\n",
            c = counter.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    run_child(
        "rotating_credential_process",
        &[],
        &format!(
            "[default]\nregion = us-east-1\ncredential_process = {}\n",
            script.display()
        ),
        "",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the child ----

#[derive(Debug, Clone, Default)]
struct ManualClock(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl ManualClock {
    fn advance(&self, by: std::time::Duration) {
        self.0
            .fetch_add(by.as_secs(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl aws_smithy_async::time::TimeSource for ManualClock {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
            + std::time::Duration::from_secs(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

async fn authorization(auth: &AwsAuth) -> Result<String, reqwest_aws_auth::Error> {
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

async fn signed_by(builder: reqwest_aws_auth::AwsAuthBuilder, key: &str, scope: &str) {
    let header = authorization(&builder.build().unwrap()).await.unwrap();
    assert!(
        header.contains(&format!("Credential={key}/")) && header.contains(scope),
        "expected {key} and {scope} in {header}"
    );
}

#[tokio::test]
#[ignore = "a child process of the env_chain tests; checks nothing when run directly"]
async fn child() {
    let Some(scenario) = child_env::scenario() else {
        return;
    };
    let builder = || AwsAuth::builder().service("execute-api");
    match scenario.as_str() {
        "env_region_and_credentials" => {
            signed_by(builder(), "AKIDENV", "/eu-central-1/execute-api/").await;
            // The builder's region wins over the environment.
            signed_by(builder().region("us-west-2"), "AKIDENV", "/us-west-2/").await;
        }
        "aws_default_region" => signed_by(builder(), "AKIDENV", "/ap-south-1/").await,
        "profile" => {
            signed_by(builder(), "AKIDDEFAULT", "/us-east-1/").await;
            signed_by(builder().profile("work"), "AKIDWORK", "/eu-north-1/").await;
        }
        "aws_profile" => signed_by(builder(), "AKIDWORK", "/eu-north-1/").await,
        "no_region" => {
            let err = authorization(&builder().build().unwrap())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NoRegion);
            let message = err.to_string();
            assert!(
                message.contains(".region(") && message.contains("AWS_REGION"),
                "{message}"
            );
            assert!(!err.is_retryable());
        }
        "no_credentials" => {
            let err = authorization(&builder().build().unwrap())
                .await
                .unwrap_err();
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
        }
        "imds_refuses" => {
            let err = authorization(&builder().build().unwrap())
                .await
                .unwrap_err();
            let message = err.to_string();
            assert!(message.contains("IMDS"), "{message}");
            for needle in ["aws configure", "AWS_PROFILE", ".credentials("] {
                assert!(message.contains(needle), "{needle} missing from: {message}");
            }
        }
        "invalid_region" => {
            let err = authorization(&builder().build().unwrap())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
            assert!(err.to_string().contains("us-east-1"), "{err}");
        }
        "hung_credential_process" => {
            let auth = builder()
                .credentials_timeout(std::time::Duration::from_millis(500))
                .build()
                .unwrap();
            let err =
                tokio::time::timeout(std::time::Duration::from_secs(20), authorization(&auth))
                    .await
                    .expect("hung behind credential_process")
                    .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ProviderTimeout, "{err}");
            assert!(err.is_retryable());
            assert!(
                err.to_string().contains("default credential chain"),
                "{err}"
            );
        }
        "rotating_credential_process" => {
            let clock = ManualClock::default();
            let auth = builder().time_source(clock.clone()).build().unwrap();
            let key = |header: String| {
                header
                    .split("Credential=")
                    .nth(1)
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap()
                    .to_owned()
            };
            assert_eq!(key(authorization(&auth).await.unwrap()), "AKIDPROC1");
            clock.advance(std::time::Duration::from_secs(60));
            assert_eq!(key(authorization(&auth).await.unwrap()), "AKIDPROC1");
            clock.advance(std::time::Duration::from_secs(16 * 60));
            assert_eq!(key(authorization(&auth).await.unwrap()), "AKIDPROC2");
        }
        other => panic!("unknown scenario {other}"),
    }
    child_env::checked(&scenario);
}
