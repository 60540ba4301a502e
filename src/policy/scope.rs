//! Where credentials may go: the hosts an [`AwsAuth`](crate::AwsAuth) signs for (or sends its
//! Bedrock API key to), and what happens to a request for any other host.
//!
//! Matching is on the parsed URL's host (lower-cased and IDNA-encoded by the `url` crate,
//! trailing dot removed), never on the URL text, so `user@host` tricks, lookalike names and
//! `amazonaws.com.evil.net` cannot pass for an AWS host.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::{Error, ErrorKind};

/// What happens to a request whose host is outside the scope
/// ([`AwsAuthBuilder::outside_scope`](crate::AwsAuthBuilder::outside_scope)).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutsideScope {
    /// Refuse it before sending, with [`ErrorKind::OutOfScope`](crate::ErrorKind::OutOfScope).
    #[default]
    Refuse,
    /// Send it on untouched and unsigned: no `authorization`, no `x-amz-*` header of this
    /// crate's, no bearer key. For a client shared between AWS and other hosts.
    PassThrough,
}

/// The hosts allowed by default, before any `allow_host` / `allow_url_prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    /// AWS's own domains and loopback.
    Aws,
    /// Bedrock's hosts and loopback. A Bedrock host of another region than the one signed or
    /// keyed for is refused by the region check (`RegionMismatch`), which names both regions.
    Bedrock,
    /// Nothing: only the rules the builder was given.
    None,
}

/// AWS's own domains: regional endpoints, China, dual-stack and newer endpoints, Lambda
/// function URLs, VPC endpoints, API Gateway's default hosts.
const AWS_DOMAINS: [&str; 4] = ["amazonaws.com", "amazonaws.com.cn", "api.aws", "on.aws"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rule {
    /// `host`, `host:port`, or `*.suffix` (then `host` is the suffix).
    Host {
        host: String,
        wildcard: bool,
        port: Option<u16>,
    },
    /// Scheme, host and port equal, and the path starts with `path` at a segment boundary.
    UrlPrefix {
        scheme: String,
        host: String,
        port: Option<u16>,
        path: String,
    },
}

/// The scope, as built from the builder's settings.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    base: Base,
    rules: Vec<Rule>,
    pub(crate) outside: OutsideScope,
}

fn invalid(method: &str, value: &str, why: &str) -> Error {
    // Escaped as Rust writes a string literal: the rule reads as the code that set it, and a
    // line break or terminal escape in it shows as such.
    Error::invalid_config(format!(
        "`.{method}(\"{}\")` is not a valid rule: {why}",
        value.escape_debug()
    ))
}

/// The normalised host of `url`: lower case (the `url` crate's), no trailing dot.
fn host_of(url: &Url) -> Option<&str> {
    let host = url.host_str()?;
    Some(host.strip_suffix('.').unwrap_or(host))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.strip_suffix('.').unwrap_or(domain);
            domain.eq_ignore_ascii_case("localhost")
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

impl Rule {
    fn host(rule: &str) -> Result<Self, Error> {
        let trimmed = rule.trim();
        let (wildcard, rest) = match trimmed.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', '*']) {
            return Err(invalid(
                "allow_host",
                rule,
                "give a host name, `host:port`, or `*.suffix` (no scheme, path or user)",
            ));
        }
        let url = Url::parse(&format!("http://{rest}/"))
            .map_err(|e| invalid("allow_host", rule, &e.to_string()))?;
        let host = host_of(&url)
            .ok_or_else(|| invalid("allow_host", rule, "no host"))?
            .to_owned();
        if wildcard && !host.contains('.') {
            return Err(invalid(
                "allow_host",
                rule,
                "a `*.` wildcard needs a suffix with at least two labels, like `*.example.com`",
            ));
        }
        Ok(Self::Host {
            host,
            wildcard,
            port: url.port(),
        })
    }

    fn url_prefix(rule: &str) -> Result<Self, Error> {
        let url = Url::parse(rule.trim())
            .map_err(|e| invalid("allow_url_prefix", rule, &e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
            return Err(invalid(
                "allow_url_prefix",
                rule,
                "give an http(s) URL without a query, like `https://api.example.com/v1/`",
            ));
        }
        let host = host_of(&url)
            .ok_or_else(|| invalid("allow_url_prefix", rule, "no host"))?
            .to_owned();
        Ok(Self::UrlPrefix {
            scheme: url.scheme().to_owned(),
            host,
            port: url.port_or_known_default(),
            path: url.path().to_owned(),
        })
    }

    fn allows(&self, url: &Url, host: &str) -> bool {
        match self {
            Rule::Host {
                host: rule,
                wildcard,
                port,
            } => {
                let host_matches = if *wildcard {
                    host.len() > rule.len()
                        && host.ends_with(rule.as_str())
                        && host.as_bytes()[host.len() - rule.len() - 1] == b'.'
                } else {
                    host == rule
                };
                host_matches && port.is_none_or(|p| url.port_or_known_default() == Some(p))
            }
            Rule::UrlPrefix {
                scheme,
                host: rule_host,
                port,
                path,
            } => {
                url.scheme() == scheme
                    && host == rule_host
                    && url.port_or_known_default() == *port
                    && path_has_prefix(url.path(), path)
            }
        }
    }
}

/// `path` starts with `prefix` at a segment boundary (`/api` allows `/api` and `/api/x`, not
/// `/apix`), both as written and as any server may read it: percent-decoded (repeatedly, for
/// servers that decode twice), `\` taken for `/`, and `.`/`..` segments resolved. So
/// `/aws/..%2Fadmin`, `/aws/%2e%2e%5cadmin` or `/aws/%252e%252e/admin` cannot leave `/aws/`,
/// whatever the signing name's canonicalisation (S3's decodes the path) or the server does.
fn path_has_prefix(path: &str, prefix: &str) -> bool {
    starts_at_boundary(path.as_bytes(), prefix.as_bytes())
        && (!path.bytes().any(|b| b == b'%' || b == b'\\')
            || starts_at_boundary(&as_read(path.as_bytes()), &as_read(prefix.as_bytes())))
}

fn starts_at_boundary(path: &[u8], prefix: &[u8]) -> bool {
    path.starts_with(prefix)
        && (prefix.ends_with(b"/") || path.len() == prefix.len() || path[prefix.len()] == b'/')
}

/// `path` as the most liberal server reads it: decoded until nothing changes (at most a few
/// rounds: each one shortens it), backslashes as slashes, dot segments resolved.
fn as_read(path: &[u8]) -> Vec<u8> {
    let mut decoded = path.to_vec();
    for _ in 0..4 {
        let next: Vec<u8> = percent_encoding::percent_decode(&decoded).collect();
        if next == decoded {
            break;
        }
        decoded = next;
    }
    for b in &mut decoded {
        if *b == b'\\' {
            *b = b'/';
        }
    }
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut parts = decoded.split(|b| *b == b'/').peekable();
    while let Some(segment) = parts.next() {
        let last = parts.peek().is_none();
        match segment {
            b"." => {}
            b".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
        // A trailing dot segment leaves the path ending in `/`.
        if last && matches!(segment, b"." | b"..") {
            segments.push(b"");
        }
    }
    let mut out = Vec::with_capacity(decoded.len());
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(segment);
    }
    if !out.starts_with(b"/") {
        out.insert(0, b'/');
    }
    out
}

impl Scope {
    pub(crate) fn new(
        base: Base,
        hosts: &[String],
        prefixes: &[String],
        outside: OutsideScope,
    ) -> Result<Self, Error> {
        let mut rules = Vec::with_capacity(hosts.len() + prefixes.len());
        for host in hosts {
            rules.push(Rule::host(host)?);
        }
        for prefix in prefixes {
            rules.push(Rule::url_prefix(prefix)?);
        }
        if base == Base::None && rules.is_empty() {
            return Err(Error::invalid_config(
                "`.default_scope(false)` without any `.allow_host(...)` or \
                 `.allow_url_prefix(...)` would allow no host at all: name the hosts to sign for",
            ));
        }
        Ok(Self {
            base,
            rules,
            outside,
        })
    }

    /// Whether credentials may go to `url`.
    pub(crate) fn allows(&self, url: &Url) -> bool {
        let Some(host) = host_of(url) else {
            return false;
        };
        let base = match self.base {
            Base::Aws => is_loopback(url) || AWS_DOMAINS.iter().any(|d| is_subdomain(host, d)),
            Base::Bedrock => is_loopback(url) || is_bedrock_host(host),
            Base::None => false,
        };
        base || self.rules.iter().any(|rule| rule.allows(url, host))
    }

    /// The error for a request to `url` outside the scope.
    pub(crate) fn refusal(&self, url: &Url) -> Error {
        let host = url.host_str().unwrap_or_default().escape_debug();
        let scope = match self.base {
            Base::Aws => {
                "AWS's own domains (*.amazonaws.com, *.amazonaws.com.cn, *.api.aws, \
                          *.on.aws) and loopback"
            }
            Base::Bedrock => {
                "Bedrock's hosts (bedrock-mantle[-fips].{region}.api.aws, \
                              bedrock-runtime[-fips].{region}.amazonaws.com[.cn]) and loopback"
            }
            Base::None => "only the hosts named with `.allow_host(...)`/`.allow_url_prefix(...)`",
        };
        let extra = if self.rules.is_empty() {
            ""
        } else {
            ", plus the allowed hosts"
        };
        Error::new(
            ErrorKind::OutOfScope,
            format!(
                "refusing to send AWS credentials to `{host}`: it is outside this AwsAuth's \
                 scope ({scope}{extra}), and nothing was sent. If the host is yours (a custom \
                 domain, a VPC endpoint, a gateway), add `.allow_host(\"{host}\")` to the \
                 builder; to send requests for other hosts through the same client unsigned, \
                 use `.outside_scope(OutsideScope::PassThrough)`, or skip auth for one request \
                 with `RequestOptions::new().skip_auth(true)`"
            ),
        )
    }
}

fn is_subdomain(host: &str, domain: &str) -> bool {
    host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// A Mantle or bedrock-runtime host, FIPS included, by the crate's one Bedrock host grammar
/// (the region check reads the same one).
fn is_bedrock_host(host: &str) -> bool {
    crate::bedrock::host::bedrock_region(host).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(base: Base, hosts: &[&str], prefixes: &[&str]) -> Scope {
        let hosts: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        let prefixes: Vec<String> = prefixes.iter().map(|h| (*h).to_owned()).collect();
        Scope::new(base, &hosts, &prefixes, OutsideScope::Refuse).unwrap()
    }

    fn allows(scope: &Scope, url: &str, _: Option<&str>) -> bool {
        scope.allows(&Url::parse(url).unwrap())
    }

    #[test]
    fn the_default_scope_is_aws_and_loopback() {
        let s = scope(Base::Aws, &[], &[]);
        for url in [
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
            "https://S3.AMAZONAWS.COM./bucket",
            "https://x.lambda-url.us-east-1.on.aws/",
            "https://bedrock-mantle.us-west-2.api.aws/v1",
            "https://sts.cn-north-1.amazonaws.com.cn/",
            "http://127.0.0.1:8080/",
            "http://127.9.9.9/",
            "http://[::1]:9000/",
            "http://localhost:1234/",
        ] {
            assert!(allows(&s, url, None), "{url}");
        }
        for url in [
            "https://amazonaws.com/",
            "https://evil-amazonaws.com/",
            "https://amazonaws.com.evil.net/",
            "https://s3.amazonaws.com@evil.net/",
            "https://s3.amazonaws.com.evil.net/",
            "https://xn--mazonaws-7fg.com/",
            "https://s3.аmazonaws.com/",
            "https://10.0.0.1/",
            "https://hooks.slack.com/x",
            "https://example.com/?u=https://s3.amazonaws.com/",
        ] {
            assert!(!allows(&s, url, None), "{url}");
        }
    }

    #[test]
    fn bedrock_scope_is_bedrocks_hosts() {
        let s = scope(Base::Bedrock, &[], &[]);
        for url in [
            "https://bedrock-mantle.us-west-2.api.aws/v1/responses",
            "https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1",
            "https://bedrock-runtime-fips.us-west-2.amazonaws.com/",
            "https://bedrock-mantle-fips.us-east-1.api.aws/v1",
            "https://BEDROCK-RUNTIME.US-EAST-1.AMAZONAWS.COM./",
            "https://bedrock-runtime.cn-north-1.amazonaws.com.cn/",
            "http://127.0.0.1:4000/v1",
        ] {
            assert!(allows(&s, url, None), "{url}");
        }
        for url in [
            "https://s3.us-west-2.amazonaws.com/",
            "https://bedrock.us-west-2.amazonaws.com/",
            "https://bedrock-mantle.api.aws/",
            "https://bedrock-mantle.x.y.api.aws/",
            "https://api.openai.com/v1",
            "https://bedrock-mantle.us-west-2.api.aws.evil.net/",
            "https://bedrock-mantle.us_west.api.aws/",
            "https://bedrock-mantle-fips.us-east-1.amazonaws.com/",
        ] {
            assert!(!allows(&s, url, None), "{url}");
        }
    }

    #[test]
    fn rules_match_hosts_ports_wildcards_and_prefixes() {
        let s = scope(
            Base::None,
            &[
                "api.example.com",
                "*.corp.example",
                "gw.example.net:8443",
                "[::1]:7000",
            ],
            &["https://hooks.example.org/aws/"],
        );
        assert!(allows(&s, "https://API.example.com./x", None));
        assert!(allows(&s, "https://a.b.corp.example/", None));
        assert!(
            !allows(&s, "https://corp.example/", None),
            "apex against *."
        );
        assert!(!allows(&s, "https://evilcorp.example/", None));
        assert!(allows(&s, "https://gw.example.net:8443/", None));
        assert!(!allows(&s, "https://gw.example.net/", None), "port differs");
        assert!(allows(&s, "http://[::1]:7000/", None));
        assert!(!allows(&s, "http://[::1]:7001/", None));
        assert!(allows(&s, "https://hooks.example.org/aws/x", None));
        assert!(!allows(&s, "https://hooks.example.org/awsx", None));
        assert!(
            !allows(&s, "http://hooks.example.org/aws/x", None),
            "scheme differs"
        );
        assert!(
            !allows(&s, "https://s3.amazonaws.com/", None),
            "no default scope"
        );
        assert!(!allows(&s, "http://127.0.0.1/", None));
    }

    #[test]
    fn a_prefix_cannot_be_left_by_any_spelling_of_dot_dot_or_slash() {
        let s = scope(Base::None, &[], &["https://gw.example.com/aws/"]);
        for url in [
            "https://gw.example.com/aws/items",
            "https://gw.example.com/aws/a%20b/c%3Ad",
            "https://gw.example.com/aws/x/..%2Fy",
            "https://gw.example.com/aws/%2e%2e%2e/z",
        ] {
            assert!(allows(&s, url, None), "{url}");
        }
        for url in [
            "https://gw.example.com/aws/..%2Fadmin/secret",
            "https://gw.example.com/aws/..%2fadmin",
            "https://gw.example.com/aws/..%5Cadmin",
            "https://gw.example.com/aws/%2e%2e%2Fadmin",
            "https://gw.example.com/aws/%2E%2E%2fadmin",
            "https://gw.example.com/aws/.%2e%2Fadmin",
            "https://gw.example.com/aws/%252e%252e%252fadmin",
            "https://gw.example.com/aws/x%2F..%2F..%2Fadmin",
            "https://gw.example.com/aws/..\\admin",
            "https://gw.example.com/aws/%2e%2e/admin",
            "https://gw.example.com/aws/../admin",
            "https://gw.example.com/aws/..%2F",
        ] {
            assert!(!allows(&s, url, None), "{url}");
        }
    }

    #[test]
    fn bad_rules_fail_the_build_with_the_method_named() {
        for bad in [
            "",
            "*.",
            "*.com",
            "https://x.com",
            "a/b",
            "user@x.com",
            "a*.b.com",
        ] {
            let err = Rule::host(bad).unwrap_err();
            assert!(err.to_string().contains("allow_host"), "{bad}: {err}");
        }
        for bad in ["example.com", "ftp://x.com/", "https://x.com/?q=1"] {
            let err = Rule::url_prefix(bad).unwrap_err();
            assert!(err.to_string().contains("allow_url_prefix"), "{bad}: {err}");
        }
        assert!(Scope::new(Base::None, &[], &[], OutsideScope::Refuse).is_err());
    }
}
