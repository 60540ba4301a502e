//! The verifier's cost as a request grows (issue 25.11): it must stay linear in the size of
//! the request, whatever the mix of signed header names and headers. Each request is signed
//! and checked to verify before it is timed.
//!
//! Run: `cargo bench --bench verify` (short: `-- --warm-up-time 1 --measurement-time 3`).

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use reqwest_aws_auth::verify::{ReceivedRequest, Verifier};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20261207T120000Z";
/// 2026-12-07T12:00:00Z, the time of `DATE`.
const NOW: u64 = 1_796_644_800;

fn verifier() -> Verifier {
    let credentials = Credentials::new("AKIDEXAMPLE", SECRET, None, None, "bench");
    Verifier::new(credentials, "us-east-1", "execute-api")
        .now(UNIX_EPOCH + Duration::from_secs(NOW))
}

struct Request {
    headers: Vec<(String, String)>,
}

impl Request {
    /// `host`, `x-amz-date` and `extra`, with every name of `extra` signed.
    fn signed(extra: Vec<(String, String)>) -> Self {
        let mut names: Vec<&str> = ["host", "x-amz-date"]
            .into_iter()
            .chain(extra.iter().map(|(name, _)| name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let signed_headers = names.join(";");
        let authorization = |signature: &str| {
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/us-east-1/execute-api/aws4_request, \
                 SignedHeaders={signed_headers}, Signature={signature}",
                &DATE[..8]
            )
        };
        let mut headers = vec![
            ("host".to_owned(), "example.amazonaws.com".to_owned()),
            ("x-amz-date".to_owned(), DATE.to_owned()),
            ("authorization".to_owned(), authorization(&"0".repeat(64))),
        ];
        headers.extend(extra);
        let mut request = Self { headers };
        // The string-to-sign the verifier computed, signed with the secret.
        let string_to_sign = request
            .verify(&verifier())
            .expect_err("signed with zeros")
            .string_to_sign()
            .expect("a signature mismatch shows the string-to-sign")
            .to_owned();
        let key = aws_sigv4::sign::v4::generate_signing_key(
            SECRET,
            UNIX_EPOCH + Duration::from_secs(NOW),
            "us-east-1",
            "execute-api",
        );
        let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
        request.headers[2].1 = authorization(&signature);
        request.verify(&verifier()).expect("signed");
        request
    }

    fn verify(&self, verifier: &Verifier) -> Result<(), reqwest_aws_auth::verify::Rejection> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        verifier.verify(&ReceivedRequest {
            method: "GET",
            target: "/",
            headers: &headers,
            body: b"",
        })
    }

    fn size(&self) -> u64 {
        let bytes: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.len() + value.len() + 4)
            .sum();
        bytes as u64
    }
}

fn benches(c: &mut Criterion) {
    let verifier = verifier();
    let shapes = [
        (
            "small",
            Request::signed(vec![(
                "content-type".to_owned(),
                "application/json".to_owned(),
            )]),
        ),
        (
            "16k signed names x 16k headers",
            Request::signed(
                (0..16_384)
                    .map(|i| (format!("x-h{i:05}"), format!("v{i}")))
                    .collect(),
            ),
        ),
        // 16k signed names of 576 bytes sharing a long prefix: a 9 MiB Authorization.
        (
            "9 MiB Authorization",
            Request::signed(
                (0..16_384)
                    .map(|i| (format!("x-{}{i:06}", "a".repeat(568)), format!("v{i}")))
                    .collect(),
            ),
        ),
    ];
    let mut group = c.benchmark_group("verify");
    group.sample_size(10);
    for (name, request) in &shapes {
        group.throughput(Throughput::Bytes(request.size()));
        group.bench_function(*name, |b| {
            b.iter(|| black_box(request.verify(&verifier)).unwrap());
        });
    }
    group.finish();
}

criterion_group!(verify, benches);
criterion_main!(verify);
