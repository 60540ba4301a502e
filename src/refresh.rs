//! A value loaded on first use and refreshed ahead of its expiry, shared by every caller:
//! AWS credentials and minted Bedrock API keys.
//!
//! - One load at a time (single-flight): concurrent first callers wait for the same load.
//! - Refresh starts at `refresh_at`; while the value is still valid, one caller refreshes and
//!   the others carry on with the current value instead of waiting.
//! - A failure is never stored. A failed early refresh keeps the valid value serving and is
//!   not retried for a few seconds, so a broken provider is not called on every request.

use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use crate::error::Error;

/// After a failed early refresh, keep serving the valid value this long before trying again.
const RETRY_AFTER_FAILED_REFRESH: Duration = Duration::from_secs(10);

/// A freshly loaded value and when to refresh it (`None`: never).
#[derive(Debug)]
pub(crate) struct Fresh<T> {
    pub(crate) value: T,
    pub(crate) refresh_at: Option<SystemTime>,
    pub(crate) expires_at: Option<SystemTime>,
}

#[derive(Clone, Debug)]
struct Entry<T> {
    value: T,
    refresh_at: Option<SystemTime>,
    expires_at: Option<SystemTime>,
    retry_after: Option<SystemTime>,
}

impl<T> Entry<T> {
    fn fresh_at(&self, now: SystemTime) -> bool {
        self.refresh_at.is_none_or(|at| now < at)
    }
    fn valid_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

#[derive(Debug)]
pub(crate) struct Refreshing<T> {
    current: RwLock<Option<Entry<T>>>,
    refresh: tokio::sync::Mutex<()>,
}

impl<T: Clone> Refreshing<T> {
    pub(crate) fn new() -> Self {
        Self {
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn snapshot(&self) -> Option<Entry<T>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<Entry<T>>> {
        self.current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value valid at `now()`: cached, refreshed early by one caller, or loaded with
    /// `load(now)`. `what` names the value in the warning logged when an early refresh fails.
    pub(crate) async fn get<Fut>(
        &self,
        now: impl Fn() -> SystemTime,
        what: &'static str,
        load: impl Fn(SystemTime) -> Fut,
    ) -> Result<T, Error>
    where
        Fut: Future<Output = Result<Fresh<T>, Error>>,
    {
        let at = now();
        if let Some(entry) = self.snapshot() {
            if entry.fresh_at(at) {
                return Ok(entry.value);
            }
            if entry.valid_at(at) {
                let Ok(_guard) = self.refresh.try_lock() else {
                    return Ok(entry.value);
                };
                let entry = self.snapshot().unwrap_or(entry);
                if entry.fresh_at(at) || entry.retry_after.is_some_and(|r| at < r) {
                    return Ok(entry.value);
                }
                return match load(at).await {
                    Ok(fresh) => Ok(self.store(fresh)),
                    Err(err) => {
                        tracing::warn!(error = %err, "refreshing the {what} failed; still using the current one until it expires");
                        if let Some(entry) = self.write().as_mut() {
                            entry.retry_after = Some(at + RETRY_AFTER_FAILED_REFRESH);
                        }
                        Ok(entry.value)
                    }
                };
            }
        }
        let _guard = self.refresh.lock().await;
        let at = now();
        if let Some(entry) = self.snapshot()
            && entry.fresh_at(at)
        {
            return Ok(entry.value);
        }
        Ok(self.store(load(at).await?))
    }

    fn store(&self, fresh: Fresh<T>) -> T {
        *self.write() = Some(Entry {
            value: fresh.value.clone(),
            refresh_at: fresh.refresh_at,
            expires_at: fresh.expires_at,
            retry_after: None,
        });
        fresh.value
    }
}
