//! Amazon Bedrock: endpoints of its OpenAI-compatible APIs, Bedrock API keys (bearer tokens),
//! and short-term keys minted from AWS credentials.
//!
//! Two ways to authenticate, both through [`AwsAuth`](crate::AwsAuth):
//!
//! - **AWS credentials (SigV4)**: [`AwsAuth::bedrock_mantle`](crate::AwsAuth::bedrock_mantle)
//!   (signing name `bedrock-mantle`) or [`AwsAuth::bedrock_runtime`](crate::AwsAuth::bedrock_runtime)
//!   (signing name `bedrock`), with the credentials the AWS SDK would find.
//! - **A Bedrock API key** sent as `Authorization: Bearer …`: from
//!   [`bearer_token`](crate::AwsAuthBuilder::bearer_token), a
//!   [`ProvideBearerToken`] (such as [`ShortTermKeyProvider`], which mints short-term keys from
//!   AWS credentials), or the `AWS_BEARER_TOKEN_BEDROCK` environment variable.
//!
//! Where the OpenAI-compatible APIs live:
//!
//! | Endpoint | Base URL | Serves |
//! | --- | --- | --- |
//! | bedrock-runtime (AWS's recommendation for new apps) | [`runtime_openai_base_url`]: `https://bedrock-runtime.{region}.amazonaws.com/openai/v1` | Responses (synchronous only, no server-side tools, default project only) and Chat Completions for the models bedrock-runtime supports |
//! | bedrock-mantle | [`mantle_base_url`]: `https://bedrock-mantle.{region}.api.aws/v1` | Responses (including background inference and server-side tools, and the GPT OSS models), Chat Completions, Models for most Mantle models |
//! | bedrock-mantle | [`mantle_openai_base_url`]: `https://bedrock-mantle.{region}.api.aws/openai/v1` | the same APIs for the models Mantle serves under this prefix; the wrong prefix answers ``model `<id>` isn't supported on this route`` |
//!
//! Mantle is offered in a subset of the regions that have Bedrock. A request to a Mantle or
//! bedrock-runtime host of another region than the one it is signed or keyed for fails before
//! it is sent, with [`ErrorKind::RegionMismatch`](crate::ErrorKind::RegionMismatch).

pub(crate) mod endpoints;
pub(crate) mod host;
mod mint;
pub(crate) mod provider;
pub(crate) mod token;

pub(crate) use endpoints::{RegionOrigin, check_endpoint_region};
pub use endpoints::{
    mantle_base_url, mantle_endpoint, mantle_openai_base_url, runtime_openai_base_url,
};
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
