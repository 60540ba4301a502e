//! Killing a `credential_process` whose load was abandoned.
//!
//! aws-config runs a profile's `credential_process` as `sh -c <command>` with tokio's
//! `Command::output()` and without `kill_on_drop`: when a load times out and its future is
//! dropped, the process (and whatever it started) keeps running. Each timed-out load would
//! leave one more behind. This module finds them afterwards, on Linux, through `/proc`: children
//! of this process, started during the load, whose command line is exactly `sh -c <command>`
//! (or the command itself, when the shell replaced itself with it) for a `credential_process`
//! configured in the shared config files; it stops each with its
//! descendants (so that none can start more), then kills them. The signals are sent with the
//! shell's `kill`, as the crate compiles no `unsafe` code: `sh` is what aws-config needs to run
//! a `credential_process` at all.
//!
//! A process is named by its pid and its start time, checked again before each signal, so that
//! a pid reused by another process is left alone.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Ticks per second of `/proc`'s times: `USER_HZ`, fixed at 100 by the Linux ABI on every
/// architecture Rust targets.
const TICKS_PER_SECOND: u64 = 100;
/// How much earlier than the load a process may have started and still count as the load's:
/// `/proc/uptime` and start times are read at different moments and rounded.
const START_SLACK: Duration = Duration::from_secs(1);

/// The `credential_process` commands configured in the shared config files (every profile:
/// any of them can be reached through `source_profile`). Commands are secrets' neighbours
/// (they may hold arguments such as a role or a vault path): `Debug` shows only how many.
#[derive(Clone, Default)]
pub(crate) struct Commands(Arc<[String]>);

impl std::fmt::Debug for Commands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Commands({} configured)", self.0.len())
    }
}

impl Commands {
    /// Reads the shared config and credentials files as aws-config does. Unreadable files
    /// mean nothing to kill.
    pub(crate) async fn configured() -> Self {
        let fs = aws_types::os_shim_internal::Fs::real();
        let env = aws_types::os_shim_internal::Env::real();
        let Ok(profiles) = aws_config::profile::load(&fs, &env, &Default::default(), None).await
        else {
            return Self::default();
        };
        let commands: Vec<String> = profiles
            .profiles()
            .filter_map(|name| profiles.get_profile(name)?.get("credential_process"))
            .map(str::to_owned)
            .collect();
        Self(commands.into())
    }
}

/// Armed while a load runs: dropped before [`Guard::disarm`] (the load timed out, was
/// cancelled or panicked), it kills the `credential_process` the load left running.
pub(crate) struct Guard {
    commands: Commands,
    started: Instant,
    armed: bool,
}

impl Guard {
    pub(crate) fn arm(commands: &Commands) -> Self {
        Self {
            commands: commands.clone(),
            started: Instant::now(),
            armed: !commands.0.is_empty(),
        }
    }

    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let commands = self.commands.clone();
        let elapsed = self.started.elapsed();
        // Reading `/proc` and running `kill` block: not on a runtime's worker.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(move || kill_abandoned(&commands, elapsed));
            }
            Err(_) => kill_abandoned(&commands, elapsed),
        }
    }
}

/// A process as `/proc/<pid>/stat` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Process {
    pid: u32,
    /// In ticks since boot: with the pid, what names the process.
    start: u64,
}

#[derive(Clone, Copy, Debug)]
struct Stat {
    process: Process,
    parent: u32,
}

fn kill_abandoned(commands: &Commands, elapsed: Duration) {
    let Some(now) = uptime_ticks() else {
        return;
    };
    let since = now.saturating_sub(ticks(elapsed + START_SLACK));
    let me = std::process::id();
    let table = processes();
    for stat in &table {
        if stat.parent == me
            && stat.process.start >= since
            && runs_one_of(stat.process.pid, &commands.0)
        {
            tracing::warn!(
                pid = stat.process.pid,
                "a credential_process outlived its load (it timed out or was cancelled); killing it"
            );
            kill_tree(stat.process);
        }
    }
}

/// Whether `pid` runs one of `commands`: its command line is exactly `sh -c <command>`, or,
/// where the shell replaced itself with a simple command (bash and newer dash do), the
/// command's words joined by single spaces are exactly `<command>`.
fn runs_one_of(pid: u32, commands: &[String]) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let Some(args) = cmdline.strip_suffix(&[0]) else {
        return false;
    };
    let words: Vec<&[u8]> = args.split(|b| *b == 0).collect();
    commands.iter().any(|command| {
        let command = command.as_bytes();
        matches!(words.as_slice(), [b"sh", b"-c", c] if *c == command)
            || words.join(&b' ') == command
    })
}

/// Stops `root` and its descendants, round by round until no new one appears (a stopped
/// process cannot start another), then kills them all.
fn kill_tree(root: Process) {
    let mut stopped: Vec<Process> = Vec::new();
    let mut seen: HashSet<Process> = HashSet::new();
    let mut next = vec![root];
    for _ in 0..16 {
        next.retain(|p| seen.insert(*p));
        if next.is_empty() {
            break;
        }
        signal("STOP", &next);
        stopped.extend(next.iter().copied());
        let table = processes();
        // Each stopped process's children: started after it, and now unable to multiply.
        next = table
            .iter()
            .filter(|s| {
                stopped
                    .iter()
                    .any(|p| p.pid == s.parent && p.start <= s.process.start)
            })
            .map(|s| s.process)
            .collect();
    }
    signal("KILL", &stopped);
    // A stopped process killed does not need SIGCONT to die.
}

/// Sends `signal` to those of `targets` that are still the processes they were.
fn signal(signal: &str, targets: &[Process]) {
    let pids: Vec<String> = targets
        .iter()
        .filter(|p| stat(p.pid).is_some_and(|s| s.process == **p))
        .map(|p| p.pid.to_string())
        .collect();
    if pids.is_empty() {
        return;
    }
    let outcome = std::process::Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$@\"", signal])
        .args(&pids)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if outcome.is_err() {
        tracing::warn!("could not run `kill` to end a credential_process that outlived its load");
    }
}

fn processes() -> Vec<Stat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .collect()
}

/// Parses `/proc/<pid>/stat`: after the command name in parentheses (which may hold spaces
/// and parentheses itself) come the state, the parent's pid, and, 19 fields on, the start time.
fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    Some(Stat {
        parent: fields.get(1)?.parse().ok()?,
        process: Process {
            pid,
            start: fields.get(19)?.parse().ok()?,
        },
    })
}

fn uptime_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let seconds: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some((seconds * TICKS_PER_SECOND as f64) as u64)
}

fn ticks(duration: Duration) -> u64 {
    (duration.as_millis() as u64).saturating_mul(TICKS_PER_SECOND) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_stat() {
        let me = stat(std::process::id()).expect("own stat");
        assert_eq!(me.process.pid, std::process::id());
        assert!(me.process.start > 0);
        assert!(uptime_ticks().unwrap() >= me.process.start);
    }

    #[test]
    fn finds_a_command_run_by_sh_or_exec_by_it() {
        for script in ["sleep 30.5; true", "sleep 30.6"] {
            let mut child = std::process::Command::new("sh")
                .args(["-c", script])
                .spawn()
                .unwrap();
            // `sh` may replace itself with `sleep` at any moment: either form matches.
            let found = (0..200).any(|_| {
                std::thread::sleep(Duration::from_millis(5));
                runs_one_of(child.id(), &[script.to_owned()])
            });
            child.kill().unwrap();
            child.wait().unwrap();
            assert!(found, "{script}");
            assert!(!runs_one_of(std::process::id(), &[script.to_owned()]));
        }
    }

    #[test]
    fn commands_are_not_shown_by_debug() {
        let commands = Commands(vec!["vault read secret/aws --token s3cr3t".to_owned()].into());
        assert_eq!(format!("{commands:?}"), "Commands(1 configured)");
    }
}
