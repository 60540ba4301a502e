//! One request through any of the crate's stacks, for attack tests that must hold on each: the
//! reqwest 0.13 and 0.12 middleware (through `AwsAuth::client`, which leaves redirects to the
//! middleware), the tower layer over hyper-util's client, and `AwsAuth::sign` on a reqwest 0.13
//! request sent by a plain client (which follows no redirect).
#![allow(dead_code)] // each test file uses what it needs

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use reqwest_aws_auth::tower::AwsAuthLayer;
use reqwest_aws_auth::{AwsAuth, Error, ErrorKind};
use tower::{Service, ServiceExt};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    Reqwest13,
    Reqwest12,
    Tower,
    Sign,
}

/// Every stack, for `for stack in STACKS`.
pub const STACKS: [Stack; 4] = [
    Stack::Reqwest13,
    Stack::Reqwest12,
    Stack::Tower,
    Stack::Sign,
];

/// The stacks that send, recover and follow redirects themselves.
pub const MIDDLEWARE: [Stack; 3] = [Stack::Reqwest13, Stack::Reqwest12, Stack::Tower];

/// What came back: the status and body, or the crate's error kind.
pub type Seen = Result<(u16, Vec<u8>), ErrorKind>;

/// The same request through the client `AwsAuth::client` builds from either reqwest line.
macro_rules! via_reqwest {
    ($builder:expr, $auth:expr, $method:expr, $url:expr, $headers:expr, $body:expr) => {{
        let client = $auth.clone().client($builder).unwrap();
        let mut request = client.request($method.parse().unwrap(), $url);
        for (name, value) in $headers {
            request = request.header(*name, *value);
        }
        match request.body($body).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                Ok((status, response.bytes().await.unwrap().to_vec()))
            }
            Err(err) => Err(kind_of(Error::from_middleware(&err), &err)),
        }
    }};
}

/// Sends `method url` with `headers` and `body` through `stack`, authenticated by `auth`.
pub async fn send(
    stack: Stack,
    auth: &AwsAuth,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Seen {
    let body = body.to_vec();
    match stack {
        Stack::Reqwest13 => {
            via_reqwest!(reqwest::Client::builder(), auth, method, url, headers, body)
        }
        Stack::Reqwest12 => via_reqwest!(
            reqwest012::Client::builder(),
            auth,
            method,
            url,
            headers,
            body
        ),
        Stack::Tower => {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            let mut service = tower::ServiceBuilder::new()
                .layer(AwsAuthLayer::new(auth.clone()))
                .service(client);
            let mut request = http::Request::builder().method(method).uri(url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let request = request.body(Full::new(Bytes::from(body))).unwrap();
            let ready = service.ready().await.unwrap();
            match ready.call(request).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    Ok((status, body.to_vec()))
                }
                Err(err) => Err(kind_of(Error::find(&*err), &*err)),
            }
        }
        Stack::Sign => {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut request = client.request(method.parse().unwrap(), url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let mut request = request.body(body).build().unwrap();
            auth.sign(&mut request).await.map_err(|err| err.kind())?;
            let response = client.execute(request).await.unwrap();
            let status = response.status().as_u16();
            Ok((status, response.bytes().await.unwrap().to_vec()))
        }
    }
}

fn kind_of(ours: Option<&Error>, err: &dyn std::fmt::Display) -> ErrorKind {
    ours.unwrap_or_else(|| panic!("not the crate's error: {err}"))
        .kind()
}
