//! The set of regions a SigV4a signature is valid in.

use std::fmt;

use crate::error::Error;

/// The regions a SigV4a signature is valid in: `*` (every region) or a comma-separated list
/// such as `us-east-1,us-west-2`, signed as the `X-Amz-Region-Set` header (or query
/// parameter, when presigning).
///
/// SigV4a's credential scope names no region (`20150830/s3/aws4_request`): the region set
/// takes its place, and a service accepts the request when its own region is in the set.
/// Entries may use `*` as a wildcard (`us-*`), as the AWS SDKs allow.
///
/// ```
/// # #[cfg(feature = "sigv4a")] {
/// use reqwest_aws_auth::RegionSet;
///
/// assert_eq!(RegionSet::all().as_str(), "*");
/// let set = RegionSet::new(" us-east-1 , us-west-2 ")?;
/// assert_eq!(set.as_str(), "us-east-1,us-west-2");
/// assert!(RegionSet::new("").is_err());
/// assert!(RegionSet::new("us-east-1,,us-west-2").is_err());
/// # }
/// # Ok::<(), reqwest_aws_auth::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RegionSet {
    // The canonical form: entries trimmed, joined by `,` with no spaces. It is what is signed,
    // so the verifier on the other side reads exactly the set that was configured.
    joined: String,
}

impl RegionSet {
    /// Every region (`*`): what S3 Multi-Region Access Points and CloudFront KeyValueStore
    /// expect.
    pub fn all() -> Self {
        Self { joined: "*".into() }
    }

    /// A set from a comma-separated list of regions (`"us-east-1,us-west-2"`, or `"*"`).
    ///
    /// Spaces around each entry are removed. Refused with
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when the list is empty,
    /// has an empty entry, or an entry holds anything but ASCII letters, digits, `-` and `*`
    /// (a region name never does, and the set is sent as a header value).
    pub fn new(regions: impl AsRef<str>) -> Result<Self, Error> {
        let regions = regions.as_ref();
        let mut joined = String::with_capacity(regions.len());
        for (index, entry) in regions.split(',').enumerate() {
            let entry = entry.trim_matches([' ', '\t']);
            if entry.is_empty() {
                return Err(Error::invalid_config(if regions.trim().is_empty() {
                    "the SigV4a region set is empty: name at least one region \
                     (`us-east-1,us-west-2`), or use RegionSet::all() for `*`"
                        .to_owned()
                } else {
                    format!(
                        "the SigV4a region set `{regions}` has an empty entry (number {}): \
                         separate regions by single commas",
                        index + 1
                    )
                }));
            }
            if let Some(bad) = entry
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '*'))
            {
                return Err(Error::invalid_config(format!(
                    "the SigV4a region set entry `{}` holds {bad:?}: a region set lists region \
                     names (letters, digits, `-`, or `*` as a wildcard) separated by commas",
                    entry.escape_debug()
                )));
            }
            if !joined.is_empty() {
                joined.push(',');
            }
            joined.push_str(entry);
        }
        Ok(Self { joined })
    }

    /// The set as it is signed: entries joined by `,`, such as `us-east-1,us-west-2` or `*`.
    pub fn as_str(&self) -> &str {
        &self.joined
    }
}

/// Whether the comma-separated `set` (as received, so entries are trimmed here too) covers
/// `region`, as a service in `region` judges it: an entry equal to it, or matching it with `*`
/// standing for any run of characters. (What a service checks: the verifier's.)
#[cfg(feature = "verify")]
pub(crate) fn contains(set: &str, region: &str) -> bool {
    set.split(',')
        .map(|entry| entry.trim_matches([' ', '\t']))
        .any(|entry| wildcard_match(entry.as_bytes(), region.as_bytes()))
}

/// `*` matches any run of characters; everything else matches itself, case-insensitively
/// (region names are lower case, but nothing is gained by refusing `US-EAST-1`).
#[cfg(feature = "verify")]
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative with one back-track point: linear in practice, and never recursive on input a
    // peer chose.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p].eq_ignore_ascii_case(&text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

impl fmt::Debug for RegionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RegionSet").field(&self.joined).finish()
    }
}

impl fmt::Display for RegionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn lists_are_trimmed_and_joined_without_spaces() {
        assert_eq!(RegionSet::all().as_str(), "*");
        assert_eq!(RegionSet::new("*").unwrap(), RegionSet::all());
        assert_eq!(
            RegionSet::new(" us-east-1 ,\tus-west-2").unwrap().as_str(),
            "us-east-1,us-west-2"
        );
        assert_eq!(RegionSet::new("us-*").unwrap().as_str(), "us-*");
    }

    #[test]
    fn bad_lists_are_refused_with_the_cause_and_the_fix() {
        for (input, names) in [
            ("", "is empty"),
            ("  ", "is empty"),
            ("us-east-1,", "empty entry (number 2)"),
            (",us-east-1", "empty entry (number 1)"),
            ("us-east-1,,eu-west-1", "empty entry (number 2)"),
            ("us-east-1\r\nx-evil: 1", "holds '\\r'"),
            ("us-east-1;eu-west-1", "holds ';'"),
            ("us east 1", "holds ' '"),
            ("é", "holds 'é'"),
        ] {
            let err = RegionSet::new(input).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{input:?}");
            let message = err.to_string();
            assert!(message.contains(names), "{input:?}: {message}");
            assert!(
                !message.contains('\n') && !message.contains('\r'),
                "{message}"
            );
        }
    }

    #[test]
    #[cfg(feature = "verify")]
    fn membership_follows_entries_and_wildcards() {
        let set = RegionSet::new("us-east-1,eu-*").unwrap();
        let set = set.as_str();
        assert!(contains(set, "us-east-1"));
        assert!(contains(set, "eu-west-3"));
        assert!(!contains(set, "us-east-2"));
        assert!(!contains(set, "us-east-10"));
        assert!(!contains(set, "ap-eu-1"));
        assert!(contains(RegionSet::all().as_str(), "cn-north-1"));
        assert!(contains("us-west-2, us-east-1", "us-east-1"));
        assert!(!contains("", "us-east-1"));
        // A pattern a peer chose stays cheap.
        let hostile = "*a".repeat(2000);
        assert!(!contains(&hostile, &"b".repeat(4000)));
    }
}
