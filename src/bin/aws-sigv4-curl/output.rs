//! Where the response goes: stdout, or the `-o` file. Every write is checked and flushed, and
//! a failure (a closed pipe, a full disk) is curl's exit 23, never a panic.

use std::io::Write as _;
use std::path::Path;

use crate::Failure;
use crate::args::exit;

pub(crate) enum Output {
    Stdout,
    File(std::fs::File),
}

impl Output {
    /// Stdout, or `path` created (or truncated).
    pub(crate) fn open(path: Option<&Path>) -> Result<Self, Failure> {
        match path {
            None => Ok(Self::Stdout),
            Some(path) => std::fs::File::create(path).map(Self::File).map_err(|err| {
                (
                    exit::WRITE,
                    format!("cannot create `{}` for --output: {err}", path.display()),
                )
            }),
        }
    }

    /// Writes all of `bytes` at once, so that a Server-Sent Event shows up as it arrives.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let written = match self {
            Self::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(bytes).and_then(|()| stdout.flush())
            }
            Self::File(file) => file.write_all(bytes),
        };
        written.map_err(|err| {
            let to = match self {
                Self::Stdout => "stdout",
                Self::File(_) => "the --output file",
            };
            (exit::WRITE, format!("cannot write to {to}: {err}"))
        })
    }
}
