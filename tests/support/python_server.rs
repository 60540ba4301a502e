//! Starting a Python helper server for an end-to-end test, failing loudly when Python or a
//! package is missing (an ignored test that is run on purpose must never pass silently).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `python3`, or `$PYTHON` when set.
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Path of a script in `tests/support/`.
pub fn python_script(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Panics with instructions unless `python3` runs and can import every module in `modules`.
pub fn require_python_modules(what: &str, modules: &[&str]) {
    let python = python();
    let check = format!("import {}", modules.join(", "));
    let output = Command::new(&python)
        .args(["-c", &check])
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "{what} needs `{python}` (set $PYTHON to use another interpreter), which could \
                 not be run: {err}"
            )
        });
    assert!(
        output.status.success(),
        "{what} needs the Python packages {modules:?}: `{python} -c '{check}'` failed. Install \
         them with `{python} -m pip install {}`.\n{}",
        modules.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A child process that printed its port on its first stdout line. Killed on drop; it also
/// sees its stdin close when the test process dies.
pub struct PythonServer {
    child: Child,
    _stdin: Option<ChildStdin>,
    port: u16,
    output: Arc<Mutex<String>>,
}

impl PythonServer {
    /// Runs `python3 <args>` with `env`, after checking `modules` import, and waits for the
    /// port the server prints as its first stdout line.
    pub fn start(what: &str, modules: &[&str], args: &[String], env: &[(&str, &str)]) -> Self {
        Self::start_with(what, modules, args, env, |line| line.trim().parse().ok())
    }

    /// Like [`start`](Self::start), but the port is found by `port_in` in any line the
    /// server writes to stdout or stderr (for servers that log `Running on http://...:PORT`).
    pub fn start_with(
        what: &str,
        modules: &[&str],
        args: &[String],
        env: &[(&str, &str)],
        port_in: fn(&str) -> Option<u16>,
    ) -> Self {
        require_python_modules(what, modules);
        let mut command = Command::new(python());
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {what} (`{}`): {err}", python()));
        let stdin = child.stdin.take();
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<u16>();
        let pipes: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for pipe in pipes {
            let sink = Arc::clone(&output);
            let tx = tx.clone();
            // Drain both pipes for the server's whole life so it never blocks on a full one.
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(port) = port_in(&line) {
                        let _ = tx.send(port);
                    }
                    let mut sink = sink.lock().unwrap();
                    sink.push_str(&line);
                    sink.push('\n');
                }
            });
        }
        drop(tx);
        let Ok(port) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "{what} did not say which port it listens on; its output:\n{}",
                output.lock().unwrap()
            );
        };
        Self {
            child,
            _stdin: stdin,
            port,
            output,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server wrote to stdout and stderr so far.
    pub fn stderr(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
