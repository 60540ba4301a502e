//! The crate's error type.
//!
//! Every failure says what happened and what to do about it. Secrets never appear in the
//! message, in `Debug`, or in a kept source.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What kind of failure an [`Error`] is. Match on it to decide what to do.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No credential source produced credentials. Configure one (environment variables,
    /// a profile, SSO, ...) or pass credentials to the builder.
    NoCredentials,
    /// A credential provider failed (a network error, an expired SSO session, a
    /// `credential_process` that exited non-zero, ...). The message says why.
    CredentialsProvider,
    /// A credential or bearer-token provider did not answer within
    /// [`credentials_timeout`](crate::AwsAuthBuilder::credentials_timeout) (default 5 s).
    /// Retryable: the next request asks the provider again. Check that the endpoint it uses
    /// (instance metadata, SSO, STS, a `credential_process`) answers, or raise the timeout.
    ProviderTimeout,
    /// No region was configured. Call `AwsAuthBuilder::region` or set `AWS_REGION`.
    NoRegion,
    /// The builder's settings are invalid or contradict each other, or a clock (a
    /// `time_source`, the `now` given to minting) reads a time outside 1970-01-01..=9999-12-31,
    /// which SigV4 cannot write.
    InvalidConfig,
    /// The request body is a stream and the builder was not told how to sign one.
    StreamingBody,
    /// A streaming body was larger than the configured buffering limit.
    BodyTooLarge,
    /// Reading a streaming body failed.
    BodyRead,
    /// A header value cannot be signed: SigV4 signs header values as visible ASCII text.
    InvalidHeaderValue,
    /// The URL cannot be signed: no host, not `http`/`https`, or a query SigV4 cannot express.
    InvalidUrl,
    /// `aws-sigv4` refused to sign the request.
    Signing,
    /// A bearer token is empty, malformed, or expired.
    InvalidToken,
    /// A bearer token would be sent in clear text over `http://` to a host that is not loopback.
    InsecureTransport,
    /// The request's host is outside the scope the credentials may go to
    /// ([`AwsAuthBuilder::allow_host`](crate::AwsAuthBuilder::allow_host)); nothing was sent.
    OutOfScope,
    /// The request already carries an `Authorization` header the app set; nothing was sent.
    /// Remove it, skip auth for the request, or allow replacing it
    /// ([`AwsAuthBuilder::replace_authorization`](crate::AwsAuthBuilder::replace_authorization)).
    AuthorizationPresent,
    /// The request goes to an endpoint of another region than the one it is signed or keyed for.
    RegionMismatch,
    /// The request's `Host` header names another host (or port) than its URL, or appears more
    /// than once; nothing was signed or sent. The signature covers `Host`, and servers route on
    /// it: remove the header, or put the host you mean in the URL.
    HostMismatch,
    /// A presigned URL's lifetime is outside 1 second to 7 days, or the credentials expire
    /// before it could be used. Pass another `expires_in`, or renew the credentials.
    InvalidExpiry,
    /// The request cannot be presigned: a Bedrock API key (bearer mode) has no presigned form.
    /// Presign with SigV4 credentials.
    PresignUnsupported,
}

/// The error type of this crate.
///
/// `Display` says what went wrong and how to fix it; [`kind`](Error::kind) tells the failure
/// apart programmatically; [`is_retryable`](Error::is_retryable) says whether trying again
/// later may succeed; [`source`](StdError::source) keeps the underlying cause.
///
/// When the middleware fails, the error reaches the caller as
/// `reqwest_middleware::Error::Middleware`; get it back with [`Error::from_middleware`]:
///
/// ```
/// # #[cfg(feature = "reqwest-0-13")]
/// # async fn demo(client: reqwest_middleware::ClientWithMiddleware) {
/// match client.get("https://example.execute-api.eu-west-1.amazonaws.com/").send().await {
///     Err(err) => {
///         if let Some(auth) = reqwest_aws_auth::Error::from_middleware(&err) {
///             eprintln!("could not sign: {auth} (retryable: {})", auth.is_retryable());
///         }
///     }
///     Ok(_) => {}
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retryable: bool,
    // Setup, so that one failed credential load can be handed to every request waiting on it.
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        // Messages name configured values (a region, a profile, a host rule) and causes from
        // elsewhere: none may put a line break or a terminal escape into a log or a terminal.
        let message = match escape_controls(&message) {
            Cow::Borrowed(_) => message,
            Cow::Owned(escaped) => escaped,
        };
        Self {
            kind,
            message,
            retryable: false,
            source: None,
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    pub(crate) fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the same request may succeed if tried again later without changing anything
    /// (a provider that timed out or could not be reached). Configuration mistakes and bad
    /// input are never retryable.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The `reqwest_aws_auth::Error` inside an error returned by a `reqwest-middleware`
    /// client (`reqwest_middleware::Error` of 0.5 or, with feature `reqwest-0-12`, of 0.4), if
    /// that is where it came from.
    ///
    /// It is found behind wrappers that keep the [`source`](StdError::source) chain, and
    /// behind `reqwest-retry`'s `RetryError` (which wraps every error of the middleware after
    /// it; its `Error` variant hides the source chain, so with `reqwest-retry` enable this
    /// crate's `retry` feature, which looks inside it).
    pub fn from_middleware<E: MiddlewareError>(err: &E) -> Option<&Error> {
        err.middleware_cause().and_then(Self::find)
    }

    /// The `reqwest_aws_auth::Error` that `err` is, or that its `source()` chain holds (also
    /// through a nested `reqwest_middleware::Error`).
    pub fn find<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
        let mut next = Some(err);
        while let Some(err) = next {
            if let Some(ours) = err.downcast_ref::<Error>() {
                return Some(ours);
            }
            #[cfg(feature = "reqwest-0-13")]
            if let Some(middleware) = err.downcast_ref::<reqwest_middleware::Error>() {
                return Self::from_middleware(middleware);
            }
            #[cfg(feature = "reqwest-0-12")]
            if let Some(middleware) = err.downcast_ref::<reqwest_middleware04::Error>() {
                return Self::from_middleware(middleware);
            }
            #[cfg(feature = "retry")]
            if let Some(
                reqwest_retry::RetryError::Error(inner)
                | reqwest_retry::RetryError::WithRetries { err: inner, .. },
            ) = err.downcast_ref::<reqwest_retry::RetryError>()
            {
                return Self::from_middleware(inner);
            }
            next = err.source();
        }
        None
    }

    // Constructors, one per situation, so that each message (cause + fix) is written once.

    pub(crate) fn no_region() -> Self {
        Self::new(
            ErrorKind::NoRegion,
            "no AWS region configured: call `.region(\"us-east-1\")` on the builder, or set the \
             AWS_REGION environment variable (AWS_DEFAULT_REGION and a profile's `region` are \
             read too)",
        )
    }

    pub(crate) fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }

    pub(crate) fn streaming_body() -> Self {
        Self::new(
            ErrorKind::StreamingBody,
            "the request body is a stream, and SigV4 must hash the body before sending it: \
             send a buffered body (bytes, a String, `.json(...)`), or configure the builder with \
             `.streaming_body(StreamingBody::Buffer { max_bytes })` to buffer it, or with \
             `.streaming_body(StreamingBody::UnsignedPayload)` for services that accept \
             UNSIGNED-PAYLOAD (S3)",
        )
    }

    pub(crate) fn invalid_header_value(name: &str) -> Self {
        Self::new(
            ErrorKind::InvalidHeaderValue,
            format!(
                "header `{name}` has a value that is not visible ASCII, and SigV4 signs header \
                 values as text: percent-encode or base64 the value, or exclude the header from \
                 signing with `.unsigned_header(\"{name}\")`"
            ),
        )
    }

    pub(crate) fn invalid_url(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidUrl, message)
    }
}

/// `value`, with every control character (CR, LF, ESC, ...) and invisible format character
/// (bidirectional overrides) escaped as `escape_debug` writes it: a configured value shown in
/// a message or log cannot start a new line or drive a terminal.
pub(crate) fn escape_controls(value: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| c.is_control() || is_format_char(c);
    if !value.chars().any(needs_escape) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if needs_escape(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters that reorder or hide text on a terminal without being control characters.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// The error type of a `reqwest-middleware` client, for [`Error::from_middleware`]. Implemented
/// for `reqwest_middleware::Error` of each supported line; sealed.
#[allow(private_bounds)] // Sealed: only this crate implements it.
pub trait MiddlewareError: StdError + MiddlewareCause {}

pub(crate) trait MiddlewareCause {
    /// The middleware's error, if this is one (and not reqwest's).
    fn middleware_cause(&self) -> Option<&(dyn StdError + 'static)>;
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("retryable", &self.retryable)
            .field("source", &self.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert!(matches!(escape_controls("us-east-1"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("a\r\nb\u{1b}[31m\u{202e}\"\\"),
            "a\\r\\nb\\u{1b}[31m\\u{202e}\"\\"
        );
    }

    #[test]
    fn messages_hold_no_control_characters() {
        let err = Error::invalid_config("`.region(\"eu\r\n\u{1b}[2J\")` is not valid");
        assert_eq!(
            err.to_string(),
            "`.region(\"eu\\r\\n\\u{1b}[2J\")` is not valid"
        );
        assert!(!format!("{err:?}").contains('\u{1b}'));
    }
}
