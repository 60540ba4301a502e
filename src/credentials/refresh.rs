//! A value loaded on first use and refreshed ahead of its expiry, shared by every caller:
//! AWS credentials, the first-use resolution of where they come from, bearer tokens from a
//! provider, and minted Bedrock API keys.
//!
//! - One load at a time (single-flight), for successes and failures alike: callers that
//!   waited on a load get its outcome, and after a failed load the provider is left alone for
//!   [`FAILED_LOAD_BACKOFF`] (requests in that window get the same error at once).
//! - A load runs as a task of its own: a caller that gives up (an app's timeout, `select!`)
//!   stops waiting, but never cancels the load the others wait on, and its outcome is kept
//!   for the callers that come after.
//! - Every load is bounded by a timeout: a hung provider fails requests with a retryable
//!   [`ErrorKind::ProviderTimeout`] instead of hanging them. A timeout is a failure.
//! - A provider that panics fails the load with a typed error, like any other failure; the
//!   panic never reaches a caller's task.
//! - Refresh starts at `refresh_at`; while the value is still valid, one caller refreshes and
//!   the others carry on with the current value instead of waiting. A failed early refresh
//!   keeps the valid value serving and is tried again a little later (never later than half
//!   of its remaining lifetime), so a broken provider is not called on every request.
//! - A value the server has refused can be dropped ([`Refreshing::invalidate`]).

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
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

    /// The provider panicked. Not retryable: a panic is a bug in the provider, and the same
    /// request is likely to meet it again. Its message is left to the panic hook: it is the
    /// provider's text, and may hold what the provider was handling.
    pub(crate) fn panicked(&self) -> Error {
        Error::new(
            ErrorKind::CredentialsProvider,
            format!(
                "{} panicked, so the request was not sent (the panic's message went to the \
                 panic hook, stderr by default): fix the provider; the next request after a \
                 one-second back-off asks it again",
                self.provider
            ),
        )
    }
}

/// A load's outcome, once it has one.
type Outcome<T> = Option<Result<T, Error>>;

/// The cache: a cheap handle to state shared with the loads it runs.
#[derive(Debug)]
pub(crate) struct Refreshing<T> {
    shared: Arc<Shared<T>>,
}

#[derive(Debug)]
struct Shared<T> {
    limit: LoadLimit,
    current: RwLock<Option<Entry<T>>>,
    loads: Mutex<Loads<T>>,
}

#[derive(Debug)]
struct Loads<T> {
    /// The load under way, which callers subscribe to.
    running: Option<watch::Receiver<Outcome<T>>>,
    /// The last failed load with no valid value to fall back on, and when it ended.
    failure: Option<(Error, Instant)>,
}

impl<T> Shared<T> {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<Entry<T>>> {
        self.current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn loads(&self) -> std::sync::MutexGuard<'_, Loads<T>> {
        self.loads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T: Clone> Shared<T> {
    fn snapshot(&self) -> Option<Entry<T>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Keeps a finished load's outcome, then tells its waiters: in that order, and under the
    /// lock callers look for a running load with, so that a caller finds either the running
    /// load or what it left.
    fn finish(
        &self,
        outcome: Result<Fresh<T>, Error>,
        at: SystemTime,
        early: bool,
        what: &str,
        done: watch::Sender<Outcome<T>>,
    ) {
        let mut loads = self.loads();
        let outcome = match outcome {
            Ok(fresh) => {
                loads.failure = None;
                *self.write() = Some(Entry {
                    value: fresh.value.clone(),
                    refresh_at: fresh.refresh_at,
                    expires_at: fresh.expires_at,
                    retry_after: None,
                });
                Ok(fresh.value)
            }
            Err(err) => {
                let mut current = self.write();
                match current.as_mut() {
                    Some(current) if early => {
                        tracing::warn!(error = %err, "refreshing the {what} failed; still using the current one until it expires");
                        let remaining = current
                            .expires_at
                            .and_then(|exp| exp.duration_since(at).ok())
                            .unwrap_or(RETRY_AFTER_FAILED_REFRESH * 2);
                        current.retry_after =
                            Some(at + RETRY_AFTER_FAILED_REFRESH.min(remaining / 2));
                    }
                    // Nothing valid to fall back on (a value dropped meanwhile too): back off.
                    _ => loads.failure = Some((err.clone(), Instant::now())),
                }
                Err(err)
            }
        };
        loads.running = None;
        done.send_replace(Some(outcome));
    }
}

impl<T: Clone + Send + Sync + 'static> Refreshing<T> {
    pub(crate) fn new(limit: LoadLimit) -> Self {
        Self {
            shared: Arc::new(Shared {
                limit,
                current: RwLock::new(None),
                loads: Mutex::new(Loads {
                    running: None,
                    failure: None,
                }),
            }),
        }
    }

    /// The cached value when it is fresh at `now` (no load or refresh due): what almost every
    /// request gets, without waiting.
    pub(crate) fn fresh(&self, now: SystemTime) -> Option<T> {
        let current = self
            .shared
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        current
            .as_ref()
            .filter(|entry| entry.fresh_at(now))
            .map(|entry| entry.value.clone())
    }

    /// The cached value, fresh or not (what the next load may reuse).
    pub(crate) fn last(&self) -> Option<T> {
        self.shared.snapshot().map(|entry| entry.value)
    }

    /// The value valid at `now()`: cached, refreshed early by one caller, or loaded with
    /// `load(now)`, which runs as a task of its own. `what` names the value in the warning
    /// logged when an early refresh fails.
    pub(crate) async fn get<Fut>(
        &self,
        now: impl Fn() -> SystemTime,
        what: &'static str,
        load: impl FnOnce(SystemTime) -> Fut,
    ) -> Result<T, Error>
    where
        Fut: Future<Output = Result<Fresh<T>, Error>> + Send + 'static,
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
        load: impl FnOnce(SystemTime) -> Fut,
    ) -> Result<T, Error>
    where
        Fut: Future<Output = Result<Fresh<T>, Error>> + Send + 'static,
    {
        let (mut running, fallback) = {
            let mut loads = self.shared.loads();
            let at = now();
            let entry = self.shared.snapshot();
            let valid = match entry {
                Some(entry) if entry.fresh_at(at) => return Ok(entry.value),
                Some(entry) if entry.valid_at(at) => Some(entry),
                _ => None,
            };
            // A load whose task ended without an outcome (it panicked while being dropped)
            // is not waited for.
            let running = loads.running.as_ref().filter(|r| r.has_changed().is_ok());
            match (running, valid) {
                // Someone is refreshing: carry on with the value that is still valid.
                (Some(_), Some(valid)) => return Ok(valid.value),
                (Some(running), None) => (running.clone(), None),
                (None, Some(valid)) if valid.retry_after.is_some_and(|r| at < r) => {
                    return Ok(valid.value);
                }
                (None, Some(valid)) => (
                    self.start(&mut loads, load(at), at, true, what)?,
                    Some(valid.value),
                ),
                (None, None) => {
                    if let Some((error, at)) = &loads.failure
                        && at.elapsed() < FAILED_LOAD_BACKOFF
                    {
                        return Err(error.clone());
                    }
                    (self.start(&mut loads, load(at), at, false, what)?, None)
                }
            }
        };
        let outcome = match running.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone().unwrap_or_else(|| Err(cancelled())),
            // The task was dropped unfinished: only a runtime shutting down does that.
            Err(_) => Err(cancelled()),
        };
        match (outcome, fallback) {
            (Err(_), Some(valid)) => Ok(valid),
            (outcome, _) => outcome,
        }
    }

    /// Starts `load` as a task of its own, bounded by the timeout, its panics contained;
    /// returns what its waiters subscribe to.
    fn start<Fut>(
        &self,
        loads: &mut Loads<T>,
        load: Fut,
        at: SystemTime,
        early: bool,
        what: &'static str,
    ) -> Result<watch::Receiver<Outcome<T>>, Error>
    where
        Fut: Future<Output = Result<Fresh<T>, Error>> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| no_runtime())?;
        let (done, running) = watch::channel(None);
        loads.running = Some(running.clone());
        let shared = Arc::clone(&self.shared);
        runtime.spawn(async move {
            let outcome = bounded(&shared.limit, load).await;
            shared.finish(outcome, at, early, what, done);
        });
        Ok(running)
    }

    /// Drops the cached value if `is_refused` says it is the one a server refused (a newer
    /// value, loaded meanwhile, is kept). Returns whether it was dropped.
    pub(crate) fn invalidate(&self, is_refused: impl Fn(&T) -> bool) -> bool {
        let mut current = self.shared.write();
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

/// Runs `load` within `limit`'s timeout, a panic in it turned into an error.
async fn bounded<T>(
    limit: &LoadLimit,
    load: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit.timeout, Contained(Box::pin(load))).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(Panicked)) => {
            tracing::error!(provider = %limit.provider, "a credential or token provider panicked");
            Err(limit.panicked())
        }
        Err(_) => Err(limit.timed_out()),
    }
}

struct Panicked;

/// A future whose panic ends it with `Err(Panicked)` instead of unwinding: a provider's bug
/// fails the load it is in, not the task or the app. (With `panic = "abort"` nothing can be
/// contained.)
struct Contained<F>(Pin<Box<F>>);

impl<F: Future> Future for Contained<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // After a panic the future is not polled again (the load ends with the error), so
        // whatever state the panic left it in is never observed.
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(Panicked)),
        }
    }
}

fn cancelled() -> Error {
    Error::new(
        ErrorKind::CredentialsProvider,
        "the credential load was cancelled because the Tokio runtime is shutting down; \
         nothing was sent",
    )
    .retryable(true)
}

fn no_runtime() -> Error {
    Error::new(
        ErrorKind::InvalidConfig,
        "loading credentials or a bearer token needs a Tokio runtime, and none is running on \
         this thread: send or sign requests from within a Tokio runtime",
    )
}
