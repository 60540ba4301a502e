//! Redirects played by hostile servers, through every stack that follows them (reqwest 0.13
//! and 0.12 middleware, the tower layer): a redirect never adds credentials, and a hop that
//! leaves the scope carries none at all — no `authorization`, no `x-amz-*` header (session
//! token, SSE-C key, metadata), no bearer key, no cookie.
//!
//! Server A is in scope (`allow_host("127.0.0.1:<A's port>")`, nothing else); server B, on
//! another loopback port, is outside it.
#![cfg(all(feature = "reqwest-0-13", feature = "reqwest-0-12", feature = "tower"))]

#[path = "support/stack.rs"]
mod stack;

use aws_credential_types::Credentials;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, ErrorKind, OutsideScope};
use stack::{MIDDLEWARE, Stack, send};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "session-token-that-must-stay-home";
const SECRET: &str = "secret-key-that-must-stay-home";
const KEY: &str = "ABSK-bedrock-key-that-must-stay-home";
const SSE_C_KEY: &str = "c3NlLWMta2V5LXRoYXQtbXVzdC1zdGF5LWhvbWU=";

/// Both ways of authenticating, scoped to `a` only; other hosts are refused or (`pass`)
/// passed through.
fn auths(a: &MockServer, outside: OutsideScope) -> Vec<(&'static str, AwsAuth)> {
    let scoped = |builder: AwsAuthBuilder| {
        builder
            .default_scope(false)
            .allow_host(format!("127.0.0.1:{}", a.address().port()))
            .outside_scope(outside)
            .build()
            .unwrap()
    };
    let sigv4 = AwsAuth::builder()
        .service("s3")
        .region("us-east-1")
        .credentials(Credentials::new(
            "AKIDREDIRECT",
            SECRET,
            Some(TOKEN.into()),
            None,
            "test",
        ));
    vec![
        ("sigv4", scoped(sigv4)),
        ("bearer", scoped(AwsAuth::builder().bearer_token(KEY))),
    ]
}

async fn answering(at: &MockServer, route: &str, answer: ResponseTemplate) {
    Mock::given(path(route))
        .respond_with(answer)
        .mount(at)
        .await;
}

fn redirect(status: u16, to: String) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("location", to.as_str())
}

async fn received(server: &MockServer, route: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == route)
        .collect()
}

/// Every credential-bearing header, and every secret anywhere in the headers.
fn credentials_in(request: &Request) -> Vec<String> {
    let mut found: Vec<String> = request
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| {
            name == "authorization"
                || name == "cookie"
                || name == "proxy-authorization"
                || name.starts_with("x-amz-")
        })
        .collect();
    for (name, value) in &request.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        for secret in [TOKEN, SECRET, KEY, SSE_C_KEY] {
            if value.contains(secret) {
                found.push(format!("{name} carries a secret"));
            }
        }
    }
    found
}

fn context(stack: Stack, how: &str, status: u16) -> String {
    format!("{stack:?}, {how}, {status}")
}

#[tokio::test]
async fn a_hop_that_leaves_the_scope_carries_no_amz_header_cookie_or_credential() {
    for stack in MIDDLEWARE {
        for status in [301, 302, 303, 307, 308] {
            let a = MockServer::start().await;
            let b = MockServer::start().await;
            answering(
                &a,
                "/bucket/key",
                redirect(status, format!("{}/landing", b.uri())),
            )
            .await;
            answering(
                &b,
                "/landing",
                ResponseTemplate::new(200).set_body_string("b"),
            )
            .await;
            for (how, auth) in auths(&a, OutsideScope::PassThrough) {
                let seen = send(
                    stack,
                    &auth,
                    "PUT",
                    &format!("{}/bucket/key", a.uri()),
                    &[
                        ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
                        ("x-amz-server-side-encryption-customer-key", SSE_C_KEY),
                        ("x-amz-meta-owner", "alice"),
                        ("cookie", "session=1"),
                    ],
                    b"object",
                )
                .await;
                let at = context(stack, how, status);
                assert_eq!(seen, Ok((200, b"b".to_vec())), "{at}");
                let first = received(&a, "/bucket/key").await;
                assert!(
                    first.last().unwrap().headers.contains_key("authorization"),
                    "{at}: the in-scope request is authenticated"
                );
                let hop = received(&b, "/landing").await;
                let hop = hop.last().unwrap();
                assert_eq!(credentials_in(hop), Vec::<String>::new(), "{at}");
            }
        }
    }
}

#[tokio::test]
async fn a_server_outside_the_scope_cannot_redirect_a_request_into_it_and_have_it_signed() {
    for stack in MIDDLEWARE {
        for (method, status) in [("GET", 302), ("POST", 302), ("DELETE", 307), ("PUT", 308)] {
            let a = MockServer::start().await;
            let b = MockServer::start().await;
            answering(
                &b,
                "/hook",
                redirect(status, format!("{}/bucket/victim", a.uri())),
            )
            .await;
            answering(&a, "/bucket/victim", ResponseTemplate::new(204)).await;
            for (how, auth) in auths(&a, OutsideScope::PassThrough) {
                let seen = send(stack, &auth, method, &format!("{}/hook", b.uri()), &[], b"").await;
                let at = context(stack, how, status);
                assert_eq!(seen.map(|(s, _)| s), Ok(204), "{at}: followed");
                let at_b = received(&b, "/hook").await;
                assert_eq!(
                    credentials_in(at_b.last().unwrap()),
                    Vec::<String>::new(),
                    "{at}"
                );
                let landed = received(&a, "/bucket/victim").await;
                let landed = landed.last().expect("the redirect was followed");
                assert_eq!(
                    credentials_in(landed),
                    Vec::<String>::new(),
                    "{at}: a redirect from outside the scope must not add credentials"
                );
                if status == 307 {
                    assert_eq!(landed.method.as_str(), "DELETE", "{at}");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_chain_that_left_the_scope_never_gets_credentials_back() {
    for stack in MIDDLEWARE {
        let a = MockServer::start().await;
        let b = MockServer::start().await;
        answering(&a, "/start", redirect(307, format!("{}/bounce", b.uri()))).await;
        answering(&b, "/bounce", redirect(307, format!("{}/back", a.uri()))).await;
        answering(&a, "/back", ResponseTemplate::new(200)).await;
        for (how, auth) in auths(&a, OutsideScope::PassThrough) {
            let seen = send(
                stack,
                &auth,
                "POST",
                &format!("{}/start", a.uri()),
                &[],
                b"{}",
            )
            .await;
            let at = context(stack, how, 307);
            assert_eq!(seen.map(|(s, _)| s), Ok(200), "{at}");
            let start = received(&a, "/start").await;
            assert!(
                start.last().unwrap().headers.contains_key("authorization"),
                "{at}"
            );
            let bounce = received(&b, "/bounce").await;
            assert_eq!(
                credentials_in(bounce.last().unwrap()),
                Vec::<String>::new(),
                "{at}"
            );
            let back = received(&a, "/back").await;
            assert_eq!(
                credentials_in(back.last().unwrap()),
                Vec::<String>::new(),
                "{at}: once out of scope, the chain stays unsigned"
            );
        }
    }
}

#[tokio::test]
async fn a_chain_that_stays_in_scope_is_signed_afresh_and_one_that_leaves_it_is_refused() {
    for stack in MIDDLEWARE {
        let a = MockServer::start().await;
        let b = MockServer::start().await;
        answering(&a, "/start", redirect(307, format!("{}/next", a.uri()))).await;
        answering(&a, "/next", ResponseTemplate::new(200)).await;
        answering(&a, "/away", redirect(307, format!("{}/landing", b.uri()))).await;
        for (how, auth) in auths(&a, OutsideScope::Refuse) {
            let at = context(stack, how, 307);
            let seen = send(
                stack,
                &auth,
                "PUT",
                &format!("{}/start", a.uri()),
                &[],
                b"x",
            )
            .await;
            assert_eq!(seen.map(|(s, _)| s), Ok(200), "{at}");
            let next = received(&a, "/next").await;
            assert!(
                next.last().unwrap().headers.contains_key("authorization"),
                "{at}"
            );

            let seen = send(stack, &auth, "PUT", &format!("{}/away", a.uri()), &[], b"x").await;
            assert_eq!(seen, Err(ErrorKind::OutOfScope), "{at}");
            assert!(received(&b, "/landing").await.is_empty(), "{at}");
        }
    }
}
