//! What a loopback wiremock server received, checked with the crate's verifier; and a server
//! that answers from a script. Shared by the tests that drive the middleware.
#![allow(dead_code)] // each test file uses what it needs

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest_aws_auth::verify::{ReceivedRequest, Rejection, Verifier};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// `verifier`'s verdict on `request` as the server received it (target, headers, body).
pub fn verify_received(verifier: &Verifier, request: &Request) -> Result<(), Rejection> {
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
        .collect();
    let target = match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    verifier.verify(&ReceivedRequest {
        method: request.method.as_str(),
        target: &target,
        headers: &headers,
        body: &request.body,
    })
}

/// Answers the n-th request (0-based) with `answers[n]`, and the last one after that.
pub struct Script(Vec<ResponseTemplate>, AtomicUsize);

impl wiremock::Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.1.fetch_add(1, Ordering::SeqCst);
        self.0[n.min(self.0.len() - 1)].clone()
    }
}

/// A server answering every request from `answers`, in order.
pub async fn scripted(answers: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Script(answers, AtomicUsize::new(0)))
        .mount(&server)
        .await;
    server
}
