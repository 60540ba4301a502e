//! Random awkward requests (paths, queries, header names and values, bodies), for S3 and
//! non-S3 signing names: signing never panics; it either fails with a typed error, or produces
//! a request that the independent verifier accepts exactly as it would go on the wire.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::StaticTimeSource;
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};
use reqwest_aws_auth::{AwsAuth, ErrorKind};

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

const PIECES: &[&str] = &[
    "a", "Z", "0", "-", "_", ".", "~", "..", "%", "%2", "%2F", "%2f", "%3A", "%41", "%7E", "%20",
    "%FF", "%C3%A9", "%zz", "+", " ", ":", "@", "!", "$", "&", "'", "(", ")", "*", ",", ";", "=",
    "/", "//", "é", "ሴ", "😀", "|", "^", "[", "]", "{", "}", "\"", "<", ">", "`", "\\", "?", "#",
];

fn random_text(rng: &mut Rng, max: usize) -> String {
    (0..rng.below(max + 1)).map(|_| rng.pick(PIECES)).collect()
}

const HEADER_VALUES: &[&str] = &[
    "plain",
    "  padded  ",
    "\ttabbed\t",
    "inner   spaces",
    "a,b",
    "",
    "x=y; z",
    "\"quoted\"",
];

#[tokio::test]
async fn random_requests_sign_to_what_the_verifier_accepts_or_fail_typed() {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
    let credentials = Credentials::new(
        "AKIDFUZZ",
        "fuzz/secret+key",
        Some("fuzz-token".into()),
        None,
        "fuzz",
    );
    let client = reqwest::Client::new();
    let (mut signed, mut refused, mut unbuildable) = (0, 0, 0);
    for service in ["execute-api", "s3", "bedrock-mantle"] {
        let auth = AwsAuth::builder()
            .service(service)
            .region("eu-west-1")
            .credentials(credentials.clone())
            .time_source(StaticTimeSource::new(time))
            .allow_host("host.example.com")
            .build()
            .unwrap();
        let verifier = Verifier::new(credentials.clone(), "eu-west-1", service).now(time);
        for seed in 1..=700u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ service.len() as u64);
            let url = format!(
                "https://host.example.com:{}/{}?{}",
                rng.pick(&["443", "8443"]),
                random_text(&mut rng, 6),
                random_text(&mut rng, 6)
            );
            let Ok(parsed) = reqwest::Url::parse(&url) else {
                unbuildable += 1;
                continue;
            };
            let method = rng.pick(&["GET", "POST", "PUT", "DELETE"]);
            let mut builder = client.request(method.parse().unwrap(), parsed);
            for _ in 0..rng.below(3) {
                let name = rng.pick(&["x-fuzz", "x-fuzz", "x_under", "content-type", "user-agent"]);
                builder = builder.header(name, rng.pick(HEADER_VALUES));
            }
            let body: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            let Ok(mut request) = builder.body(body.clone()).build() else {
                unbuildable += 1;
                continue;
            };

            match auth.sign(&mut request).await {
                Err(err) => {
                    assert!(
                        matches!(
                            err.kind(),
                            ErrorKind::InvalidUrl | ErrorKind::InvalidHeaderValue
                        ),
                        "seed {seed} {url}: unexpected {err:?}"
                    );
                    refused += 1;
                }
                Ok(()) => {
                    let url = request.url();
                    let host = format!(
                        "{}{}",
                        url.host_str().unwrap(),
                        url.port().map(|p| format!(":{p}")).unwrap_or_default()
                    );
                    let mut headers: Vec<(&str, &str)> = vec![("host", &host)];
                    headers.extend(
                        request
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
                    );
                    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
                    let received = ReceivedRequest {
                        method,
                        target,
                        headers: &headers,
                        body: &body,
                    };
                    if let Err(rejection) = verifier.verify(&received) {
                        panic!("seed {seed} {service} {target}: {rejection}");
                    }
                    signed += 1;
                }
            }
        }
    }
    eprintln!(
        "{signed} signed and verified, {refused} refused with a typed error, {unbuildable} not buildable by reqwest"
    );
    assert!(signed > 1500, "too few requests exercised: {signed}");
}
