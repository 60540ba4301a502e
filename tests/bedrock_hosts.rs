//! The host grammar as the presets' scope and region check apply it, through `AwsAuth::sign`:
//! every host of `tests/fixtures/bedrock_hosts/hosts.json` (generated with openai-python's
//! Bedrock host parser) that is a runtime or Mantle host is signed for by its preset with the
//! host's own region, and refused with `RegionMismatch` for another region; every other host
//! but loopback is refused as out of scope, and nothing is attached to it.

use aws_credential_types::Credentials;
use reqwest_aws_auth::bedrock::{Endpoint, parse_host};
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, ErrorKind};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bedrock_hosts/hosts.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn credentials() -> Credentials {
    Credentials::new("AKIDHOSTS", "hosts-secret", None, None, "test")
}

/// What signing a request to `https://{host}/openai/v1/responses` did: the signing name in
/// the credential scope, or the error kind.
async fn sign(builder: AwsAuthBuilder, host: &str) -> Result<String, ErrorKind> {
    let auth = builder.credentials(credentials()).build().unwrap();
    let mut request = http::Request::post(format!("https://{host}/openai/v1/responses"))
        .body(Vec::new())
        .map_err(|_| ErrorKind::InvalidUrl)?;
    match auth.sign(&mut request).await {
        Ok(()) => {
            let authorization = request.headers()["authorization"].to_str().unwrap();
            Ok(authorization.split('/').nth(3).unwrap().to_owned())
        }
        Err(err) => {
            assert!(
                request.headers().get("authorization").is_none(),
                "{host}: failed but signed"
            );
            Err(err.kind())
        }
    }
}

#[tokio::test]
async fn every_host_of_the_fixture_is_signed_or_refused_as_the_grammar_reads_it() {
    let fixture = fixture();
    let (mut signed, mut refused) = (0, 0);
    for case in fixture["cases"].as_array().unwrap() {
        let host = case["host"].as_str().unwrap();
        // Hosts a URL cannot carry (empty labels, a lone dot) are not requests anyone sends.
        if url::Url::parse(&format!("https://{host}/")).is_err() {
            continue;
        }
        let presets = [
            (
                "bedrock",
                AwsAuth::bedrock_runtime as fn() -> AwsAuthBuilder,
            ),
            ("bedrock-mantle", AwsAuth::bedrock_mantle),
        ];
        match parse_host(host).filter(|h| h.endpoint() != Endpoint::ClaudePlatform) {
            Some(parsed) => {
                for (name, preset) in presets {
                    assert_eq!(
                        sign(preset().region(parsed.region()), host).await,
                        Ok(name.to_owned()),
                        "{host}"
                    );
                    let other = if parsed.region() == "us-east-1" {
                        "eu-west-1"
                    } else {
                        "us-east-1"
                    };
                    assert_eq!(
                        sign(preset().region(other), host).await,
                        Err(ErrorKind::RegionMismatch),
                        "{host}"
                    );
                }
                signed += 1;
            }
            // Loopback is in every preset's scope, for mocks.
            None if ["localhost", "127.0.0.1"].contains(&host) => {
                for (name, preset) in presets {
                    assert_eq!(
                        sign(preset().region("us-east-1"), host).await,
                        Ok(name.to_owned())
                    );
                }
            }
            None => {
                for (_, preset) in presets {
                    assert_eq!(
                        sign(preset().region("us-east-1"), host).await,
                        Err(ErrorKind::OutOfScope),
                        "{host}"
                    );
                }
                refused += 1;
            }
        }
    }
    // Every runtime and Mantle form of every partition, FIPS and dual-stack included.
    assert!(
        signed >= 100 && refused >= 400,
        "{signed} signed, {refused} refused"
    );
}

#[tokio::test]
async fn partitions_openai_python_knows_are_in_the_presets_scope() {
    for host in [
        "bedrock-runtime.eusc-de-east-1.amazonaws.eu",
        "bedrock-runtime.us-iso-east-1.c2s.ic.gov",
        "bedrock-runtime.us-isob-east-1.sc2s.sgov.gov",
        "bedrock-runtime.eu-isoe-west-1.cloud.adc-e.uk",
        "bedrock-runtime.us-isof-south-1.csp.hci.ic.gov",
        "bedrock-runtime.us-east-1.api.aws",
        "bedrock-runtime-fips.us-gov-west-1.api.aws",
        "bedrock-runtime.cn-north-1.api.amazonwebservices.com.cn",
    ] {
        let region = parse_host(host).unwrap().region().to_owned();
        assert_eq!(
            sign(AwsAuth::bedrock_runtime().region(&region), host).await,
            Ok("bedrock".to_owned()),
            "{host}"
        );
    }
}
