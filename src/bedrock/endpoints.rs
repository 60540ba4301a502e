//! Where Bedrock's OpenAI-compatible APIs live, and which region a Bedrock host belongs to.

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
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://bedrock-runtime.{region}.{suffix}/openai/v1")
}

/// The region of a Mantle or bedrock-runtime host, or `None` for any other host: the crate's
/// one Bedrock host grammar, which the scope uses too.
pub(crate) fn endpoint_region(host: &str) -> Option<&str> {
    crate::bedrock::host::bedrock_region(host)
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

/// Fails with [`ErrorKind::RegionMismatch`] when `url` is a Mantle or bedrock-runtime endpoint of
/// another region than `region`.
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
    }
}
