//! The `x-amz-date` / `X-Amz-Date` format, `yyyymmddThhmmssZ` (UTC), read and written with the
//! `time` crate.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// `yyyymmddThhmmssZ` as a time; `None` for anything else (signs, wrong length, a field out of
/// range, a date before 1970).
pub(crate) fn parse(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 16
        && b.iter().enumerate().all(|(i, c)| match i {
            8 => *c == b'T',
            15 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let time = PrimitiveDateTime::parse(s, FORMAT).ok()?.assume_utc();
    let since_epoch = time - OffsetDateTime::UNIX_EPOCH;
    Some(UNIX_EPOCH + std::time::Duration::try_from(since_epoch).ok()?)
}

/// `time` as `yyyymmddThhmmssZ` (times before 1970 or past 9999 are clamped to those ends).
pub(crate) fn format(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let time = time::Duration::try_from(since_epoch)
        .ok()
        .and_then(|d| OffsetDateTime::UNIX_EPOCH.checked_add(d))
        .filter(|t| t.year() <= 9999)
        .unwrap_or_else(|| {
            PrimitiveDateTime::parse("99991231T235959Z", FORMAT)
                .map(PrimitiveDateTime::assume_utc)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        });
    time.format(FORMAT).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_and_refuses_malformed_dates() {
        for s in [
            "19700101T000000Z",
            "20150830T123600Z",
            "20000229T235959Z",
            "20240229T235959Z",
            "20261129T120000Z",
        ] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
        assert_eq!(
            parse("20150830T123600Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_440_938_160))
        );
        assert_eq!(
            parse("20261129T120000Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_953_600))
        );
        for bad in [
            "",
            "20150830T123600",
            "2015-08-30T12:36:00Z",
            "20150230T123600Z",
            "20150830T243600Z",
            "20150830T123660Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
            "2026112 T120000Z",
            "19691231T235959Z",
            "20261129T120000Zé",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(
            format(UNIX_EPOCH - Duration::from_secs(1)),
            "19700101T000000Z"
        );
    }
}
