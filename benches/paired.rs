//! Issue 11's comparison, robust on a noisy machine: for each request shape, every round times
//! a batch of OURS, RAW and RQS+SHA signatures back to back (the order rotates each round), and
//! the result is the **median of the per-round ratios** OURS/RAW and OURS/RQS+SHA. For large
//! bodies plain `sha2` SHA-256 of the body is timed in the same rounds, the hash floor.
//!
//! Then allocations per signature (count and bytes, from a counting global allocator) for
//! each signer on the small shapes. Requests are built before the timed batch; only signing
//! is timed and counted.
//!
//! Run: `cargo bench --bench paired` (ROUNDS=N to change the round count of the small shapes,
//! default 501). With `--features sigv4a`, a last table pairs SigV4a signatures: OURS with
//! `.sigv4a(RegionSet::all())` against aws-sigv4's own SigV4a path (`SigningParams::V4a`);
//! `SIGV4A_ONLY=1` runs that table alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::{Raw, Rqs, Shape};

struct Counting;
static COUNT: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

struct Signers {
    ours: reqwest_aws_auth::AwsAuth,
    raw: Raw,
    rqs: Rqs,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Signers {
    fn new(shape: &Shape) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let signers = Self {
            ours: common::ours(shape),
            raw: Raw::new(shape),
            rqs: Rqs::new(shape),
            client: reqwest::Client::new(),
            runtime,
        };
        // Warm up (OURS loads its credentials on the first request) and check all three sign.
        let mut ours = common::reqwest_request(&signers.client, shape);
        signers
            .runtime
            .block_on(signers.ours.sign(&mut ours))
            .unwrap();
        assert!(ours.headers().contains_key("authorization"));
        let mut raw = common::http_request(shape);
        signers.raw.sign(&mut raw);
        assert!(!common::authorization_of(raw.headers()).is_empty());
        let rqs = signers
            .runtime
            .block_on(signers.rqs.sign(common::http_request(shape)));
        assert!(!common::authorization_of(rqs.headers()).is_empty());
        signers
    }

    fn time_ours(&self, shape: &Shape, batch: usize) -> Duration {
        let mut requests: Vec<_> = (0..batch)
            .map(|_| common::reqwest_request(&self.client, shape))
            .collect();
        self.runtime.block_on(async {
            let start = Instant::now();
            for request in &mut requests {
                self.ours.sign(request).await.unwrap();
            }
            let elapsed = start.elapsed();
            black_box(&requests);
            elapsed
        })
    }

    fn time_raw(&self, shape: &Shape, batch: usize) -> Duration {
        let mut requests: Vec<_> = (0..batch).map(|_| common::http_request(shape)).collect();
        let start = Instant::now();
        for request in &mut requests {
            self.raw.sign(request);
        }
        let elapsed = start.elapsed();
        black_box(&requests);
        elapsed
    }

    fn time_rqs(&self, shape: &Shape, batch: usize) -> Duration {
        let requests: Vec<_> = (0..batch).map(|_| common::http_request(shape)).collect();
        let mut signed = Vec::with_capacity(batch);
        self.runtime.block_on(async {
            let start = Instant::now();
            for request in requests {
                signed.push(self.rqs.sign(request).await);
            }
            let elapsed = start.elapsed();
            black_box(&signed);
            elapsed
        })
    }
}

fn time_sha(shape: &Shape, batch: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..batch {
        black_box(common::sha256_hex(black_box(&shape.body)));
    }
    start.elapsed()
}

/// (count, bytes) allocated per call of `f`, averaged over `n` calls; `setup` is not counted.
fn allocations<T>(n: u64, mut setup: impl FnMut() -> T, mut f: impl FnMut(T)) -> (f64, f64) {
    let (mut count, mut bytes) = (0, 0);
    for _ in 0..n {
        let input = setup();
        let (c0, b0) = (COUNT.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed));
        f(input);
        count += COUNT.load(Ordering::Relaxed) - c0;
        bytes += BYTES.load(Ordering::Relaxed) - b0;
    }
    (count as f64 / n as f64, bytes as f64 / n as f64)
}

fn main() {
    let small_rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(501);
    #[cfg(feature = "sigv4a")]
    if std::env::var_os("SIGV4A_ONLY").is_some() {
        sigv4a::table(small_rounds);
        return;
    }
    println!("median of paired per-round ratios (lower is faster for OURS)");
    println!(
        "| request | rounds x batch | OURS/RAW | OURS/RQS+SHA | OURS µs | RAW µs | RQS+SHA µs | SHA-256 floor / OURS |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for shape in common::shapes() {
        let signers = Signers::new(&shape);
        let (rounds, batch) = match shape.body.len() {
            n if n >= 64 << 20 => (small_rounds.min(61), 1),
            n if n >= 1 << 20 => (small_rounds.min(301), 2),
            _ => (small_rounds, 100),
        };
        let large = shape.body.len() >= 1 << 20;
        let (mut vs_raw, mut vs_rqs, mut floor) = (Vec::new(), Vec::new(), Vec::new());
        let (mut t_ours, mut t_raw, mut t_rqs) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let mut times = [Duration::ZERO; 4];
            for step in 0..4 {
                let which = (step + round) % 4;
                times[which] = match which {
                    0 => signers.time_ours(&shape, batch),
                    1 => signers.time_raw(&shape, batch),
                    2 => signers.time_rqs(&shape, batch),
                    _ if large => time_sha(&shape, batch),
                    _ => Duration::ZERO,
                };
            }
            let [ours, raw, rqs, sha] = times.map(|t| t.as_secs_f64());
            vs_raw.push(ours / raw);
            vs_rqs.push(ours / rqs);
            if large {
                floor.push(sha / ours);
            }
            let per_op = |t: f64| t * 1e6 / batch as f64;
            t_ours.push(per_op(ours));
            t_raw.push(per_op(raw));
            t_rqs.push(per_op(rqs));
        }
        println!(
            "| {} | {rounds} x {batch} | {:.3} | {:.3} | {:.2} | {:.2} | {:.2} | {} |",
            shape.name,
            median(&mut vs_raw),
            median(&mut vs_rqs),
            median(&mut t_ours),
            median(&mut t_raw),
            median(&mut t_rqs),
            if large {
                format!("{:.3}", median(&mut floor))
            } else {
                "-".into()
            },
        );
    }

    println!();
    println!("allocations per signature (request construction excluded)");
    println!(
        "| request | OURS count | OURS bytes | RAW count | RAW bytes | RQS+SHA count | RQS+SHA bytes |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for shape in common::shapes().into_iter().take(2) {
        let signers = Signers::new(&shape);
        let ours = allocations(
            200,
            || common::reqwest_request(&signers.client, &shape),
            |mut request| {
                signers
                    .runtime
                    .block_on(signers.ours.sign(&mut request))
                    .unwrap();
                // Dropping the request is not part of the signature.
                std::mem::forget(black_box(request));
            },
        );
        let raw = allocations(
            200,
            || common::http_request(&shape),
            |mut request| {
                signers.raw.sign(&mut request);
                std::mem::forget(black_box(request));
            },
        );
        let rqs = allocations(
            200,
            || common::http_request(&shape),
            |request| {
                let signed = signers.runtime.block_on(signers.rqs.sign(request));
                std::mem::forget(black_box(signed));
            },
        );
        println!(
            "| {} | {:.1} | {:.0} | {:.1} | {:.0} | {:.1} | {:.0} |",
            shape.name, ours.0, ours.1, raw.0, raw.1, rqs.0, rqs.1
        );
    }

    #[cfg(feature = "sigv4a")]
    sigv4a::table(small_rounds);
}

/// SigV4a: ECDSA P-256 dominates the cost, so the two should be within a few per cent.
#[cfg(feature = "sigv4a")]
mod sigv4a {
    use super::*;
    use aws_sigv4::http_request::{
        PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
    };
    use aws_smithy_runtime_api::client::identity::Identity;
    use bytes::Bytes;
    use reqwest_aws_auth::{AwsAuth, RegionSet};
    use std::time::SystemTime;

    fn raw_sign(identity: &Identity, request: &mut http::Request<Bytes>) {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = aws_sigv4::sign::v4a::SigningParams::builder()
            .identity(identity)
            .region_set("*")
            .name(common::SERVICE)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let uri = request.uri().to_string();
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()));
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri.as_str(),
            headers,
            SignableBody::Bytes(request.body()),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(request);
    }

    pub(super) fn table(small_rounds: usize) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::new();
        println!();
        println!("SigV4a (region set `*`): median of paired per-round ratios");
        println!("| request | rounds x batch | OURS/RAW | OURS µs | RAW µs |");
        println!("| --- | --- | --- | --- | --- |");
        for shape in common::shapes().into_iter().take(2) {
            let ours = AwsAuth::builder()
                .service(common::SERVICE)
                .region(common::REGION)
                .sigv4a(RegionSet::all())
                .credentials(common::credentials(shape.session_token))
                .build()
                .unwrap();
            let identity: Identity = common::credentials(shape.session_token).into();
            let mut warm = common::reqwest_request(&client, &shape);
            runtime.block_on(ours.sign(&mut warm)).unwrap();
            let authorization = warm.headers()["authorization"].to_str().unwrap();
            assert!(authorization.starts_with("AWS4-ECDSA-P256-SHA256 "));
            let batch = 20;
            let rounds = small_rounds.min(201);
            let (mut ratios, mut t_ours, mut t_raw) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                let mut times = [Duration::ZERO; 2];
                for step in 0..2 {
                    let which = (step + round) % 2;
                    times[which] = if which == 0 {
                        let mut requests: Vec<_> = (0..batch)
                            .map(|_| common::reqwest_request(&client, &shape))
                            .collect();
                        runtime.block_on(async {
                            let start = Instant::now();
                            for request in &mut requests {
                                ours.sign(request).await.unwrap();
                            }
                            let elapsed = start.elapsed();
                            black_box(&requests);
                            elapsed
                        })
                    } else {
                        let mut requests: Vec<_> =
                            (0..batch).map(|_| common::http_request(&shape)).collect();
                        let start = Instant::now();
                        for request in &mut requests {
                            raw_sign(&identity, request);
                        }
                        let elapsed = start.elapsed();
                        black_box(&requests);
                        elapsed
                    };
                }
                let [ours_t, raw_t] = times.map(|t| t.as_secs_f64());
                ratios.push(ours_t / raw_t);
                t_ours.push(ours_t * 1e6 / batch as f64);
                t_raw.push(raw_t * 1e6 / batch as f64);
            }
            println!(
                "| {} | {rounds} x {batch} | {:.3} | {:.1} | {:.1} |",
                shape.name,
                median(&mut ratios),
                median(&mut t_ours),
                median(&mut t_raw),
            );
        }
    }
}
