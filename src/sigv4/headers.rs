//! Which request headers the signature covers.
//!
//! Every header present at signing time is signed, except those that HTTP clients, proxies,
//! load balancers and CDNs add, drop or rewrite in transit: signing those turns a harmless
//! rewrite into a `SignatureDoesNotMatch`. Headers added later by reqwest itself (`host` is
//! derived from the URL; `content-length`, `accept-encoding` when compression is on) are not
//! present at signing time anyway.

use http::HeaderName;

/// Never signed: hop-by-hop headers (RFC 9110 §7.6.1) and headers that intermediaries set or
/// rewrite. `authorization` is the signature itself.
const NEVER_SIGNED: &[&str] = &[
    "authorization",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "user-agent",
    "x-amzn-trace-id",
    "via",
    "forwarded",
    "x-real-ip",
    "cdn-loop",
    "max-forwards",
    "content-length",
    "accept-encoding",
];

const NEVER_SIGNED_PREFIXES: &[&str] = &["x-forwarded-"];

/// The crate's rule for which headers to sign, plus the user's additions.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeaderPolicy {
    /// Extra names the user asked to leave unsigned (lowercase).
    pub(crate) unsigned: Vec<HeaderName>,
    /// Leave header names containing `_` unsigned (Bedrock Mantle drops them before verifying).
    pub(crate) skip_underscore_names: bool,
}

impl HeaderPolicy {
    pub(crate) fn is_signed(&self, name: &HeaderName) -> bool {
        let name_str = name.as_str();
        !(NEVER_SIGNED.contains(&name_str)
            || NEVER_SIGNED_PREFIXES
                .iter()
                .any(|p| name_str.starts_with(p))
            || (self.skip_underscore_names && name_str.contains('_'))
            || self.unsigned.contains(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transit_headers_are_unsigned_and_the_rest_signed() {
        let policy = HeaderPolicy::default();
        for name in [
            "connection",
            "keep-alive",
            "proxy-authorization",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "expect",
            "user-agent",
            "x-amzn-trace-id",
            "x-forwarded-for",
            "x-forwarded-proto",
            "authorization",
        ] {
            assert!(!policy.is_signed(&HeaderName::from_static(name)), "{name}");
        }
        for name in [
            "content-type",
            "x-amz-target",
            "x-api-key",
            "accept",
            "x_custom",
            "openai-beta",
        ] {
            assert!(policy.is_signed(&HeaderName::from_static(name)), "{name}");
        }
    }

    #[test]
    fn user_additions_and_underscore_rule_apply() {
        let policy = HeaderPolicy {
            unsigned: vec![HeaderName::from_static("x-request-id")],
            skip_underscore_names: true,
        };
        assert!(!policy.is_signed(&HeaderName::from_static("x-request-id")));
        assert!(!policy.is_signed(&HeaderName::from_static("x_custom")));
        assert!(policy.is_signed(&HeaderName::from_static("x-custom")));
    }
}
