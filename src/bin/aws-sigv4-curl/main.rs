//! `aws-sigv4-curl`: curl for AWS APIs, signing with the reqwest-aws-auth library itself, so
//! that it signs exactly what the library signs. `aws-sigv4-curl --help` lists the flags.

mod args;
mod body;
mod output;
mod verbose;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use reqwest::Method;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, ErrorKind, OutsideScope, StreamingBody};

use crate::args::{Args, exit};
use crate::output::Output;

fn main() -> ExitCode {
    let args = Args::parse();
    if args.verbose {
        verbose::install();
    } else {
        verbose::install_warnings();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return fail(
                exit::USAGE,
                &format!("cannot start the async runtime: {err}"),
            );
        }
    };
    let result = runtime.block_on(run_within_max_time(args));
    // A read of stdin or a FIFO that never ends runs on the blocking pool: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => fail(code, &message),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    verbose::note(&format!("aws-sigv4-curl: {message}\n"));
    ExitCode::from(code)
}

type Failure = (u8, String);

/// `--max-time` covers everything, from reading the body to writing the response.
async fn run_within_max_time(args: Args) -> Result<u8, Failure> {
    let Some(seconds) = args.max_time else {
        return run(args).await;
    };
    let max_time = Duration::try_from_secs_f64(seconds).map_err(|_| {
        (
            exit::USAGE,
            format!("--max-time {seconds} is not a duration"),
        )
    })?;
    tokio::time::timeout(max_time, run(args))
        .await
        .unwrap_or_else(|_| {
            Err((
                exit::TIMEOUT,
                format!("operation timed out after --max-time {seconds} s"),
            ))
        })
}

async fn run(args: Args) -> Result<u8, Failure> {
    let url = parse_url(&args.url)?;
    let auth = auth(&args, &url).build().map_err(usage)?;
    let method = match &args.method {
        Some(method) => Method::from_bytes(method.as_bytes())
            .map_err(|_| (exit::USAGE, format!("`{method}` is not an HTTP method")))?,
        None if args.upload_file.is_some() => Method::PUT,
        None if args.data.is_some() => Method::POST,
        None => Method::GET,
    };
    let mut request = reqwest::Request::new(method, url);
    for (name, value) in &args.headers {
        request.headers_mut().append(name.clone(), value.clone());
    }
    if let Some(data) = args.data() {
        // Neither mode hashes the body first: it is streamed once, as it is read.
        let stream = args.unsigned_payload || args.aws_chunked.is_some();
        body::attach(&mut request, &data, stream).await?;
    }

    if let Some(seconds) = args.presign {
        let url = auth
            .presign(&request, Duration::from_secs(seconds))
            .await
            .map_err(usage)?;
        let mut out = Output::open(args.output.as_deref())?;
        out.write(format!("{url}\n").as_bytes())?;
        return Ok(exit::OK);
    }
    send(&args, auth, request).await
}

/// The URL, refused when it carries userinfo: SigV4 does not use it (reqwest would send it as
/// HTTP Basic auth beside the signature), and a password must not reach `-v` or an error.
fn parse_url(raw: &str) -> Result<reqwest::Url, Failure> {
    let url = reqwest::Url::parse(raw).map_err(|err| {
        (
            exit::USAGE,
            format!("`{}` is not a URL: {err}", verbose::redact_userinfo(raw)),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err((
            exit::USAGE,
            format!(
                "`{}` carries a user name or password, which SigV4 does not use and which \
                 would be sent beside the signature: remove the `user:password@` part",
                verbose::redact_userinfo(raw)
            ),
        ));
    }
    Ok(url)
}

fn auth(args: &Args, url: &reqwest::Url) -> AwsAuthBuilder {
    let mut builder = if args.bedrock {
        AwsAuth::bedrock_mantle()
    } else {
        AwsAuth::builder()
    };
    // The one host typed on the command line is where the user means credentials to go (as
    // curl -L drops credentials on another host): not every AWS host, which anyone can own
    // one of (a Lambda function URL).
    builder = builder.default_scope(false);
    if let Some(host) = url.host_str() {
        builder = builder.allow_host(host);
    }
    builder = if args.location {
        // The library follows, signing hops to that host afresh and sending others bare.
        builder.outside_scope(OutsideScope::PassThrough)
    } else {
        builder.max_redirects(0)
    };
    if let Some(service) = &args.service {
        builder = builder.service(service);
    }
    if let Some(region) = &args.region {
        builder = builder.region(region);
    }
    if let Some(profile) = &args.profile {
        builder = builder.profile(profile);
    }
    if args.unsigned_payload {
        builder = builder.streaming_body(StreamingBody::UnsignedPayload);
    }
    if let Some(chunked) = args.aws_chunked() {
        builder = builder.streaming_body(StreamingBody::AwsChunked(chunked));
    }
    if args.sigv4a {
        let set = args.region_set.clone();
        builder = builder.sigv4a(set.unwrap_or_else(reqwest_aws_auth::RegionSet::all));
    }
    builder
}

fn usage(err: reqwest_aws_auth::Error) -> Failure {
    usage_ref(&err)
}

/// The library's errors name their cause and a fix in terms of its builder; the command
/// line's fix comes first.
fn usage_ref(err: &reqwest_aws_auth::Error) -> Failure {
    let message = match err.kind() {
        // The library's text adds only builder wording.
        ErrorKind::NoRegion => "no AWS region to sign for: pass --region REGION, or set \
                                AWS_REGION (AWS_DEFAULT_REGION and a profile's `region` are read \
                                too)"
            .to_owned(),
        ErrorKind::NoCredentials => format!(
            "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass \
             --profile NAME (or set AWS_PROFILE), or run `aws configure` or `aws sso login`\n\
             details: {err}"
        ),
        ErrorKind::StreamingBody => format!(
            "the body cannot be hashed before it is sent: pass it with -d @FILE, or pass \
             --aws-chunked (S3; for stdin or a pipe add -H 'x-amz-decoded-content-length: \
             BYTES') or --unsigned-payload where the service accepts it\ndetails: {err}"
        ),
        _ => err.to_string(),
    };
    (exit::USAGE, message)
}

async fn send(args: &Args, auth: AwsAuth, request: reqwest::Request) -> Result<u8, Failure> {
    let mut http = reqwest::Client::builder()
        .user_agent(concat!("aws-sigv4-curl/", env!("CARGO_PKG_VERSION")))
        // The library follows redirects itself (-L), re-signing or stripping each hop.
        .redirect(reqwest::redirect::Policy::none());
    if args.insecure {
        verbose::note(
            "aws-sigv4-curl: warning: --insecure: the server's TLS certificate is not verified, \
             so anyone on the network path can read and change the request and the answer\n",
        );
        http = http.danger_accept_invalid_certs(true);
    }
    let http = http
        .build()
        .map_err(|err| (exit::USAGE, format!("cannot build the HTTP client: {err}")))?;
    let client = reqwest_middleware::ClientBuilder::new(http)
        // A hop to another host is outside the scope: the library strips its `x-amz-*` headers.
        .with(auth)
        .build();
    if args.verbose {
        verbose::note(&format!("> {} {}\n", request.method(), request.url()));
    }
    let mut response = client.execute(request).await.map_err(|err| {
        if let Some(auth_error) = reqwest_aws_auth::Error::from_middleware(&err) {
            return usage_ref(auth_error);
        }
        transport_failure(&err)
    })?;

    let status = response.status();
    if args.verbose {
        let mut head = format!("< {:?} {status}\n", response.version());
        for (name, value) in response.headers() {
            head.push_str(&format!(
                "< {name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        verbose::note(&head);
    }
    let failed = status.as_u16() >= 400;
    if args.fail && failed {
        return Err((
            exit::HTTP_ERROR,
            format!("the requested URL returned error: {status}"),
        ));
    }
    let mut out = Output::open(args.output.as_deref())?;
    if args.include {
        let mut head = format!("{:?} {status}\r\n", response.version()).into_bytes();
        for (name, value) in response.headers() {
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        out.write(&head)?;
    }
    // Each chunk is written as it arrives, so Server-Sent Events show up as they are sent.
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => out.write(&chunk)?,
            Ok(None) => break,
            Err(err) => return Err(transport_failure(&reqwest_middleware::Error::Reqwest(err))),
        }
    }
    if args.fail_with_body && failed {
        return Err((
            exit::HTTP_ERROR,
            format!("the requested URL returned error: {status}"),
        ));
    }
    Ok(exit::OK)
}

fn transport_failure(err: &reqwest_middleware::Error) -> Failure {
    let code = match err {
        reqwest_middleware::Error::Reqwest(e) if e.is_connect() => exit::CONNECT,
        reqwest_middleware::Error::Reqwest(e) if e.is_timeout() => exit::TIMEOUT,
        _ => exit::TRANSFER,
    };
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    (code, message)
}
