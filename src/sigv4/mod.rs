//! The signer: SigV4 over a borrowed view of one request, a pure function of the request, the
//! credentials, the time and the settings. No I/O, no product names, no policy: what may be
//! signed is decided above (`policy`), what is sent and re-sent further up (`exchange`).
//! The maths is `aws-sigv4`'s; [`canonical`] is a faster canonicaliser proven byte-equal to it.

pub(crate) mod amz_date;
pub(crate) mod body_hash;
pub(crate) mod canonical;
pub(crate) mod checksum;
pub(crate) mod chunked;
pub(crate) mod chunked_request;
pub(crate) mod encoding;
pub(crate) mod headers;
pub(crate) mod key;
pub(crate) mod log;
pub(crate) mod names;
#[cfg(feature = "sigv4a")]
pub(crate) mod region_set;
pub(crate) mod settings;
pub(crate) mod sign;
pub(crate) mod uri;
#[cfg(feature = "sigv4a")]
pub(crate) mod v4a;
