//! The one grammar of Bedrock's hosts, used by the scope (which hosts a Bedrock setup may
//! reach) and by the region check (which region a host belongs to), so that the two can never
//! disagree. It sits below both and imports nothing of the crate's.

/// The region of a Mantle or bedrock-runtime host (`bedrock-mantle[-fips].{region}.api.aws`,
/// `bedrock-runtime[-fips].{region}.amazonaws.com[.cn]`; any case, trailing dot ignored), or
/// `None` for any other host. The region label must look like one: lower-case letters, digits
/// and `-`.
pub(crate) fn bedrock_region(host: &str) -> Option<&str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let mut labels = host.splitn(3, '.');
    let service = labels.next()?;
    let region = labels.next()?;
    let rest = labels.next()?;
    let known = match service.to_ascii_lowercase().as_str() {
        "bedrock-mantle" | "bedrock-mantle-fips" => rest.eq_ignore_ascii_case("api.aws"),
        "bedrock-runtime" | "bedrock-runtime-fips" => {
            rest.eq_ignore_ascii_case("amazonaws.com")
                || rest.eq_ignore_ascii_case("amazonaws.com.cn")
        }
        _ => false,
    };
    let region_like = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (known && region_like).then_some(region)
}
