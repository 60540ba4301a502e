//! A large body's SHA-256, remembered across the attempts of one send, so that reqwest-retry
//! re-running the middleware for a 64 MiB upload hashes it once, not once per attempt.
//!
//! The hash is kept in the send's `Extensions` (which live across attempts) together with a
//! copy of the request whose body it is. That copy keeps the body's buffer alive, so the
//! buffer's address and length identify it: no other body can occupy that memory while the
//! entry exists, and a retry's clone shares the buffer. A body anywhere else (another
//! request, or one rewritten between attempts) misses and is hashed afresh.

use std::any::Any;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::sigv4::encoding::hex;

/// Below this, hashing costs less than remembering.
pub(crate) const MIN_REMEMBERED: usize = 64 * 1024;

#[derive(Clone)]
pub(crate) struct RememberedHash {
    /// Keeps the hashed buffer alive (a clone of the request that carries it).
    _anchor: Arc<Mutex<Box<dyn Any + Send>>>,
    address: usize,
    len: usize,
    sha256_hex: Arc<str>,
}

impl RememberedHash {
    /// The remembered hash of `body`, if it is the very buffer that was hashed.
    pub(crate) fn lookup(extensions: &http::Extensions, body: &[u8]) -> Option<Arc<str>> {
        let remembered = extensions.get::<RememberedHash>()?;
        (remembered.address == body.as_ptr() as usize && remembered.len == body.len())
            .then(|| remembered.sha256_hex.clone())
    }

    /// Hashes `body` and remembers it, kept alive by `anchor` (which must own `body`'s buffer).
    pub(crate) fn remember(
        extensions: &mut http::Extensions,
        body: &[u8],
        anchor: Box<dyn Any + Send>,
    ) -> Arc<str> {
        #[cfg(test)]
        tests::HASHED.with(|n| n.set(n.get() + 1));
        let sha256_hex: Arc<str> = hex(&Sha256::digest(body)).into();
        extensions.insert(RememberedHash {
            _anchor: Arc::new(Mutex::new(anchor)),
            address: body.as_ptr() as usize,
            len: body.len(),
            sha256_hex: sha256_hex.clone(),
        });
        sha256_hex
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Bodies hashed by `remember` on this thread.
        pub(super) static HASHED: Cell<usize> = const { Cell::new(0) };
    }

    #[cfg(all(feature = "reqwest-0-13", feature = "verify"))]
    mod through_reqwest_retry {
        use std::time::Duration;

        use aws_credential_types::Credentials;
        use reqwest_retry::{Jitter, RetryTransientMiddleware, policies::ExponentialBackoff};
        use wiremock::matchers::any;
        use wiremock::{Mock, MockServer, ResponseTemplate};

        use super::HASHED;
        use crate::AwsAuth;
        use crate::testing::verify::{ReceivedRequest, Verifier};

        fn credentials() -> Credentials {
            Credentials::new("AKIDEXAMPLE", "secret", None, None, "test")
        }

        /// reqwest-retry (3 retries, no waiting) before auth, and `between` after it.
        fn client(
            between: Option<std::sync::Arc<dyn reqwest_middleware::Middleware>>,
        ) -> reqwest_middleware::ClientWithMiddleware {
            let policy = ExponentialBackoff::builder()
                .retry_bounds(Duration::from_millis(1), Duration::from_millis(2))
                .jitter(Jitter::None)
                .build_with_max_retries(3);
            let auth = AwsAuth::builder()
                .service("execute-api")
                .region("us-east-1")
                .credentials(credentials())
                .build()
                .unwrap();
            let mut builder = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
                .with(RetryTransientMiddleware::new_with_policy(policy));
            if let Some(between) = between {
                builder = builder.with_arc(between);
            }
            builder.with(auth).build()
        }

        async fn always_503() -> MockServer {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(ResponseTemplate::new(503))
                .mount(&server)
                .await;
            server
        }

        /// Every request the server got verifies, with the body it carried.
        async fn all_verify(server: &MockServer) -> Vec<wiremock::Request> {
            let received = server.received_requests().await.unwrap();
            let verifier = Verifier::new(credentials(), "us-east-1", "execute-api");
            for request in &received {
                let headers: Vec<(String, String)> = request
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                    .collect();
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let target = &request.url[url::Position::BeforePath..url::Position::AfterQuery];
                verifier
                    .verify(&ReceivedRequest {
                        method: request.method.as_str(),
                        target,
                        headers: &headers,
                        body: &request.body,
                    })
                    .unwrap();
            }
            received
        }

        #[tokio::test]
        async fn a_large_body_is_hashed_once_however_many_attempts_sign_it() {
            let server = always_503().await;
            let client = client(None);
            let before = HASHED.with(|n| n.get());
            for fill in [b'a', b'b'] {
                let response = client
                    .put(format!("{}/upload", server.uri()))
                    .body(vec![fill; 1024 * 1024])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 503);
            }
            let received = all_verify(&server).await;
            // Two sends of four attempts each, every one signed and verified, two hashes.
            assert_eq!(received.len(), 8);
            assert_eq!(HASHED.with(|n| n.get()) - before, 2);
            let hashes: std::collections::BTreeSet<_> = received
                .iter()
                .map(|r| r.headers["x-amz-content-sha256"].clone())
                .collect();
            assert_eq!(hashes.len(), 2, "each body signed with its own hash");
        }

        /// Rewrites the body on every attempt (after the retry middleware, before auth).
        struct Rewrites(std::sync::atomic::AtomicU8);

        #[async_trait::async_trait]
        impl reqwest_middleware::Middleware for Rewrites {
            async fn handle(
                &self,
                mut request: reqwest::Request,
                extensions: &mut http::Extensions,
                next: reqwest_middleware::Next<'_>,
            ) -> reqwest_middleware::Result<reqwest::Response> {
                let fill = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                *request.body_mut() = Some(vec![fill; 1024 * 1024].into());
                next.run(request, extensions).await
            }
        }

        #[tokio::test]
        async fn a_body_rewritten_between_attempts_is_hashed_again() {
            let server = always_503().await;
            let rewrites = std::sync::Arc::new(Rewrites(std::sync::atomic::AtomicU8::new(0)));
            let response = client(Some(rewrites))
                .put(format!("{}/upload", server.uri()))
                .body(vec![0u8; 1024 * 1024])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 503);
            let received = all_verify(&server).await;
            assert_eq!(received.len(), 4);
            let hashes: std::collections::BTreeSet<_> = received
                .iter()
                .map(|r| r.headers["x-amz-content-sha256"].clone())
                .collect();
            assert_eq!(
                hashes.len(),
                4,
                "every rewritten body signed with its own hash"
            );
        }
    }
}
