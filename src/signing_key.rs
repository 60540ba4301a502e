//! A cache of the derived SigV4 signing key.
//!
//! The key is four HMAC-SHA256s of the secret, the date, the region and the signing name
//! (`aws4_request`), and changes once a day; deriving it for every request is most of a small
//! request's signing CPU. It is derived here only with aws-sigv4's own
//! [`generate_signing_key`], and cached for the one (secret, date, region, signing name) it was
//! derived for: a different secret (rotated credentials), another day, region or signing name
//! derives it again. The secret is compared in constant time, and neither it nor the key is
//! ever printed: the cache's `Debug` shows nothing of them.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_sigv4::sign::v4::generate_signing_key;
use subtle::ConstantTimeEq;

/// How many (secret, date, region, signing name) keys one cache holds: a few, for credentials
/// rotating or a day changing while requests are in flight, or regions used side by side.
const SLOTS: usize = 4;

/// A few derived keys and what each was derived from. Clones of a [`SigningKeyCache`] share
/// them.
#[derive(Clone, Default)]
pub(crate) struct SigningKeyCache {
    slots: Arc<Mutex<Slots>>,
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
    ) -> [u8; 32] {
        if let Ok(slots) = self.slots.lock()
            && let Some(entry) = slots
                .entries
                .iter()
                .find(|e| e.is_for(secret, date, region, service))
        {
            return entry.key;
        }
        // Derived without the lock held; a concurrent miss derives the same key.
        let derived = generate_signing_key(secret, time, region, service);
        let mut key = [0u8; 32];
        key.copy_from_slice(derived.as_ref());
        if let Ok(mut slots) = self.slots.lock()
            && !slots
                .entries
                .iter()
                .any(|e| e.is_for(secret, date, region, service))
        {
            let entry = Entry {
                secret: secret.as_bytes().into(),
                date: *date,
                region: region.into(),
                service: service.into(),
                key,
            };
            if slots.entries.len() < SLOTS {
                slots.entries.push(entry);
            } else {
                let next = slots.next;
                slots.entries[next] = entry;
                slots.next = (next + 1) % SLOTS;
            }
        }
        key
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
        let key = cache.key("secret", &date, "eu-west-1", "s3", t);
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
            key
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
            let other = cache.key(secret, &date, region, service, time);
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
    fn clones_share_the_cache() {
        let cache = SigningKeyCache::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        cache
            .clone()
            .key("secret", b"20251124", "us-east-1", "es", t);
        assert!(cache.is_cached_for("secret", b"20251124", "us-east-1", "es"));
    }

    #[test]
    fn debug_shows_neither_secret_nor_key() {
        let cache = SigningKeyCache::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let key = cache.key("wJalrXUtnFEMI/K7MDENG", b"20251124", "us-east-1", "es", t);
        let debug = format!("{cache:?}");
        assert_eq!(debug, "SigningKeyCache { .. }");
        assert!(!debug.contains("wJalr"));
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!debug.contains(&hex[..8]));
    }
}
