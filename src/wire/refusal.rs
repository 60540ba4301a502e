//! What a refused request's response says: its AWS error code, and whether that code blames
//! the clock, the signature or the credentials.
//!
//! AWS services name the error in `x-amzn-ErrorType` (JSON protocols: `Code:namespace`), in a
//! JSON body's `__type` or `code` (`namespace#Code`), or in an XML body's `<Code>` (S3, the
//! query protocols). Only a small prefix of the body is read, and the response is handed on
//! with its body whole, so the app reads it as if nothing had looked.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

use crate::wire::HttpResponse;

/// The most of a refusal's body read to find its error code.
const PEEK_LIMIT: usize = 4096;
/// How long to wait for that prefix: a server that sends headers and then stalls gets its
/// response passed on unread rather than holding up the app.
const PEEK_TIMEOUT: Duration = Duration::from_secs(2);

/// The AWS error code of a refused request (`SignatureDoesNotMatch`, `ExpiredToken`,
/// `ThrottlingException`, ...), without any namespace.
///
/// For a `400`, `401` or `403` response to a SigV4-signed request, the middleware reads it
/// from `x-amzn-ErrorType` or from the first 4 KiB of the JSON or XML error body (leaving the
/// body readable) and puts it into the response's extensions:
///
/// ```no_run
/// # #[cfg(feature = "reqwest-0-13")]
/// # async fn demo(response: reqwest::Response) {
/// use reqwest_aws_auth::AwsErrorCode;
///
/// if let Some(code) = response.extensions().get::<AwsErrorCode>() {
///     eprintln!("refused: {}", code.as_str());
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AwsErrorCode(String);

impl AwsErrorCode {
    /// The code, such as `SignatureDoesNotMatch`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The service says the signature or the signing time was wrong: the codes the AWS SDKs
    /// correct clock skew on, plus `RequestExpired`.
    pub(crate) fn blames_clock(&self) -> bool {
        matches!(
            self.as_str(),
            "InvalidSignatureException"
                | "SignatureDoesNotMatch"
                | "AuthFailure"
                | "RequestTimeTooSkewed"
                | "RequestInTheFuture"
                | "RequestExpired"
                | "AccessDeniedException"
        )
    }

    /// The service says the credentials are expired or unknown: the cached ones are dead.
    pub(crate) fn blames_credentials(&self) -> bool {
        matches!(
            self.as_str(),
            "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "InvalidAccessKeyId"
                | "TokenRefreshRequired"
        )
    }

    /// Throttling and transient service errors that the AWS SDKs retry.
    #[cfg_attr(not(feature = "retry"), allow(dead_code))]
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self.as_str(),
            "Throttling"
                | "ThrottlingException"
                | "ThrottledException"
                | "TooManyRequestsException"
                | "RequestLimitExceeded"
                | "RequestThrottled"
                | "RequestThrottledException"
                | "ProvisionedThroughputExceededException"
                | "SlowDown"
                | "ServiceUnavailable"
                | "ServiceUnavailableException"
                | "InternalError"
                | "InternalFailure"
                | "RequestTimeout"
                | "RequestTimeoutException"
        )
    }

    pub(crate) fn parse(raw: &str) -> Option<Self> {
        // `Code:http://internal.amazon.com/...` (header) or `namespace#Code` (body).
        let code = raw.split(':').next()?.rsplit('#').next()?.trim();
        let valid = !code.is_empty()
            && code.len() <= 128
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
        valid.then(|| Self(code.to_owned()))
    }
}

/// Whether a response with this status may be an AWS refusal worth reading a code from.
pub(crate) fn is_refusal(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    )
}

/// The response, with its AWS error code (if it is a refusal that has one) recorded in its
/// extensions and returned.
pub(crate) async fn read_code<R: HttpResponse>(response: R) -> (R, Option<AwsErrorCode>) {
    if !is_refusal(response.status()) {
        return (response, None);
    }
    if let Some(code) = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .and_then(AwsErrorCode::parse)
    {
        return (with_code(response, &code), Some(code));
    }
    let (response, prefix) = response.peek(PEEK_LIMIT, PEEK_TIMEOUT).await;
    match code_in_body(&prefix) {
        Some(code) => (with_code(response, &code), Some(code)),
        None => (response, None),
    }
}

fn with_code<R: HttpResponse>(mut response: R, code: &AwsErrorCode) -> R {
    response.extensions_mut().insert(code.clone());
    response
}

/// Reads up to `limit` bytes of `body` (for at most `timeout`) and returns them with a body
/// that yields them first, then the rest.
pub(crate) async fn peek_body<B>(
    mut body: B,
    limit: usize,
    timeout: Duration,
) -> (Prefixed<B>, Bytes)
where
    B: Body<Data = Bytes> + Unpin,
{
    let mut prefix = BytesMut::new();
    let mut trailers = None;
    let mut failed = None;
    let read = async {
        while prefix.len() < limit {
            match body.frame().await {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => prefix.extend_from_slice(&data),
                    Err(frame) => {
                        trailers = frame.into_trailers().ok();
                        break;
                    }
                },
                Some(Err(err)) => {
                    failed = Some(err);
                    break;
                }
                None => break,
            }
        }
    };
    // On timeout the body goes on as received so far; the code stays unknown.
    let _ = tokio::time::timeout(timeout, read).await;
    let prefix = prefix.freeze();
    let rest = Prefixed {
        prefix: (!prefix.is_empty()).then(|| prefix.clone()),
        trailers,
        failed,
        rest: body,
    };
    (rest, prefix)
}

/// The code in a JSON (`__type`, `code`, `Code`) or XML (`<Code>`) error body.
fn code_in_body(prefix: &[u8]) -> Option<AwsErrorCode> {
    let text = std::str::from_utf8(prefix).ok().or_else(|| {
        // A prefix cut in the middle of a character.
        std::str::from_utf8(&prefix[..prefix.len().saturating_sub(3)]).ok()
    })?;
    let text = text.trim_start();
    if text.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        ["__type", "code", "Code"]
            .iter()
            .find_map(|key| value.get(key)?.as_str())
            .and_then(AwsErrorCode::parse)
    } else if text.starts_with('<') {
        let start = text.find("<Code>")? + "<Code>".len();
        let len = text[start..].find("</Code>")?;
        AwsErrorCode::parse(&text[start..start + len])
    } else {
        None
    }
}

/// A body that yields an already read prefix, then the rest of the original body.
#[derive(Debug)]
pub(crate) struct Prefixed<B: Body> {
    prefix: Option<Bytes>,
    trailers: Option<http::HeaderMap>,
    failed: Option<B::Error>,
    rest: B,
}

#[cfg(feature = "tower")]
impl<B: Body> Prefixed<B> {
    /// `body` as it is, nothing read.
    pub(crate) fn whole(body: B) -> Self {
        Self {
            prefix: None,
            trailers: None,
            failed: None,
            rest: body,
        }
    }

    /// The original body, if nothing has been read from it.
    pub(crate) fn into_whole(self) -> Result<B, Box<Self>> {
        if self.prefix.is_none() && self.failed.is_none() && self.trailers.is_none() {
            Ok(self.rest)
        } else {
            Err(Box::new(self))
        }
    }
}

impl<B> Body for Prefixed<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        if let Some(err) = self.failed.take() {
            return Poll::Ready(Some(Err(err)));
        }
        if let Some(trailers) = self.trailers.take() {
            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none()
            && self.failed.is_none()
            && self.trailers.is_none()
            && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let prefix = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + prefix);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + prefix);
        }
        hint
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) fn code(s: &str) -> super::AwsErrorCode {
        super::AwsErrorCode(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_headers_and_bodies_without_namespaces() {
        let parse = |s: &str| AwsErrorCode::parse(s).map(|c| c.0);
        assert_eq!(
            parse("InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/").as_deref(),
            Some("InvalidSignatureException")
        );
        assert_eq!(
            parse("com.amazon.coral.service#ExpiredTokenException").as_deref(),
            Some("ExpiredTokenException")
        );
        assert_eq!(parse("").as_deref(), None);
        assert_eq!(parse("not a code").as_deref(), None);

        let body = |s: &str| code_in_body(s.as_bytes()).map(|c| c.0);
        assert_eq!(
            body(
                r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"x"}"#
            )
            .as_deref(),
            Some("UnrecognizedClientException")
        );
        assert_eq!(
            body(r#"{"code":"RequestExpired"}"#).as_deref(),
            Some("RequestExpired")
        );
        assert_eq!(
            body("<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error>").as_deref(),
            Some("SignatureDoesNotMatch")
        );
        assert_eq!(
            body("<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code></Error></ErrorResponse>").as_deref(),
            Some("ExpiredToken")
        );
        assert_eq!(body(r#"{"message":"not your order"}"#).as_deref(), None);
        assert_eq!(body("Forbidden").as_deref(), None);
        assert_eq!(body(r#"{"__type": 5}"#).as_deref(), None);
    }

    #[test]
    fn each_code_is_blamed_on_what_the_aws_sdks_blame_it_on() {
        let code = |s: &str| AwsErrorCode(s.into());
        for clock in [
            "SignatureDoesNotMatch",
            "RequestTimeTooSkewed",
            "InvalidSignatureException",
            "AuthFailure",
            "AccessDeniedException",
            "RequestExpired",
        ] {
            assert!(code(clock).blames_clock(), "{clock}");
            assert!(!code(clock).blames_credentials(), "{clock}");
        }
        for creds in [
            "ExpiredToken",
            "ExpiredTokenException",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "InvalidAccessKeyId",
            "TokenRefreshRequired",
        ] {
            assert!(code(creds).blames_credentials(), "{creds}");
            assert!(!code(creds).blames_clock(), "{creds}");
        }
        for transient in [
            "Throttling",
            "ThrottlingException",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "SlowDown",
            "ServiceUnavailable",
        ] {
            assert!(code(transient).is_transient(), "{transient}");
        }
        assert!(!code("ValidationException").is_transient());
        assert!(!code("ValidationException").blames_clock());
    }
}
