//! A cache of the derived SigV4 signing key.
//!
//! The key is four HMAC-SHA256s of the secret, the date, the region and the signing name
//! (`aws4_request`), and changes once a day; deriving it for every request is most of a small
//! request's signing CPU. It is derived here only with aws-sigv4's own
//! [`generate_signing_key`], and cached for the one (secret, date, region, signing name) it was
//! derived for: a different secret (rotated credentials), another day, region or signing name
//! derives it again. The secret is compared in constant time, and neither it nor the key is
//! ever printed: the cache's `Debug` shows nothing of them.
//!
//! The same cache holds the `x-amz-security-token` header value of the credentials last
//! signed with: a session token is 500 to 1,500 bytes, and checking and copying it into a new
//! header value for every request cost more than signing a small request. The value is marked
//! sensitive, kept together with the credentials it came from (so that rotated credentials
//! never get an old token), and never printed either.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::sign::v4::generate_signing_key;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::HeaderValue;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How many (secret, date, region, signing name) keys one cache holds: a few, for credentials
/// rotating or a day changing while requests are in flight, or regions used side by side.
const SLOTS: usize = 4;

/// A few derived keys and what each was derived from. Clones of a [`SigningKeyCache`] share
/// them.
#[derive(Clone, Default)]
pub(crate) struct SigningKeyCache {
    slots: Arc<Mutex<Slots>>,
    token: Arc<Mutex<Option<TokenHeader>>>,
}

/// The session token of `credentials` as a header value (checked, copied, sensitive).
struct TokenHeader {
    credentials: Credentials,
    value: HeaderValue,
}

#[derive(Default)]
struct Slots {
    entries: Vec<Entry>,
    /// The entry replaced next once all are used.
    next: usize,
}

struct Entry {
    secret: Box<[u8]>,
    date: [u8; 8],
    region: Box<str>,
    service: Box<str>,
    key: [u8; 32],
    /// HMAC-SHA256 already keyed with `key`: each signature clones it instead of hashing the
    /// key's pads again.
    mac: Hmac<Sha256>,
}

impl Entry {
    fn is_for(&self, secret: &str, date: &[u8; 8], region: &str, service: &str) -> bool {
        // Cheap, public parts first; the secret last and in constant time.
        &self.date == date
            && *self.region == *region
            && *self.service == *service
            && bool::from(self.secret.as_ref().ct_eq(secret.as_bytes()))
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKeyCache { .. }")
    }
}

impl SigningKeyCache {
    /// The signing key for `secret` on `date` (`yyyymmdd` of `time`, UTC) in `region` for
    /// `service`: the cached one when it was derived from the same four, else derived with
    /// aws-sigv4's [`generate_signing_key`] (and cached in place of the previous one).
    pub(crate) fn key(
        &self,
        secret: &str,
        date: &[u8; 8],
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> Option<[u8; 32]> {
        self.with_entry(secret, date, region, service, time, |entry| entry.key)
    }

    /// HMAC-SHA256 keyed with [`key`](Self::key)'s signing key, ready for the string to sign.
    pub(crate) fn mac(
        &self,
        secret: &str,
        date: &[u8; 8],
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> Option<Hmac<Sha256>> {
        self.with_entry(secret, date, region, service, time, |entry| {
            entry.mac.clone()
        })
    }

    fn with_entry<R>(
        &self,
        secret: &str,
        date: &[u8; 8],
        region: &str,
        service: &str,
        time: SystemTime,
        read: impl Fn(&Entry) -> R,
    ) -> Option<R> {
        if let Ok(slots) = self.slots.lock()
            && let Some(entry) = slots
                .entries
                .iter()
                .find(|e| e.is_for(secret, date, region, service))
        {
            return Some(read(entry));
        }
        // aws-sigv4 formats `time` itself, and panics past 9999.
        crate::sigv4::amz_date::check(time).ok()?;
        // Derived without the lock held; a concurrent miss derives the same key.
        let derived = generate_signing_key(secret, time, region, service);
        let mut key = [0u8; 32];
        key.copy_from_slice(derived.as_ref());
        let entry = Entry {
            secret: secret.as_bytes().into(),
            date: *date,
            region: region.into(),
            service: service.into(),
            key,
            mac: Hmac::new_from_slice(&key).ok()?,
        };
        let value = read(&entry);
        if let Ok(mut slots) = self.slots.lock()
            && !slots
                .entries
                .iter()
                .any(|e| e.is_for(secret, date, region, service))
        {
            if slots.entries.len() < SLOTS {
                slots.entries.push(entry);
            } else {
                let next = slots.next;
                slots.entries[next] = entry;
                slots.next = (next + 1) % SLOTS;
            }
        }
        Some(value)
    }

    /// The `x-amz-security-token` value for the session token of `credentials`, marked
    /// sensitive: the cached one when it came from the same token, else made (and cached)
    /// when `accept` allows the token and it is a valid header value. `None`: no token, or
    /// one `accept` or `http` refuses.
    pub(crate) fn token_header(
        &self,
        credentials: &Credentials,
        accept: impl FnOnce(&str) -> bool,
    ) -> Option<HeaderValue> {
        let token = credentials.session_token()?;
        if let Ok(cached) = self.token.lock()
            && let Some(cached) = cached.as_ref()
            // The same allocation (kept alive by the cached credentials), or the same text,
            // compared in constant time as the secret is.
            && cached.credentials.session_token().is_some_and(|held| {
                std::ptr::eq(held, token) || bool::from(held.as_bytes().ct_eq(token.as_bytes()))
            })
        {
            return Some(cached.value.clone());
        }
        if !accept(token) {
            return None;
        }
        let mut value =
            HeaderValue::from_maybe_shared(Bytes::copy_from_slice(token.as_bytes())).ok()?;
        value.set_sensitive(true);
        if let Ok(mut cached) = self.token.lock() {
            *cached = Some(TokenHeader {
                credentials: credentials.clone(),
                value: value.clone(),
            });
        }
        Some(value)
    }

    #[cfg(test)]
    pub(crate) fn has_any(&self) -> bool {
        !self.slots.lock().unwrap().entries.is_empty()
    }

    #[cfg(test)]
    fn is_cached_for(&self, secret: &str, date: &[u8; 8], region: &str, service: &str) -> bool {
        self.slots
            .lock()
            .unwrap()
            .entries
            .iter()
            .any(|e| e.is_for(secret, date, region, service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const DAY: Duration = Duration::from_secs(86_400);

    fn derived(secret: &str, time: SystemTime, region: &str, service: &str) -> [u8; 32] {
        let key = generate_signing_key(secret, time, region, service);
        key.as_ref().try_into().unwrap()
    }

    #[test]
    fn a_key_is_reused_only_for_the_same_secret_date_region_and_service() {
        let cache = SigningKeyCache::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000); // 2025-11-24
        let date = *b"20251124";
        let key = cache.key("secret", &date, "eu-west-1", "s3", t).unwrap();
        assert_eq!(key, derived("secret", t, "eu-west-1", "s3"));
        assert!(cache.is_cached_for("secret", &date, "eu-west-1", "s3"));
        // Later the same day: the same key, from the cache.
        assert_eq!(
            cache.key(
                "secret",
                &date,
                "eu-west-1",
                "s3",
                t + Duration::from_secs(60)
            ),
            Some(key)
        );

        // Each of the four changed derives a different key, never the cached one.
        let next_day = t + DAY;
        for (secret, date, region, service, time) in [
            ("secreT", date, "eu-west-1", "s3", t),
            ("secret", *b"20251125", "eu-west-1", "s3", next_day),
            ("secret", date, "eu-west-2", "s3", t),
            ("secret", date, "eu-west-1", "s3express", t),
            ("secret-longer", date, "eu-west-1", "s3", t),
        ] {
            let other = cache.key(secret, &date, region, service, time).unwrap();
            assert_ne!(other, key, "{secret} {region} {service}");
            assert_eq!(other, derived(secret, time, region, service));
            assert!(cache.is_cached_for(secret, &date, region, service));
        }
        // Six keys through four slots: the oldest went first.
        assert!(!cache.is_cached_for("secret", b"20251124", "eu-west-1", "s3"));
        assert!(cache.is_cached_for("secret-longer", b"20251124", "eu-west-1", "s3"));
        assert_eq!(cache.slots.lock().unwrap().entries.len(), SLOTS);
    }

    #[test]
    fn no_key_is_derived_for_a_time_past_9999() {
        let cache = SigningKeyCache::default();
        // aws-sigv4's own derivation panics here (it formats the date).
        let year_10000 = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert_eq!(
            cache.key("secret", b"99991231", "us-east-1", "es", year_10000),
            None
        );
        assert!(!cache.is_cached_for("secret", b"99991231", "us-east-1", "es"));
    }

    #[test]
    fn clones_share_the_cache() {
        let cache = SigningKeyCache::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        cache
            .clone()
            .key("secret", b"20251124", "us-east-1", "es", t);
        assert!(cache.is_cached_for("secret", b"20251124", "us-east-1", "es"));
    }

    fn session(secret: &str, token: &str) -> Credentials {
        Credentials::new("AKIDEXAMPLE", secret, Some(token.to_owned()), None, "test")
    }

    #[test]
    fn the_token_header_follows_the_credentials() {
        let cache = SigningKeyCache::default();
        let plain = |t: &str| t.bytes().all(|b| (0x20..0x7f).contains(&b));
        let first = session("secret", "token-one");
        let value = cache.token_header(&first, plain).unwrap();
        assert_eq!(value, "token-one");
        assert!(value.is_sensitive());
        // Cached: `accept` is not asked again for the same credentials or the same token text.
        let again = cache
            .token_header(&first.clone(), |_| panic!("not cached"))
            .unwrap();
        assert_eq!(again, "token-one");
        let same_text = session("secret", "token-one");
        assert_eq!(
            cache
                .token_header(&same_text, |_| panic!("not cached"))
                .unwrap(),
            "token-one"
        );
        // Rotated credentials get their own token, never the cached one.
        let rotated = session("secret", "token-two");
        assert_eq!(cache.token_header(&rotated, plain).unwrap(), "token-two");
        assert_eq!(cache.token_header(&first, plain).unwrap(), "token-one");
        // Refused by `accept` or by `http`, or no token at all: no value, and nothing cached.
        assert!(
            cache
                .token_header(&session("s", "tok\u{e9}n"), plain)
                .is_none()
        );
        assert!(
            cache
                .token_header(&session("s", "tok\nen"), |_| true)
                .is_none()
        );
        let long_term = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        assert!(cache.token_header(&long_term, |_| true).is_none());
        assert_eq!(
            cache
                .token_header(&first, |_| panic!("not cached"))
                .unwrap(),
            "token-one"
        );
    }

    #[test]
    fn debug_shows_neither_secret_nor_key() {
        let cache = SigningKeyCache::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let key = cache
            .key("wJalrXUtnFEMI/K7MDENG", b"20251124", "us-east-1", "es", t)
            .unwrap();
        cache.token_header(
            &session("wJalrXUtnFEMI/K7MDENG", "FwoGZXIvYXdzEXAMPLE"),
            |_| true,
        );
        let debug = format!("{cache:?}");
        assert!(!debug.contains("FwoGZ"));
        assert_eq!(debug, "SigningKeyCache { .. }");
        assert!(!debug.contains("wJalr"));
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!debug.contains(&hex[..8]));
    }
}
