//! The Bedrock presets and the environment: `AWS_BEARER_TOKEN_BEDROCK` precedence, blank
//! values, and the region order. The environment is process-wide, so each case runs in a child
//! process (this test binary, re-executed with a controlled environment and temporary shared
//! config files); the child is an ignored test that only checks when started by its parent.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use reqwest_aws_auth::bedrock::{BearerToken, mint_short_term_key};
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, Error, ErrorKind};

#[path = "support/child_env.rs"]
mod child_env;

/// Runs `scenario` in a child with only `env` (plus PATH), an AWS config file holding `config`
/// and an empty credentials file.
fn run_child(scenario: &str, env: &[(&str, &str)], config: &str) {
    child_env::run_child(scenario, env, config, "");
}

const ENV_CREDS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
    ("AWS_SECRET_ACCESS_KEY", "env-secret"),
];

fn with_creds<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    ENV_CREDS
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

// ---- parents ----

#[test]
fn env_token_is_used_by_the_presets_trimmed() {
    run_child(
        "env_token_used",
        &with_creds(&[
            ("AWS_BEARER_TOKEN_BEDROCK", "  env-key\n"),
            ("AWS_REGION", "us-west-2"),
        ]),
        "",
    );
}

#[test]
fn env_token_is_read_once_at_build() {
    run_child(
        "env_read_once",
        &[
            ("AWS_BEARER_TOKEN_BEDROCK", "first-key"),
            ("AWS_REGION", "us-west-2"),
        ],
        "",
    );
}

#[test]
fn blank_env_token_counts_as_unset() {
    for blank in ["", "   ", "\t\n"] {
        run_child(
            "env_blank",
            &with_creds(&[
                ("AWS_BEARER_TOKEN_BEDROCK", blank),
                ("AWS_REGION", "us-west-2"),
            ]),
            "",
        );
    }
}

#[test]
fn env_lookup_can_be_turned_off() {
    run_child(
        "env_off",
        &with_creds(&[
            ("AWS_BEARER_TOKEN_BEDROCK", "env-key"),
            ("AWS_REGION", "us-west-2"),
        ]),
        "",
    );
}

#[test]
fn explicit_choices_win_over_the_env_token() {
    run_child(
        "env_explicit",
        &with_creds(&[
            ("AWS_BEARER_TOKEN_BEDROCK", "env-key"),
            ("AWS_REGION", "us-west-2"),
        ]),
        "",
    );
}

#[test]
fn other_builders_read_the_env_token_only_when_told() {
    run_child(
        "env_generic",
        &with_creds(&[
            ("AWS_BEARER_TOKEN_BEDROCK", "env-key"),
            ("AWS_REGION", "us-west-2"),
        ]),
        "",
    );
}

#[test]
fn unsendable_env_token_fails_at_build() {
    run_child(
        "env_unsendable",
        &[("AWS_BEARER_TOKEN_BEDROCK", "env\u{1}secret")],
        "",
    );
}

#[test]
fn region_order_builder_then_aws_region_then_default_then_profile() {
    let profile = "[default]\nregion = ap-south-1\n[profile other]\nregion = eu-north-1\n";
    run_child("region_builder", &[("AWS_REGION", "eu-west-1")], profile);
    run_child(
        "region_aws_region",
        &[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "ap-northeast-2"),
        ],
        profile,
    );
    run_child(
        "region_default",
        &[("AWS_DEFAULT_REGION", "ap-northeast-2")],
        profile,
    );
    run_child("region_profile", &[], profile);
    run_child("region_named_profile", &[], profile);
    run_child("region_none", &[], "");
}

#[test]
fn bearer_region_order_ends_with_the_key_when_opted_in() {
    run_child(
        "bearer_region_env_beats_key",
        &[("AWS_REGION", "us-east-1")],
        "",
    );
    run_child(
        "bearer_region_profile",
        &[],
        "[default]\nregion = eu-west-3\n",
    );
    run_child("bearer_region_from_key", &[], "");
}

// ---- the child ----

async fn authorization(auth: &AwsAuth, url: &str) -> Result<String, Error> {
    let mut request = reqwest::Client::new().post(url).body("{}").build().unwrap();
    auth.sign(&mut request).await?;
    Ok(request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned())
}

const MANTLE_US_WEST_2: &str = "https://bedrock-mantle.us-west-2.api.aws/v1/responses";

fn explicit_creds() -> Credentials {
    Credentials::new("AKIDEXPLICIT", "explicit-secret", None, None, "test")
}

async fn is_sigv4(builder: AwsAuthBuilder, access_key: &str) {
    let header = authorization(&builder.build().unwrap(), MANTLE_US_WEST_2)
        .await
        .unwrap();
    assert!(
        header.starts_with(&format!("AWS4-HMAC-SHA256 Credential={access_key}/")),
        "{header}"
    );
}

async fn is_bearer(builder: AwsAuthBuilder, token: &str) {
    let header = authorization(&builder.build().unwrap(), MANTLE_US_WEST_2)
        .await
        .unwrap();
    assert_eq!(header, format!("Bearer {token}"));
}

/// The region in a SigV4 signature's credential scope.
async fn signed_region(builder: AwsAuthBuilder) -> Result<String, Error> {
    let header = authorization(
        &builder.credentials(explicit_creds()).build()?,
        "http://127.0.0.1:1/",
    )
    .await?;
    Ok(header.split('/').nth(2).unwrap().to_owned())
}

fn short_term_key(region: &str) -> String {
    mint_short_term_key(
        &explicit_creds(),
        region,
        SystemTime::now(),
        Duration::from_secs(900),
    )
    .unwrap()
    .expose_secret()
    .to_owned()
}

#[derive(Debug)]
struct Fixed;

#[async_trait::async_trait]
impl reqwest_aws_auth::bedrock::ProvideBearerToken for Fixed {
    async fn bearer_token(&self) -> Result<BearerToken, reqwest_aws_auth::bedrock::ProviderError> {
        Ok(BearerToken::new("provider-key"))
    }
}

#[tokio::test]
#[ignore = "a child process of the bedrock_env tests; checks nothing when run directly"]
async fn child() {
    let Some(scenario) = child_env::scenario() else {
        return;
    };
    match scenario.as_str() {
        "env_token_used" => {
            is_bearer(AwsAuth::bedrock_mantle(), "env-key").await;
            let header = authorization(
                &AwsAuth::bedrock_runtime().build().unwrap(),
                "https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/responses",
            )
            .await
            .unwrap();
            assert_eq!(header, "Bearer env-key");
        }
        "env_read_once" => {
            let auth = AwsAuth::bedrock_mantle().build().unwrap();
            // SAFETY: this child process runs this one test on one thread; nothing else reads
            // the environment concurrently.
            unsafe { std::env::set_var("AWS_BEARER_TOKEN_BEDROCK", "second-key") };
            assert_eq!(
                authorization(&auth, MANTLE_US_WEST_2).await.unwrap(),
                "Bearer first-key"
            );
            unsafe { std::env::remove_var("AWS_BEARER_TOKEN_BEDROCK") };
            assert_eq!(
                authorization(&auth, MANTLE_US_WEST_2).await.unwrap(),
                "Bearer first-key"
            );
        }
        "env_blank" => is_sigv4(AwsAuth::bedrock_mantle(), "AKIDFROMENV").await,
        "env_off" => {
            is_sigv4(
                AwsAuth::bedrock_mantle().bearer_token_from_env(false),
                "AKIDFROMENV",
            )
            .await;
            is_sigv4(
                AwsAuth::bedrock_runtime().bearer_token_from_env(false),
                "AKIDFROMENV",
            )
            .await;
        }
        "env_explicit" => {
            is_bearer(
                AwsAuth::bedrock_mantle().bearer_token("explicit-key"),
                "explicit-key",
            )
            .await;
            is_bearer(
                AwsAuth::bedrock_mantle().bearer_token_provider(Fixed),
                "provider-key",
            )
            .await;
            is_sigv4(
                AwsAuth::bedrock_mantle().credentials(explicit_creds()),
                "AKIDEXPLICIT",
            )
            .await;
            is_sigv4(
                AwsAuth::bedrock_mantle().credentials_provider(explicit_creds()),
                "AKIDEXPLICIT",
            )
            .await;
            let config =
                aws_types::SdkConfig::builder()
                    .credentials_provider(
                        aws_credential_types::provider::SharedCredentialsProvider::new(
                            explicit_creds(),
                        ),
                    )
                    .build();
            is_sigv4(
                AwsAuth::bedrock_mantle().sdk_config(&config),
                "AKIDEXPLICIT",
            )
            .await;
        }
        "env_generic" => {
            is_sigv4(AwsAuth::builder().service("bedrock-mantle"), "AKIDFROMENV").await;
            is_bearer(AwsAuth::builder().bearer_token_from_env(true), "env-key").await;
        }
        "env_unsendable" => {
            let err = AwsAuth::bedrock_mantle().build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidToken);
            assert!(
                err.to_string().contains("AWS_BEARER_TOKEN_BEDROCK"),
                "{err}"
            );
            assert!(!format!("{err} {err:?}").contains("secret"), "{err:?}");
            // Explicitly turned off, the variable is not even looked at.
            AwsAuth::bedrock_mantle()
                .bearer_token_from_env(false)
                .build()
                .unwrap();
        }
        "region_builder" => {
            assert_eq!(
                signed_region(AwsAuth::bedrock_mantle().region("ca-central-1"))
                    .await
                    .unwrap(),
                "ca-central-1"
            );
        }
        "region_aws_region" => {
            assert_eq!(
                signed_region(AwsAuth::bedrock_mantle()).await.unwrap(),
                "eu-west-1"
            );
        }
        "region_default" => {
            assert_eq!(
                signed_region(AwsAuth::bedrock_runtime()).await.unwrap(),
                "ap-northeast-2"
            );
        }
        "region_profile" => {
            assert_eq!(
                signed_region(AwsAuth::bedrock_mantle()).await.unwrap(),
                "ap-south-1"
            );
        }
        "region_named_profile" => {
            assert_eq!(
                signed_region(AwsAuth::bedrock_mantle().profile("other"))
                    .await
                    .unwrap(),
                "eu-north-1"
            );
        }
        "region_none" => {
            let err = signed_region(AwsAuth::bedrock_mantle()).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NoRegion);
            let auth = AwsAuth::bedrock_mantle()
                .bearer_token("long-term-key")
                .build()
                .unwrap();
            let err = authorization(&auth, MANTLE_US_WEST_2).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NoRegion);
            let msg = err.to_string();
            for fix in [".region(", "AWS_REGION", "region_from_bearer_token"] {
                assert!(msg.contains(fix), "{fix} missing from: {msg}");
            }
        }
        "bearer_region_env_beats_key" => {
            let auth = AwsAuth::bedrock_mantle()
                .bearer_token(short_term_key("sa-east-1"))
                .region_from_bearer_token(true)
                .build()
                .unwrap();
            let err = authorization(
                &auth,
                "https://bedrock-mantle.sa-east-1.api.aws/v1/responses",
            )
            .await
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::RegionMismatch);
            assert!(
                err.to_string()
                    .contains("configured for region `us-east-1`"),
                "{err}"
            );
        }
        "bearer_region_profile" => {
            let auth = AwsAuth::bedrock_mantle()
                .bearer_token("long-term-key")
                .build()
                .unwrap();
            authorization(
                &auth,
                "https://bedrock-mantle.eu-west-3.api.aws/v1/responses",
            )
            .await
            .unwrap();
            let err = authorization(&auth, MANTLE_US_WEST_2).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::RegionMismatch);
            assert!(err.to_string().contains("eu-west-3"), "{err}");
        }
        "bearer_region_from_key" => {
            let key = short_term_key("sa-east-1");
            let auth = AwsAuth::bedrock_mantle()
                .bearer_token(&key)
                .region_from_bearer_token(true)
                .build()
                .unwrap();
            authorization(
                &auth,
                "https://bedrock-mantle.sa-east-1.api.aws/v1/responses",
            )
            .await
            .unwrap();
            let without = AwsAuth::bedrock_mantle()
                .bearer_token(&key)
                .build()
                .unwrap();
            let err = authorization(
                &without,
                "https://bedrock-mantle.sa-east-1.api.aws/v1/responses",
            )
            .await
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NoRegion);
        }
        other => panic!("unknown scenario {other}"),
    }
    child_env::checked(&scenario);
}
