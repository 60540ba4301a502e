//! `-d`: the body from a string, `@file` or `@-` (stdin). Read into memory, so that its hash
//! can be signed; with `--unsigned-payload`, streamed instead.

use reqwest::Body;
use tokio::io::AsyncReadExt as _;
use tokio_util::io::ReaderStream;

use crate::args::exit;

pub(crate) async fn load(data: &str, stream: bool) -> Result<Body, (u8, String)> {
    let source = data.strip_prefix('@');
    let unreadable = |what: &str, err: std::io::Error| {
        (
            exit::USAGE,
            format!("cannot read the body from {what}: {err}; check the path given to -d @FILE"),
        )
    };
    match source {
        None if stream => Ok(Body::wrap_stream(ReaderStream::new(std::io::Cursor::new(
            data.as_bytes().to_vec(),
        )))),
        None => Ok(Body::from(data.to_owned())),
        Some("-") if stream => Ok(Body::wrap_stream(ReaderStream::new(tokio::io::stdin()))),
        Some("-") => {
            let mut bytes = Vec::new();
            tokio::io::stdin()
                .read_to_end(&mut bytes)
                .await
                .map_err(|err| unreadable("stdin", err))?;
            Ok(Body::from(bytes))
        }
        Some(path) if stream => {
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|err| unreadable(&format!("`{path}`"), err))?;
            Ok(Body::wrap_stream(ReaderStream::new(file)))
        }
        Some(path) => {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|err| unreadable(&format!("`{path}`"), err))?;
            Ok(Body::from(bytes))
        }
    }
}
