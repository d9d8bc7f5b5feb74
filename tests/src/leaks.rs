//! Finding secrets where they must not be: a [`Capture`] of every `tracing` line at TRACE level
//! and a [`Transcript`] of every `Debug`, `Display`, error text and URL a suite saw.
//!
//! Usable on their own in a connector's quirk tests:
//!
//! ```
//! use connector_testkit::leaks::{Capture, Transcript};
//!
//! let capture = Capture::new();
//! capture.in_scope(|| tracing::debug!(client_id = "abc", "creating the connector"));
//! let mut transcript = Transcript::new();
//! transcript.add("a log line", capture.output());
//! assert!(transcript.leaks(&["super-secret-value".to_owned()]).is_empty());
//! assert_eq!(transcript.leaks(&["abc-longer".to_owned(), "creating the".to_owned()]).len(), 1);
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use connector_core::ConnectorError;
use tracing::instrument::{WithDispatch, WithSubscriber};
use tracing::Dispatch;
use tracing_subscriber::fmt::format::FmtSpan;

/// A `tracing` subscriber at TRACE level that writes every event and span (with their fields)
/// into memory. Scope it with [`Capture::in_scope`] (sync code) or [`Capture::instrument`]
/// (a future, on whichever thread polls it); it is never installed globally.
#[derive(Clone)]
pub struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    dispatch: Dispatch,
}

impl Capture {
    /// A new, empty capture.
    pub fn new() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer_buffer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_target(true)
            .with_writer(move || CaptureWriter(writer_buffer.clone()))
            .finish();
        Self {
            buffer,
            dispatch: Dispatch::new(subscriber),
        }
    }

    /// The dispatcher, to scope other code with.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// Runs `f` with this capture as the current subscriber.
    pub fn in_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// Makes this capture the subscriber whenever `future` is polled.
    pub fn instrument<F: Future>(&self, future: F) -> WithDispatch<F> {
        future.with_subscriber(self.dispatch.clone())
    }

    /// Everything captured so far, one line per event or span event.
    pub fn output(&self) -> String {
        let bytes = match self.buffer.lock() {
            Ok(bytes) => bytes.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Default for Capture {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture").finish_non_exhaustive()
    }
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self.0.lock() {
            Ok(mut buffer) => buffer.extend_from_slice(data),
            Err(poisoned) => poisoned.into_inner().extend_from_slice(data),
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Every text a suite saw, labelled by where it came from ("Debug of the connector",
/// "token.500 with an HTML page: error Display", ...).
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    entries: Vec<(String, String)>,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a text.
    pub fn add(&mut self, label: impl Into<String>, text: impl Into<String>) {
        self.entries.push((label.into(), text.into()));
    }

    /// Records `{:?}` and `{:#?}` of a value.
    pub fn add_debug(&mut self, label: &str, value: &dyn fmt::Debug) {
        self.add(format!("{label} (Debug)"), format!("{value:?}"));
        self.add(format!("{label} (pretty Debug)"), format!("{value:#?}"));
    }

    /// Records everything an error shows: `Display`, `Debug`, the message, the body excerpt, the
    /// serialized form and the `source()` chain.
    pub fn add_error(&mut self, label: &str, error: &ConnectorError) {
        self.add(format!("{label}: error Display"), error.to_string());
        self.add_debug(&format!("{label}: error"), error);
        self.add(format!("{label}: error message"), error.message());
        if let Some(body) = error.body() {
            self.add(format!("{label}: error body excerpt"), body);
        }
        for problem in error.problems() {
            self.add(format!("{label}: config problem"), problem.to_string());
        }
        self.add(
            format!("{label}: serialized error"),
            serde_json::to_string(error).unwrap_or_default(),
        );
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            self.add(format!("{label}: error source"), cause.to_string());
            source = cause.source();
        }
    }

    /// How many texts were recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// One line per secret found, naming the secret by its position in `secrets` (never quoting
    /// it) and every place it appeared. A secret is found as is, percent-encoded, JSON-escaped or
    /// inside base64 at any alignment (HTTP Basic credentials, SMTP `AUTH PLAIN` lines).
    pub fn leaks(&self, secrets: &[String]) -> Vec<String> {
        let mut found = Vec::new();
        for (index, secret) in secrets.iter().enumerate() {
            if secret.is_empty() {
                continue;
            }
            let forms = secret_forms(secret);
            let places: Vec<&str> = self
                .entries
                .iter()
                .filter(|(_, text)| forms.iter().any(|form| text.contains(form.as_str())))
                .map(|(label, _)| label.as_str())
                .collect();
            if !places.is_empty() {
                found.push(format!(
                    "secret #{index} ({}) appeared in {}",
                    describe_secret(secret),
                    places.join("; ")
                ));
            }
        }
        found
    }
}

/// The spellings a secret can take in a text: as is, form/percent-encoded, JSON-escaped, and the
/// part of its base64 encoding that does not depend on the bytes around it, for each of the three
/// alignments (standard and URL-safe alphabets).
fn secret_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_owned();
    let mut candidates = vec![encoded, json];
    for offset in 0..3 {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret.as_bytes());
        let text = STANDARD.encode(&bytes);
        // Character i carries bits 6i..6i+6 of the input: keep those made of secret bits only.
        let start = (8 * offset).div_ceil(6);
        let end = 8 * bytes.len() / 6;
        if end >= start + 8 {
            let core = text[start..end].to_owned();
            candidates.push(core.replace('+', "-").replace('/', "_"));
            candidates.push(core);
        }
    }
    for form in candidates {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// Enough to recognise a secret in a failure message without printing it.
fn describe_secret(secret: &str) -> String {
    let prefix: String = secret.chars().take(3).collect();
    format!("{} chars, starts `{prefix}…`", secret.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_inside_base64_at_any_alignment() {
        let secret = "hunter2-password";
        for prefix in ["", "\0", "\0u", "\0user\0", "Basic x:"] {
            let line = format!(
                "Wrote: AUTH PLAIN {}",
                STANDARD.encode(format!("{prefix}{secret}"))
            );
            let mut transcript = Transcript::new();
            transcript.add("log", line.clone());
            assert_eq!(
                transcript.leaks(&[secret.to_owned()]).len(),
                1,
                "{prefix:?}: {line}"
            );
        }
    }

    #[test]
    fn encoded_spellings_are_found_and_unrelated_text_is_not() {
        let secret = "a b&c\"d-secret";
        let mut transcript = Transcript::new();
        transcript.add("query", "x=a+b%26c%22d-secret");
        transcript.add("json", r#"{"k":"a b&c\"d-secret"}"#);
        transcript.add("clean", "nothing to see here, not even a b&c");
        let leaks = transcript.leaks(&[secret.to_owned()]);
        assert_eq!(leaks.len(), 1);
        assert!(leaks[0].contains("appeared in query; json"), "{leaks:?}");
    }
}
