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
    stderr: Arc<Mutex<String>>,
}

impl PythonServer {
    /// Runs `python3 <args>` with `env`, after checking `modules` import, and waits for the
    /// port line.
    pub fn start(what: &str, modules: &[&str], args: &[String], env: &[(&str, &str)]) -> Self {
        Self::start_command(what, modules, &python(), args, env)
    }

    /// Like [`start`](Self::start) with another program (for example `moto_server`).
    pub fn start_command(
        what: &str,
        modules: &[&str],
        program: &str,
        args: &[String],
        env: &[(&str, &str)],
    ) -> Self {
        require_python_modules(what, modules);
        let mut command = Command::new(program);
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
            .unwrap_or_else(|err| panic!("could not start {what} (`{program}`): {err}"));
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });

        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let line = rx.recv_timeout(Duration::from_secs(60));
        let port = match line {
            Ok(Some(Ok(ref line))) => line.trim().parse::<u16>().ok(),
            _ => None,
        };
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "{what} did not print its port on stdout (got {line:?}); its stderr:\n{}",
                stderr.lock().unwrap()
            );
        };
        Self {
            child,
            _stdin: stdin,
            port,
            stderr,
        }
    }

    /// Wraps a child that listens on a port chosen by the caller, once it accepts connections.
    pub fn from_child_on_port(what: &str, mut child: Child, port: u16) -> Self {
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut pipe = pipe;
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let mut server = Self {
            child,
            _stdin: stdin,
            port,
            stderr,
        };
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "{what} exited ({status}) before listening on port {port}:\n{}",
                    server.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{what} did not listen on port {port} within 30 s:\n{}",
            server.stderr()
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
