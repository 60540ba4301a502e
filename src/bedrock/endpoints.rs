//! Where AWS's model APIs live (Bedrock's OpenAI-compatible and Anthropic paths, Claude
//! Platform on AWS), and which region a host of theirs belongs to.

use crate::error::{Error, ErrorKind};

/// The Mantle endpoint of `region`, without a base path: `https://bedrock-mantle.{region}.api.aws`.
///
/// Mantle also serves Anthropic's Messages API under `/anthropic/v1`. The region is not
/// validated here; Mantle is offered in a subset of the regions that have Bedrock.
pub fn mantle_endpoint(region: &str) -> String {
    format!("https://bedrock-mantle.{region}.api.aws")
}

/// Mantle's OpenAI-compatible base URL: `https://bedrock-mantle.{region}.api.aws/v1`.
///
/// Most models are served here: `{base}/responses` (Responses API, including background
/// inference and server-side tools), `{base}/chat/completions` and `{base}/models` (the list of
/// models this base serves). Some models are served under
/// [`mantle_openai_base_url`] instead; a model on the wrong base is refused with
/// ``model `<id>` isn't supported on this route``. Sign for `bedrock-mantle`
/// ([`AwsAuth::bedrock_mantle`](crate::AwsAuth::bedrock_mantle)).
///
/// ```
/// assert_eq!(
///     reqwest_aws_auth::bedrock::mantle_base_url("us-west-2"),
///     "https://bedrock-mantle.us-west-2.api.aws/v1"
/// );
/// ```
pub fn mantle_base_url(region: &str) -> String {
    format!("{}/v1", mantle_endpoint(region))
}

/// Mantle's second OpenAI-compatible base URL: `https://bedrock-mantle.{region}.api.aws/openai/v1`,
/// for the models that Mantle serves under this prefix rather than under
/// [`mantle_base_url`]. The model's page in the Bedrock user guide names its base URL.
pub fn mantle_openai_base_url(region: &str) -> String {
    format!("{}/openai/v1", mantle_endpoint(region))
}

/// bedrock-runtime's OpenAI-compatible base URL:
/// `https://bedrock-runtime.{region}.amazonaws.com/openai/v1` (`.amazonaws.com.cn` in the China
/// regions).
///
/// AWS recommends it for new applications: `{base}/responses` and `{base}/chat/completions`
/// for the models bedrock-runtime supports. Unlike Mantle, Responses requests here are always
/// synchronous (no background inference), server-side tools are not available and only the
/// default project is supported. The same host serves Bedrock's own Converse and InvokeModel
/// APIs. Sign for `bedrock` ([`AwsAuth::bedrock_runtime`](crate::AwsAuth::bedrock_runtime)).
///
/// ```
/// assert_eq!(
///     reqwest_aws_auth::bedrock::runtime_openai_base_url("eu-central-1"),
///     "https://bedrock-runtime.eu-central-1.amazonaws.com/openai/v1"
/// );
/// ```
pub fn runtime_openai_base_url(region: &str) -> String {
    format!("{}/openai/v1", runtime_endpoint(region))
}

/// bedrock-runtime's endpoint of `region`, in its partition's DNS suffix.
fn runtime_endpoint(region: &str) -> String {
    let suffix = crate::bedrock::host::runtime_suffixes(region).0;
    format!("https://bedrock-runtime.{region}.{suffix}")
}

/// bedrock-runtime's base URL for Anthropic's Messages API:
/// `https://bedrock-runtime.{region}.amazonaws.com/anthropic` (in the region's partition),
/// the base an Anthropic SDK appends `/v1/messages` to. Takes Bedrock's Claude model ids
/// (`anthropic.claude-…`, inference profiles such as `us.anthropic.claude-…`). Sign for
/// `bedrock` ([`AwsAuth::bedrock`](crate::AwsAuth::bedrock) or
/// [`AwsAuth::bedrock_runtime`](crate::AwsAuth::bedrock_runtime)).
///
/// ```
/// assert_eq!(
///     reqwest_aws_auth::bedrock::runtime_anthropic_base_url("us-east-1"),
///     "https://bedrock-runtime.us-east-1.amazonaws.com/anthropic"
/// );
/// ```
pub fn runtime_anthropic_base_url(region: &str) -> String {
    format!("{}/anthropic", runtime_endpoint(region))
}

/// Mantle's base URL for Anthropic's Messages API (and `count_tokens`):
/// `https://bedrock-mantle.{region}.api.aws/anthropic`, the base an Anthropic SDK appends
/// `/v1/messages` to (anthropic-sdk-python's `AnthropicBedrockMantle` uses it). Sign for
/// `bedrock-mantle` ([`AwsAuth::bedrock`](crate::AwsAuth::bedrock) or
/// [`AwsAuth::bedrock_mantle`](crate::AwsAuth::bedrock_mantle)).
///
/// ```
/// assert_eq!(
///     reqwest_aws_auth::bedrock::mantle_anthropic_base_url("us-west-2"),
///     "https://bedrock-mantle.us-west-2.api.aws/anthropic"
/// );
/// ```
pub fn mantle_anthropic_base_url(region: &str) -> String {
    format!("{}/anthropic", mantle_endpoint(region))
}

/// Claude Platform on AWS (Anthropic's own API, with AWS authentication and billing):
/// `https://aws-external-anthropic.{region}.api.aws`, the base an Anthropic SDK appends
/// `/v1/messages` to (anthropic-sdk-python's `AnthropicAWS` uses it). It takes Anthropic's
/// model ids (`claude-…`), and every request must carry `anthropic-workspace-id`. Sign for
/// `aws-external-anthropic` with [`AwsAuth::claude_platform`](crate::AwsAuth::claude_platform),
/// which sets that header.
///
/// ```
/// assert_eq!(
///     reqwest_aws_auth::bedrock::claude_platform_base_url("us-east-1"),
///     "https://aws-external-anthropic.us-east-1.api.aws"
/// );
/// ```
pub fn claude_platform_base_url(region: &str) -> String {
    format!("https://aws-external-anthropic.{region}.api.aws")
}

/// The region of a host of AWS's model APIs (runtime, Mantle, Claude Platform), or `None` for
/// any other host: the crate's one host grammar, which the scope uses too.
pub(crate) fn endpoint_region(host: &str) -> Option<&str> {
    crate::bedrock::host::parse(host).map(|h| h.region)
}

/// Who decided the region a request is authorised for, for the mismatch message.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RegionOrigin {
    /// The SigV4 signing region.
    Signing,
    /// The region configured for a bearer-token setup.
    Configured,
    /// The region inside a short-term Bedrock API key.
    Token,
}

/// Fails with [`ErrorKind::RegionMismatch`] when `url` is a bedrock-runtime, Mantle or Claude
/// Platform endpoint of another region than `region`.
pub(crate) fn check_endpoint_region(
    url: &url::Url,
    region: &str,
    origin: RegionOrigin,
) -> Result<(), Error> {
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    let Some(host_region) = endpoint_region(host) else {
        return Ok(());
    };
    if host_region.eq_ignore_ascii_case(region) {
        return Ok(());
    }
    let what = match origin {
        RegionOrigin::Signing => format!("is signed for region `{region}`"),
        RegionOrigin::Configured => format!("is configured for region `{region}`"),
        RegionOrigin::Token => format!(
            "carries a Bedrock API key issued in region `{region}`, and a key only works in the \
             region that issued it"
        ),
    };
    Err(Error::new(
        ErrorKind::RegionMismatch,
        format!(
            "the request goes to `{host}` (region `{host_region}`) but {what}: send it to the \
             `{region}` endpoint, or configure region `{host_region}` (and a key issued there)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bedrock_hosts_name_their_region() {
        let cases = [
            ("bedrock-mantle.us-west-2.api.aws", Some("us-west-2")),
            ("bedrock-mantle.eu-central-1.api.aws.", Some("eu-central-1")),
            ("bedrock-runtime.us-east-1.amazonaws.com", Some("us-east-1")),
            (
                "bedrock-runtime-fips.us-east-1.amazonaws.com",
                Some("us-east-1"),
            ),
            (
                "bedrock-runtime.cn-north-1.amazonaws.com.cn",
                Some("cn-north-1"),
            ),
            (
                "aws-external-anthropic.eu-west-1.api.aws",
                Some("eu-west-1"),
            ),
            ("bedrock.us-east-1.amazonaws.com", None),
            ("bedrock-mantle.us-west-2.example.com", None),
            ("bedrock-mantle.api.aws", None),
            ("example.com", None),
            ("localhost", None),
        ];
        for (host, region) in cases {
            assert_eq!(endpoint_region(host), region, "{host}");
        }
    }

    #[test]
    fn endpoint_helpers_round_trip_to_their_region() {
        for base in [
            mantle_base_url("ap-northeast-1"),
            mantle_openai_base_url("ap-northeast-1"),
            runtime_openai_base_url("ap-northeast-1"),
            runtime_anthropic_base_url("ap-northeast-1"),
            mantle_anthropic_base_url("ap-northeast-1"),
            claude_platform_base_url("ap-northeast-1"),
        ] {
            let url = url::Url::parse(&base).unwrap();
            assert_eq!(
                endpoint_region(url.host_str().unwrap()),
                Some("ap-northeast-1")
            );
        }
        assert_eq!(
            mantle_openai_base_url("us-east-1"),
            "https://bedrock-mantle.us-east-1.api.aws/openai/v1"
        );
        assert_eq!(
            runtime_openai_base_url("cn-north-1"),
            "https://bedrock-runtime.cn-north-1.amazonaws.com.cn/openai/v1"
        );
        // Every partition's runtime URL is a host the grammar reads back to its region.
        for region in [
            "eusc-de-east-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
            "us-isof-south-1",
            "us-gov-west-1",
        ] {
            for base in [
                runtime_openai_base_url(region),
                runtime_anthropic_base_url(region),
            ] {
                let url = url::Url::parse(&base).unwrap();
                assert_eq!(
                    endpoint_region(url.host_str().unwrap()),
                    Some(region),
                    "{base}"
                );
            }
        }
    }
}
