//! The `x-amz-date` / `X-Amz-Date` format, `yyyymmddThhmmssZ` (UTC), read and written with the
//! `time` crate, and the range of times it can hold.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::Error;

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// 9999-12-31T23:59:59Z, the last second a four-digit year can write.
const LAST_SECOND: u64 = 253_402_300_799;

/// `time` as a UTC date-time, when it is within 1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z
/// (fractions of the last second included); otherwise an [`ErrorKind::InvalidConfig`]
/// error that names the clock to fix.
///
/// Every signing time, and every "now" an expiry is judged against, goes through here first:
/// `time::OffsetDateTime::from(SystemTime)` and aws-sigv4's date formatting panic past year
/// 9999, `SystemTime` goes far beyond it, and a date before 1970 cannot be written as SigV4
/// reads it.
///
/// [`ErrorKind::InvalidConfig`]: crate::ErrorKind::InvalidConfig
pub(crate) fn check(time: SystemTime) -> Result<OffsetDateTime, Error> {
    let since_epoch = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| out_of_range("before 1970-01-01"))?;
    if since_epoch.as_secs() > LAST_SECOND {
        return Err(out_of_range(&format!(
            "{} s after 1970-01-01, past 9999-12-31",
            since_epoch.as_secs()
        )));
    }
    time::Duration::try_from(since_epoch)
        .ok()
        .and_then(|d| OffsetDateTime::UNIX_EPOCH.checked_add(d))
        .ok_or_else(|| out_of_range("past 9999-12-31"))
}

fn out_of_range(when: &str) -> Error {
    Error::invalid_config(format!(
        "the clock reads a time {when}, outside 1970-01-01 to 9999-12-31, the dates SigV4 \
         signatures and key expiries are written in: fix the clock the time came from (the \
         `time_source` given to the builder, the `now` passed to `mint_short_term_key`, or \
         this machine's clock)"
    ))
}

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
    let time = check(time).unwrap_or_else(|_| {
        if time < UNIX_EPOCH {
            OffsetDateTime::UNIX_EPOCH
        } else {
            time::macros::datetime!(9999-12-31 23:59:59 UTC)
        }
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
        assert_eq!(
            format(UNIX_EPOCH + Duration::from_secs(LAST_SECOND + 1)),
            "99991231T235959Z"
        );
    }

    #[test]
    fn only_times_from_1970_to_9999_pass_the_check() {
        let last = UNIX_EPOCH + Duration::from_secs(LAST_SECOND);
        for ok in [UNIX_EPOCH, last, last + Duration::from_millis(999)] {
            let checked = check(ok).unwrap();
            assert_eq!(SystemTime::from(checked), ok);
        }
        assert_eq!(format(last), "99991231T235959Z");
        assert_eq!(parse("99991231T235959Z"), Some(last));
        for bad in [
            UNIX_EPOCH - Duration::from_nanos(1),
            last + Duration::from_secs(1),
            // What `SystemTime` can still hold, far beyond what `time` can.
            UNIX_EPOCH + Duration::from_secs(i64::MAX as u64),
        ] {
            let err = check(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidConfig);
            assert!(err.to_string().contains("time_source"), "{err}");
        }
    }
}
