//! The adapters: each translates one HTTP stack's types to the [`wire`](crate::wire)
//! traits and hands the work to [`AwsAuth`](crate::AwsAuth). The two reqwest lines share one
//! source, compiled once against each.

/// reqwest 0.13 with reqwest-middleware 0.5.
#[cfg(feature = "reqwest-0-13")]
mod reqwest_0_13 {
    include!("reqwest_line.rs");
}

/// reqwest 0.12 with reqwest-middleware 0.4.
#[cfg(feature = "reqwest-0-12")]
mod reqwest_0_12 {
    use reqwest_middleware04 as reqwest_middleware;
    use reqwest012 as reqwest;
    include!("reqwest_line.rs");
}

pub(crate) mod http_request;
#[cfg(feature = "tower")]
pub mod tower;
