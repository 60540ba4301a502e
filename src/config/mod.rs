//! Configuration: the builder, which validates every setting and builds an
//! [`AwsAuth`](crate::AwsAuth) without any I/O, and the presets.

pub(crate) mod builder;
