//! Where the region comes from when the builder names none: one rule for SigV4, bearer mode
//! and key minting.
//!
//! `AWS_REGION`, then `AWS_DEFAULT_REGION` (as aws-config reads them), then the profile's
//! `region` (with feature `default-chain`, which reads the shared config files). Deliberately
//! not IMDS: in containers it hangs until a timeout, and a wrong guess signs for the wrong
//! region.

use crate::error::Error;
use crate::sigv4::names::validate_region;

/// The region from the environment or the profile.
pub(crate) async fn resolve_region(profile: Option<&str>) -> Result<String, Error> {
    let region = match from_env() {
        Some(region) => Some(region),
        None => from_profile(profile).await,
    };
    match region {
        Some(region) if !region.trim().is_empty() => {
            validate_region(&region).map_err(|_| {
                Error::invalid_config(format!(
                    "the region `{region}` from AWS_REGION, AWS_DEFAULT_REGION or the profile is \
                     not an AWS region name: set it to a code such as `us-east-1`, or call \
                     `.region(...)` on the builder"
                ))
            })?;
            Ok(region)
        }
        _ => Err(Error::no_region()),
    }
}

fn from_env() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok())
}

#[cfg(feature = "default-chain")]
async fn from_profile(profile: Option<&str>) -> Option<String> {
    use aws_config::meta::region::ProvideRegion;

    let mut provider = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(profile) = profile {
        provider = provider.profile_name(profile);
    }
    provider.build().region().await.map(|r| r.to_string())
}

#[cfg(not(feature = "default-chain"))]
async fn from_profile(_profile: Option<&str>) -> Option<String> {
    None
}
