//! `cargo run --example rig` (from `examples/openai-clients`): rig's OpenAI provider (the
//! Responses API, plain and streamed, and Chat Completions) sent through reqwest-aws-auth to the
//! offline mock Bedrock Mantle endpoint, once signed with SigV4 and once with a Bedrock API key.
//! The mock verifies every request and answers with OpenAI-shaped bodies.

#[path = "../../support/mock_mantle.rs"]
mod mock_mantle;

use futures::StreamExt;
use mock_mantle::{API_KEY, REGION, demo_credentials};
use reqwest_aws_auth::AwsAuth;
use rig_core::providers::openai::OpenAIConfig;
use rig_core::providers::openai::wire::Auth;
use rig_core::streaming::{Item, StreamEvent};
use rig_reqwest::ReqwestMiddlewareClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = mock_mantle::start().await?;
    println!("Mock Bedrock Mantle at {base}\n");
    let runs = [
        (
            "SigV4",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .credentials(demo_credentials()),
        ),
        (
            "an API key",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .bearer_token(API_KEY),
        ),
    ];
    for (how, builder) in runs {
        println!("[{how}]");
        // The recipe: our middleware client as rig's transport, and no key of rig's own (an
        // empty key with `OptionalBearer` sends no `Authorization`, so the signer owns it).
        let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(builder.build()?)
            .build();
        let openai = OpenAIConfig::new("")
            .with_auth(Auth::OptionalBearer)
            .with_base_url(&base)
            .connect(ReqwestMiddlewareClient::from(http));
        let expected = format!("Hello from the mock Mantle endpoint, reached with {how}.");

        let responses = openai.responses("openai.gpt-oss-120b");
        let reply = responses.call("Say hello").await?;
        println!(
            "    Responses:          {} ({} tokens)",
            reply.text(),
            reply.usage.total_tokens.ok_or("no usage")?
        );
        check(&reply.text(), &expected)?;

        let mut stream = responses.stream("Say hello")?;
        let mut streamed = String::new();
        while let Some(item) = stream.next().await {
            if let Item::Event(StreamEvent::Text { text, .. }) = item? {
                streamed.push_str(&text);
            }
        }
        println!("    streamed Responses: {streamed}");
        check(&streamed, &expected)?;
        check(&stream.partial().text(), &expected)?;

        let chat = openai.chat("openai.gpt-oss-120b");
        let reply = chat.call("Say hello").await?;
        println!("    Chat Completions:   {}", reply.text());
        check(&reply.text(), &expected)?;

        let mut stream = chat.stream("Say hello")?;
        let mut streamed = String::new();
        while let Some(item) = stream.next().await {
            if let Item::Event(StreamEvent::Text { text, .. }) = item? {
                streamed.push_str(&text);
            }
        }
        println!("    streamed Chat:      {streamed}\n");
        check(&streamed, &expected)?;
    }
    Ok(())
}

fn check(got: &str, expected: &str) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {got:?}"))
    }
}
