//! `aws-sigv4-curl`, driven as a user would: the binary is spawned with credentials in its
//! environment (and nothing else from this machine: no config files, no instance metadata)
//! against a loopback server that answers only requests the crate's verifier accepts.
#![cfg(feature = "cli")]

#[path = "support/verifying_server.rs"]
mod verifying_server;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use aws_credential_types::Credentials;
use verifying_server::{Expect, Server};

const BIN: &str = env!("CARGO_BIN_EXE_aws-sigv4-curl");
const ACCESS_KEY: &str = "AKIDCLIEXAMPLE";
const SECRET_KEY: &str = "cli/Secret+Key/EXAMPLE0123456789abcdefghij";
const TOKEN: &str = "FwoGZXIvYXdzECli//////////session+token/with=";
const REGION: &str = "eu-west-1";
const BEDROCK_KEY: &str = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl";

fn verifying(service: &'static str, token: Option<&str>) -> Server {
    Server::start(Expect {
        credentials: Credentials::new(
            ACCESS_KEY,
            SECRET_KEY,
            token.map(str::to_owned),
            None,
            "cli-test",
        ),
        region: REGION,
        service,
        bearer: Some(BEDROCK_KEY),
    })
}

/// The binary with only PATH, `env`, and files that do not exist for the shared config.
fn command(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    let nowhere = std::env::temp_dir().join("reqwest-aws-auth-cli-test-nonexistent");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &nowhere)
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied());
    command
}

fn creds_env(token: Option<&'static str>) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_REGION", REGION),
    ];
    if let Some(token) = token {
        env.push(("AWS_SESSION_TOKEN", token));
    }
    env
}

fn run(env: &[(&str, &str)], args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = command(env)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn curl(token: Option<&'static str>, args: &[&str]) -> Output {
    run(&creds_env(token), args, None)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn report(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&output.stdout)))
}

#[test]
fn get_is_signed_as_the_server_verifies_it() {
    for token in [None, Some(TOKEN)] {
        let server = verifying("execute-api", token);
        let url = server.url("/prod/items?q=a+b&x=%2B1");
        let output = curl(token, &["--service", "execute-api", &url]);
        assert_exit(&output, 0);
        let report = report(&output);
        assert_eq!(report["auth"], "sigv4");
        assert_eq!(report["method"], "GET");
        assert_eq!(report["target"], "/prod/items?q=a%20b&x=%2B1");
    }
}

#[test]
fn data_comes_from_a_string_a_file_or_stdin() {
    let server = verifying("execute-api", Some(TOKEN));
    let url = server.url("/echo/items");
    let output = curl(
        Some(TOKEN),
        &["--service", "execute-api", "-d", "hello", &url],
    );
    assert_exit(&output, 0);
    assert_eq!(output.stdout, b"hello");

    let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let file = std::env::temp_dir().join(format!("aws-sigv4-curl-body-{}", std::process::id()));
    std::fs::write(&file, &binary).unwrap();
    let at_file = format!("@{}", file.display());
    let output = curl(
        Some(TOKEN),
        &[
            "--service",
            "execute-api",
            "-X",
            "PUT",
            "-d",
            &at_file,
            &url,
        ],
    );
    assert_exit(&output, 0);
    assert!(output.stdout == binary, "the PUT body came back changed");

    let output = run(
        &creds_env(Some(TOKEN)),
        &["--service", "execute-api", "--data-binary", "@-", &url],
        Some(b"from stdin\n\x00\xff"),
    );
    assert_exit(&output, 0);
    assert_eq!(output.stdout, b"from stdin\n\x00\xff");

    // S3 uploads: streamed and signed UNSIGNED-PAYLOAD (the verifier accepts it for S3 only).
    let s3 = verifying("s3", None);
    let output = curl(
        None,
        &[
            "--service",
            "s3",
            "--unsigned-payload",
            "-X",
            "PUT",
            "-d",
            &at_file,
            &s3.url("/echo/bucket/key with space"),
        ],
    );
    assert_exit(&output, 0);
    assert!(
        output.stdout == binary,
        "the streamed body came back changed"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn headers_are_sent_and_signed() {
    let server = verifying("execute-api", None);
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            "-i",
            "-H",
            "Content-Type: application/json",
            "-H",
            "x-custom:  kept  ",
            "-d",
            "{}",
            &server.url("/echo"),
        ],
    );
    assert_exit(&output, 0);
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{stdout}");
    assert!(
        stdout.contains(
            "x-signed-headers: content-type;host;x-amz-content-sha256;x-amz-date;x-custom\r\n"
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("\r\n\r\n{}"), "{stdout}");
}

#[test]
fn server_sent_events_are_written_as_they_arrive() {
    let server = verifying("bedrock-mantle", None);
    let mut child = command(&creds_env(None))
        .args(["--bedrock", "--region", REGION, &server.url("/sse")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30));
    assert_eq!(
        first.as_deref(),
        Ok("data: 1"),
        "the first event must be printed while the response is still open"
    );
    server.release();
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(rest, ["", "data: 2", "", "data: [DONE]", ""]);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn bedrock_uses_the_api_key_from_the_environment_or_sigv4() {
    let server = verifying("bedrock-mantle", None);
    let url = server.url("/v1/responses");
    let mut env = creds_env(None);
    env.push(("AWS_BEARER_TOKEN_BEDROCK", BEDROCK_KEY));
    let output = run(&env, &["--bedrock", "-d", "{}", &url], None);
    assert_exit(&output, 0);
    assert_eq!(report(&output)["auth"], "bearer");

    let output = curl(None, &["--bedrock", "-d", "{}", &url]);
    assert_exit(&output, 0);
    assert_eq!(report(&output)["auth"], "sigv4");

    env.push(("AWS_BEARER_TOKEN_BEDROCK", BEDROCK_KEY));
    let output = run(&env, &["--bedrock", "--presign", "60", &url], None);
    assert_exit(&output, 2);
    assert!(
        text(&output.stderr).contains("presign with SigV4 credentials"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test]
async fn a_presigned_url_works_without_credentials() {
    for (service, token) in [
        ("s3", None),
        ("s3", Some(TOKEN)),
        ("execute-api", Some(TOKEN)),
    ] {
        let server = verifying(service, token);
        let output = curl(
            token,
            &[
                "--service",
                service,
                "--presign",
                "120",
                &server.url("/bucket/a b/c+d?versionId=1"),
            ],
        );
        assert_exit(&output, 0);
        let url = text(&output.stdout);
        let url = url.trim_end();
        assert!(url.contains("X-Amz-Expires=120&"), "{url}");
        assert_eq!(
            url.contains("X-Amz-Security-Token="),
            token.is_some(),
            "{url}"
        );
        let response = reqwest::get(url).await.unwrap();
        assert_eq!(response.status(), 200);
        let report: serde_json::Value =
            serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(report["auth"], "query");
        assert_eq!(report["signed_headers"], "host");

        // Changed after signing: refused.
        let tampered = url.replace("versionId=1", "versionId=2");
        let response = reqwest::get(&tampered).await.unwrap();
        assert_eq!(response.status(), 403, "{}", response.text().await.unwrap());
    }
}

#[test]
fn verbose_shows_what_is_signed_and_no_secret() {
    let server = verifying("execute-api", Some(TOKEN));
    let output = curl(
        Some(TOKEN),
        &[
            "--service",
            "execute-api",
            "-v",
            "-d",
            "x",
            &server.url("/echo/v"),
        ],
    );
    assert_exit(&output, 0);
    let stderr = text(&output.stderr);
    for expected in [
        "> POST http://127.0.0.1:",
        "* canonical request:\n*   POST\n*   /echo/v\n",
        "*   x-amz-security-token:** redacted (length=",
        "* string to sign:\n*   AWS4-HMAC-SHA256\n",
        "/eu-west-1/execute-api/aws4_request\n",
        "< HTTP/1.1 200 OK",
        "< x-signed-headers: host;",
    ] {
        assert!(stderr.contains(expected), "no `{expected}` in:\n{stderr}");
    }
    let output = curl(
        Some(TOKEN),
        &[
            "--service",
            "s3",
            "-v",
            "--presign",
            "60",
            &server.url("/k"),
        ],
    );
    assert_exit(&output, 0);
    let presign_stderr = text(&output.stderr);
    assert!(
        presign_stderr.contains("X-Amz-Security-Token=** redacted (length="),
        "{presign_stderr}"
    );
    assert!(
        presign_stderr.contains("UNSIGNED-PAYLOAD"),
        "{presign_stderr}"
    );
    // The URL itself carries the token, on stdout, as it must.
    assert!(text(&output.stdout).contains("X-Amz-Security-Token=FwoGZXIvYXdzECli"));
    let encoded_token = "FwoGZXIvYXdzECli%2F%2F";
    for secret in [
        TOKEN,
        SECRET_KEY,
        "session+token",
        encoded_token,
        "Secret+Key",
        "Secret%2BKey",
    ] {
        assert!(
            !stderr.contains(secret),
            "`{secret}` in -v output:\n{stderr}"
        );
        assert!(
            !presign_stderr.contains(secret),
            "`{secret}` in:\n{presign_stderr}"
        );
    }
}

#[test]
fn exit_codes_are_curls() {
    let server = verifying("execute-api", None);
    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [&["--service", "execute-api"][..], extra].concat()
    }

    let output = curl(None, &with(&[&server.url("/status/302")]));
    assert_exit(&output, 0);
    assert_eq!(
        text(&output.stdout),
        "status 302\n",
        "redirects are not followed"
    );

    let output = curl(None, &with(&[&server.url("/status/404")]));
    assert_exit(&output, 0);
    assert_eq!(text(&output.stdout), "status 404\n");

    for status in ["404", "500"] {
        let output = curl(
            None,
            &with(&["--fail", &server.url(&format!("/status/{status}"))]),
        );
        assert_exit(&output, 22);
        assert!(output.stdout.is_empty());
        assert!(
            text(&output.stderr).contains(status),
            "{}",
            text(&output.stderr)
        );
    }
    let output = curl(None, &with(&["--fail", &server.url("/status/204")]));
    assert_exit(&output, 0);

    // Signed with another secret: the server's 403 is an answer like any other.
    let other = Server::start(Expect {
        credentials: Credentials::new(ACCESS_KEY, "another secret", None, None, "t"),
        region: REGION,
        service: "execute-api",
        bearer: None,
    });
    let output = curl(None, &with(&[&other.url("/x")]));
    assert_exit(&output, 0);
    assert!(text(&output.stdout).contains("signature mismatch"));
    let output = curl(None, &with(&["--fail", &other.url("/x")]));
    assert_exit(&output, 22);
}

#[test]
fn usage_configuration_and_credential_errors_exit_2_naming_the_fix() {
    let server = verifying("execute-api", None);
    let url = server.url("/x");
    type Env = Vec<(&'static str, &'static str)>;
    let cases: Vec<(Env, Vec<&str>, &str)> = vec![
        (
            creds_env(None),
            vec!["--nonsense", &url],
            "unexpected argument",
        ),
        (creds_env(None), vec![&url], "--service <NAME>"),
        (creds_env(None), vec!["--service", "execute-api"], "<URL>"),
        (
            creds_env(None),
            vec!["--service", "execute-api", "-H", "no colon", &url],
            "is not `Name: value`",
        ),
        (
            creds_env(None),
            vec!["--service", "execute-api", "--presign", "soon", &url],
            "invalid value",
        ),
        (
            creds_env(None),
            vec!["--service", "Execute API", &url],
            "is not a SigV4 signing name",
        ),
        (
            creds_env(None),
            vec!["--service", "execute-api", "--region", "EU_WEST", &url],
            "is not an AWS region name",
        ),
        (
            creds_env(None),
            vec!["--service", "execute-api", "-d", "@/nonexistent/body", &url],
            "cannot read the body from `/nonexistent/body`",
        ),
        (
            creds_env(None),
            vec!["--service", "execute-api", "not a url"],
            "is not a URL",
        ),
        (
            creds_env(None),
            vec!["--service", "execute-api", "ftp://127.0.0.1/x"],
            "only http and https",
        ),
        (
            creds_env(None),
            vec!["--service", "execute-api", "--presign", "0", &url],
            "between 1 second and 7 days",
        ),
        (
            creds_env(None),
            vec!["--service", "execute-api", "--presign", "604801", &url],
            "between 1 second and 7 days",
        ),
        (
            vec![("AWS_REGION", REGION)],
            vec!["--service", "execute-api", &url],
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        ),
        (
            vec![("AWS_REGION", REGION)],
            vec!["--service", "s3", "--presign", "60", &url],
            "no AWS credentials found",
        ),
        (
            vec![
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ],
            vec!["--service", "execute-api", &url],
            "AWS_REGION",
        ),
    ];
    for (env, args, message) in cases {
        let output = run(&env, &args, None);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(message),
            "{args:?}: no `{message}` in {stderr}"
        );
        assert!(!stderr.contains(SECRET_KEY), "{stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn an_unreachable_host_exits_7() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            &format!("http://127.0.0.1:{port}/"),
        ],
    );
    assert_exit(&output, 7);
    assert!(
        text(&output.stderr).contains("127.0.0.1"),
        "{}",
        text(&output.stderr)
    );
}

/// A raw TCP server that reads a request and answers with `reply` (or nothing), then waits.
fn raw_server(reply: Option<&'static [u8]>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = std::io::Read::read(&mut stream, &mut buf);
                match reply {
                    Some(reply) => {
                        let _ = stream.write_all(reply);
                    }
                    None => std::thread::sleep(Duration::from_secs(30)),
                }
            });
        }
    });
    port
}

#[test]
fn a_timeout_exits_28_and_a_broken_transfer_56() {
    let silent = raw_server(None);
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            "--max-time",
            "0.5",
            &format!("http://127.0.0.1:{silent}/"),
        ],
    );
    assert_exit(&output, 28);

    let truncated = raw_server(Some(
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\nonly ten b",
    ));
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            &format!("http://127.0.0.1:{truncated}/"),
        ],
    );
    assert_exit(&output, 56);
    assert_eq!(output.stdout, b"only ten b", "what arrived was written");
}

#[test]
fn a_profile_is_read_from_the_shared_files() {
    let server = verifying("execute-api", Some(TOKEN));
    let dir = std::env::temp_dir().join(format!("aws-sigv4-curl-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("credentials"),
        format!(
            "[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = wrong\n\n\
             [dev]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n\
             aws_session_token = {TOKEN}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("config"),
        format!("[profile dev]\nregion = {REGION}\n"),
    )
    .unwrap();
    let credentials = dir.join("credentials");
    let config = dir.join("config");
    let output = command(&[])
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_CONFIG_FILE", &config)
        .args([
            "--service",
            "execute-api",
            "--profile",
            "dev",
            &server.url("/p"),
        ])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert_eq!(report(&output)["auth"], "sigv4");
    let output = command(&[])
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_CONFIG_FILE", &config)
        .args([
            "--service",
            "execute-api",
            "--region",
            REGION,
            &server.url("/p"),
        ])
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert!(
        text(&output.stdout).contains("wrong access key id"),
        "the default profile is another"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `command` to its end, returning its output and its peak resident memory (VmHWM, KiB).
fn run_measured(mut command: Command, stdin: Option<Vec<u8>>) -> (Output, u64) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        if let Some(input) = stdin {
            let _ = pipe.write_all(&input);
        }
    });
    let status = format!("/proc/{}/status", child.id());
    let watcher = std::thread::spawn(move || {
        // VmHWM only grows: the last reading before the process goes is its peak.
        let mut peak = 0;
        while let Ok(text) = std::fs::read_to_string(&status) {
            match text.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                Some(kib) => peak = kib.trim().trim_end_matches(" kB").parse().unwrap(),
                None => break,
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        peak
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (output, watcher.join().unwrap())
}

#[test]
fn a_file_of_any_size_is_hashed_then_streamed_in_constant_memory() {
    const SIZE: u64 = 64 * 1024 * 1024;
    let server = verifying("execute-api", Some(TOKEN));
    let file = std::env::temp_dir().join(format!("aws-sigv4-curl-large-{}", std::process::id()));
    let handle = std::fs::File::create(&file).unwrap();
    handle.set_len(SIZE).unwrap();
    drop(handle);
    let mut command = command(&creds_env(Some(TOKEN)));
    command.args([
        "--service",
        "execute-api",
        "-X",
        "PUT",
        "-d",
        &format!("@{}", file.display()),
        &server.url("/large"),
    ]);
    let (output, peak_kib) = run_measured(command, None);
    let _ = std::fs::remove_file(&file);
    assert_exit(&output, 0);
    // The server verified the signature over the body it received, hash included.
    let report = report(&output);
    assert_eq!(report["auth"], "sigv4");
    assert_eq!(report["body_len"], SIZE);
    assert!(
        report["signed_headers"]
            .as_str()
            .unwrap()
            .contains("x-amz-content-sha256"),
        "{report}"
    );
    assert!(
        peak_kib < 48 * 1024,
        "a {SIZE}-byte file was sent with a peak RSS of {peak_kib} KiB"
    );
}

#[test]
fn stdin_and_files_that_cannot_be_read_twice_are_capped() {
    let server = verifying("execute-api", None);
    let url = server.url("/x");
    // --max-time: were it read without a cap, /dev/zero would never end.
    let mut zero = command(&creds_env(None));
    zero.args([
        "--service",
        "execute-api",
        "--max-time",
        "20",
        "-d",
        "@/dev/zero",
        &url,
    ]);
    let (output, peak_kib) = run_measured(zero, None);
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`/dev/zero` (not a regular file") && stderr.contains("32 MiB"),
        "{stderr}"
    );
    assert!(peak_kib < 96 * 1024, "peak RSS {peak_kib} KiB");

    let mut stdin = command(&creds_env(None));
    stdin.args(["--service", "execute-api", "-d", "@-", &url]);
    let (output, _) = run_measured(stdin, Some(vec![b'x'; 32 * 1024 * 1024 + 1]));
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the body from stdin is larger than 32 MiB") && stderr.contains("-d @FILE"),
        "{stderr}"
    );
    // At the cap exactly: sent, and verified.
    let mut stdin = command(&creds_env(None));
    stdin.args(["--service", "execute-api", "-d", "@-", &url]);
    let (output, _) = run_measured(stdin, Some(vec![b'x'; 32 * 1024 * 1024]));
    assert_exit(&output, 0);
    assert_eq!(report(&output)["body_len"], 32 * 1024 * 1024);
}

#[test]
fn max_time_covers_reading_the_body() {
    let server = verifying("execute-api", None);
    let url = server.url("/x");
    let fifo = std::env::temp_dir().join(format!("aws-sigv4-curl-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let at_fifo = format!("@{}", fifo.display());
    // A FIFO without a writer, and a stdin whose writer never writes nor closes.
    for data in [at_fifo.as_str(), "@-"] {
        let mut child = command(&creds_env(None))
            .args([
                "--service",
                "execute-api",
                "--max-time",
                "1",
                "-d",
                data,
                &url,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _held_open = child.stdin.take();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(15) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let elapsed = started.elapsed();
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        assert!(
            elapsed < Duration::from_secs(10),
            "{data}: still running after {elapsed:?}"
        );
        assert_exit(&output, 28);
        assert!(
            text(&output.stderr).contains("--max-time"),
            "{}",
            text(&output.stderr)
        );
    }
    let _ = std::fs::remove_file(&fifo);
}

#[test]
fn userinfo_in_a_url_is_refused_and_never_printed() {
    const PASSWORD: &str = "hunter2-pass";
    let server = verifying("execute-api", None);
    let port = server.url("").rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("http://user:{PASSWORD}@127.0.0.1:{port}/x"),
        format!("http://{PASSWORD}@127.0.0.1:{port}/x"),
        format!("http://user:{PASSWORD}@[::1/x"),
    ] {
        let output = curl(None, &["--service", "execute-api", "-v", &url]);
        assert_exit(&output, 2);
        let stderr = text(&output.stderr);
        assert!(!stderr.contains(PASSWORD), "{stderr}");
        assert!(stderr.contains("***@"), "{stderr}");
        assert!(output.stdout.is_empty());
    }
    // A redirect's Location with a password: followed (-L), the password never shown.
    let landing = echo_head_server();
    let redirect = redirect_server(format!("http://user:{PASSWORD}@localhost:{landing}/landed"));
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            "-v",
            "-L",
            &format!("http://127.0.0.1:{redirect}/start"),
        ],
    );
    assert_exit(&output, 0);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("following a redirect"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

#[test]
fn writes_that_fail_exit_23() {
    let server = verifying("execute-api", None);
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for args in [
        vec!["--service", "s3", "--presign", "60"],
        vec!["--service", "execute-api", "-d", "hello"],
        vec!["--service", "execute-api", "-i"],
    ] {
        let url = server.url("/echo/w");
        let output = command(&creds_env(None))
            .args(&args)
            .arg(&url)
            .stdout(full())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_exit(&output, 23);
        assert!(
            text(&output.stderr).contains("cannot write to stdout"),
            "{args:?}"
        );

        // A pipe whose reader is gone.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = command(&creds_env(None))
            .args(&args)
            .arg(&url)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_exit(&output, 23);
        assert!(text(&output.stderr).contains("Broken pipe"), "{args:?}");
    }
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            "-o",
            "/dev/full",
            "-d",
            "hello",
            &server.url("/echo/o"),
        ],
    );
    assert_exit(&output, 23);
    assert!(
        text(&output.stderr).contains("--output"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn fail_with_body_prints_the_body_and_exits_22() {
    let server = verifying("execute-api", None);
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            "--fail-with-body",
            &server.url("/status/404"),
        ],
    );
    assert_exit(&output, 22);
    assert_eq!(text(&output.stdout), "status 404\n");
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            "--fail-with-body",
            &server.url("/status/200"),
        ],
    );
    assert_exit(&output, 0);
    assert_eq!(text(&output.stdout), "status 200\n");
}

#[test]
fn output_writes_the_response_to_a_file() {
    let server = verifying("execute-api", None);
    let file = std::env::temp_dir().join(format!("aws-sigv4-curl-out-{}", std::process::id()));
    std::fs::write(&file, "older and longer content").unwrap();
    let output = curl(
        None,
        &[
            "--service",
            "execute-api",
            "-i",
            "-o",
            file.to_str().unwrap(),
            "-d",
            "hello",
            &server.url("/echo/o"),
        ],
    );
    assert_exit(&output, 0);
    assert!(output.stdout.is_empty());
    let written = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(written.starts_with("HTTP/1.1 200 OK\r\n"), "{written}");
    assert!(written.ends_with("\r\n\r\nhello"), "{written}");
}

/// A server that answers every request with a 302 to `location`, for the rest of the test.
fn redirect_server(location: String) -> u16 {
    let reply: &'static [u8] = format!(
        "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
    .leak();
    raw_server(Some(reply))
}

/// A server that answers every request with the request's head (its bytes up to the blank
/// line) as the body.
fn echo_head_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n")
                    && std::io::Read::read(&mut stream, &mut byte).unwrap_or(0) == 1
                {
                    head.push(byte[0]);
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    head.len()
                );
                let _ = stream.write_all(&head);
            });
        }
    });
    port
}

#[test]
fn location_follows_redirects_signing_only_the_urls_host() {
    let server = verifying("execute-api", Some(TOKEN));
    // Same host: signed afresh for the new URL, and verified there.
    let output = curl(
        Some(TOKEN),
        &["--service", "execute-api", "-L", &server.url("/status/302")],
    );
    assert_exit(&output, 0);
    let report = report(&output);
    assert_eq!(report["auth"], "sigv4");
    assert_eq!(report["target"], "/elsewhere");

    // Another host (localhost, not the 127.0.0.1 typed): followed with no credential and no
    // x-amz-* header, not even one the user set.
    let landing = echo_head_server();
    let redirect = redirect_server(format!("http://localhost:{landing}/landed"));
    let output = curl(
        Some(TOKEN),
        &[
            "--service",
            "execute-api",
            "-L",
            "-H",
            "x-amz-meta-note: private",
            &format!("http://127.0.0.1:{redirect}/start"),
        ],
    );
    assert_exit(&output, 0);
    let head = text(&output.stdout).to_ascii_lowercase();
    assert!(head.starts_with("get /landed http/1.1\r\n"), "{head}");
    for absent in [
        "authorization",
        "x-amz-",
        "aws4-hmac-sha256",
        "fwogzxivyxdzecli",
    ] {
        assert!(
            !head.contains(absent),
            "`{absent}` reached the other host:\n{head}"
        );
    }
}

/// An HTTPS server on loopback with a self-signed certificate (openssl and python3), answering
/// `tls ok`; killed when dropped.
struct TlsServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tls_server() -> TlsServer {
    let dir = std::env::temp_dir().join(format!("aws-sigv4-curl-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .current_dir(&dir)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let script = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("content-length", "7"); self.end_headers()
        self.wfile.write(b"tls ok\n")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain("cert.pem", "key.pem")
s.socket = c.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    TlsServer {
        child,
        port: line.trim().parse().unwrap(),
        dir,
    }
}

#[test]
fn insecure_skips_tls_verification_with_a_warning() {
    let server = tls_server();
    let url = format!("https://127.0.0.1:{}/", server.port);
    let output = curl(
        None,
        &["--service", "execute-api", "--max-time", "10", &url],
    );
    assert_exit(&output, 7);
    assert!(output.stdout.is_empty());

    let output = curl(
        None,
        &["--service", "execute-api", "--max-time", "10", "-k", &url],
    );
    assert_exit(&output, 0);
    assert_eq!(text(&output.stdout), "tls ok\n");
    assert!(
        text(&output.stderr).contains("warning: --insecure"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn errors_name_the_flag_first_and_verbose_names_the_credential_source() {
    let server = verifying("execute-api", None);
    let url = server.url("/x");
    let output = run(
        &[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ],
        &["--service", "execute-api", &url],
        None,
    );
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("pass --region REGION"), "{stderr}");
    assert!(!stderr.contains("builder"), "{stderr}");

    let output = run(
        &[("AWS_REGION", REGION)],
        &["--service", "execute-api", &url],
        None,
    );
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    let flag = stderr.find("--profile").expect(&stderr);
    assert!(stderr.find("builder").is_none_or(|b| flag < b), "{stderr}");

    let output = curl(None, &["--service", "execute-api", "-v", &url]);
    assert_exit(&output, 0);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("* credentials came from: Environment (the AWS SDK's default chain)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("access_key_id={ACCESS_KEY}")),
        "{stderr}"
    );
    for dump in [
        "DefaultCredentialsChain",
        "provider_chain",
        "IdentityCachePartition",
    ] {
        assert!(!stderr.contains(dump), "{stderr}");
    }
}
