//! A new user's first hour: the README's quick start is `examples/quickstart.rs` (CI runs it
//! against a loopback verifier), and the first error they are likely to meet, no credentials,
//! reads as one short paragraph however the app prints it.

#[path = "support/child_env.rs"]
mod child_env;
// Only part of the server's routes are used here.
#[allow(dead_code)]
#[path = "support/verifying_server.rs"]
mod verifying_server;

use std::error::Error as StdError;

use child_env::{checked, run_child, scenario};
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, Credentials, ErrorKind};
use verifying_server::{Expect, Server};

/// The first ```` ```rust ```` block of README.md, without the fences.
fn readme_first_rust_block() -> String {
    let readme = include_str!("../README.md");
    let start = readme
        .find("\n```rust")
        .expect("README.md has a Rust block");
    let body = &readme[start + 1..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("\n```").expect("the block is closed") + 1].to_owned()
}

/// The first ```` ```toml ```` block of README.md, without the fences.
fn readme_first_toml_block() -> String {
    let readme = include_str!("../README.md");
    let start = readme
        .find("\n```toml\n")
        .expect("README.md has a TOML block");
    let body = &readme[start + "\n```toml\n".len()..];
    body[..body.find("\n```").expect("the block is closed") + 1].to_owned()
}

/// `(before, the statement, after)`: the lines around the `let url = ...;` statement.
fn split_at_url_statement(text: &str) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.trim_start().starts_with("let url ="))
        .unwrap_or_else(|| panic!("no `let url =` statement in:\n{text}"));
    let last = first
        + lines[first..]
            .iter()
            .position(|l| l.ends_with(';'))
            .expect("the statement ends");
    (
        lines[..first].to_vec(),
        lines[first..=last].to_vec(),
        lines[last + 1..].to_vec(),
    )
}

#[test]
fn readme_quick_start_is_the_quickstart_example() {
    let readme = readme_first_rust_block();
    let example = include_str!("../examples/quickstart.rs");
    let (readme_before, readme_url, readme_after) = split_at_url_statement(&readme);
    let (example_before, example_url, example_after) = split_at_url_statement(example);
    // Only the endpoint differs: the example reads it from QUICKSTART_URL so that CI can point
    // it at a loopback verifier.
    assert_eq!(
        readme_before, example_before,
        "README:\n{readme}\nexample:\n{example}"
    );
    assert_eq!(
        readme_after, example_after,
        "README:\n{readme}\nexample:\n{example}"
    );
    const ENDPOINT: &str = "\"https://abc123.execute-api.eu-west-1.amazonaws.com/prod/items\"";
    assert_eq!(readme_url, [format!("    let url = {ENDPOINT};")]);
    let example_url = example_url.join("\n");
    assert!(
        example_url.contains("std::env::var(\"QUICKSTART_URL\")") && example_url.contains(ENDPOINT),
        "{example_url}"
    );
    // A program, not a fragment: no hidden doctest lines, a runtime and a `main`.
    assert!(
        !readme.lines().any(|l| l.trim_start().starts_with("# ")),
        "{readme}"
    );
    assert!(readme.contains("#[tokio::main]") && readme.contains("async fn main()"));
    // A 403 must not pass silently.
    assert!(
        readme.contains("if !status.is_success()") && readme.contains("std::process::exit(1)"),
        "{readme}"
    );
}

#[test]
fn readme_dependencies_cover_the_quick_start() {
    let toml = readme_first_toml_block();
    let names: Vec<&str> = toml
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim()))
        .collect();
    let mut names_sorted = names.clone();
    names_sorted.sort_unstable();
    assert_eq!(
        names_sorted,
        ["reqwest", "reqwest-aws-auth", "reqwest-middleware", "tokio"],
        "{toml}"
    );
    let tokio = toml.lines().find(|l| l.starts_with("tokio")).unwrap();
    assert!(
        tokio.contains("macros") && tokio.contains("rt-multi-thread"),
        "#[tokio::main] needs these: {tokio}"
    );
    // The crate never turns on a TLS backend; the quick start calls https://, so the app's
    // reqwest must (reqwest's default features do).
    let reqwest = toml.lines().find(|l| l.starts_with("reqwest =")).unwrap();
    assert!(!reqwest.contains("default-features"), "{reqwest}");
}

#[test]
fn credentials_are_re_exported() {
    // No dependency on aws-credential-types needed for `.credentials(..)`.
    let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "example");
    AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .credentials(credentials)
        .build()
        .unwrap();
}

/// The error and its `source()` chain, one per line, as `anyhow`'s `{:?}` (and most apps'
/// loggers) print them.
fn chain_lines(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut lines: Vec<String> = err.to_string().lines().map(str::to_owned).collect();
    let mut source = err.source();
    while let Some(s) = source {
        lines.extend(s.to_string().lines().map(|l| format!("    {l}")));
        source = s.source();
    }
    lines
}

#[test]
fn no_credentials_error_prints_each_fact_once() {
    run_child("no_credentials", &[], "", "");
}

/// README's one line that makes `RUST_LOG` work.
const SUBSCRIBER_LINE: &str = "tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();";
const DEBUG_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DEBUG_TOKEN: &str = "session-token-for-the-debug-log-test";

/// Runs the `debug_log` scenario in a child of this test binary with `RUST_LOG` set to
/// `rust_log` (or unset); returns what it wrote to stdout, where `tracing_subscriber::fmt`
/// writes.
fn debug_log_child(rust_log: Option<&str>) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env("REQWEST_AWS_AUTH_CHILD", "1")
        .env("REQWEST_AWS_AUTH_SCENARIO", "debug_log");
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && stdout.contains("checked debug_log."),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn readme_debug_line_shows_the_canonical_request() {
    let readme = include_str!("../README.md");
    let section = &readme[readme.find("### Debugging a 403").expect("the section")..];
    let section = &section[..section[4..].find("\n#").map_or(section.len(), |i| i + 4)];
    assert!(section.contains(SUBSCRIBER_LINE), "{section}");
    assert!(
        section.contains("RUST_LOG=reqwest_aws_auth=debug"),
        "{section}"
    );
    assert!(section.contains("features = [\"env-filter\"]"), "{section}");

    let logged = debug_log_child(Some("reqwest_aws_auth=debug"));
    for needle in [
        "signed request with SigV4",
        "canonical_request",
        "string_to_sign",
        "AWS4-HMAC-SHA256",
        "/eu-west-1/execute-api/aws4_request",
        "POST",
        "/prod/items",
        "x-amz-date",
    ] {
        assert!(logged.contains(needle), "{needle} missing from:\n{logged}");
    }
    for secret in [DEBUG_SECRET, DEBUG_TOKEN] {
        assert!(!logged.contains(secret), "a secret in the log:\n{logged}");
    }
    // Without RUST_LOG the same program prints no event.
    let quiet = debug_log_child(None);
    assert!(!quiet.contains("canonical_request"), "{quiet}");
}

async fn debug_log() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .credentials(Credentials::new(
            "AKIDEXAMPLE",
            DEBUG_SECRET,
            Some(DEBUG_TOKEN.to_owned()),
            None,
            "test",
        ))
        .build()
        .unwrap();
    let mut request = reqwest::Client::new()
        .post("http://127.0.0.1:9/prod/items")
        .header("content-type", "application/json")
        .body(r#"{"name":"widget"}"#)
        .build()
        .unwrap();
    auth.sign(&mut request).await.unwrap();
}

#[test]
#[ignore = "runs as a child of the tests above"]
fn child() {
    let Some(scenario) = scenario() else { return };
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        match scenario.as_str() {
            "no_credentials" => no_credentials().await,
            "debug_log" => debug_log().await,
            other => panic!("unknown scenario {other}"),
        }
    });
    checked(&scenario);
}

async fn no_credentials() {
    let auth = AwsAuth::builder()
        .service("execute-api")
        .region("eu-west-1")
        .build()
        .unwrap();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    // Refused before anything is sent: the port needs no listener.
    let err = client
        .post("http://127.0.0.1:9/prod/items")
        .body("{}")
        .send()
        .await
        .unwrap_err();
    let auth_err = reqwest_aws_auth::Error::from_middleware(&err).expect("the crate's error");
    assert_eq!(auth_err.kind(), ErrorKind::NoCredentials, "{auth_err}");

    let lines = chain_lines(&err);
    let printed = lines.join("\n");
    eprintln!(
        "the error, one cause per line ({} lines):\n{printed}",
        lines.len()
    );
    // What `fn main() -> Result<(), Box<dyn Error>>` prints when `?` returns it.
    let main_prints = format!("Error: {err:?}");
    eprintln!(
        "what main prints ({} lines):\n{main_prints}",
        main_prints.lines().count()
    );
    let anyhow_style = {
        let mut out = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            out.push_str(": ");
            out.push_str(&s.to_string());
            source = s.source();
        }
        out
    };
    eprintln!(
        "on one line, `: ` between causes ({} chars):\n{anyhow_style}",
        anyhow_style.len()
    );

    // Each fact once: what was tried (each source of the SDK's chain, with its reason), and
    // the fix.
    for (fact, needle) in [
        ("environment variables", "Environment ("),
        ("the profile files", "Profile ("),
        ("the config file's path", "~/.aws/config"),
        ("web identity", "WebIdentityToken ("),
        ("the container endpoint", "EcsContainer ("),
        (
            "instance metadata, and why it was skipped",
            "AWS_EC2_METADATA_DISABLED",
        ),
        ("the fix", "aws configure"),
        ("the builder alternative", ".credentials("),
    ] {
        for (how, text) in [
            ("one cause per line", &printed),
            ("main's Debug", &main_prints),
            ("`: ` between causes", &anyhow_style),
        ] {
            assert_eq!(
                text.matches(needle).count(),
                1,
                "{fact} ({needle}) should be printed exactly once ({how}):\n{text}"
            );
        }
    }
    // One line, however it is printed: the error has no source that repeats it.
    assert_eq!(lines.len(), 1, "{printed}");
    assert_eq!(main_prints.lines().count(), 1, "{main_prints}");
    assert!(auth_err.source().is_none());
}

// OpenAI clients always send `Authorization: Bearer <key>`: a placeholder, or a real OpenAI key
// picked up from OPENAI_API_KEY. With the Bedrock presets it must never reach AWS: refused
// unsent by default, replaced by the signature or the Bedrock key with
// `.replace_authorization(true)`.
const OPENAI_KEY: &str = "sk-proj-an-openai-key-from-the-environment";
const BEDROCK_KEY: &str = "ABSKYmVkcm9jay1rZXktZm9yLXRoZS1vcGVuYWktdGVzdA==";
const REGION: &str = "us-west-2";

fn mantle_credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "mantle-secret", None, None, "test")
}

fn mantle_server() -> Server {
    Server::start(Expect {
        credentials: mantle_credentials(),
        region: REGION,
        service: "bedrock-mantle",
        bearer: Some(BEDROCK_KEY),
    })
}

/// The presets with SigV4 and with a Bedrock key, as the OpenAI recipes configure them.
fn presets() -> [(&'static str, AwsAuthBuilder); 3] {
    [
        (
            "bedrock_mantle, SigV4",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .credentials(mantle_credentials()),
        ),
        (
            "bedrock_mantle, API key",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .bearer_token(BEDROCK_KEY),
        ),
        (
            "bedrock_runtime, API key",
            AwsAuth::bedrock_runtime()
                .region(REGION)
                .bearer_token(BEDROCK_KEY),
        ),
    ]
}

#[tokio::test]
async fn presets_refuse_an_openai_clients_bearer_unless_told_to_replace_it() {
    let server = mantle_server();
    for (name, preset) in presets() {
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(preset.build().unwrap())
            .build();
        let err = client
            .post(server.url("/v1/responses"))
            .bearer_auth(OPENAI_KEY)
            .body("{}")
            .send()
            .await
            .unwrap_err();
        let ours = reqwest_aws_auth::Error::from_middleware(&err).expect("the crate's error");
        assert_eq!(
            ours.kind(),
            ErrorKind::AuthorizationPresent,
            "{name}: {ours}"
        );
        let message = format!("{ours} {ours:?} {err:?}");
        assert!(
            message.contains(".replace_authorization(true)"),
            "{name}: {message}"
        );
        assert!(
            !message.contains(OPENAI_KEY),
            "{name}: the key in the error: {message}"
        );

        // Signing in place (no middleware) applies the same rule.
        let mut request = reqwest::Client::new()
            .post(server.url("/v1/responses"))
            .bearer_auth(OPENAI_KEY)
            .body("{}")
            .build()
            .unwrap();
        let auth = presets()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
            .build()
            .unwrap();
        let err = auth.sign(&mut request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AuthorizationPresent, "{name}: {err}");
    }
}

#[tokio::test]
async fn presets_with_replace_authorization_never_forward_an_openai_clients_bearer() {
    let server = mantle_server();
    for (name, preset) in presets() {
        let auth = preset.replace_authorization(true).build().unwrap();
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(auth.clone())
            .build();
        // The server accepts only a valid signature or the Bedrock key; a forwarded OpenAI key
        // (alone, or beside our header) is refused.
        let response = client
            .post(server.url("/v1/responses"))
            .bearer_auth(OPENAI_KEY)
            .body(r#"{"model":"openai.gpt-oss-120b","input":"hi"}"#)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let report: serde_json::Value =
            serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(status, 200, "{name}: {report}");
        let expected = if name.ends_with("SigV4") {
            "sigv4"
        } else {
            "bearer"
        };
        assert_eq!(report["auth"], expected, "{name}: {report}");

        // And signed in place: exactly one `Authorization`, ours.
        let mut request = reqwest::Client::new()
            .post(server.url("/v1/responses"))
            .bearer_auth(OPENAI_KEY)
            .body("{}")
            .build()
            .unwrap();
        auth.sign(&mut request).await.unwrap();
        let values: Vec<_> = request.headers().get_all("authorization").iter().collect();
        assert_eq!(values.len(), 1, "{name}");
        let value = values[0].to_str().unwrap();
        assert!(!value.contains(OPENAI_KEY), "{name}");
        assert!(
            value.starts_with("AWS4-HMAC-SHA256 ") || value == format!("Bearer {BEDROCK_KEY}"),
            "{name}"
        );
    }
}
