//! Typed connector configs: parsing that reports every problem with its JSON path.
//!
//! A connector's config is a `serde` + `schemars` struct; the struct *is* the schema and the
//! validation. [`parse_config`] deserializes it and, when that fails, checks the JSON against the
//! struct's JSON Schema to report every problem at once (an admin UI shows them all, not one per
//! save), each with its path and, for unknown fields, the closest known name.

use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ConnectorError, Result};
use crate::redact::is_secret_key;

/// One problem in a config: where it is and what is wrong.
///
/// `Display` gives `path: message`, the form the CLI's `check` command prints.
///
/// ```
/// use connector_core::ConfigProblem;
/// let problem = ConfigProblem::new("templates[2].usageType", "unknown value `Signin`");
/// assert_eq!(problem.to_string(), "templates[2].usageType: unknown value `Signin`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigProblem {
    /// JSON path of the offending value, e.g. `templates[2].usageType`; `(root)` for the whole config.
    pub path: String,
    /// What is wrong, naming the field and never quoting a secret value.
    pub message: String,
}

impl ConfigProblem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The problems a config's semantic validation finds; see [`ConnectorConfig::validate`].
#[derive(Debug, Default)]
pub struct ConfigProblems(Vec<ConfigProblem>);

impl ConfigProblems {
    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem::new(path, message));
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded problems.
    pub fn into_vec(self) -> Vec<ConfigProblem> {
        self.0
    }
}

/// A connector's typed config.
///
/// Implement it on the config struct (usually with an empty body) and add [`validate`] for checks
/// beyond types: URL shapes, non-empty scopes, template syntax. It runs inside [`parse_config`], so a
/// connector that was created is one that can work.
///
/// [`validate`]: ConnectorConfig::validate
pub trait ConnectorConfig: DeserializeOwned + JsonSchema {
    /// Semantic checks run after the config deserialized. Record each problem with its JSON path.
    fn validate(&self, problems: &mut ConfigProblems) {
        let _ = problems;
    }
}

/// Parses a connector config from JSON, collecting every problem with its JSON path.
///
/// - Values still shaped like an example placeholder (`"<your-client-id>"`) are refused.
/// - Type errors, missing fields and unknown fields are all reported, unknown fields with the
///   closest known name ("unknown field `clientID`, did you mean `clientId`?").
/// - [`ConnectorConfig::validate`] runs on a config that deserialized.
///
/// Messages never contain the value of a secret field.
///
/// ```
/// use connector_core::{parse_config, ConnectorConfig, ErrorCode};
///
/// #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(rename_all = "camelCase", deny_unknown_fields)]
/// struct Config {
///     client_id: String,
/// }
/// impl ConnectorConfig for Config {}
///
/// let err = parse_config::<Config>(serde_json::json!({"clientID": "x"})).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidConfig);
/// let lines: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
/// assert!(lines.contains(&"clientID: unknown field `clientID`, did you mean `clientId`?".to_string()));
/// assert!(lines.contains(&"clientId: missing required field `clientId`".to_string()));
/// ```
pub fn parse_config<T: ConnectorConfig>(value: Value) -> Result<T> {
    let mut problems = Vec::new();
    find_placeholders(&value, &mut String::new(), &mut problems);

    match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(config) => {
            // Semantic checks run even when placeholders were found, so an operator sees every
            // problem of the config at once.
            let mut semantic = ConfigProblems::default();
            config.validate(&mut semantic);
            for problem in semantic.into_vec() {
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
            if problems.is_empty() {
                Ok(config)
            } else {
                Err(ConnectorError::config_problems(problems))
            }
        }
        Err(serde_error) => {
            let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
            let mut schema_problems = schema_problems(&schema, &value);
            if schema_problems.is_empty() {
                // The schema accepted what serde refused (a custom deserializer's rule): report
                // serde's own error, without the offending value when the field is secret.
                schema_problems.push(serde_problem(&serde_error));
            }
            for problem in schema_problems {
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
            Err(ConnectorError::config_problems(problems))
        }
    }
}

/// The JSON Schema of a config type as a JSON value (what `ConnectorFactory::config_schema` returns).
pub fn config_schema<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

/// Example configs ship placeholders such as `"<your-client-id>"`; a value still shaped like one
/// would otherwise fail much later (DNS failure, provider "invalid client").
fn find_placeholders(value: &Value, path: &mut String, problems: &mut Vec<ConfigProblem>) {
    match value {
        Value::String(text) if is_placeholder(text) => problems.push(ConfigProblem::new(
            display_path(path),
            "placeholder not replaced: put the real value here",
        )),
        Value::Object(map) => {
            for (key, value) in map {
                // Template bodies are HTML, where `<tag-name>` is legitimate content.
                if key == "content" {
                    continue;
                }
                let len = path.len();
                push_key(path, key);
                find_placeholders(value, path, problems);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                find_placeholders(value, path, problems);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn is_placeholder(text: &str) -> bool {
    let Some(inner) = text
        .trim()
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'))
    else {
        return false;
    };
    // `<host>`, `<password>` (Logto's form defaults) and `<your-client-id>` alike; an address such as
    // `<a@example.com>` has an `@` and is not one.
    !inner.trim().is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.'))
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(root)".to_owned()
    } else {
        path.to_owned()
    }
}

/// Converts a JSON pointer (`/templates/2/usageType`) to the path form we print
/// (`templates[2].usageType`).
fn pointer_to_path(pointer: &str) -> String {
    let mut path = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            path.push_str(&format!("[{segment}]"));
        } else {
            push_key(&mut path, &segment);
        }
    }
    path
}

fn last_segment(path: &str) -> &str {
    path.rsplit(['.', '[']).next().unwrap_or(path)
}

fn is_secret_path(path: &str) -> bool {
    let key = last_segment(path);
    is_secret_key(key) || key.to_ascii_lowercase().ends_with("token")
}

/// Every problem the JSON Schema finds, with messages that never quote a secret.
fn schema_problems(schema: &Value, instance: &Value) -> Vec<ConfigProblem> {
    let Ok(validator) = jsonschema::validator_for(schema) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for error in validator.iter_errors(instance) {
        collect(schema, &error, instance, &mut problems);
    }
    problems
}

fn collect(
    schema: &Value,
    error: &jsonschema::ValidationError<'_>,
    instance: &Value,
    out: &mut Vec<ConfigProblem>,
) {
    use jsonschema::error::ValidationErrorKind as Kind;
    // `Option<Struct>` and untagged enums become `anyOf`/`oneOf`: report the problems inside the one
    // alternative that has the right type instead of "matches none of the allowed forms".
    if let Kind::AnyOf { context } | Kind::OneOfNotValid { context } = error.kind() {
        let here = error.instance_path().as_str();
        let plausible: Vec<_> = context
            .iter()
            .filter(|errors| {
                !errors.iter().all(|e| {
                    matches!(e.kind(), Kind::Type { .. }) && e.instance_path().as_str() == here
                })
            })
            .collect();
        if let [only] = plausible.as_slice() {
            if !only.is_empty()
                && only
                    .iter()
                    .all(|e| !matches!(e.kind(), Kind::Enum { .. } | Kind::Constant { .. }))
            {
                for inner in only.iter() {
                    collect(schema, inner, instance, out);
                }
                return;
            }
        }
    }
    let path = pointer_to_path(error.instance_path().as_str());
    // The failing keyword's parent schema object lists the known properties and allowed values.
    let location = error.schema_path().as_str();
    let parent = location
        .rsplit_once('/')
        .and_then(|(parent, _)| resolve_schema_path(schema, parent));
    for problem in describe(error, &path, parent, instance) {
        if !out.contains(&problem) {
            out.push(problem);
        }
    }
}

fn describe(
    error: &jsonschema::ValidationError<'_>,
    path: &str,
    node: Option<&Value>,
    instance: &Value,
) -> Vec<ConfigProblem> {
    use jsonschema::error::ValidationErrorKind as Kind;
    let here = display_path(path);
    let value = lookup(instance, error.instance_path().as_str());
    match error.kind() {
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => {
            let known = property_names(node);
            unexpected
                .iter()
                .map(|field| {
                    let mut child = path.to_owned();
                    push_key(&mut child, field);
                    let message = match closest(field, &known) {
                        Some(best) => format!("unknown field `{field}`, did you mean `{best}`?"),
                        None if known.is_empty() => format!("unknown field `{field}`"),
                        None => format!(
                            "unknown field `{field}`, expected one of {}",
                            quote_list(&known)
                        ),
                    };
                    ConfigProblem::new(child, message)
                })
                .collect()
        }
        Kind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let mut child = path.to_owned();
            push_key(&mut child, name);
            vec![ConfigProblem::new(
                child,
                format!("missing required field `{name}`"),
            )]
        }
        Kind::Type { kind } => vec![ConfigProblem::new(
            here,
            format!(
                "expected {}, found {}",
                type_names(kind),
                json_type(value.unwrap_or(&Value::Null))
            ),
        )],
        Kind::Enum { .. }
        | Kind::Constant { .. }
        | Kind::OneOfNotValid { .. }
        | Kind::AnyOf { .. } => {
            let options = allowed_values(node);
            let shown = match value {
                Some(Value::String(text))
                    if !is_secret_path(path) && text.chars().count() <= 64 =>
                {
                    format!("`{text}`")
                }
                Some(other) => json_type(other).to_owned(),
                None => "value".to_owned(),
            };
            let message = if options.is_empty() {
                format!("unexpected {shown}: it matches none of the allowed forms")
            } else {
                format!(
                    "unknown value {shown}, expected one of {}",
                    quote_list(&options)
                )
            };
            vec![ConfigProblem::new(here, message)]
        }
        Kind::MinLength { limit } => vec![ConfigProblem::new(
            here,
            format!("must be at least {limit} characters long"),
        )],
        Kind::MaxLength { limit } => vec![ConfigProblem::new(
            here,
            format!("must be at most {limit} characters long"),
        )],
        Kind::Minimum { limit } | Kind::ExclusiveMinimum { limit } => {
            vec![ConfigProblem::new(
                here,
                format!("must be at least {limit}"),
            )]
        }
        Kind::Maximum { limit } | Kind::ExclusiveMaximum { limit } => {
            vec![ConfigProblem::new(here, format!("must be at most {limit}"))]
        }
        Kind::MinItems { limit } => vec![ConfigProblem::new(
            here,
            format!("needs at least {limit} item(s)"),
        )],
        Kind::Format { format } => {
            vec![ConfigProblem::new(here, format!("is not a valid {format}"))]
        }
        _ => vec![ConfigProblem::new(
            here,
            "does not match the connector's config schema".to_owned(),
        )],
    }
}

fn serde_problem(error: &serde_path_to_error::Error<serde_json::Error>) -> ConfigProblem {
    let path = error.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = if is_secret_path(&path) {
        "invalid value (not shown: the field is secret)".to_owned()
    } else {
        error.inner().to_string()
    };
    ConfigProblem::new(display_path(&path), message)
}

fn lookup<'v>(instance: &'v Value, pointer: &str) -> Option<&'v Value> {
    instance.pointer(pointer)
}

/// Follows a schema location (`/properties/templates/items/$ref/additionalProperties`) through the
/// schema, resolving local `$ref`s, to the keyword that failed.
fn resolve_schema_path<'s>(root: &'s Value, location: &str) -> Option<&'s Value> {
    let mut node = root;
    for segment in location.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment == "$ref" {
            let target = node.get("$ref")?.as_str()?;
            node = root.pointer(target.strip_prefix('#')?)?;
            continue;
        }
        node = match node {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn property_names(node: Option<&Value>) -> Vec<String> {
    node.and_then(|node| node.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

fn allowed_values(node: Option<&Value>) -> Vec<String> {
    let Some(node) = node else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect_allowed(node, &mut out);
    out
}

fn collect_allowed(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Array(items) => items.iter().for_each(|item| collect_allowed(item, out)),
        Value::Object(map) => {
            if let Some(Value::String(c)) = map.get("const") {
                out.push(c.clone());
            }
            if let Some(Value::Array(options)) = map.get("enum") {
                out.extend(options.iter().filter_map(|v| v.as_str().map(str::to_owned)));
            }
            for key in ["oneOf", "anyOf"] {
                if let Some(alternatives) = map.get(key) {
                    collect_allowed(alternatives, out);
                }
            }
        }
        _ => {}
    }
}

fn closest(field: &str, known: &[String]) -> Option<String> {
    let lower = field.to_ascii_lowercase();
    if let Some(exact) = known.iter().find(|k| k.to_ascii_lowercase() == lower) {
        return Some(exact.clone());
    }
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.clone())
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_names(kind: &jsonschema::error::TypeKind) -> String {
    use jsonschema::error::TypeKind;
    let name = |t: &jsonschema::JsonType| t.to_string();
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .filter(|t| t.to_string() != "null")
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
