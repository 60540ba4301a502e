//! Checks of signing names and region names, shared by every builder and per-request override.

use crate::error::Error;

pub(crate) fn validate_service(service: Option<&str>) -> Result<String, Error> {
    let Some(service) = service else {
        return Err(Error::invalid_config(
            "no signing name: call `.service(\"...\")` with the service's SigV4 signing name, \
             such as `execute-api`, `lambda`, `es`, `aoss`, `s3` or `bedrock-mantle`",
        ));
    };
    let valid = !service.is_empty()
        && service.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_')
        });
    if valid {
        Ok(service.to_owned())
    } else {
        // Escaped: the name may come from a CLI argument or a file, with line breaks or
        // terminal escapes in it.
        Err(Error::invalid_config(format!(
            "`{}` is not a SigV4 signing name: use the lowercase name from the service's \
             documentation, such as `execute-api`, `lambda`, `es`, `aoss`, `s3` or \
             `bedrock-mantle`",
            service.escape_debug()
        )))
    }
}

pub(crate) fn validate_region(region: &str) -> Result<(), Error> {
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_config(format!(
            "`{}` is not an AWS region name: use a code such as `us-east-1` or `eu-west-1`",
            region.escape_debug()
        )))
    }
}
