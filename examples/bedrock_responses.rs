//! A real streaming call to Amazon Bedrock Mantle's Responses API, with your own credentials.
//!
//! ```text
//! cargo run --example bedrock_responses -- [--region us-west-2] [--model openai.gpt-oss-120b] [prompt...]
//! ```
//!
//! Region: `--region`, else `AWS_REGION`/`AWS_DEFAULT_REGION`. Model: `--model`, else
//! `BEDROCK_MODEL`, else `openai.gpt-oss-120b`. Authentication follows the crate's rule: a
//! Bedrock API key in `AWS_BEARER_TOKEN_BEDROCK` if set, else SigV4 with the AWS SDK's
//! credential chain (environment, `~/.aws` profiles and SSO, instance roles, ...).

use std::io::Write as _;
use std::process::ExitCode;

use reqwest_aws_auth::{AwsAuth, Error, ErrorKind, bedrock};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nerror: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut region = None;
    let mut model = std::env::var("BEDROCK_MODEL").ok();
    let mut prompt = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--region" => region = args.next(),
            "--model" => model = args.next(),
            _ => prompt.push(arg),
        }
    }
    let region = region
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.trim().is_empty())
        .ok_or("no region: pass `--region us-west-2` or set AWS_REGION")?;
    let model = model.unwrap_or_else(|| "openai.gpt-oss-120b".to_owned());
    let prompt = if prompt.is_empty() {
        "In one sentence, what is Amazon Bedrock?".to_owned()
    } else {
        prompt.join(" ")
    };

    let auth = AwsAuth::bedrock_mantle()
        .region(&region)
        .build()
        .map_err(|e| e.to_string())?;
    eprintln!("{model} in {region} via {auth:?}");
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    let body = serde_json::json!({ "model": model, "input": prompt, "stream": true });
    let response = client
        .post(format!("{}/responses", bedrock::mantle_base_url(&region)))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|err| match Error::from_middleware(&err) {
            Some(auth) => explain(auth),
            None => format!("the request failed: {err}"),
        })?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        return Err(format!("Bedrock answered {status}: {text}"));
    }

    let mut response = response;
    let mut pending = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = pending.drain(..end + 2).collect();
            for line in String::from_utf8_lossy(&event).lines() {
                let Some(data) = line.strip_prefix("data: ") else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<serde_json::Value>(data) else {
                    continue;
                };
                match value["type"].as_str() {
                    Some("response.output_text.delta") => {
                        print!("{}", value["delta"].as_str().unwrap_or_default());
                        let _ = std::io::stdout().flush();
                    }
                    Some("error" | "response.failed") => {
                        return Err(format!("the stream reported an error: {data}"));
                    }
                    _ => {}
                }
            }
        }
    }
    println!();
    Ok(())
}

/// The crate's message says what to fix; add the Bedrock-specific alternatives.
fn explain(err: &Error) -> String {
    match err.kind() {
        ErrorKind::NoCredentials => format!(
            "{err}\n\nOr use a Bedrock API key instead: export AWS_BEARER_TOKEN_BEDROCK=<key> \
             (create one in the Bedrock console under API keys)."
        ),
        ErrorKind::RegionMismatch | ErrorKind::InvalidToken => format!(
            "{err}\n\nA Bedrock API key only works in the region it was created in: pass that \
             region with --region."
        ),
        _ => err.to_string(),
    }
}
