//! Policy: where credentials may go (the scope) and the one guard every hop passes, on the
//! final request, before anything is attached to it.

pub(crate) mod guard;
pub(crate) mod scope;
