//! Where bearer tokens come from when they rotate.

use std::fmt;
use std::sync::Arc;

use crate::bedrock::BearerToken;
use crate::error::{Error, ErrorKind};

/// The error a [`ProvideBearerToken`] implementation returns. A [`crate::Error`] passes through
/// unchanged; anything else becomes [`ErrorKind::CredentialsProvider`].
pub type ProviderError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A source of bearer tokens, asked before every request: for keys that rotate. Requests sent
/// while it is being asked share one call; a token with an expiry
/// ([`BearerToken::with_expiry`], or a short-term key's own) is kept until shortly before it
/// expires. Cache inside the implementation if getting a token without an expiry is expensive
/// ([`ShortTermKeyProvider`] does). A call that fails, panics or outlasts the credentials
/// timeout fails the waiting requests, and the provider is left alone for a second.
/// Implement it with the [`async-trait`](https://docs.rs/async-trait) crate, as below.
///
/// [`ShortTermKeyProvider`]: crate::bedrock::ShortTermKeyProvider
///
/// ```
/// use reqwest_aws_auth::bedrock::{BearerToken, ProvideBearerToken, ProviderError};
///
/// #[derive(Debug)]
/// struct FromVault;
///
/// #[async_trait::async_trait]
/// impl ProvideBearerToken for FromVault {
///     async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
///         Ok(BearerToken::new("ABSK...")) // fetch it from wherever it lives
///     }
/// }
///
/// let auth = reqwest_aws_auth::AwsAuth::bedrock_mantle()
///     .region("us-west-2")
///     .bearer_token_provider(FromVault)
///     .build()?;
/// # Ok::<(), reqwest_aws_auth::Error>(())
/// ```
#[async_trait::async_trait]
pub trait ProvideBearerToken: Send + Sync + fmt::Debug {
    /// A token valid now.
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError>;
}

#[async_trait::async_trait]
impl ProvideBearerToken for BearerToken {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        Ok(self.clone())
    }
}

#[async_trait::async_trait]
impl<T: ProvideBearerToken + ?Sized> ProvideBearerToken for Arc<T> {
    async fn bearer_token(&self) -> Result<BearerToken, ProviderError> {
        (**self).bearer_token().await
    }
}

/// A provider shared by every clone of the middleware.
pub(crate) type SharedBearerTokenProvider = Arc<dyn ProvideBearerToken>;

/// Asks `provider` for a token, mapping its error into this crate's.
pub(crate) async fn provide(provider: &dyn ProvideBearerToken) -> Result<BearerToken, Error> {
    provider
        .bearer_token()
        .await
        .map_err(|err| match err.downcast::<Error>() {
            Ok(err) => *err,
            Err(err) => Error::new(
                ErrorKind::CredentialsProvider,
                format!("the bearer-token provider failed: {err}"),
            )
            .with_source(err)
            .retryable(true),
        })
}
