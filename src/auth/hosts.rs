//! What the middleware learns about one host from its answers (a clock offset, a refusal of
//! fresh credentials), kept per host so that one responder can never change how requests to
//! another are signed.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use url::Url;

/// At most this many hosts are remembered; the oldest entry makes room for a new one. Only
/// hosts in scope answer with anything worth remembering.
const MAX_HOSTS: usize = 64;

/// A host and port, as the URL names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostKey {
    host: Box<str>,
    port: u16,
}

impl HostKey {
    pub(crate) fn of(url: &Url) -> Option<Self> {
        Some(Self {
            host: host_of(url)?.into(),
            port: url.port_or_known_default()?,
        })
    }

    fn is(&self, url: &Url) -> bool {
        host_of(url) == Some(&*self.host) && url.port_or_known_default() == Some(self.port)
    }
}

impl std::fmt::Display for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

fn host_of(url: &Url) -> Option<&str> {
    let host = url.host_str()?;
    Some(host.strip_suffix('.').unwrap_or(host))
}

/// A small table of `T` per host. Reading it for a host costs one atomic load while nothing was
/// ever learned, which is almost always.
#[derive(Debug)]
pub(crate) struct PerHost<T> {
    any: AtomicBool,
    entries: RwLock<Vec<(HostKey, T)>>,
}

impl<T: Copy> PerHost<T> {
    pub(crate) fn new() -> Self {
        Self {
            any: AtomicBool::new(false),
            entries: RwLock::new(Vec::new()),
        }
    }

    /// What is known about `url`'s host.
    pub(crate) fn get(&self, url: &Url) -> Option<T> {
        self.find(|key| key.is(url))
    }

    /// What is known about `key`.
    pub(crate) fn get_key(&self, key: &HostKey) -> Option<T> {
        self.find(|k| k == key)
    }

    fn find(&self, matches: impl Fn(&HostKey) -> bool) -> Option<T> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .iter()
            .find(|(key, _)| matches(key))
            .map(|(_, value)| *value)
    }

    /// Remembers `value` for `key` (replacing what was known).
    pub(crate) fn set(&self, key: &HostKey, value: T) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = entries.iter_mut().find(|(k, _)| k == key) {
            entry.1 = value;
        } else {
            if entries.len() >= MAX_HOSTS {
                entries.remove(0);
            }
            entries.push((key.clone(), value));
        }
        self.any.store(true, Ordering::Release);
    }

    /// Forgets `key`'s entry.
    pub(crate) fn remove(&self, key: &HostKey) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.retain(|(k, _)| k != key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn entries_are_per_host_and_port_and_bounded() {
        let table = PerHost::new();
        assert_eq!(table.get(&url("https://a.example/")), None);
        table.set(&HostKey::of(&url("https://A.example./x")).unwrap(), 1);
        assert_eq!(table.get(&url("https://a.example:443/y")), Some(1));
        assert_eq!(table.get(&url("http://a.example/")), None, "another port");
        assert_eq!(table.get(&url("https://b.example/")), None);
        for i in 0..MAX_HOSTS {
            table.set(
                &HostKey::of(&url(&format!("https://h{i}.example/"))).unwrap(),
                2,
            );
        }
        assert_eq!(
            table.get(&url("https://a.example/")),
            None,
            "oldest made room"
        );
        assert_eq!(table.get(&url("https://h0.example/")), Some(2));
        table.remove(&HostKey::of(&url("https://h0.example/")).unwrap());
        assert_eq!(table.get(&url("https://h0.example/")), None);
    }
}
