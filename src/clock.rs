//! Clock-skew correction: learn how far this machine's clock is from the server's, from the
//! `Date` header of responses, and sign with the server's time.
//!
//! A machine whose clock is off by more than about five minutes gets every signed request
//! refused (`RequestTimeTooSkewed`, `SignatureDoesNotMatch`, `InvalidSignatureException`). The AWS
//! SDKs learn the offset from each response's `Date` and sign the next request with it; a
//! refused request whose failure the offset explains is signed again and sent once more. A
//! response with an `Age` header came from a cache, and its `Date` says nothing about now.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use http::StatusCode;
use http::header::{AGE, DATE};

/// Offsets smaller than this are the `Date` header's one-second resolution plus latency.
const IGNORED_SKEW_SECS: i64 = 60;
/// A refusal is blamed on the clock when signing time and server time differ by more than
/// this (services allow five minutes; a little less, to be sure).
const FAILING_SKEW_SECS: i64 = 4 * 60;

#[derive(Debug)]
pub(crate) struct ClockSkew {
    enabled: bool,
    offset_secs: AtomicI64,
}

impl ClockSkew {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            offset_secs: AtomicI64::new(0),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// The signing time for a local `now`, and the offset applied (server minus local, seconds).
    pub(crate) fn apply(&self, now: SystemTime) -> (SystemTime, i64) {
        let offset = self.offset_secs.load(Ordering::Relaxed);
        (shift(now, offset), offset)
    }

    /// Learns the offset from `headers` of a response received at local time `now`. Returns
    /// the offset now in force, or `None` when the response says nothing about the time.
    pub(crate) fn learn(&self, headers: &http::HeaderMap, now: SystemTime) -> Option<i64> {
        if !self.enabled || headers.contains_key(AGE) {
            return None;
        }
        let date = headers.get(DATE)?.to_str().ok()?;
        let server = httpdate::parse_http_date(date).ok()?;
        let offset = match server.duration_since(now) {
            Ok(ahead) => secs(ahead),
            Err(behind) => -secs(behind.duration()),
        };
        let offset = if offset.abs() < IGNORED_SKEW_SECS {
            0
        } else {
            offset
        };
        let previous = self.offset_secs.swap(offset, Ordering::Relaxed);
        if previous != offset && offset != 0 {
            tracing::warn!(
                offset_secs = offset,
                "this machine's clock differs from the server's by {offset} s; signing with the server's time (fix the clock: NTP)"
            );
        }
        Some(offset)
    }

    /// Whether a response with `status`, to a request signed with offset `used`, was refused
    /// because of the clock, given the offset `learned` from it.
    pub(crate) fn explains_refusal(status: StatusCode, used: i64, learned: i64) -> bool {
        matches!(
            status,
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST
        ) && (learned - used).abs() > FAILING_SKEW_SECS
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn shift(now: SystemTime, offset: i64) -> SystemTime {
    let by = Duration::from_secs(offset.unsigned_abs());
    if offset >= 0 {
        now.checked_add(by).unwrap_or(now)
    } else {
        now.checked_sub(by).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, String)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn learns_from_date_and_ignores_cached_responses() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let skew = ClockSkew::new(true);
        let ahead = httpdate::fmt_http_date(now + Duration::from_secs(3600));
        assert_eq!(
            skew.learn(&headers(&[("date", ahead.clone())]), now),
            Some(3600)
        );
        assert_eq!(skew.apply(now).0, now + Duration::from_secs(3600));

        let cached = headers(&[("date", httpdate::fmt_http_date(now)), ("age", "30".into())]);
        assert_eq!(skew.learn(&cached, now), None);
        assert_eq!(skew.apply(now).1, 3600, "a cached Date changes nothing");

        let close = httpdate::fmt_http_date(now - Duration::from_secs(20));
        assert_eq!(skew.learn(&headers(&[("date", close)]), now), Some(0));
        assert_eq!(skew.apply(now), (now, 0));

        let behind = httpdate::fmt_http_date(now - Duration::from_secs(900));
        assert_eq!(skew.learn(&headers(&[("date", behind)]), now), Some(-900));
        assert_eq!(
            skew.learn(&headers(&[("date", "not a date".into())]), now),
            None
        );
        assert_eq!(skew.learn(&http::HeaderMap::new(), now), None);

        let off = ClockSkew::new(false);
        assert_eq!(off.learn(&headers(&[("date", ahead)]), now), None);
        assert_eq!(off.apply(now), (now, 0));
    }

    #[test]
    fn only_refusals_the_offset_explains_are_blamed_on_the_clock() {
        assert!(ClockSkew::explains_refusal(StatusCode::FORBIDDEN, 0, 3600));
        assert!(ClockSkew::explains_refusal(
            StatusCode::BAD_REQUEST,
            0,
            -600
        ));
        assert!(!ClockSkew::explains_refusal(
            StatusCode::FORBIDDEN,
            3600,
            3600
        ));
        assert!(!ClockSkew::explains_refusal(StatusCode::FORBIDDEN, 0, 120));
        assert!(!ClockSkew::explains_refusal(StatusCode::NOT_FOUND, 0, 3600));
        assert!(!ClockSkew::explains_refusal(StatusCode::OK, 0, 3600));
    }
}
