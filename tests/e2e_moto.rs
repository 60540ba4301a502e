//! End to end against moto's S3 with signature checking on.
//!
//! Starts `python3 -m moto.server` on a loopback port, creates an IAM user and access key
//! (moto only accepts signatures from keys it knows), switches authentication on for every
//! following request (`POST /moto-api/reset-auth` with `0`, the same as starting with
//! `INITIAL_NO_AUTH_ACTION_COUNT=0`), then creates a bucket and writes, reads and lists
//! objects with awkward keys through the middleware with signing name `s3`.
//!
//! Needs `python3` with `moto[server]` (`pip install 'moto[server]'`): run
//! `cargo test --test e2e_moto -- --ignored`. A missing interpreter or package fails the test
//! with a message; it never passes silently.
//!
//! moto recomputes the signature from the URL as its WSGI server decoded and re-quoted it, so it
//! answers `SignatureDoesNotMatch` even to boto3 (checked with boto3 1.43 and moto 5.2) for keys
//! with non-ASCII characters, `%`, `:`, `+` or `(`, and for `%2F` in a query; the keys and
//! queries here avoid those. `tests/e2e_botocore.rs` covers them against botocore directly.

#[allow(dead_code)] // shared with other end-to-end tests
#[path = "support/python_server.rs"]
mod python_server;

use aws_credential_types::Credentials;
use python_server::PythonServer;
use reqwest_aws_auth::AwsAuth;

const REGION: &str = "us-east-1";
const BUCKET: &str = "reqwest-aws-auth-e2e";

fn moto_port(line: &str) -> Option<u16> {
    let rest = line.split("Running on http://127.0.0.1:").nth(1)?;
    rest.trim_end_matches('/').trim().parse().ok()
}

fn start_moto() -> PythonServer {
    let args = ["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"].map(String::from);
    PythonServer::start_with(
        "moto's server",
        &["moto", "moto.server", "flask", "werkzeug"],
        &args,
        &[("MOTO_ALLOW_NONEXISTENT_REGION", "false")],
        moto_port,
    )
}

fn client(
    service: &str,
    access_key: &str,
    secret_key: &str,
) -> reqwest_middleware::ClientWithMiddleware {
    let auth = AwsAuth::builder()
        .service(service)
        .region(REGION)
        .credentials(Credentials::new(access_key, secret_key, None, None, "moto"))
        .build()
        .unwrap();
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build()
}

fn xml_field(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in moto's answer:\n{xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    xml[start..end].to_owned()
}

/// Creates an IAM user allowed everything and returns its access key, while moto still
/// accepts any signature; then turns signature checking on for every later request.
async fn create_user_and_enable_auth(base: &str) -> (String, String) {
    let iam = client("iam", "AKIASETUPONLY0000000", "setup-secret");
    let call = |params: Vec<(&'static str, String)>| {
        let iam = &iam;
        async move {
            let body = params
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        percent_encoding::utf8_percent_encode(
                            v,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join("&");
            let response = iam
                .post(format!("{base}/"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(
                status.is_success(),
                "IAM setup call failed ({status}):\n{text}"
            );
            text
        }
    };
    let user = || ("UserName", "e2e".to_owned());
    let version = || ("Version", "2010-05-08".to_owned());
    call(vec![("Action", "CreateUser".into()), user(), version()]).await;
    call(vec![
        ("Action", "PutUserPolicy".into()),
        user(),
        ("PolicyName", "everything".into()),
        (
            "PolicyDocument",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.into(),
        ),
        version(),
    ])
    .await;
    let created = call(vec![
        ("Action", "CreateAccessKey".into()),
        user(),
        version(),
    ])
    .await;
    let access_key = xml_field(&created, "AccessKeyId");
    let secret_key = xml_field(&created, "SecretAccessKey");

    let response = reqwest::Client::new()
        .post(format!("{base}/moto-api/reset-auth"))
        .body("0")
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
    (access_key, secret_key)
}

/// (key as the application writes it in the URL path, the key S3 stores)
const KEYS: &[(&str, &str)] = &[
    ("plain.txt", "plain.txt"),
    (
        "dir with space/file name.txt",
        "dir with space/file name.txt",
    ),
    ("dir%20pre%20encoded/x.txt", "dir pre encoded/x.txt"),
    ("tilde~dash-under_score.dot", "tilde~dash-under_score.dot"),
    ("%7Eencoded-tilde", "~encoded-tilde"),
    ("nested/deep/deeper/leaf", "nested/deep/deeper/leaf"),
];

#[tokio::test]
#[ignore = "needs python3 with moto[server]: run `cargo test --test e2e_moto -- --ignored`"]
async fn s3_objects_with_awkward_keys_round_trip_through_moto() {
    let moto = start_moto();
    let base = format!("http://127.0.0.1:{}", moto.port());
    let (access_key, secret_key) = create_user_and_enable_auth(&base).await;
    let s3 = client("s3", &access_key, &secret_key);

    // Authentication really is on: an unsigned request and a wrong secret are refused.
    let unsigned = reqwest::Client::new()
        .get(format!("{base}/{BUCKET}"))
        .send()
        .await
        .unwrap();
    // (moto answers 500, not 403, when the authorization header is missing altogether.)
    assert!(
        !unsigned.status().is_success(),
        "moto accepted an unsigned request: {}",
        unsigned.status()
    );
    let wrong = client("s3", &access_key, "not-the-secret");
    let refused = wrong.put(format!("{base}/{BUCKET}")).send().await.unwrap();
    let status = refused.status().as_u16();
    let text = refused.text().await.unwrap();
    assert_eq!(status, 403, "moto accepted a bad signature:\n{text}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");

    let created = s3.put(format!("{base}/{BUCKET}")).send().await.unwrap();
    let status = created.status();
    assert!(
        status.is_success(),
        "CreateBucket: {status}\n{}",
        created.text().await.unwrap()
    );

    let mut failures = Vec::new();
    for (i, (path_key, stored_key)) in KEYS.iter().enumerate() {
        let url = format!("{base}/{BUCKET}/{path_key}");
        let body: Vec<u8> = format!("object {i}: {stored_key}\n")
            .into_bytes()
            .into_iter()
            .chain((0..=255u8).take(i * 20))
            .collect();
        let put = s3
            .put(&url)
            .header("content-type", "application/octet-stream")
            .header("x-amz-meta-note", format!("  key   number {i} "))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = put.status();
        if !status.is_success() {
            failures.push(format!(
                "PUT {url}: {status}\n{}",
                put.text().await.unwrap()
            ));
            continue;
        }
        let get = s3.get(&url).send().await.unwrap();
        let status = get.status();
        let got = get.bytes().await.unwrap();
        if !status.is_success() || got[..] != body[..] {
            failures.push(format!(
                "GET {url}: {status}, {} bytes back for {} sent:\n{}",
                got.len(),
                body.len(),
                String::from_utf8_lossy(&got)
            ));
        }
    }

    // ListObjectsV2 with a form-encoded query: `+` is a space.
    let list = s3
        .get(format!(
            "{base}/{BUCKET}?list-type=2&prefix=dir+with+space&encoding-type=url&max-keys=50"
        ))
        .send()
        .await
        .unwrap();
    let status = list.status();
    let text = list.text().await.unwrap();
    if !status.is_success() || !text.contains("<KeyCount>1</KeyCount>") {
        failures.push(format!("ListObjectsV2 with prefix: {status}\n{text}"));
    }

    let listed = s3
        .get(format!("{base}/{BUCKET}?list-type=2"))
        .send()
        .await
        .unwrap();
    let status = listed.status();
    let text = listed.text().await.unwrap();
    let expected_count = KEYS.len() - failures.iter().filter(|f| f.starts_with("PUT")).count();
    if !status.is_success() || !text.contains(&format!("<KeyCount>{expected_count}</KeyCount>")) {
        failures.push(format!("ListObjectsV2: {status}\n{text}"));
    }

    // Changing a signed header after signing is refused.
    let auth = AwsAuth::builder()
        .service("s3")
        .region(REGION)
        .credentials(Credentials::new(
            &*access_key,
            &*secret_key,
            None,
            None,
            "moto",
        ))
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let mut request = http
        .put(format!("{base}/{BUCKET}/tampered"))
        .header("x-amz-meta-note", "original")
        .body("payload")
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
    request
        .headers_mut()
        .insert("x-amz-meta-note", "changed".parse().unwrap());
    let tampered = http.execute(request).await.unwrap();
    let status = tampered.status().as_u16();
    let text = tampered.text().await.unwrap();
    if status != 403 || !text.contains("SignatureDoesNotMatch") {
        failures.push(format!("tampered request: {status}\n{text}"));
    }

    assert!(
        failures.is_empty(),
        "{} moto S3 checks failed:\n\n{}\n\nmoto's output:\n{}",
        failures.len(),
        failures.join("\n\n"),
        moto.stderr()
    );
}
