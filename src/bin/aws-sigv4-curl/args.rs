//! The command line, curl's flags where curl has one (parsed by clap).

use clap::Parser;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest_aws_auth::{AwsChunked, ChecksumAlgorithm};

/// Exit codes, curl's where curl has one.
pub(crate) mod exit {
    /// A 2xx or 3xx answer, or any answer without `--fail`.
    pub(crate) const OK: u8 = 0;
    /// Usage, configuration and credential errors (clap's usage errors use it too).
    pub(crate) const USAGE: u8 = 2;
    /// curl's "couldn't connect to host".
    pub(crate) const CONNECT: u8 = 7;
    /// curl's "HTTP page not retrieved" (`--fail` or `--fail-with-body`, and a status of 400
    /// or more).
    pub(crate) const HTTP_ERROR: u8 = 22;
    /// curl's "write error": stdout or the `--output` file could not be written.
    pub(crate) const WRITE: u8 = 23;
    /// curl's "operation timed out".
    pub(crate) const TIMEOUT: u8 = 28;
    /// curl's "failure in receiving network data".
    pub(crate) const TRANSFER: u8 = 56;
}

#[derive(Debug, Parser)]
#[command(
    name = "aws-sigv4-curl",
    version,
    about = "curl for AWS APIs: sends a request signed with AWS SigV4 (or a Bedrock API key), \
             exactly as the reqwest-aws-auth library signs it",
    after_help = "Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID / \
                  AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE or --profile, SSO, \
                  credential_process, container and instance metadata).\n\n\
                  Exit codes: 0 for an answer (2xx and 3xx, and any other without --fail), \
                  22 with --fail or --fail-with-body for a status of 400 or more, 2 for usage, \
                  configuration and credential errors, 7 when the host cannot be reached, 23 \
                  when stdout or --output cannot be written, 28 when --max-time runs out, 56 \
                  when the transfer fails.\n\n\
                  Examples:\n  \
                  aws-sigv4-curl --service execute-api https://abc.execute-api.eu-west-1.amazonaws.com/prod/items\n  \
                  aws-sigv4-curl --service es --region eu-west-1 https://search-x.eu-west-1.es.amazonaws.com/_cluster/health\n  \
                  aws-sigv4-curl --service s3 --presign 900 https://bucket.s3.eu-west-1.amazonaws.com/report.pdf\n  \
                  aws-sigv4-curl --bedrock --region us-west-2 -H 'content-type: application/json' \\\n    \
                  -d '{\"model\":\"openai.gpt-oss-120b\",\"input\":\"Hi\",\"stream\":true}' \\\n    \
                  https://bedrock-mantle.us-west-2.api.aws/v1/responses"
)]
pub(crate) struct Args {
    /// The URL to request (http, https; ws and wss with --presign).
    pub(crate) url: String,

    /// The method (default GET, or POST with --data).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub(crate) method: Option<String>,

    /// A header to send and sign, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,

    /// The body: a string, `@file`, or `@-` for stdin. Sent byte for byte (like curl's
    /// --data-binary); no content-type is added, pass one with -H. A regular file is hashed,
    /// then streamed (any size); stdin, pipes and devices are read into memory to be hashed,
    /// up to 32 MiB (with --unsigned-payload, everything is streamed).
    #[arg(
        short = 'd',
        long = "data",
        visible_alias = "data-binary",
        value_name = "DATA"
    )]
    pub(crate) data: Option<String>,

    /// The SigV4 signing name: execute-api, lambda, es, aoss, s3, bedrock-mantle, ...
    #[arg(long, value_name = "NAME", required_unless_present = "bedrock")]
    pub(crate) service: Option<String>,

    /// The region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's).
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,

    /// The shared config/credentials profile to use (default: AWS_PROFILE, or `default`).
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,

    /// Amazon Bedrock Mantle: the API key in AWS_BEARER_TOKEN_BEDROCK if set, else SigV4 as
    /// `bedrock-mantle`.
    #[arg(long, conflicts_with = "service")]
    pub(crate) bedrock: bool,

    /// Sign with SigV4a (ECDSA P-256) for a set of regions: S3 Multi-Region Access Points,
    /// EventBridge global endpoints, CloudFront KeyValueStore, VPC Lattice.
    #[arg(long, conflicts_with = "bedrock")]
    pub(crate) sigv4a: bool,

    /// The SigV4a region set: `*` (the default) or a comma-separated list such as
    /// `us-east-1,us-west-2`.
    #[arg(long, value_name = "SET", requires = "sigv4a", value_parser = parse_region_set)]
    pub(crate) region_set: Option<reqwest_aws_auth::RegionSet>,

    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash, and stream the body (S3 uploads).
    #[arg(long)]
    pub(crate) unsigned_payload: bool,

    /// Upload FILE with PUT, as curl's -T: the same as `-X PUT -d @FILE`.
    #[arg(
        short = 'T',
        long = "upload-file",
        value_name = "FILE",
        conflicts_with = "data"
    )]
    pub(crate) upload_file: Option<String>,

    /// Send the body as S3's aws-chunked encoding, read once and signed chunk by chunk as it
    /// streams, in constant memory whatever its size: `signed` (the default: every chunk
    /// signed) or `unsigned-trailer` (the chunks unsigned, a checksum trailer protects them;
    /// --checksum, default crc64nvme). A file's length is its size; stdin and pipes need
    /// `-H 'x-amz-decoded-content-length: BYTES'`.
    #[arg(
        long,
        value_name = "MODE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "signed",
        value_parser = ["signed", "unsigned-trailer"],
        conflicts_with = "unsigned_payload"
    )]
    pub(crate) aws_chunked: Option<String>,

    /// With --aws-chunked, a checksum of the body that S3 verifies, sent as a trailer:
    /// crc32, crc32c, crc64nvme, sha1 or sha256.
    #[arg(long, value_name = "ALGO", requires = "aws_chunked", value_parser = parse_checksum)]
    pub(crate) checksum: Option<ChecksumAlgorithm>,

    /// Print a presigned URL valid for SECONDS (1 to 604800) instead of sending the request.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) presign: Option<u64>,

    /// Print the response's status line and headers before its body.
    #[arg(short, long)]
    pub(crate) include: bool,

    /// Show on stderr what is signed (canonical request and string-to-sign; never a secret)
    /// and the response's status and headers.
    #[arg(short, long)]
    pub(crate) verbose: bool,

    /// Exit with 22, printing no body, when the status is 400 or more (as curl --fail).
    #[arg(short = 'f', long)]
    pub(crate) fail: bool,

    /// Exit with 22 when the status is 400 or more, after printing the body.
    #[arg(long, conflicts_with = "fail")]
    pub(crate) fail_with_body: bool,

    /// Write the response (with -i, its head too) to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: Option<std::path::PathBuf>,

    /// Follow redirects: a hop to the URL's host is signed afresh, a hop to any other host is
    /// sent without credentials or x-amz-* headers.
    #[arg(short = 'L', long)]
    pub(crate) location: bool,

    /// Do not verify the server's TLS certificate (for test endpoints only).
    #[arg(short = 'k', long)]
    pub(crate) insecure: bool,

    /// Give up (exit 28) when the whole operation takes longer than SECONDS: reading the body
    /// (-d @- with no writer), loading credentials, sending, redirects and the response.
    #[arg(short = 'm', long = "max-time", value_name = "SECONDS")]
    pub(crate) max_time: Option<f64>,
}

fn parse_checksum(raw: &str) -> Result<ChecksumAlgorithm, String> {
    match raw.to_ascii_lowercase().as_str() {
        "crc32" => Ok(ChecksumAlgorithm::Crc32),
        "crc32c" => Ok(ChecksumAlgorithm::Crc32c),
        "crc64nvme" => Ok(ChecksumAlgorithm::Crc64Nvme),
        "sha1" => Ok(ChecksumAlgorithm::Sha1),
        "sha256" => Ok(ChecksumAlgorithm::Sha256),
        _ => Err(format!(
            "`{raw}` is not an S3 checksum: crc32, crc32c, crc64nvme, sha1 or sha256"
        )),
    }
}

impl Args {
    /// How `--aws-chunked` and `--checksum` frame a streaming body, when asked.
    pub(crate) fn aws_chunked(&self) -> Option<AwsChunked> {
        let mode = match self.aws_chunked.as_deref()? {
            "unsigned-trailer" => {
                AwsChunked::unsigned_trailer(self.checksum.unwrap_or(ChecksumAlgorithm::Crc64Nvme))
            }
            _ => match self.checksum {
                Some(checksum) => AwsChunked::signed().trailer(checksum),
                None => AwsChunked::signed(),
            },
        };
        Some(mode)
    }

    /// The body `-d` or `-T` names.
    pub(crate) fn data(&self) -> Option<String> {
        match (&self.data, &self.upload_file) {
            (Some(data), _) => Some(data.clone()),
            (None, Some(file)) => Some(format!("@{file}")),
            (None, None) => None,
        }
    }
}

fn parse_header(raw: &str) -> Result<(HeaderName, HeaderValue), String> {
    let Some((name, value)) = raw.split_once(':') else {
        return Err(format!("`{raw}` is not `Name: value`"));
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("`{}` is not a valid header name", name.trim()))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
    Ok((name, value))
}

fn parse_region_set(raw: &str) -> Result<reqwest_aws_auth::RegionSet, String> {
    reqwest_aws_auth::RegionSet::new(raw).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn aws_chunked_and_checksum_pick_the_mode() {
        let parse = |extra: &[&str]| {
            let mut argv = vec![
                "aws-sigv4-curl",
                "--service",
                "s3",
                "https://b.s3.amazonaws.com/k",
            ];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv)
        };
        assert_eq!(parse(&[]).unwrap().aws_chunked(), None);
        assert_eq!(
            parse(&["--aws-chunked"]).unwrap().aws_chunked(),
            Some(AwsChunked::signed())
        );
        assert_eq!(
            parse(&["--aws-chunked", "--checksum", "CRC32C"])
                .unwrap()
                .aws_chunked(),
            Some(AwsChunked::signed().trailer(ChecksumAlgorithm::Crc32c))
        );
        assert_eq!(
            parse(&["--aws-chunked=unsigned-trailer"])
                .unwrap()
                .aws_chunked(),
            Some(AwsChunked::unsigned_trailer(ChecksumAlgorithm::Crc64Nvme))
        );
        assert_eq!(
            parse(&["--aws-chunked=unsigned-trailer", "--checksum", "sha1"])
                .unwrap()
                .aws_chunked(),
            Some(AwsChunked::unsigned_trailer(ChecksumAlgorithm::Sha1))
        );
        assert!(
            parse(&["--checksum", "crc32"]).is_err(),
            "--checksum needs --aws-chunked"
        );
        assert!(parse(&["--aws-chunked", "--checksum", "md5"]).is_err());
        assert!(parse(&["--aws-chunked=other"]).is_err());
        assert!(parse(&["--aws-chunked", "--unsigned-payload"]).is_err());
        let upload = parse(&["-T", "file.bin"]).unwrap();
        assert_eq!(upload.data().as_deref(), Some("@file.bin"));
        assert!(parse(&["-T", "f", "-d", "x"]).is_err());
    }

    #[test]
    fn headers_are_name_colon_value() {
        let (name, value) = parse_header("X-Custom:  a: b ").unwrap();
        assert_eq!(name, "x-custom");
        assert_eq!(value, "a: b");
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: v").is_err());
        assert!(parse_header("x: a\nb").is_err());
    }

    #[test]
    fn sigv4a_takes_a_region_set_and_nothing_else_needs_one() {
        let args =
            Args::try_parse_from(["c", "--service", "s3", "--sigv4a", "https://h/"]).unwrap();
        assert!(args.sigv4a && args.region_set.is_none());
        let args = Args::try_parse_from([
            "c",
            "--service",
            "events",
            "--sigv4a",
            "--region-set",
            " us-east-1 , us-west-2",
            "https://h/",
        ])
        .unwrap();
        assert_eq!(args.region_set.unwrap().as_str(), "us-east-1,us-west-2");
        for bad in [
            &["c", "--service", "s3", "--region-set", "*", "https://h/"][..],
            &[
                "c",
                "--service",
                "s3",
                "--sigv4a",
                "--region-set",
                "a,,b",
                "https://h/",
            ],
            &["c", "--bedrock", "--sigv4a", "https://h/"],
        ] {
            assert!(Args::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
