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

/// POSTs a Query-protocol call (IAM, STS) form-encoded; returns the status and body.
async fn query_call(
    client: &reqwest_middleware::ClientWithMiddleware,
    base: &str,
    params: &[(&str, &str)],
) -> (u16, String) {
    let body = params
        .iter()
        .map(|(k, v)| {
            let v = percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC);
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&");
    let response = client
        .post(format!("{base}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

struct Setup {
    access_key: String,
    secret_key: String,
    role_arn: String,
}

/// While moto still accepts any signature: creates an IAM user allowed everything, its access
/// key, and a role the user may assume. Then turns signature checking on for every later
/// request.
async fn create_identities_and_enable_auth(base: &str) -> Setup {
    let iam = client("iam", "AKIASETUPONLY0000000", "setup-secret");
    let call = |params: Vec<(&'static str, &'static str)>| {
        let iam = &iam;
        async move {
            let mut params = params;
            params.push(("Version", "2010-05-08"));
            let (status, text) = query_call(iam, base, &params).await;
            assert!(
                (200..300).contains(&status),
                "IAM setup call {params:?} failed ({status}):\n{text}"
            );
            text
        }
    };
    let user = ("UserName", "e2e");
    let created_user = call(vec![("Action", "CreateUser"), user]).await;
    let user_arn = xml_field(&created_user, "Arn");
    call(vec![
        ("Action", "PutUserPolicy"),
        user,
        ("PolicyName", "everything"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    let created = call(vec![("Action", "CreateAccessKey"), user]).await;

    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let trust: &'static str = Box::leak(trust.into_boxed_str());
    let role = ("RoleName", "e2e-role");
    let created_role = call(vec![
        ("Action", "CreateRole"),
        role,
        ("AssumeRolePolicyDocument", trust),
    ])
    .await;
    call(vec![
        ("Action", "PutRolePolicy"),
        role,
        ("PolicyName", "everything"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;

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
    Setup {
        access_key: xml_field(&created, "AccessKeyId"),
        secret_key: xml_field(&created, "SecretAccessKey"),
        role_arn: xml_field(&created_role, "Arn"),
    }
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
    let setup = create_identities_and_enable_auth(&base).await;
    let (access_key, secret_key) = (setup.access_key.clone(), setup.secret_key.clone());
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

    // Temporary credentials from STS (a signed form POST to another service), then S3 with
    // the session token.
    let sts = client("sts", &access_key, &secret_key);
    let (status, assumed) = query_call(
        &sts,
        &base,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &setup.role_arn),
            ("RoleSessionName", "e2e-session"),
            ("Version", "2011-06-15"),
        ],
    )
    .await;
    if status != 200 {
        failures.push(format!("STS AssumeRole: {status}\n{assumed}"));
    } else {
        let credentials = Credentials::new(
            xml_field(&assumed, "AccessKeyId"),
            xml_field(&assumed, "SecretAccessKey"),
            Some(xml_field(&assumed, "SessionToken")),
            None,
            "moto-sts",
        );
        let auth = AwsAuth::builder()
            .service("s3")
            .region(REGION)
            .credentials(credentials)
            .build()
            .unwrap();
        let temp = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(auth)
            .build();
        let url = format!("{base}/{BUCKET}/session%20token/object.json");
        let put = temp
            .put(&url)
            .header("content-type", "application/json")
            .body(r#"{"via":"sts"}"#)
            .send()
            .await
            .unwrap();
        let status = put.status();
        if !status.is_success() {
            failures.push(format!(
                "PUT with session token {url}: {status}\n{}",
                put.text().await.unwrap()
            ));
        } else {
            let got = temp.get(&url).send().await.unwrap();
            let status = got.status();
            let text = got.text().await.unwrap();
            if !status.is_success() || text != r#"{"via":"sts"}"# {
                failures.push(format!("GET with session token {url}: {status}\n{text}"));
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} moto S3 checks failed:\n\n{}\n\nmoto's output:\n{}",
        failures.len(),
        failures.join("\n\n"),
        moto.stderr()
    );
}
