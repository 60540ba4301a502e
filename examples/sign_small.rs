//! Signs issue 11's small request (GET, 3-parameter query, no session token) N times, for
//! instruction counting: the per-signature count is the difference between two runs divided
//! by the difference in N (see BENCHMARKS.md).
//!
//! `valgrind --tool=callgrind target/release/examples/sign_small 1001`

#[path = "../benches/common/mod.rs"]
mod common;

fn main() {
    let n = common::count_argument();
    let shape = common::shapes().remove(0);
    let auth = common::ours(&shape);
    let client = reqwest::Client::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut requests: Vec<_> = (0..n)
        .map(|_| common::reqwest_request(&client, &shape))
        .collect();
    runtime.block_on(async {
        for request in &mut requests {
            auth.sign(request).await.unwrap();
        }
    });
    assert!(
        requests
            .iter()
            .all(|r| r.headers().contains_key("authorization"))
    );
}
