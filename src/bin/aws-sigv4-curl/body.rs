//! `-d`: the body from a string, `@file` or `@-` (stdin), in bounded memory.
//!
//! SigV4 signs the body's SHA-256, so the body is hashed before it is sent. A regular file is
//! hashed in a first pass and streamed in a second, in constant memory whatever its size; its
//! hash is put in `x-amz-content-sha256`, which the library signs for a streaming body. Stdin
//! and files that cannot be read twice (pipes, devices) are read into memory up to
//! [`MEMORY_CAP`]. With `--unsigned-payload` or `--aws-chunked` nothing is hashed first and
//! every source is streamed (aws-chunked hashes each chunk as it goes).

use std::io::{Read as _, Seek as _};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use reqwest::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use reqwest::{Body, Request};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt as _, ReadBuf};
use tokio_util::io::ReaderStream;

use crate::Failure;
use crate::args::exit;

/// The most read into memory from a source that cannot be read twice.
pub(crate) const MEMORY_CAP: u64 = 32 * 1024 * 1024;

const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
const CHUNK: usize = 64 * 1024;

/// Gives `request` the body `-d` names; `unsigned`: streamed without hashing it first
/// (`--unsigned-payload`, `--aws-chunked`).
pub(crate) async fn attach(
    request: &mut Request,
    data: &str,
    unsigned: bool,
) -> Result<(), Failure> {
    let Some(source) = data.strip_prefix('@') else {
        *request.body_mut() = Some(Body::from(data.to_owned()));
        return Ok(());
    };
    if source == "-" {
        let body = if unsigned {
            Body::wrap_stream(ReaderStream::with_capacity(tokio::io::stdin(), CHUNK))
        } else {
            Body::from(read_capped(tokio::io::stdin(), "stdin").await?)
        };
        *request.body_mut() = Some(body);
        return Ok(());
    }
    let what = format!("`{source}`");
    // Opening a FIFO waits for a writer: on the blocking pool, so that --max-time still applies.
    let file = tokio::fs::File::open(source)
        .await
        .map_err(|err| unreadable(&what, &err))?;
    let metadata = file
        .metadata()
        .await
        .map_err(|err| unreadable(&what, &err))?;
    if !metadata.is_file() {
        let body = if unsigned {
            Body::wrap_stream(ReaderStream::with_capacity(file, CHUNK))
        } else {
            let what = format!("{what} (not a regular file, so it cannot be read twice)");
            Body::from(read_capped(file, &what).await?)
        };
        *request.body_mut() = Some(body);
        return Ok(());
    }
    let (file, len, sha256) = if unsigned {
        (file, metadata.len(), None)
    } else {
        let (file, len, sha256) = hash(file.into_std().await, &what).await?;
        (tokio::fs::File::from_std(file), len, Some(sha256))
    };
    let reader = Verified {
        file: file.take(len),
        left: len,
        hasher: sha256.map(|sha256| (Sha256::new(), sha256)),
        what,
    };
    *request.body_mut() = Some(Body::wrap_stream(ReaderStream::with_capacity(
        reader, CHUNK,
    )));
    // A stream has no length of its own; S3 refuses a chunked upload without one.
    request
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(sha256) = sha256 {
        let hex = HeaderValue::from_str(&hex(&sha256)).expect("hex digits are a header value");
        request.headers_mut().insert(X_AMZ_CONTENT_SHA256, hex);
    }
    Ok(())
}

/// The first pass over a regular file: its length and SHA-256, and the file rewound.
async fn hash(
    mut file: std::fs::File,
    what: &str,
) -> Result<(std::fs::File, u64, [u8; 32]), Failure> {
    let pass = tokio::task::spawn_blocking(move || {
        let mut hasher = Sha256::new();
        let mut buffer = vec![0; CHUNK];
        let mut len = 0u64;
        loop {
            match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    hasher.update(&buffer[..n]);
                    len += n as u64;
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        file.rewind()?;
        Ok((file, len, hasher.finalize().into()))
    });
    match pass.await {
        Ok(result) => result.map_err(|err| unreadable(what, &err)),
        Err(err) => Err((exit::USAGE, format!("cannot hash {what}: {err}"))),
    }
}

/// Reads all of `reader`, refusing it past [`MEMORY_CAP`].
async fn read_capped(reader: impl AsyncRead + Unpin, what: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    reader
        .take(MEMORY_CAP + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|err| unreadable(what, &err))?;
    if bytes.len() as u64 > MEMORY_CAP {
        return Err((
            exit::USAGE,
            format!(
                "the body from {what} is larger than {} MiB, the most read into memory to hash \
                 it for the signature: save it to a regular file and pass -d @FILE (hashed, then \
                 streamed, any size), or pass --aws-chunked or --unsigned-payload where the service \
                 accepts it (S3)",
                MEMORY_CAP >> 20
            ),
        ));
    }
    Ok(bytes)
}

fn unreadable(what: &str, err: &std::io::Error) -> Failure {
    (
        exit::USAGE,
        format!("cannot read the body from {what}: {err}; check the path given to -d @FILE"),
    )
}

/// The second pass: the file's first `len` bytes, hashed again as they are sent, and refused
/// before the last of them goes out if they are not what was signed (the file changed).
struct Verified {
    file: tokio::io::Take<tokio::fs::File>,
    left: u64,
    /// The running hash and the one signed (`None`: nothing signed, `--unsigned-payload`).
    hasher: Option<(Sha256, [u8; 32])>,
    what: String,
}

impl AsyncRead for Verified {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.file).poll_read(cx, buf))?;
        let read = &buf.filled()[before..];
        if read.is_empty() && this.left > 0 {
            return Poll::Ready(Err(this.changed()));
        }
        this.left -= read.len() as u64;
        if let Some((hasher, _)) = &mut this.hasher {
            hasher.update(read);
        }
        if this.left == 0
            && let Some((hasher, signed)) = this.hasher.take()
            && <[u8; 32]>::from(hasher.finalize()) != signed
        {
            return Poll::Ready(Err(this.changed()));
        }
        Poll::Ready(Ok(()))
    }
}

impl Verified {
    fn changed(&self) -> std::io::Error {
        std::io::Error::other(format!(
            "{} changed while it was being sent, so it is not what was signed; the request \
             was abandoned",
            self.what
        ))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;
    use reqwest::Method;

    use super::*;

    async fn body_of(
        path: &std::path::Path,
        change: impl FnOnce(),
    ) -> (Request, Result<Vec<u8>, String>) {
        let mut request = Request::new(Method::PUT, "http://127.0.0.1/".parse().unwrap());
        attach(&mut request, &format!("@{}", path.display()), false)
            .await
            .unwrap();
        change();
        let body = request.body_mut().take().unwrap();
        let read = body.collect().await.map(|c| c.to_bytes().to_vec());
        let read = read.map_err(|err| {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        });
        (request, read)
    }

    #[tokio::test]
    async fn a_file_is_sent_as_hashed_or_not_at_all() {
        let path = std::env::temp_dir().join(format!("aws-sigv4-curl-unit-{}", std::process::id()));
        std::fs::write(&path, "signed content").unwrap();
        let (request, read) = body_of(&path, || {}).await;
        assert_eq!(read.unwrap(), b"signed content");
        assert_eq!(request.headers()[CONTENT_LENGTH], "14");
        assert_eq!(
            request.headers()[X_AMZ_CONTENT_SHA256],
            hex(&Sha256::digest(b"signed content"))
        );

        for changed in ["Signed content", "signed", "Signed content and more"] {
            std::fs::write(&path, "signed content").unwrap();
            let (_, read) = body_of(&path, || std::fs::write(&path, changed).unwrap()).await;
            let err = read.expect_err(changed);
            assert!(
                err.contains("changed while it was being sent"),
                "{changed}: {err}"
            );
        }
        let _ = std::fs::remove_file(&path);
    }
}
