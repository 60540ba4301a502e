//! Running a test scenario in a child process with a controlled environment.
//!
//! The environment is process-wide (and setting it is `unsafe` in edition 2024), so a test that
//! depends on `AWS_*` variables or shared config files re-executes its own test binary: the
//! child runs the ignored test `child` with only PATH, the given variables, temporary config
//! and credentials files, and instance metadata disabled, and the parent asserts that the
//! child checked the scenario and passed.

use std::process::Command;

const CHILD_MARKER: &str = "REQWEST_AWS_AUTH_CHILD";
const SCENARIO: &str = "REQWEST_AWS_AUTH_SCENARIO";

/// Runs `scenario` in a child of this test binary with only `env` set, an AWS config file
/// holding `config` and a credentials file holding `credentials`; panics with the child's
/// output unless it checked the scenario and passed.
pub fn run_child(scenario: &str, env: &[(&str, &str)], config: &str, credentials: &str) {
    let dir = std::env::temp_dir().join(format!(
        "reqwest-aws-auth-{scenario}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config"), config).unwrap();
    std::fs::write(dir.join("credentials"), credentials).unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(CHILD_MARKER, "1")
        .env(SCENARIO, scenario)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success()
            && stdout.contains("1 passed")
            && stdout.contains(&format!("checked {scenario}.")),
        "child {scenario} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// In a child started by [`run_child`], the scenario to check; `None` (with a note) when the
/// `child` test was run any other way, with an environment nobody controls.
pub fn scenario() -> Option<String> {
    if std::env::var_os(CHILD_MARKER).is_none() {
        eprintln!("only runs as a child of its parent tests");
        return None;
    }
    Some(std::env::var(SCENARIO).unwrap())
}

/// Tells the parent that `scenario` ran to the end.
pub fn checked(scenario: &str) {
    println!("checked {scenario}.");
}
