//! Criterion view of issue 11's comparison: for each request shape, side by side in one group,
//! `AwsAuth::sign` (OURS), `aws-sigv4` used directly (RAW) and reqsign's v4 signer with the
//! body hash computed by the caller (RQS+SHA), plus plain `sha2` SHA-256 of the body (the hash
//! floor) for the large bodies. The request is built outside the timed routine.
//!
//! Run: `cargo bench --bench signing` (short: `-- --warm-up-time 1 --measurement-time 3`).
//! The paired ratios of issue 11 come from `cargo bench --bench paired`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/mod.rs"]
mod common;
use common::{Raw, Rqs};

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    for shape in common::shapes() {
        let ours = common::ours(&shape);
        let raw = Raw::new(&shape);
        let rqs = Rqs::new(&shape);
        let mut warm = common::reqwest_request(&client, &shape);
        runtime.block_on(ours.sign(&mut warm)).unwrap();

        let mut group = c.benchmark_group(shape.name);
        let large = shape.body.len() >= 1 << 20;
        if large {
            group.throughput(Throughput::Bytes(shape.body.len() as u64));
            group.sample_size(10);
        }
        if shape.body.len() >= 64 << 20 {
            group.measurement_time(Duration::from_secs(8));
        }
        group.bench_function(BenchmarkId::from_parameter("OURS"), |b| {
            b.to_async(&runtime).iter_batched(
                || common::reqwest_request(&client, &shape),
                |mut request| async {
                    ours.sign(&mut request).await.unwrap();
                    request
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function(BenchmarkId::from_parameter("RAW"), |b| {
            b.iter_batched_ref(
                || common::http_request(&shape),
                |request| raw.sign(request),
                BatchSize::SmallInput,
            )
        });
        group.bench_function(BenchmarkId::from_parameter("RQS+SHA"), |b| {
            b.to_async(&runtime).iter_batched(
                || common::http_request(&shape),
                |request| rqs.sign(request),
                BatchSize::SmallInput,
            )
        });
        if large {
            group.bench_function(BenchmarkId::from_parameter("sha2 SHA-256"), |b| {
                b.iter(|| black_box(common::sha256_hex(black_box(&shape.body))))
            });
        }
        group.finish();
    }
}

criterion_group!(signing, benches);
criterion_main!(signing);
