//! Where the CLI's text goes: results on stdout, progress and errors on stderr, secrets nowhere.
//!
//! Writes go through `std::io::Write` handles and ignore write errors, so `connectors list | head -1`
//! ends quietly instead of panicking on a closed pipe.

use std::io::{IsTerminal, Write};

use connector_core::ConnectorError;
use serde_json::Value;

use crate::redact::Redactor;

/// The CLI's output channels and mode.
#[derive(Debug, Default)]
pub struct Output {
    json: bool,
    progress: bool,
    redactor: Redactor,
}

impl Output {
    /// Output in JSON mode or not. Progress messages go to stderr when it is a terminal (and the
    /// output is not JSON) or when `verbose`.
    pub fn new(json: bool, verbose: bool) -> Self {
        Self {
            json,
            progress: verbose || (!json && std::io::stderr().is_terminal()),
            redactor: Redactor::default(),
        }
    }

    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Scrubs these secrets from everything printed from now on.
    pub fn redact(&mut self, redactor: &Redactor) {
        self.redactor.extend(redactor);
    }

    /// The secrets scrubbed from output.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// A line of the command's result on stdout.
    pub fn line(&self, text: &str) {
        let text = self.redactor.apply(text);
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
        let _ = stdout.flush();
    }

    /// A JSON result on stdout, pretty-printed.
    pub fn print_json(&self, value: &Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        self.line(&text);
    }

    /// A progress message on stderr, when progress is shown.
    pub fn progress(&self, text: &str) {
        if self.progress {
            self.notice(text);
        }
    }

    /// A message for the person at the terminal on stderr, always shown (instructions, warnings).
    pub fn notice(&self, text: &str) {
        let text = self.redactor.apply(text);
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{text}");
        let _ = stderr.flush();
    }

    /// A failure on stderr: `{"error": {"code", "message", ...}}` when `as_json` or in JSON mode,
    /// else `error: <message> [<code>]` (and the config problems, one per line).
    pub fn error(&self, error: &ConnectorError, as_json: bool) {
        if as_json || self.json {
            let value = serde_json::json!({ "error": error });
            self.notice(&value.to_string());
        } else {
            let mut text = format!("error: {} [{}]", error.message(), error.code());
            if let Some(status) = error.status() {
                text.push_str(&format!("\n  provider status: {status}"));
            }
            if let Some(body) = error.body() {
                text.push_str(&format!("\n  provider body: {body}"));
            }
            if error.is_retryable() {
                text.push_str("\n  (temporary: retrying later may work)");
            }
            self.notice(&text);
        }
    }
}
