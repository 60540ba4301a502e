//! Bearer tokens: a redacting wrapper, and reading what a short-term Bedrock API key
//! (`bedrock-api-key-…`) says about itself.
//!
//! A short-term key is `bedrock-api-key-` + base64 of a SigV4 query-presigned URL without its
//! scheme, followed by `&Version=1`:
//! `bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=…&X-Amz-Credential=AKID/20261129/us-west-2/bedrock/aws4_request&X-Amz-Date=…&X-Amz-Expires=43200&…&Version=1`.
//! The credential scope holds the region the key works in. Long-term keys (`ABSK…`) carry no
//! readable region.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use crate::error::{Error, ErrorKind};

/// The prefix of a short-term Bedrock API key.
pub const SHORT_TERM_KEY_PREFIX: &str = "bedrock-api-key-";

/// A bearer token (a Bedrock API key). `Debug` never shows it.
///
/// ```
/// use reqwest_aws_auth::bedrock::BearerToken;
///
/// let token = BearerToken::new("ABSKexample");
/// assert_eq!(format!("{token:?}"), "BearerToken { token: \"** redacted **\", expires_at: None }");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken {
    token: String,
    expires_at: Option<SystemTime>,
}

impl BearerToken {
    /// Wraps a token. Surrounding whitespace (a trailing newline from a file) is removed.
    pub fn new(token: impl Into<String>) -> Self {
        let token = token.into();
        let trimmed = token.trim();
        let token = if trimmed.len() == token.len() {
            token
        } else {
            trimmed.to_owned()
        };
        Self {
            token,
            expires_at: None,
        }
    }

    /// The same token, marked as expiring at `expires_at`: a request after that fails with
    /// [`ErrorKind::InvalidToken`] instead of being sent.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// When the token stops working, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// The token itself. Handle with care: it authorises calls to Bedrock.
    pub fn expose_secret(&self) -> &str {
        &self.token
    }

    /// Whether the token is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.token.is_empty()
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken")
            .field("token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a short-term Bedrock API key says about itself, read by [`parse_short_term_key`].
/// Holds nothing secret (no signature, access key id or session token).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortTermKeyInfo {
    /// The presigned URL's host (`bedrock.amazonaws.com`).
    pub host: String,
    /// The `Action` query parameter (`CallWithBearerToken`).
    pub action: Option<String>,
    /// The region of the credential scope: the only region the key works in.
    pub region: String,
    /// The signing name of the credential scope (`bedrock`).
    pub service: String,
    /// `X-Amz-Date`: when the key was minted.
    pub issued_at: SystemTime,
    /// `X-Amz-Expires`: how long it is valid after `issued_at`.
    pub expires_in: Duration,
    /// The `Version` query parameter (`1`).
    pub version: Option<String>,
    /// The query parameter names, in order.
    pub query_names: Vec<String>,
}

impl ShortTermKeyInfo {
    /// When the key stops working.
    pub fn expires_at(&self) -> SystemTime {
        self.issued_at + self.expires_in
    }
}

/// Reads a short-term Bedrock API key (`bedrock-api-key-…`) without verifying it.
///
/// Fails with [`ErrorKind::InvalidToken`] for anything else, including long-term keys; the
/// message never contains the token.
///
/// ```
/// # use reqwest_aws_auth::bedrock::parse_short_term_key;
/// let err = parse_short_term_key("ABSKlong-term-key").unwrap_err();
/// assert_eq!(err.kind(), reqwest_aws_auth::ErrorKind::InvalidToken);
/// ```
pub fn parse_short_term_key(token: &str) -> Result<ShortTermKeyInfo, Error> {
    let encoded = token
        .trim()
        .strip_prefix(SHORT_TERM_KEY_PREFIX)
        .ok_or_else(|| {
            malformed(
                "it does not start with `bedrock-api-key-` (long-term API keys carry no region)",
            )
        })?;
    let decoded = STANDARD
        .decode(encoded)
        .or_else(|_| STANDARD_NO_PAD.decode(encoded))
        .map_err(|_| malformed("what follows `bedrock-api-key-` is not base64"))?;
    let presigned =
        String::from_utf8(decoded).map_err(|_| malformed("the decoded key is not UTF-8 text"))?;
    if presigned.contains("://") {
        return Err(malformed("the decoded key has a URL scheme"));
    }
    let url = url::Url::parse(&format!("https://{presigned}"))
        .map_err(|_| malformed("the decoded key is not a URL"))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| malformed("the decoded key has no host"))?
        .to_owned();

    let mut info = ShortTermKeyInfo {
        host,
        action: None,
        region: String::new(),
        service: String::new(),
        issued_at: UNIX_EPOCH,
        expires_in: Duration::ZERO,
        version: None,
        query_names: Vec::new(),
    };
    let (mut credential, mut date, mut expires) = (None, None, None);
    for (name, value) in url.query_pairs() {
        info.query_names.push(name.to_string());
        match name.as_ref() {
            "Action" => info.action = Some(value.into_owned()),
            "Version" => info.version = Some(value.into_owned()),
            "X-Amz-Credential" => credential = Some(value.into_owned()),
            "X-Amz-Date" => date = Some(value.into_owned()),
            "X-Amz-Expires" => expires = Some(value.into_owned()),
            _ => {}
        }
    }
    let credential = credential.ok_or_else(|| malformed("it has no X-Amz-Credential"))?;
    // AKID/yyyymmdd/region/service/aws4_request
    let scope: Vec<&str> = credential.split('/').collect();
    let [_, _, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(malformed(
            "its X-Amz-Credential is not a SigV4 credential scope",
        ));
    };
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        return Err(malformed("its credential scope does not name a region"));
    }
    info.region = (*region).to_owned();
    info.service = (*service).to_owned();
    info.issued_at = date
        .as_deref()
        .and_then(crate::sigv4::amz_date::parse)
        .ok_or_else(|| malformed("its X-Amz-Date is missing or not yyyymmddThhmmssZ"))?;
    info.expires_in = expires
        .as_deref()
        .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|e| e.parse::<u32>().ok())
        .map(|secs| Duration::from_secs(secs.into()))
        .ok_or_else(|| malformed("its X-Amz-Expires is missing or not a number of seconds"))?;
    Ok(info)
}

fn malformed(why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidToken,
        format!("the bearer token is not a readable short-term Bedrock API key: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_trimmed_and_redacted() {
        let token = BearerToken::new("  secret-value\n");
        assert_eq!(token.expose_secret(), "secret-value");
        assert!(!format!("{token:?}").contains("secret"));
        assert!(BearerToken::new(" \t").is_empty());
    }
}
