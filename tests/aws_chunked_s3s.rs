//! End to end against s3s-fs, an S3 server that checks aws-chunked uploads itself: the seed
//! signature, every chunk signature, the trailer signature, and the checksum trailer against
//! the bytes it stored (its CRCs are `crc-fast`'s, not the crates this crate uses).
//!
//! Every mode and checksum, objects of 0 B, 1 B, 8 KiB − 1, 64 KiB, 64 KiB + 1 and 20 MiB,
//! each read back and compared byte for byte; then a chunk changed on the way is refused and
//! nothing is stored.
//!
//! Needs the `s3s-fs` binary (`cargo install s3s-fs --version 0.14.1 --locked --features
//! binary`), named by the `S3S_FS` environment variable; CI sets it (`.ci/run`) and runs these
//! `#[ignore]`d tests. Without `S3S_FS`, or with a binary that does not start, they fail.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body_util::BodyExt;
use reqwest_aws_auth::{AwsAuth, AwsChunked, ChecksumAlgorithm, StreamingBody};

const ACCESS_KEY: &str = "AKIDS3SFS";
const SECRET_KEY: &str = "s3s-fs-e2e-secret";
const REGION: &str = "us-east-1";
const BUCKET: &str = "aws-chunked-e2e";

struct S3sFs {
    child: Child,
    url: String,
    _root: TempDir,
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts s3s-fs on a free loopback port over an empty directory; fails without `S3S_FS`.
fn start() -> S3sFs {
    let binary = std::env::var_os("S3S_FS").unwrap_or_else(|| {
        panic!(
            "S3S_FS is not set; install s3s-fs (`cargo install s3s-fs --version 0.14.1 \
             --locked --features binary`) and set S3S_FS to its path to run this test"
        )
    });
    static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let root = std::env::temp_dir().join(format!("aws-chunked-s3s-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let root = TempDir(root);
    let mut child = Command::new(&binary)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(&root.0)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|err| panic!("S3S_FS={binary:?} cannot be started: {err}"));
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("S3S_FS={binary:?} exited before saying where it listens");
        };
        if let Some(at) = line.find("server is running at http://") {
            let url = line[at + "server is running at ".len()..].trim().to_owned();
            break url;
        }
    };
    // Keep draining its log, so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    S3sFs {
        child,
        url,
        _root: root,
    }
}

fn auth(streaming: StreamingBody) -> AwsAuth {
    AwsAuth::builder()
        .service("s3")
        .region(REGION)
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "s3s"))
        .allow_host("127.0.0.1")
        .streaming_body(streaming)
        .build()
        .unwrap()
}

fn data(len: usize, seed: usize) -> Bytes {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 7) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// `data` as a stream of 16 KiB frames (a file's reads), which reports no size.
fn stream(data: Bytes) -> reqwest::Body {
    let frames: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(16 * 1024 + 3)
        .map(|piece| Ok(data.slice_ref(piece)))
        .collect();
    reqwest::Body::wrap_stream(tokio_stream::iter(frames))
}

fn modes() -> Vec<(String, AwsChunked)> {
    let mut modes = vec![("signed".to_owned(), AwsChunked::signed())];
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        modes.push((format!("signed-{alg:?}"), AwsChunked::signed().trailer(alg)));
        modes.push((
            format!("unsigned-{alg:?}"),
            AwsChunked::unsigned_trailer(alg),
        ));
    }
    modes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs s3s-fs: S3S_FS=path cargo test --test aws_chunked_s3s -- --ignored (CI runs it)"]
async fn uploads_of_every_size_in_every_mode_are_stored_as_sent() {
    let server = start();
    let plain = auth(StreamingBody::Reject)
        .client(reqwest::Client::builder())
        .unwrap();
    let bucket = format!("{}/{BUCKET}", server.url);
    let created = plain.put(&bucket).send().await.unwrap();
    assert!(created.status().is_success(), "{:?}", created.text().await);

    const SIZES: [usize; 6] = [0, 1, 8 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 20 << 20];
    for (name, mode) in modes() {
        let client = auth(StreamingBody::AwsChunked(mode))
            .client(reqwest::Client::builder())
            .unwrap();
        for (i, len) in SIZES.into_iter().enumerate() {
            let key = format!("{bucket}/{name}/{len}");
            let body = data(len, i);
            let response = client
                .put(&key)
                .header("content-length", len)
                .body(stream(body.clone()))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(status.is_success(), "{name}, {len} bytes: {status} {text}");
            let stored = plain.get(&key).send().await.unwrap();
            assert_eq!(stored.status(), 200, "{name}, {len} bytes");
            let stored = stored.bytes().await.unwrap();
            assert!(
                stored == body,
                "{name}, {len} bytes: read back {} bytes, not what was sent",
                stored.len()
            );
        }
    }
}

/// The upload as signed, changed on the way: one byte of the second chunk's data. s3s-fs
/// refuses it (a chunk signature, or in the unsigned mode the checksum, does not match); the
/// same upload untouched is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs s3s-fs: S3S_FS=path cargo test --test aws_chunked_s3s -- --ignored (CI runs it)"]
async fn a_changed_chunk_is_refused_by_s3s_fs() {
    let server = start();
    let plain = auth(StreamingBody::Reject)
        .client(reqwest::Client::builder())
        .unwrap();
    let bucket = format!("{}/{BUCKET}", server.url);
    assert!(
        plain
            .put(&bucket)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let len = 200_000;
    for (name, mode) in [
        ("signed", AwsChunked::signed()),
        (
            "signed-trailer",
            AwsChunked::signed().trailer(ChecksumAlgorithm::Crc32c),
        ),
        (
            "unsigned-trailer",
            AwsChunked::unsigned_trailer(ChecksumAlgorithm::Crc64Nvme),
        ),
    ] {
        let auth = auth(StreamingBody::AwsChunked(mode));
        let key = format!("{bucket}/tampered-{name}");
        let mut request = reqwest::Request::new(reqwest::Method::PUT, key.parse().unwrap());
        request
            .headers_mut()
            .insert("content-length", len.to_string().parse().unwrap());
        *request.body_mut() = Some(stream(data(len, 7)));
        auth.sign(&mut request).await.unwrap();
        let wire = request
            .body_mut()
            .take()
            .unwrap()
            .collect()
            .await
            .unwrap()
            .to_bytes();

        // The same upload untouched is accepted, so the refusal below is the change's doing.
        let mut control = reqwest::Request::new(
            reqwest::Method::PUT,
            format!("{key}-control").parse().unwrap(),
        );
        control
            .headers_mut()
            .insert("content-length", len.to_string().parse().unwrap());
        *control.body_mut() = Some(stream(data(len, 7)));
        auth.sign(&mut control).await.unwrap();
        let control = reqwest::Client::new().execute(control).await.unwrap();
        assert!(
            control.status().is_success(),
            "{name}: the untouched upload was refused: {:?}",
            control.text().await
        );

        let second = 64 * 1024 + 200;
        let mut changed = wire.to_vec();
        changed[second] ^= 0x20;
        *request.body_mut() = Some(reqwest::Body::from(changed));
        let response = reqwest::Client::new().execute(request).await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        // s3s-fs 0.14 answers a chunk signature that does not match with 500 (its put_object
        // sees the body stream fail), a checksum that does not match with 400 BadDigest.
        assert!(
            !status.is_success(),
            "{name}: the changed upload got {status}: {text}"
        );
        if name == "unsigned-trailer" {
            // Only the checksum protects these chunks, and s3s-fs checks it after writing the
            // file, which it then leaves in place (S3 stores nothing): the refusal is the proof.
            assert_eq!(status, 400, "{name}: {text}");
            assert!(text.contains("BadDigest"), "{name}: {text}");
        } else {
            let stored = plain.get(&key).send().await.unwrap();
            assert_eq!(
                stored.status(),
                404,
                "{name}: the changed upload was stored"
            );
        }
    }
}
