//! Test support for users of the crate: an independent SigV4 verifier (feature `verify`) and
//! wiremock matchers built on it (feature `wiremock`). Neither is on by default.

#[cfg(feature = "verify")]
pub mod verify;
#[cfg(feature = "wiremock")]
pub mod wiremock;
