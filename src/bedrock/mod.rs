//! AWS's model APIs: Amazon Bedrock's OpenAI-compatible and Anthropic endpoints, Claude
//! Platform on AWS, the one grammar of their hosts ([`parse_host`]), Bedrock API keys (bearer
//! tokens), and short-term keys minted from AWS credentials.
//!
//! Two ways to authenticate, both through [`AwsAuth`](crate::AwsAuth):
//!
//! - **AWS credentials (SigV4)**: [`AwsAuth::bedrock`](crate::AwsAuth::bedrock) (signing name
//!   by host), [`AwsAuth::bedrock_mantle`](crate::AwsAuth::bedrock_mantle)
//!   (`bedrock-mantle`), [`AwsAuth::bedrock_runtime`](crate::AwsAuth::bedrock_runtime)
//!   (`bedrock`) or [`AwsAuth::claude_platform`](crate::AwsAuth::claude_platform)
//!   (`aws-external-anthropic`), with the credentials the AWS SDK would find.
//! - **An API key** sent as `Authorization: Bearer …`: from
//!   [`bearer_token`](crate::AwsAuthBuilder::bearer_token), a
//!   [`ProvideBearerToken`] (such as [`ShortTermKeyProvider`], which mints short-term Bedrock
//!   keys from AWS credentials), or the environment: `AWS_BEARER_TOKEN_BEDROCK` for the
//!   Bedrock presets, `ANTHROPIC_AWS_API_KEY` for Claude Platform.
//!
//! Where the APIs live:
//!
//! | Endpoint | Base URL | Serves |
//! | --- | --- | --- |
//! | bedrock-runtime (AWS's recommendation for new apps) | [`runtime_openai_base_url`]: `https://bedrock-runtime.{region}.amazonaws.com/openai/v1` | Responses (synchronous only, no server-side tools, default project only) and Chat Completions for the models bedrock-runtime supports |
//! | bedrock-runtime | [`runtime_anthropic_base_url`]: `https://bedrock-runtime.{region}.amazonaws.com/anthropic` | Anthropic's Messages API (`/v1/messages`) for Bedrock's Claude model ids |
//! | bedrock-mantle | [`mantle_base_url`]: `https://bedrock-mantle.{region}.api.aws/v1` | Responses (including background inference and server-side tools, and the GPT OSS models), Chat Completions, Models for most Mantle models |
//! | bedrock-mantle | [`mantle_openai_base_url`]: `https://bedrock-mantle.{region}.api.aws/openai/v1` | the same APIs for the models Mantle serves under this prefix; the wrong prefix answers ``model `<id>` isn't supported on this route`` |
//! | bedrock-mantle | [`mantle_anthropic_base_url`]: `https://bedrock-mantle.{region}.api.aws/anthropic` | Anthropic's Messages API (`/v1/messages`, `count_tokens`) |
//! | Claude Platform on AWS | [`claude_platform_base_url`]: `https://aws-external-anthropic.{region}.api.aws` | Anthropic's API (`/v1/messages`, ...) for Anthropic's model ids, in a workspace |
//!
//! Mantle is offered in a subset of the regions that have Bedrock. A request to a host of
//! another region than the one it is signed or keyed for fails before it is sent, with
//! [`ErrorKind::RegionMismatch`](crate::ErrorKind::RegionMismatch).

pub(crate) mod endpoints;
pub(crate) mod host;
mod mint;
pub(crate) mod provider;
pub(crate) mod token;

pub(crate) use endpoints::{RegionOrigin, check_endpoint_region};
pub use endpoints::{
    claude_platform_base_url, mantle_anthropic_base_url, mantle_base_url, mantle_endpoint,
    mantle_openai_base_url, runtime_anthropic_base_url, runtime_openai_base_url,
};
pub use host::{BedrockHost, Endpoint, parse_host};
pub use mint::{
    MAX_SHORT_TERM_KEY_LIFETIME, ShortTermKeyProvider, ShortTermKeyProviderBuilder,
    mint_short_term_key,
};
pub(crate) use provider::SharedBearerTokenProvider;
pub use provider::{ProvideBearerToken, ProviderError};
pub use token::{BearerToken, SHORT_TERM_KEY_PREFIX, ShortTermKeyInfo, parse_short_term_key};

/// The environment variable AWS's SDKs and tools read a Bedrock API key from. The Bedrock
/// presets read it once, when the middleware is built (see
/// [`AwsAuthBuilder`](crate::AwsAuthBuilder#how-a-request-is-authenticated)).
pub const BEARER_TOKEN_ENV: &str = "AWS_BEARER_TOKEN_BEDROCK";

/// SigV4 signing name of Bedrock Mantle.
pub const MANTLE_SIGNING_NAME: &str = "bedrock-mantle";

/// SigV4 signing name of bedrock-runtime (and of the rest of Bedrock).
pub const RUNTIME_SIGNING_NAME: &str = "bedrock";
