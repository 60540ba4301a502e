//! The one grammar of the hosts of AWS's model APIs. The scope (which hosts a preset may reach),
//! the region check (which region a host belongs to) and [`AwsAuth::bedrock`](crate::AwsAuth::bedrock)
//! (which signing name a host takes) all read hosts through it, so they can never disagree. It
//! sits below all of them and imports nothing of the crate's.
//!
//! On bedrock-runtime and Mantle hosts it agrees with openai-python's Bedrock provider (a
//! generated fixture, `tests/fixtures/bedrock_hosts/hosts.json`, holds the proof), except that
//! it also knows Mantle's FIPS host, `bedrock-mantle-fips.{region}.api.aws`, which
//! openai-python refuses: the crate has accepted it since its first Bedrock preset, and a
//! FIPS user who follows AWS's endpoint list would otherwise be locked out.

/// Which of AWS's model APIs a host serves; see [`parse_host`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// bedrock-runtime, signed as `bedrock`: Bedrock's own APIs, `/openai/v1` and
    /// `/anthropic/v1/messages`.
    Runtime,
    /// Bedrock Mantle, signed as `bedrock-mantle`: `/v1`, `/openai/v1` and
    /// `/anthropic/v1/messages`.
    Mantle,
    /// Claude Platform on AWS (Anthropic's API with AWS authentication and billing), signed as
    /// `aws-external-anthropic`.
    ClaudePlatform,
}

/// A host of one of AWS's model APIs, as [`parse_host`] read it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BedrockHost {
    endpoint: Endpoint,
    region: String,
    fips: bool,
    dual_stack: bool,
}

impl BedrockHost {
    /// Which API the host serves.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }

    /// The region the host belongs to, in lower case (`us-east-1`).
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether this is a FIPS endpoint (`bedrock-runtime-fips`, `bedrock-mantle-fips`).
    pub fn is_fips(&self) -> bool {
        self.fips
    }

    /// Whether this is the dual-stack (IPv4 and IPv6) name of a bedrock-runtime endpoint, in its
    /// partition's dual-stack domain (`api.aws` in the commercial partition). Mantle and Claude
    /// Platform have one name each, and answer `false`.
    pub fn is_dual_stack(&self) -> bool {
        self.dual_stack
    }

    /// The SigV4 signing name this host takes: `bedrock`, `bedrock-mantle` or
    /// `aws-external-anthropic`.
    pub fn signing_name(&self) -> &'static str {
        signing_name(self.endpoint)
    }
}

/// Reads `host` (a URL's host, without port) as a host of AWS's model APIs, or `None`:
///
/// | Endpoint | Host |
/// | --- | --- |
/// | [`Runtime`](Endpoint::Runtime) | `bedrock-runtime[-fips].{region}.{suffix}`, where `suffix` is the DNS suffix of the region's partition or its dual-stack suffix: `amazonaws.com` / `api.aws`, `amazonaws.com.cn` / `api.amazonwebservices.com.cn` (`cn-`), `amazonaws.eu` / `api.amazonwebservices.eu` (`eusc-`), `c2s.ic.gov` / `api.aws.ic.gov` (`us-iso-`), `sc2s.sgov.gov` / `api.aws.scloud` (`us-isob-`), `cloud.adc-e.uk` / `api.cloud-aws.adc-e.uk` (`eu-isoe-`), `csp.hci.ic.gov` / `api.aws.hci.ic.gov` (`us-isof-`) |
/// | [`Mantle`](Endpoint::Mantle) | `bedrock-mantle[-fips].{region}.api.aws` |
/// | [`ClaudePlatform`](Endpoint::ClaudePlatform) | `aws-external-anthropic.{region}.api.aws` |
///
/// The region must look like one (`us-east-1`: 2 to 8 letters, one or more `-` and letters or
/// digits, then `-` and digits). Case and one trailing dot are ignored; any other host,
/// another partition's suffix for a runtime region included, is `None`.
///
/// ```
/// use reqwest_aws_auth::bedrock::{Endpoint, parse_host};
///
/// let host = parse_host("bedrock-runtime-fips.us-gov-west-1.api.aws").unwrap();
/// assert_eq!(host.endpoint(), Endpoint::Runtime);
/// assert_eq!(host.region(), "us-gov-west-1");
/// assert!(host.is_fips() && host.is_dual_stack());
/// assert_eq!(host.signing_name(), "bedrock");
///
/// assert_eq!(parse_host("bedrock-runtime.cn-north-1.amazonaws.com"), None);
/// assert_eq!(parse_host("bedrock-mantle.us-west-2.api.aws.example.com"), None);
/// ```
pub fn parse_host(host: &str) -> Option<BedrockHost> {
    let parsed = parse(host)?;
    Some(BedrockHost {
        endpoint: parsed.endpoint,
        region: parsed.region.to_ascii_lowercase(),
        fips: parsed.fips,
        dual_stack: parsed.dual_stack,
    })
}

/// The SigV4 signing name of an endpoint.
pub(crate) fn signing_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Runtime => "bedrock",
        Endpoint::Mantle => "bedrock-mantle",
        Endpoint::ClaudePlatform => "aws-external-anthropic",
    }
}

/// [`parse_host`] without the allocation, for the per-request paths: the region is borrowed
/// from the host as written (compare it ignoring ASCII case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParsedHost<'a> {
    pub(crate) endpoint: Endpoint,
    pub(crate) region: &'a str,
    pub(crate) fips: bool,
    pub(crate) dual_stack: bool,
}

pub(crate) fn parse(host: &str) -> Option<ParsedHost<'_>> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let (service, rest) = host.split_once('.')?;
    let (region, suffix) = rest.split_once('.')?;
    if !is_region(region) {
        return None;
    }
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let (endpoint, fips, dual_stack) =
        if is(service, "bedrock-runtime") || is(service, "bedrock-runtime-fips") {
            let (dns, dual) = runtime_suffixes(region);
            let dual_stack = if is(suffix, dns) {
                false
            } else if is(suffix, dual) {
                true
            } else {
                return None;
            };
            (
                Endpoint::Runtime,
                service.len() > "bedrock-runtime".len(),
                dual_stack,
            )
        } else if is(service, "bedrock-mantle") || is(service, "bedrock-mantle-fips") {
            if !is(suffix, "api.aws") {
                return None;
            }
            (
                Endpoint::Mantle,
                service.len() > "bedrock-mantle".len(),
                false,
            )
        } else if is(service, "aws-external-anthropic") && is(suffix, "api.aws") {
            (Endpoint::ClaudePlatform, false, false)
        } else {
            return None;
        };
    Some(ParsedHost {
        endpoint,
        region,
        fips,
        dual_stack,
    })
}

/// The DNS suffix of a runtime region's partition and its dual-stack suffix, by the region's
/// prefix, as AWS's partition table (and openai-python) has them.
pub(crate) fn runtime_suffixes(region: &str) -> (&'static str, &'static str) {
    const PARTITIONS: [(&str, &str, &str); 6] = [
        ("cn-", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
        ("eusc-", "amazonaws.eu", "api.amazonwebservices.eu"),
        ("us-iso-", "c2s.ic.gov", "api.aws.ic.gov"),
        ("us-isob-", "sc2s.sgov.gov", "api.aws.scloud"),
        ("eu-isoe-", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
        ("us-isof-", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    ];
    for (prefix, dns, dual) in PARTITIONS {
        if region
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        {
            return (dns, dual);
        }
    }
    ("amazonaws.com", "api.aws")
}

/// `^[a-z]{2,8}(-[a-z0-9]+)+-[0-9]+$`, ignoring ASCII case: the shape openai-python accepts.
fn is_region(label: &str) -> bool {
    let mut parts = label.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    if !(2..=8).contains(&first.len()) || !first.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let Some(last) = parts.next_back() else {
        return false;
    };
    let mut middle = 0;
    for part in parts {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return false;
        }
        middle += 1;
    }
    middle > 0 && !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/bedrock_hosts/hosts.json"
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The crate and openai-python read every runtime and Mantle host alike; where the crate
    /// knows more (Mantle FIPS, Claude Platform), openai-python says `None`.
    #[test]
    fn agrees_with_openai_python_on_every_host_of_the_fixture() {
        let fixture = fixture();
        assert_eq!(fixture["openai_version"], "3.63.0");
        let cases = fixture["cases"].as_array().unwrap();
        let (mut agreed, mut known, mut mantle_fips, mut claude) = (0, 0, 0, 0);
        for case in cases {
            let host = case["host"].as_str().unwrap();
            let ours = parse_host(host);
            let theirs = &case["openai"];
            match &ours {
                Some(h) if h.endpoint() == Endpoint::Mantle && h.is_fips() => {
                    assert!(theirs.is_null(), "{host}");
                    mantle_fips += 1;
                }
                Some(h) if h.endpoint() == Endpoint::ClaudePlatform => {
                    assert!(theirs.is_null(), "{host}");
                    claude += 1;
                }
                Some(h) => {
                    let family = match h.endpoint() {
                        Endpoint::Runtime => "runtime",
                        _ => "mantle",
                    };
                    assert_eq!(theirs["endpoint"], family, "{host}");
                    assert_eq!(theirs["region"], h.region(), "{host}");
                    agreed += 1;
                    known += 1;
                }
                None => {
                    assert!(theirs.is_null(), "{host}: openai-python says {theirs}");
                    agreed += 1;
                }
            }
        }
        assert_eq!(cases.len(), agreed + mantle_fips + claude);
        // The table must keep covering each kind, so a shrunken fixture cannot pass quietly.
        assert!(known >= 80 && mantle_fips >= 14 && claude >= 14 && agreed >= 500);
    }

    #[test]
    fn every_form_reads_as_its_endpoint_region_and_flags() {
        use Endpoint::*;
        let cases = [
            (
                "bedrock-runtime.us-east-1.amazonaws.com",
                Runtime,
                "us-east-1",
                false,
                false,
            ),
            (
                "bedrock-runtime-fips.us-east-1.amazonaws.com",
                Runtime,
                "us-east-1",
                true,
                false,
            ),
            (
                "bedrock-runtime.us-east-1.api.aws",
                Runtime,
                "us-east-1",
                false,
                true,
            ),
            (
                "bedrock-runtime-fips.us-gov-west-1.api.aws",
                Runtime,
                "us-gov-west-1",
                true,
                true,
            ),
            (
                "bedrock-runtime.cn-north-1.amazonaws.com.cn",
                Runtime,
                "cn-north-1",
                false,
                false,
            ),
            (
                "bedrock-runtime.cn-north-1.api.amazonwebservices.com.cn",
                Runtime,
                "cn-north-1",
                false,
                true,
            ),
            (
                "bedrock-runtime.eusc-de-east-1.amazonaws.eu",
                Runtime,
                "eusc-de-east-1",
                false,
                false,
            ),
            (
                "bedrock-runtime.eusc-de-east-1.api.amazonwebservices.eu",
                Runtime,
                "eusc-de-east-1",
                false,
                true,
            ),
            (
                "bedrock-runtime.us-iso-east-1.c2s.ic.gov",
                Runtime,
                "us-iso-east-1",
                false,
                false,
            ),
            (
                "bedrock-runtime.us-iso-east-1.api.aws.ic.gov",
                Runtime,
                "us-iso-east-1",
                false,
                true,
            ),
            (
                "bedrock-runtime.us-isob-east-1.sc2s.sgov.gov",
                Runtime,
                "us-isob-east-1",
                false,
                false,
            ),
            (
                "bedrock-runtime.us-isob-east-1.api.aws.scloud",
                Runtime,
                "us-isob-east-1",
                false,
                true,
            ),
            (
                "bedrock-runtime.eu-isoe-west-1.cloud.adc-e.uk",
                Runtime,
                "eu-isoe-west-1",
                false,
                false,
            ),
            (
                "bedrock-runtime.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
                Runtime,
                "eu-isoe-west-1",
                false,
                true,
            ),
            (
                "bedrock-runtime.us-isof-south-1.csp.hci.ic.gov",
                Runtime,
                "us-isof-south-1",
                false,
                false,
            ),
            (
                "bedrock-runtime.us-isof-south-1.api.aws.hci.ic.gov",
                Runtime,
                "us-isof-south-1",
                false,
                true,
            ),
            (
                "bedrock-mantle.us-west-2.api.aws",
                Mantle,
                "us-west-2",
                false,
                false,
            ),
            (
                "bedrock-mantle-fips.us-east-1.api.aws",
                Mantle,
                "us-east-1",
                true,
                false,
            ),
            (
                "aws-external-anthropic.us-east-1.api.aws",
                ClaudePlatform,
                "us-east-1",
                false,
                false,
            ),
            (
                "AWS-External-Anthropic.EU-West-1.API.AWS.",
                ClaudePlatform,
                "eu-west-1",
                false,
                false,
            ),
            (
                "BEDROCK-RUNTIME-FIPS.US-EAST-1.AMAZONAWS.COM.",
                Runtime,
                "us-east-1",
                true,
                false,
            ),
        ];
        for (host, endpoint, region, fips, dual_stack) in cases {
            let h = parse_host(host).unwrap_or_else(|| panic!("{host}"));
            assert_eq!(
                (h.endpoint(), h.region(), h.is_fips(), h.is_dual_stack()),
                (endpoint, region, fips, dual_stack),
                "{host}"
            );
            let signing = match endpoint {
                Runtime => "bedrock",
                Mantle => "bedrock-mantle",
                ClaudePlatform => "aws-external-anthropic",
            };
            assert_eq!(h.signing_name(), signing, "{host}");
        }
    }

    #[test]
    fn other_hosts_are_none() {
        for host in [
            "aws-external-anthropic-fips.us-east-1.api.aws",
            "aws-external-anthropic.us-east-1.amazonaws.com",
            "aws-external-anthropic.cn-north-1.amazonaws.com.cn",
            "bedrock-mantle.us-west-2.amazonaws.com",
            "bedrock-runtime.eusc-de-east-1.amazonaws.com",
            "bedrock-runtime.us-east-1.amazonaws.eu",
            "bedrock-runtime.us-east-1.amazonaws.com..",
            // Non-ASCII never reaches here from a URL (the url crate writes punycode), and is
            // refused rather than case-folded.
            "bedrock-runtime.us-east-\u{0661}.amazonaws.com",
            "bedroc\u{212a}-runtime.us-east-1.amazonaws.com",
            "bedrock-mantle.us-west-2.api.aws:443",
            "bedrock-mantle.us-west-2.api.aws/",
            "",
        ] {
            assert_eq!(parse_host(host), None, "{host}");
        }
    }
}
