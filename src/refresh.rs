//! A value loaded on first use and refreshed ahead of its expiry, shared by every caller:
//! AWS credentials and minted Bedrock API keys.
//!
//! - One load at a time (single-flight), for successes and failures alike: callers that
//!   waited on a load get its outcome, and after a failed load the provider is left alone for
//!   [`FAILED_LOAD_BACKOFF`] (requests in that window get the same error at once).
//! - Every load is bounded by a timeout: a hung provider fails requests with a retryable
//!   [`ErrorKind::ProviderTimeout`] instead of hanging them.
//! - Refresh starts at `refresh_at`; while the value is still valid, one caller refreshes and
//!   the others carry on with the current value instead of waiting. A failed early refresh
//!   keeps the valid value serving and is tried again a little later (never later than half
//!   of its remaining lifetime), so a broken provider is not called on every request.
//! - A value the server has refused can be dropped ([`Refreshing::invalidate`]).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::error::{Error, ErrorKind};

/// After a failed early refresh, keep serving the valid value this long (at most) before
/// trying again.
const RETRY_AFTER_FAILED_REFRESH: Duration = Duration::from_secs(10);
/// After a failed load (with no valid value to fall back on), requests fail with the same
/// error for this long without calling the provider.
pub(crate) const FAILED_LOAD_BACKOFF: Duration = Duration::from_secs(1);

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
struct Failure {
    error: Error,
    at: Instant,
    load: u64,
}

/// What a load is bounded by, and how a timeout is explained.
#[derive(Clone, Debug)]
pub(crate) struct LoadLimit {
    pub(crate) timeout: Duration,
    /// Names the provider in the timeout error, e.g. "the AWS SDK's default credential chain".
    pub(crate) provider: String,
}

impl LoadLimit {
    pub(crate) fn timed_out(&self) -> Error {
        Error::new(
            ErrorKind::ProviderTimeout,
            format!(
                "{} did not answer within {} ms, so the request was not sent: check that what it \
                 calls answers (instance or container metadata, SSO, STS, a `credential_process`, \
                 your own service), or raise the limit with `.credentials_timeout(...)` on the \
                 builder; the next request asks again",
                self.provider,
                self.timeout.as_millis()
            ),
        )
        .retryable(true)
    }
}

#[derive(Debug)]
pub(crate) struct Refreshing<T> {
    limit: LoadLimit,
    current: RwLock<Option<Entry<T>>>,
    refresh: tokio::sync::Mutex<()>,
    /// Counts finished loads, so that a caller that waited can tell one happened meanwhile.
    loads: AtomicU64,
    failure: Mutex<Option<Failure>>,
}

impl<T: Clone> Refreshing<T> {
    pub(crate) fn new(limit: LoadLimit) -> Self {
        Self {
            limit,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            loads: AtomicU64::new(0),
            failure: Mutex::new(None),
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

    fn failure(&self) -> std::sync::MutexGuard<'_, Option<Failure>> {
        self.failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached value when it is fresh at `now` (no load or refresh due): what almost every
    /// request gets, without waiting.
    pub(crate) fn fresh(&self, now: SystemTime) -> Option<T> {
        let current = self
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        current
            .as_ref()
            .filter(|entry| entry.fresh_at(now))
            .map(|entry| entry.value.clone())
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
        if let Some(value) = self.fresh(now()) {
            return Ok(value);
        }
        // Boxed: the loading state is large, and every request's future would carry it.
        Box::pin(self.load_or_refresh(now, what, load)).await
    }

    async fn load_or_refresh<Fut>(
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
                return Ok(self.refresh_early(entry, at, what, &load).await);
            }
        }
        if let Some(error) = self.recent_failure(None) {
            return Err(error);
        }
        let seen = self.loads.load(Ordering::Acquire);
        let _guard = self.refresh.lock().await;
        let at = now();
        if let Some(entry) = self.snapshot()
            && (entry.fresh_at(at)
                || (self.loads.load(Ordering::Acquire) != seen && entry.valid_at(at)))
        {
            return Ok(entry.value);
        }
        if let Some(error) = self.recent_failure(Some(seen)) {
            return Err(error);
        }
        let outcome = self.bounded(load(at)).await;
        self.loads.fetch_add(1, Ordering::AcqRel);
        match outcome {
            Ok(fresh) => {
                *self.failure() = None;
                Ok(self.store(fresh))
            }
            Err(error) => {
                *self.failure() = Some(Failure {
                    error: error.clone(),
                    at: Instant::now(),
                    load: self.loads.load(Ordering::Acquire),
                });
                Err(error)
            }
        }
    }

    /// The last failure, if it is recent enough to hand out again: within the back-off, or
    /// (`waited_since`) finished by a load that started while this caller waited.
    fn recent_failure(&self, waited_since: Option<u64>) -> Option<Error> {
        let failure = self.failure();
        let failure = failure.as_ref()?;
        let shared = waited_since.is_some_and(|seen| failure.load > seen);
        (shared || failure.at.elapsed() < FAILED_LOAD_BACKOFF).then(|| failure.error.clone())
    }

    /// One caller refreshes a still-valid value; everyone else (and that caller, if the
    /// refresh fails) keeps using it.
    async fn refresh_early<Fut>(
        &self,
        entry: Entry<T>,
        at: SystemTime,
        what: &'static str,
        load: &impl Fn(SystemTime) -> Fut,
    ) -> T
    where
        Fut: Future<Output = Result<Fresh<T>, Error>>,
    {
        let Ok(_guard) = self.refresh.try_lock() else {
            return entry.value;
        };
        let entry = self.snapshot().unwrap_or(entry);
        if entry.fresh_at(at) || entry.retry_after.is_some_and(|r| at < r) || !entry.valid_at(at) {
            return entry.value;
        }
        let outcome = self.bounded(load(at)).await;
        self.loads.fetch_add(1, Ordering::AcqRel);
        match outcome {
            Ok(fresh) => self.store(fresh),
            Err(err) => {
                tracing::warn!(error = %err, "refreshing the {what} failed; still using the current one until it expires");
                let remaining = entry
                    .expires_at
                    .and_then(|exp| exp.duration_since(at).ok())
                    .unwrap_or(RETRY_AFTER_FAILED_REFRESH * 2);
                if let Some(current) = self.write().as_mut() {
                    current.retry_after = Some(at + RETRY_AFTER_FAILED_REFRESH.min(remaining / 2));
                }
                entry.value
            }
        }
    }

    async fn bounded<Fut>(&self, load: Fut) -> Result<Fresh<T>, Error>
    where
        Fut: Future<Output = Result<Fresh<T>, Error>>,
    {
        match tokio::time::timeout(self.limit.timeout, load).await {
            Ok(outcome) => outcome,
            Err(_) => Err(self.limit.timed_out()),
        }
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

    /// Drops the cached value if `is_refused` says it is the one a server refused (a newer
    /// value, loaded meanwhile, is kept). Returns whether it was dropped.
    pub(crate) fn invalidate(&self, is_refused: impl Fn(&T) -> bool) -> bool {
        let mut current = self.write();
        if current
            .as_ref()
            .is_some_and(|entry| is_refused(&entry.value))
        {
            *current = None;
            true
        } else {
            false
        }
    }
}
