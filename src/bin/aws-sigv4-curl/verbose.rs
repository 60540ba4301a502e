//! `-v`: the library's own debug events (what it signed: the canonical request and
//! string-to-sign, session token redacted; which region and credentials it resolved), printed
//! readably on stderr. Nothing else is subscribed to, so no other crate's logs (some of which
//! show secrets at TRACE) are printed. Whatever is printed has any URL's userinfo masked
//! ([`redact_userinfo`]): a redirect's `Location` or an error can carry a password.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Sends the library's DEBUG and more severe events to stderr, for the rest of the process.
pub(crate) fn install() {
    let subscriber = tracing_subscriber::registry().with(LibraryEvents);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Only warnings reach stderr (a presigned URL shortened to the credentials' lifetime, ...).
pub(crate) fn install_warnings() {
    let subscriber = tracing_subscriber::registry().with(Warnings);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn is_library(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("reqwest_aws_auth")
}

/// The AWS SDK's default chain names the provider that answered in this event (and nothing
/// else that `-v` wants: its other events are not subscribed to).
const CHAIN: &str = "aws_config::meta::credentials::chain";

struct LibraryEvents;

impl<S: Subscriber> Layer<S> for LibraryEvents {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        (is_library(metadata) || metadata.target() == CHAIN) && *metadata.level() <= Level::DEBUG
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != CHAIN {
            return note(&render(event));
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message == "loaded credentials"
            && let Some((_, provider)) = fields.inline.iter().find(|(name, _)| *name == "provider")
        {
            note(&format!(
                "* credentials came from: {provider} (the AWS SDK's default chain)\n"
            ));
        }
    }
}

struct Warnings;

impl<S: Subscriber> Layer<S> for Warnings {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        is_library(metadata) && *metadata.level() <= Level::WARN
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        note(&render(event));
    }
}

/// Writes `text` to stderr with userinfo masked. A stderr that cannot be written is no reason
/// to stop (curl does not either).
pub(crate) fn note(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr()
        .lock()
        .write_all(redact_userinfo(text).as_bytes());
}

/// `text` with the `user:password@` of every URL in it replaced by `***@`.
pub(crate) fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == ')')
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(userinfo_end) => {
                out.push_str("***");
                rest = &after[userinfo_end..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// `* message (key=value, ...)`, then the multi-line fields each under its own heading.
fn render(event: &Event<'_>) -> String {
    let mut fields = Fields::default();
    event.record(&mut fields);
    let level = match *event.metadata().level() {
        Level::WARN => "warning: ",
        Level::ERROR => "error: ",
        _ => "",
    };
    let inline: Vec<String> = fields
        .inline
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let mut out = format!("* {level}{}", fields.message);
    if !inline.is_empty() {
        let _ = write!(out, " ({})", inline.join(", "));
    }
    out.push('\n');
    for (name, value) in &fields.blocks {
        let _ = writeln!(out, "* {}:", name.replace('_', " "));
        for line in value.lines() {
            let _ = writeln!(out, "*   {line}");
        }
    }
    out
}

#[derive(Default)]
struct Fields {
    message: String,
    inline: Vec<(&'static str, String)>,
    blocks: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let value = format!("{value:?}");
        match field.name() {
            // The provider as words, not a dump of the chain's internals.
            "provider" if value.contains("DefaultCredentialsChain") => self
                .inline
                .push(("provider", "the AWS SDK's default chain".to_owned())),
            "provider" if value.contains('(') || value.contains('{') => {}
            "message" => self.message = value,
            name if value.contains('\n') => self.blocks.push((name, value)),
            name => self.inline.push((name, value)),
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            name if value.contains('\n') => self.blocks.push((name, value.to_owned())),
            name => self.inline.push((name, value.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_userinfo;

    #[test]
    fn userinfo_is_masked_in_every_url() {
        assert_eq!(
            redact_userinfo("> GET http://user:pw@h:1/x?a=b@c (to=https://u@h2/)"),
            "> GET http://***@h:1/x?a=b@c (to=https://***@h2/)"
        );
        assert_eq!(redact_userinfo("http://h/p@q x://"), "http://h/p@q x://");
        assert_eq!(redact_userinfo("ws://a:b@c@d"), "ws://***@d");
    }
}
