//! Clock-skew correction: when a service refuses a request because of the signing time,
//! learn how far this machine's clock is from the server's, from the response's `Date`, and
//! sign with the server's time.
//!
//! A machine whose clock is more than about five minutes off gets every signed request
//! refused. As the AWS SDKs do, the offset is learned only from a refusal whose AWS error code
//! blames the signature or the clock ([`AwsErrorCode`](crate::AwsErrorCode)), and only when
//! `Date` differs from the signing time by more than four minutes, so that an app's own 403
//! (or any other response) can never move the signing time. A response with an `Age` header
//! came from a cache, and one that took more than 15 minutes to arrive may be stale: their
//! `Date` says nothing about now.

use std::time::{Duration, SystemTime};

use http::header::{AGE, DATE};

use crate::auth::hosts::{HostKey, PerHost};
use crate::wire::refusal::AwsErrorCode;

/// A refusal is blamed on the clock when signing time and server time differ by more than
/// this (services allow five minutes; a little less, to be sure).
const FAILING_SKEW_SECS: i64 = 4 * 60;
/// A `Date` from a response that took longer than this is not trusted.
const MAX_ROUND_TRIP: Duration = Duration::from_secs(15 * 60);
/// An offset larger than this is worth a warning of its own.
const LARGE_OFFSET_SECS: i64 = 15 * 60;
/// The latest server time an offset is learned from: 9000-01-01T00:00:00Z. Signing times must
/// stay inside the years 1970 to 9999 (SigV4 writes four-digit years); a millennium of margin
/// keeps a learned offset from carrying later signatures and presigned URLs' expiry past it.
const LATEST_SERVER_TIME_SECS: u64 = 221_845_392_000;

#[derive(Debug)]
pub(crate) struct ClockSkew {
    enabled: bool,
    /// Server minus local time, in seconds, per host: a responder only ever moves the signing
    /// time of its own requests.
    offsets: PerHost<i64>,
}

impl ClockSkew {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            offsets: PerHost::new(),
        }
    }

    /// The signing time for a request to `url` at local time `now`, and the offset applied
    /// (server minus local, seconds).
    pub(crate) fn apply(&self, now: SystemTime, url: &url::Url) -> (SystemTime, i64) {
        match self.offsets.get(url) {
            Some(offset) => (shift(now, offset), offset),
            None => (now, 0),
        }
    }

    /// Whether a refusal from `host` with `code` and `headers`, received at local time `now`
    /// after `round_trip`, to a request signed with offset `used`, was the clock's fault. If
    /// so, the server's offset is learned (and used for that host from now on) and `true`
    /// returned: the request should be signed again.
    pub(crate) fn corrects(
        &self,
        code: &AwsErrorCode,
        headers: &http::HeaderMap,
        now: SystemTime,
        round_trip: Duration,
        used: i64,
        host: &HostKey,
    ) -> bool {
        if !self.enabled
            || !code.blames_clock()
            || headers.contains_key(AGE)
            || round_trip > MAX_ROUND_TRIP
        {
            return false;
        }
        let Some(server) = headers
            .get(DATE)
            .and_then(|date| date.to_str().ok())
            .and_then(|date| httpdate::parse_http_date(date).ok())
        else {
            return false;
        };
        let learned = match server.duration_since(now) {
            Ok(ahead) => secs(ahead),
            Err(behind) => -secs(behind.duration()),
        };
        if (learned - used).abs() <= FAILING_SKEW_SECS {
            return false;
        }
        let in_range = server
            .duration_since(SystemTime::UNIX_EPOCH)
            .is_ok_and(|since| since.as_secs() < LATEST_SERVER_TIME_SECS);
        if !in_range {
            tracing::warn!(
                host = %host,
                code = code.as_str(),
                "ignoring a refusal's `Date` outside the years 1970 to 9000: no clock offset learned"
            );
            return false;
        }
        self.offsets.set(host, learned);
        if learned.abs() > LARGE_OFFSET_SECS {
            tracing::warn!(
                host = %host,
                offset_secs = learned,
                code = code.as_str(),
                "learned a clock offset of more than 15 minutes from this host; signing its requests with its time from now on (fix this machine's clock: NTP)"
            );
        } else {
            tracing::warn!(
                host = %host,
                offset_secs = learned,
                code = code.as_str(),
                "the service refused a request signed {} s away from its clock; signing this host's requests with its time from now on (fix this machine's clock: NTP)",
                learned - used
            );
        }
        true
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

    fn host() -> (url::Url, HostKey) {
        let url = url::Url::parse("https://svc.us-east-1.amazonaws.com/").unwrap();
        let key = HostKey::of(&url).unwrap();
        (url, key)
    }

    fn code(s: &str) -> AwsErrorCode {
        crate::wire::refusal::tests_support::code(s)
    }

    #[test]
    fn only_clock_refusals_with_an_explaining_date_teach_an_offset() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let rtt = Duration::from_millis(20);
        let ahead = headers(&[(
            "date",
            httpdate::fmt_http_date(now + Duration::from_secs(3600)),
        )]);
        let skew = ClockSkew::new(true);
        let (url, key) = host();

        assert!(!skew.corrects(&code("NotYourOrder"), &ahead, now, rtt, 0, &key));
        assert!(!skew.corrects(&code("ExpiredToken"), &ahead, now, rtt, 0, &key));
        assert_eq!(
            skew.apply(now, &url),
            (now, 0),
            "nothing learned from other codes"
        );

        let mut cached = ahead.clone();
        cached.insert(AGE, "30".parse().unwrap());
        assert!(!skew.corrects(&code("SignatureDoesNotMatch"), &cached, now, rtt, 0, &key));
        let slow = Duration::from_secs(16 * 60);
        assert!(!skew.corrects(&code("SignatureDoesNotMatch"), &ahead, now, slow, 0, &key));
        assert!(!skew.corrects(
            &code("SignatureDoesNotMatch"),
            &http::HeaderMap::new(),
            now,
            rtt,
            0,
            &key
        ));
        let garbage = headers(&[("date", "tomorrow".into())]);
        assert!(!skew.corrects(&code("SignatureDoesNotMatch"), &garbage, now, rtt, 0, &key));
        let close = headers(&[(
            "date",
            httpdate::fmt_http_date(now + Duration::from_secs(200)),
        )]);
        assert!(!skew.corrects(&code("RequestTimeTooSkewed"), &close, now, rtt, 0, &key));
        assert_eq!(skew.apply(now, &url).1, 0);

        assert!(skew.corrects(&code("RequestTimeTooSkewed"), &ahead, now, rtt, 0, &key));
        assert_eq!(
            skew.apply(now, &url),
            (now + Duration::from_secs(3600), 3600)
        );
        assert!(
            !skew.corrects(&code("RequestTimeTooSkewed"), &ahead, now, rtt, 3600, &key),
            "already signed with that offset: not the clock"
        );

        let behind = headers(&[(
            "date",
            httpdate::fmt_http_date(now - Duration::from_secs(900)),
        )]);
        assert!(skew.corrects(
            &code("InvalidSignatureException"),
            &behind,
            now,
            rtt,
            3600,
            &key
        ));
        assert_eq!(skew.apply(now, &url).1, -900);

        let other = url::Url::parse("https://other.us-east-1.amazonaws.com/").unwrap();
        assert_eq!(
            skew.apply(now, &other),
            (now, 0),
            "learned for its host only"
        );

        let year_9999 = headers(&[("date", "Fri, 31 Dec 9999 23:59:58 GMT".into())]);
        assert!(!skew.corrects(
            &code("InvalidSignatureException"),
            &year_9999,
            now,
            rtt,
            -900,
            &key
        ));
        assert_eq!(
            skew.apply(now, &url).1,
            -900,
            "an offset past the bound is ignored"
        );

        let off = ClockSkew::new(false);
        assert!(!off.corrects(&code("RequestTimeTooSkewed"), &ahead, now, rtt, 0, &key));
        assert_eq!(off.apply(now, &url), (now, 0));
    }
}
