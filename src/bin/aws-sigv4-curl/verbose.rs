//! `-v`: the library's own debug events (what it signed: the canonical request and
//! string-to-sign, session token redacted; which region and credentials it resolved), printed
//! readably on stderr. Nothing else is subscribed to, so no other crate's logs (some of which
//! show secrets at TRACE) are printed.

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

struct LibraryEvents;

impl<S: Subscriber> Layer<S> for LibraryEvents {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        is_library(metadata) && *metadata.level() <= Level::DEBUG
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        eprint!("{}", render(event));
    }
}

struct Warnings;

impl<S: Subscriber> Layer<S> for Warnings {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        is_library(metadata) && *metadata.level() <= Level::WARN
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        eprint!("{}", render(event));
    }
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
