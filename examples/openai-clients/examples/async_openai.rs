//! `cargo run --example async_openai` (from `examples/openai-clients`): async-openai's own typed
//! Responses API (plain and streamed) and Chat Completions API, sent through reqwest-aws-auth to
//! the offline mock Bedrock Mantle endpoint, once signed with SigV4 and once with a Bedrock API
//! key. The mock verifies every request and answers with OpenAI-shaped bodies.

#[path = "../../support/mock_mantle.rs"]
mod mock_mantle;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use async_openai::middleware::retry::OpenAIRetryLayer;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
};
use async_openai::types::responses::{CreateResponseArgs, ResponseStreamEvent};
use futures::StreamExt;
use mock_mantle::{API_KEY, REGION, demo_credentials};
use reqwest_aws_auth::AwsAuth;

/// The recipe: async-openai builds each request (its retry layer rebuilds it per attempt), and
/// our middleware client signs and sends it.
fn openai_client(auth: AwsAuth, base_url: &str) -> Client<OpenAIConfig> {
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    let send = tower::service_fn(move |factory: HttpRequestFactory| {
        let http = http.clone();
        async move {
            let request = factory.build().await?;
            http.execute(request).await.map_err(|err| match err {
                reqwest_middleware::Error::Reqwest(err) => OpenAIError::Reqwest(err), // retried
                err => OpenAIError::Boxed(err.into()), // the crate's error: Error::find(&*boxed)
            })
        }
    });
    let service = tower::ServiceBuilder::new()
        .layer(OpenAIRetryLayer::default()) // async-openai's retries, above the signer
        .service(send);
    // async-openai always sends `Authorization: Bearer <api key>`; a placeholder here (or a
    // real OPENAI_API_KEY) is replaced by the signer (`.replace_authorization(true)`).
    let config = OpenAIConfig::new()
        .with_api_base(base_url)
        .with_api_key("placeholder-never-sent");
    Client::with_config(config).with_http_service(service)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = mock_mantle::start().await?;
    println!("Mock Bedrock Mantle at {base}\n");
    let runs = [
        (
            "SigV4",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .credentials(demo_credentials())
                .replace_authorization(true),
        ),
        (
            "an API key",
            AwsAuth::bedrock_mantle()
                .region(REGION)
                .bearer_token(API_KEY)
                .replace_authorization(true),
        ),
    ];
    for (how, builder) in runs {
        println!("[{how}]");
        let client = openai_client(builder.build()?, &base);
        let expected = format!("Hello from the mock Mantle endpoint, reached with {how}.");

        let request = CreateResponseArgs::default()
            .model("openai.gpt-oss-120b")
            .input("Say hello")
            .build()?;
        let response = client.responses().create(request.clone()).await?;
        let text = response.output_text().unwrap_or_default();
        let usage = response.usage.as_ref().ok_or("no usage")?;
        println!(
            "    Responses:          {text} ({} tokens)",
            usage.total_tokens
        );
        check(&text, &expected)?;

        let mut stream = client.responses().create_stream(request).await?;
        let (mut streamed, mut completed) = (String::new(), None);
        while let Some(event) = stream.next().await {
            match event? {
                ResponseStreamEvent::ResponseOutputTextDelta(delta) => {
                    streamed.push_str(&delta.delta)
                }
                ResponseStreamEvent::ResponseCompleted(done) => completed = Some(done.response),
                _ => {}
            }
        }
        let completed = completed.ok_or("the stream ended without response.completed")?;
        println!(
            "    streamed Responses: {streamed} (completed: {:?})",
            completed.status
        );
        check(&streamed, &expected)?;
        check(&completed.output_text().unwrap_or_default(), &expected)?;

        let chat = CreateChatCompletionRequestArgs::default()
            .model("openai.gpt-oss-120b")
            .messages([ChatCompletionRequestUserMessageArgs::default()
                .content("Say hello")
                .build()?
                .into()])
            .build()?;
        let answer = client.chat().create(chat).await?;
        let text = answer.choices[0]
            .message
            .content
            .clone()
            .unwrap_or_default();
        println!("    Chat Completions:   {text}\n");
        check(&text, &expected)?;
    }

    // async-openai's retry layer sits above the signer: a 503 is retried, and the new attempt
    // is rebuilt and signed again (the mock verifies both).
    let client = openai_client(
        AwsAuth::bedrock_mantle()
            .region(REGION)
            .credentials(demo_credentials())
            .replace_authorization(true)
            .build()?,
        &base,
    );
    let request = CreateResponseArgs::default()
        .model("openai.gpt-oss-120b")
        .input("Say hello")
        .build()?;
    let before = mock_mantle::verified_requests();
    mock_mantle::fail_next(1);
    let response = client.responses().create(request).await?;
    let attempts = mock_mantle::verified_requests() - before;
    check(
        &response.output_text().unwrap_or_default(),
        "Hello from the mock Mantle endpoint, reached with SigV4.",
    )?;
    if attempts != 2 {
        return Err(
            format!("expected a 503 and one retry, the mock saw {attempts} requests").into(),
        );
    }
    println!("[retry] a 503, then async-openai's retry: {attempts} signed requests, both verified");

    // Without `.replace_authorization(true)` the preset refuses async-openai's own bearer
    // header, unsent; the crate's error is found inside async-openai's.
    let strict = AwsAuth::bedrock_mantle()
        .region(REGION)
        .credentials(demo_credentials())
        .build()?;
    let request = CreateResponseArgs::default()
        .model("openai.gpt-oss-120b")
        .input("Say hello")
        .build()?;
    let err = openai_client(strict, &base)
        .responses()
        .create(request)
        .await
        .err()
        .ok_or("async-openai's bearer header went out")?;
    // async-openai's `Boxed` is transparent: look inside it, not at it.
    let ours = match &err {
        OpenAIError::Boxed(inner) => reqwest_aws_auth::Error::find(inner.as_ref()),
        _ => None,
    }
    .ok_or("the crate's error is not in OpenAIError::Boxed")?;
    if ours.kind() != reqwest_aws_auth::ErrorKind::AuthorizationPresent {
        return Err(format!("expected AuthorizationPresent, got {ours}").into());
    }
    println!("[without .replace_authorization(true)] refused, unsent: {ours}");
    Ok(())
}

fn check(got: &str, expected: &str) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {got:?}"))
    }
}
