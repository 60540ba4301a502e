//! `aws-sigv4-curl`: curl for AWS APIs, signing with the reqwest-aws-auth library itself, so
//! that it signs exactly what the library signs. `aws-sigv4-curl --help` lists the flags.

mod args;
mod body;
mod verbose;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use reqwest::Method;
use reqwest_aws_auth::{AwsAuth, AwsAuthBuilder, ErrorKind, StreamingBody};

use crate::args::{Args, exit};

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
    match runtime.block_on(run(args)) {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => fail(code, &message),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("aws-sigv4-curl: {message}");
    ExitCode::from(code)
}

type Failure = (u8, String);

async fn run(args: Args) -> Result<u8, Failure> {
    let url = reqwest::Url::parse(&args.url)
        .map_err(|err| (exit::USAGE, format!("`{}` is not a URL: {err}", args.url)))?;
    let auth = auth(&args, &url).build().map_err(usage)?;
    let method = match &args.method {
        Some(method) => Method::from_bytes(method.as_bytes())
            .map_err(|_| (exit::USAGE, format!("`{method}` is not an HTTP method")))?,
        None if args.data.is_some() => Method::POST,
        None => Method::GET,
    };
    let mut request = reqwest::Request::new(method, url);
    for (name, value) in &args.headers {
        request.headers_mut().append(name.clone(), value.clone());
    }
    if let Some(data) = &args.data {
        *request.body_mut() = Some(body::load(data, args.unsigned_payload).await?);
    }

    if let Some(seconds) = args.presign {
        let url = auth
            .presign(&request, Duration::from_secs(seconds))
            .await
            .map_err(usage)?;
        println!("{url}");
        return Ok(exit::OK);
    }
    send(&args, auth, request).await
}

fn auth(args: &Args, url: &reqwest::Url) -> AwsAuthBuilder {
    let mut builder = if args.bedrock {
        AwsAuth::bedrock_mantle()
    } else {
        AwsAuth::builder()
    };
    // The one URL typed on the command line is where the user means credentials to go; like
    // curl without -L, a redirect is printed, not followed.
    if let Some(host) = url.host_str() {
        builder = builder.allow_host(host);
    }
    builder = builder.max_redirects(0);
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
    builder
}

/// The library's errors name their cause and fix; all of them are the user's to correct.
fn usage(err: reqwest_aws_auth::Error) -> Failure {
    usage_ref(&err)
}

fn usage_ref(err: &reqwest_aws_auth::Error) -> Failure {
    // The library's fixes name builder methods; say which flag does the same here.
    let hint = match err.kind() {
        ErrorKind::NoRegion => " (here: pass --region)",
        ErrorKind::NoCredentials => " (here: AWS_PROFILE or --profile select a profile)",
        _ => "",
    };
    (exit::USAGE, format!("{err}{hint}"))
}

async fn send(args: &Args, auth: AwsAuth, request: reqwest::Request) -> Result<u8, Failure> {
    let mut client = reqwest::Client::builder();
    if let Some(seconds) = args.max_time {
        let max_time = Duration::try_from_secs_f64(seconds).map_err(|_| {
            (
                exit::USAGE,
                format!("--max-time {seconds} is not a duration"),
            )
        })?;
        client = client.timeout(max_time);
    }
    let client = client
        .user_agent(concat!("aws-sigv4-curl/", env!("CARGO_PKG_VERSION")))
        // As curl without -L: a signed request must not be replayed to another URL.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| (exit::USAGE, format!("cannot build the HTTP client: {err}")))?;
    let client = reqwest_middleware::ClientBuilder::new(client)
        .with(auth)
        .build();
    if args.verbose {
        eprintln!("> {} {}", request.method(), request.url());
    }
    let mut response = client.execute(request).await.map_err(|err| {
        if let Some(auth_error) = reqwest_aws_auth::Error::from_middleware(&err) {
            return usage_ref(auth_error);
        }
        transport_failure(&err)
    })?;

    let status = response.status();
    if args.verbose {
        eprintln!("< {:?} {status}", response.version());
        for (name, value) in response.headers() {
            eprintln!("< {name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
    }
    if args.fail && status.as_u16() >= 400 {
        return Err((
            exit::HTTP_ERROR,
            format!("the requested URL returned error: {status}"),
        ));
    }
    let mut stdout = std::io::stdout().lock();
    let written = (|| {
        if args.include {
            write!(stdout, "{:?} {status}\r\n", response.version())?;
            for (name, value) in response.headers() {
                stdout.write_all(name.as_str().as_bytes())?;
                stdout.write_all(b": ")?;
                stdout.write_all(value.as_bytes())?;
                stdout.write_all(b"\r\n")?;
            }
            stdout.write_all(b"\r\n")?;
            stdout.flush()?;
        }
        Ok::<_, std::io::Error>(())
    })();
    written.map_err(write_failure)?;
    drop(stdout);
    // Each chunk is written as it arrives, so Server-Sent Events show up as they are sent.
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let mut stdout = std::io::stdout().lock();
                stdout
                    .write_all(&chunk)
                    .and_then(|()| stdout.flush())
                    .map_err(write_failure)?;
            }
            Ok(None) => break,
            Err(err) => return Err(transport_failure(&reqwest_middleware::Error::Reqwest(err))),
        }
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

fn write_failure(err: std::io::Error) -> Failure {
    (exit::TRANSFER, format!("cannot write the response: {err}"))
}
