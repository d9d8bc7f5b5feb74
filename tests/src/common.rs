//! Checks shared by the social and e-mail suites: metadata, config schema, config parsing,
//! calling a connector with a time bound and a panic guard, and collecting secrets.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use connector_core::{
    AnyConnector, ConnectorContext, ConnectorError, ConnectorFactory, ConnectorMetadata,
    ConnectorRegistry, ConnectorType, ErrorCode,
};
use serde_json::Value;
use tracing::instrument::WithSubscriber as _;
use tracing::Dispatch;

use crate::leaks::{Capture, Transcript};
use crate::report::Report;

/// The state of a suite run: the report, the tracing capture and the transcript of outputs.
pub(crate) struct Session {
    pub(crate) report: Report,
    pub(crate) capture: Capture,
    pub(crate) transcript: Transcript,
}

impl Session {
    pub(crate) fn new(suite: &str, connector: &str) -> Self {
        Self {
            report: Report::new(suite, connector),
            capture: Capture::new(),
            transcript: Transcript::new(),
        }
    }
}

/// What happened when the suite called the connector.
pub(crate) enum Called<T> {
    /// The call returned.
    Returned(Result<T, ConnectorError>),
    /// The call panicked (the message).
    Panicked(String),
    /// The call did not return within the bound.
    Hung(Duration),
}

/// Runs `future` as its own task (so a panic is caught), under `dispatch`, within `bound`.
pub(crate) async fn call<T, F>(dispatch: &Dispatch, bound: Duration, future: F) -> Called<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T, ConnectorError>> + Send + 'static,
{
    let mut task = tokio::spawn(future.with_subscriber(dispatch.clone()));
    match tokio::time::timeout(bound, &mut task).await {
        Ok(Ok(result)) => Called::Returned(result),
        Ok(Err(join_error)) => Called::Panicked(match join_error.try_into_panic() {
            Ok(payload) => panic_text(payload.as_ref()),
            Err(other) => other.to_string(),
        }),
        Err(_) => {
            task.abort();
            Called::Hung(bound)
        }
    }
}

/// Runs a sync connector operation (`create`) under `dispatch`, catching a panic.
pub(crate) fn call_sync<T>(dispatch: &Dispatch, f: impl FnOnce() -> T) -> Result<T, String> {
    tracing::dispatcher::with_default(dispatch, || catch_unwind(AssertUnwindSafe(f)))
        .map_err(|payload| panic_text(payload.as_ref()))
}

pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-text panic payload".to_owned()
    }
}

/// `code: message` plus `(retryable)` when it is.
pub(crate) fn describe_error(error: &ConnectorError) -> String {
    let retry = if error.is_retryable() {
        " (retryable)"
    } else {
        ""
    };
    format!("`{}`{retry}: {}", error.code(), error.message())
}

/// Checks an expected error: the code, and whether it is retryable when that is specified.
pub(crate) fn expect_error<T>(
    called: &Called<T>,
    code: ErrorCode,
    retryable: Option<bool>,
    describe_ok: impl Fn(&T) -> String,
) -> Result<(), String> {
    let wanted = match retryable {
        Some(true) => format!("`{code}` (retryable)"),
        Some(false) => format!("`{code}` (not retryable)"),
        None => format!("`{code}`"),
    };
    match called {
        Called::Returned(Err(error)) => {
            if error.code() != code {
                Err(format!("expected {wanted}, got {}", describe_error(error)))
            } else if retryable.is_some_and(|r| r != error.is_retryable()) {
                Err(format!(
                    "expected {wanted}, got {}: is_retryable() is wrong",
                    describe_error(error)
                ))
            } else if error.message().trim().is_empty() {
                Err(format!("expected {wanted} with a message, got an empty message"))
            } else {
                Ok(())
            }
        }
        Called::Returned(Ok(value)) => Err(format!(
            "expected {wanted}, got success ({})",
            describe_ok(value)
        )),
        Called::Panicked(message) => Err(format!("expected {wanted}, but it panicked: {message}")),
        Called::Hung(bound) => Err(format!(
            "expected {wanted}, but it did not return within {bound:?}: the call hangs instead of timing out"
        )),
    }
}

/// Adds an error to the transcript when the call failed.
pub(crate) fn record<T>(
    transcript: &mut Transcript,
    label: &str,
    called: &Called<T>,
    debug_ok: impl Fn(&T) -> String,
) {
    match called {
        Called::Returned(Err(error)) => transcript.add_error(label, error),
        Called::Returned(Ok(value)) => transcript.add(format!("{label}: result"), debug_ok(value)),
        Called::Panicked(message) => transcript.add(format!("{label}: panic"), message.clone()),
        Called::Hung(_) => {}
    }
}

/// Metadata checks: `metadata.valid`, `metadata.id_format`, `metadata.type`,
/// `metadata.logo_svg`, `metadata.deterministic`.
pub(crate) fn metadata_checks(
    report: &mut Report,
    factory: &dyn ConnectorFactory,
    meta: &ConnectorMetadata,
    expected: ConnectorType,
) {
    report.check(
        "metadata.valid",
        meta.validate().map_err(|e| {
            format!("ConnectorMetadata::validate refused it: {e} (id, target, an `en` name and description, an SVG logo and a readme are required)")
        }),
    );

    let mut problems = Vec::new();
    for (what, value) in [("id", &meta.id), ("target", &meta.target)] {
        if !is_kebab_id(value) {
            problems.push(format!(
                "{what} `{value}` is not lower-case kebab case (`github-universal`, `simple-mail-transfer-protocol`)"
            ));
        }
    }
    report.check("metadata.id_format", join(problems));

    report.check(
        "metadata.type",
        if meta.connector_type == expected {
            Ok(())
        } else {
            Err(format!(
                "the {} suite needs a {expected:?} connector, metadata says {:?}",
                match expected {
                    ConnectorType::Social => "social",
                    ConnectorType::Email => "e-mail",
                },
                meta.connector_type
            ))
        },
    );

    let logo = meta.logo_svg.trim();
    let mut problems = Vec::new();
    if !(logo.starts_with("<svg") || logo.starts_with("<?xml")) || !logo.contains("<svg") {
        problems.push("the logo does not start with an `<svg` root (or an XML prolog)".to_owned());
    }
    if !logo.contains("http://www.w3.org/2000/svg") {
        problems.push(
            "the logo does not declare the SVG namespace (xmlns=\"http://www.w3.org/2000/svg\"): browsers will not render it from a data: URL or <img>".to_owned(),
        );
    }
    if logo.to_ascii_lowercase().contains("<script") {
        problems.push("the logo contains a <script> element".to_owned());
    }
    if logo.len() > 64 * 1024 {
        problems.push(format!(
            "the logo is {} bytes: metadata is sent to every admin page, keep it under 64 KiB",
            logo.len()
        ));
    }
    report.check("metadata.logo_svg", join(problems));

    report.check(
        "metadata.deterministic",
        if factory.metadata() == *meta {
            Ok(())
        } else {
            Err("two calls of factory.metadata() returned different metadata".to_owned())
        },
    );
}

/// Schema checks: `schema.matches_metadata`, `schema.valid`, `schema.accepts_good_config`,
/// `schema.secret_fields_write_only`. Returns every secret: the declared ones plus the values of
/// `writeOnly` fields in the good config.
pub(crate) fn schema_checks(
    report: &mut Report,
    factory: &dyn ConnectorFactory,
    meta: &ConnectorMetadata,
    good_config: &Value,
    declared_secrets: &[String],
) -> Vec<String> {
    let schema = factory.config_schema();
    report.check(
        "schema.matches_metadata",
        if schema.is_null() {
            Err("factory.config_schema() is null: the metadata carries no config schema".to_owned())
        } else if schema == meta.config_schema {
            Ok(())
        } else {
            Err("factory.config_schema() differs from metadata().config_schema: admin UIs and create() would disagree".to_owned())
        },
    );

    let meta_result = catch_unwind(AssertUnwindSafe(|| {
        jsonschema::meta::validate(&schema).map_err(|e| e.to_string())
    }))
    .unwrap_or_else(|payload| Err(panic_text(payload.as_ref())));
    let validator = match meta_result {
        Err(why) => {
            report.fail(
                "schema.valid",
                format!("the config schema does not validate against its JSON Schema meta-schema: {why}"),
            );
            None
        }
        Ok(()) => match jsonschema::validator_for(&schema) {
            Ok(validator) => {
                report.pass("schema.valid");
                Some(validator)
            }
            Err(e) => {
                report.fail(
                    "schema.valid",
                    format!("the config schema does not compile (unresolvable $ref?): {e}"),
                );
                None
            }
        },
    };

    match validator {
        Some(validator) => {
            let errors: Vec<String> = validator
                .iter_errors(good_config)
                .map(|e| format!("{} at `{}`", e, e.instance_path().as_str()))
                .collect();
            report.check(
                "schema.accepts_good_config",
                if errors.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "the schema refuses the good config that create() accepts, so an admin UI would refuse it: {}",
                        errors.join("; ")
                    ))
                },
            );
        }
        None => report.skip("schema.accepts_good_config", "needs schema.valid"),
    }

    let mut secrets: Vec<String> = declared_secrets
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    let mut problems = Vec::new();
    let mut leaves = Vec::new();
    string_leaves(good_config, &mut Vec::new(), &mut leaves);
    for (path, value) in &leaves {
        let write_only = write_only_at(&schema, path);
        let declared = declared_secrets.iter().any(|s| s == value);
        if declared && write_only != Some(true) {
            problems.push(format!(
                "`{}` holds a secret (its good-config value is listed by secrets()) but the schema {}: admin UIs would echo it back",
                display_path(path),
                if write_only.is_none() { "does not describe it" } else { "does not mark it writeOnly" }
            ));
        }
        if write_only == Some(true) && !declared && !value.is_empty() && !secrets.contains(value) {
            // A writeOnly field is a secret whether or not the fixture said so.
            secrets.push(value.clone());
        }
    }
    report.check("schema.secret_fields_write_only", join(problems));
    secrets
}

/// `secrets.distinctive`: every secret is long enough that finding it in a text means a leak.
pub(crate) fn distinctive_secrets(report: &mut Report, secrets: &[String]) {
    let short: Vec<String> = secrets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.chars().count() < 8)
        .map(|(i, s)| format!("secret #{i} has {} characters", s.chars().count()))
        .collect();
    if secrets.is_empty() {
        report.fail(
            "secrets.distinctive",
            "no secret to look for: secrets() is empty and no writeOnly field has a value in the good config",
        );
    } else if short.is_empty() {
        report.pass("secrets.distinctive");
    } else {
        report.fail(
            "secrets.distinctive",
            format!(
                "{}: use values of at least 8 characters that cannot occur by chance in output",
                short.join(", ")
            ),
        );
    }
}

/// `secrets.no_leak` and `secrets.no_leak_in_tracing`.
pub(crate) fn leak_checks(session: &mut Session, secrets: &[String]) {
    let Session {
        report,
        capture,
        transcript,
    } = session;
    let leaks = transcript.leaks(secrets);
    report.check(
        "secrets.no_leak",
        if leaks.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "a config secret appeared in Debug, Display, an error or a URL: {}",
                leaks.join(" | ")
            ))
        },
    );
    let mut traced = Transcript::new();
    traced.add("tracing output (TRACE level)", capture.output());
    let leaks = traced.leaks(secrets);
    report.check(
        "secrets.no_leak_in_tracing",
        if leaks.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "a config secret appeared in the captured tracing output: {}",
                leaks.join(" | ")
            ))
        },
    );
}

/// Config checks: `config.good_creates`, `config.bad_config[i] (path)`, `config.not_an_object`,
/// `config.empty_object`, `config.unknown_field`. Returns the connector the good config created.
pub(crate) fn config_checks(
    session: &mut Session,
    factory: Arc<dyn ConnectorFactory>,
    meta: &ConnectorMetadata,
    good_config: &Value,
    bad_configs: Vec<(Value, &'static str)>,
    ctx: &ConnectorContext,
) -> Option<AnyConnector> {
    let Session {
        report,
        capture,
        transcript,
    } = session;
    let mut registry = ConnectorRegistry::new();
    if let Err(e) = registry.register_arc(factory.clone()) {
        report.fail(
            "config.registers",
            format!("ConnectorRegistry::register refused the factory: {e}"),
        );
    } else {
        report.pass("config.registers");
    }

    let created = call_sync(capture.dispatch(), || {
        factory.create(good_config.clone(), ctx)
    });
    let connector = match created {
        Ok(Ok(connector)) => {
            let mut problems = Vec::new();
            if connector.metadata().id != meta.id {
                problems.push(format!(
                    "the created connector's metadata id is `{}`, the factory's `{}`",
                    connector.metadata().id,
                    meta.id
                ));
            }
            report.check("config.good_creates", join(problems));
            transcript.add_debug("the connector", &connector);
            Some(connector)
        }
        Ok(Err(e)) => {
            report.fail(
                "config.good_creates",
                format!("the good config was refused: {}", describe_error(&e)),
            );
            transcript.add_error("config.good_creates", &e);
            None
        }
        Err(panic) => {
            report.fail("config.good_creates", format!("create panicked: {panic}"));
            None
        }
    };

    for (index, (config, path)) in bad_configs.into_iter().enumerate() {
        let name = format!("config.bad_config[{index}] ({path})");
        let result = call_sync(capture.dispatch(), || factory.create(config, ctx));
        report.check(
            &name,
            expect_invalid_config(result, Some(path), transcript, &name),
        );
    }

    let mut problems = Vec::new();
    for config in [
        Value::Null,
        Value::Array(vec![]),
        Value::String("clientId".into()),
        Value::from(42),
    ] {
        let shown = config.to_string();
        let result = call_sync(capture.dispatch(), || factory.create(config, ctx));
        if let Err(why) = expect_invalid_config(result, None, transcript, "config.not_an_object") {
            problems.push(format!("config `{shown}`: {why}"));
        }
    }
    report.check("config.not_an_object", join(problems));

    let result = call_sync(capture.dispatch(), || {
        factory.create(serde_json::json!({}), ctx)
    });
    report.check(
        "config.empty_object",
        expect_invalid_config(result, None, transcript, "config.empty_object"),
    );

    match good_config {
        Value::Object(map) => {
            let mut config = map.clone();
            config.insert("conformanceUnknownField".to_owned(), Value::Bool(true));
            let result = call_sync(capture.dispatch(), || {
                factory.create(Value::Object(config), ctx)
            });
            report.check(
                "config.unknown_field",
                expect_invalid_config(
                    result,
                    Some("conformanceUnknownField"),
                    transcript,
                    "config.unknown_field",
                )
                .map_err(|why| format!("the good config plus an unknown field `conformanceUnknownField`: {why} (a typo in a field name must not be ignored silently)")),
            );
        }
        _ => report.fail(
            "config.unknown_field",
            "the good config is not a JSON object",
        ),
    }

    connector
}

/// Expects `invalid_config` whose problems (or, failing those, whose message) name `path`.
fn expect_invalid_config(
    result: Result<connector_core::Result<AnyConnector>, String>,
    path: Option<&str>,
    transcript: &mut Transcript,
    label: &str,
) -> Result<(), String> {
    match result {
        Err(panic) => Err(format!("create panicked: {panic}")),
        Ok(Ok(_)) => Err("expected `invalid_config`, but the connector was created".to_owned()),
        Ok(Err(error)) => {
            transcript.add_error(label, &error);
            if error.code() != ErrorCode::InvalidConfig {
                return Err(format!(
                    "expected `invalid_config`, got {}",
                    describe_error(&error)
                ));
            }
            let Some(path) = path else { return Ok(()) };
            let named = error.problems().iter().any(|p| p.path == path)
                || (error.problems().is_empty() && error.message().contains(path));
            if named {
                Ok(())
            } else {
                let paths: Vec<&str> = error.problems().iter().map(|p| p.path.as_str()).collect();
                Err(format!(
                    "`invalid_config` does not name the field `{path}` (problem paths: [{}]; message: {})",
                    paths.join(", "),
                    error.message()
                ))
            }
        }
    }
}

pub(crate) fn join(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn is_kebab_id(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

fn display_path(path: &[Step]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    text
}

fn string_leaves(value: &Value, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, String)>) {
    match value {
        Value::String(text) => out.push((path.clone(), text.clone())),
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                string_leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Index(index));
                string_leaves(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Whether the schema marks the value at `path` `writeOnly`: `Some(true)` if any schema that can
/// describe it does, `Some(false)` if it is described but not so marked, `None` if the schema does
/// not describe it at all. Follows local `$ref`s and `anyOf` / `oneOf` / `allOf` branches.
pub(crate) fn write_only_at(schema: &Value, path: &[Step]) -> Option<bool> {
    let mut nodes = Vec::new();
    expand(schema, schema, &mut nodes, 0);
    for step in path {
        let mut next = Vec::new();
        for node in &nodes {
            let child = match step {
                Step::Key(key) => node
                    .get("properties")
                    .and_then(|p| p.get(key))
                    .or_else(|| node.get("additionalProperties").filter(|a| a.is_object())),
                Step::Index(index) => node
                    .get("prefixItems")
                    .and_then(|p| p.get(*index))
                    .or_else(|| node.get("items").filter(|i| i.is_object())),
            };
            if let Some(child) = child {
                expand(schema, child, &mut next, 0);
            }
        }
        if next.is_empty() {
            return None;
        }
        nodes = next;
    }
    Some(
        nodes
            .iter()
            .any(|node| node.get("writeOnly") == Some(&Value::Bool(true))),
    )
}

fn expand<'s>(root: &'s Value, node: &'s Value, out: &mut Vec<&'s Value>, depth: usize) {
    if depth > 16 {
        return;
    }
    out.push(node);
    if let Some(target) = node.get("$ref").and_then(Value::as_str) {
        if let Some(resolved) = target.strip_prefix('#').and_then(|p| root.pointer(p)) {
            expand(root, resolved, out, depth + 1);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = node.get(key) {
            for branch in branches {
                expand(root, branch, out, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_only_follows_refs_and_branches() {
        let schema = json!({
            "type": "object",
            "properties": {
                "clientSecret": {"type": "string", "writeOnly": true},
                "clientId": {"type": "string"},
                "auth": {"anyOf": [{"$ref": "#/$defs/Auth"}, {"type": "null"}]}
            },
            "$defs": {"Auth": {"type": "object", "properties": {"pass": {"type": ["string", "null"], "writeOnly": true}}}}
        });
        let key = |k: &str| Step::Key(k.to_owned());
        assert_eq!(write_only_at(&schema, &[key("clientSecret")]), Some(true));
        assert_eq!(write_only_at(&schema, &[key("clientId")]), Some(false));
        assert_eq!(
            write_only_at(&schema, &[key("auth"), key("pass")]),
            Some(true)
        );
        assert_eq!(write_only_at(&schema, &[key("nope")]), None);
    }

    #[test]
    fn kebab_ids() {
        assert!(is_kebab_id("simple-mail-transfer-protocol"));
        assert!(is_kebab_id("github-universal"));
        assert!(!is_kebab_id("GitHub"));
        assert!(!is_kebab_id("git_hub"));
        assert!(!is_kebab_id("-x"));
        assert!(!is_kebab_id(""));
    }
}
