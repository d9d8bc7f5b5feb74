//! Message templates: handlebars, compiled once, strict, escaped for their content type.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use handlebars::{Context, Handlebars, RenderContext, Renderable, StringOutput};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{ConnectorError, ErrorCode, Result};

/// How a template's output is used, which decides escaping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ContentType {
    /// Plain text: values inserted as they are.
    #[serde(rename = "text/plain")]
    TextPlain,
    /// HTML: values HTML-escaped, so a user name cannot inject markup.
    #[serde(rename = "text/html")]
    TextHtml,
}

impl ContentType {
    /// The MIME type, e.g. `text/html`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContentType::TextPlain => "text/plain",
            ContentType::TextHtml => "text/html",
        }
    }
}

/// A compiled message template.
///
/// - `{{code}}`, `{{ code }}` and dot paths (`{{application.name}}`) address message values;
///   `<<code>>` (seen in older Logto templates) is accepted as `{{code}}`.
/// - Strict: a variable outside the message vocabulary ([`TEMPLATE_VOCABULARY`]) is an
///   `invalid_config` error at compile time, and a known variable missing from a message is an
///   `insufficient_request_parameters` error at render time.
/// - Values are HTML-escaped in `text/html` templates and inserted as they are in `text/plain`.
///
/// ```
/// use connector_core::template::{ContentType, Template};
/// use serde_json::json;
///
/// let html = Template::compile("<p>{{ code }} for {{application.name}}</p>", ContentType::TextHtml).unwrap();
/// let out = html.render(&json!({"code": "123456", "application": {"name": "<Acme>"}})).unwrap();
/// assert_eq!(out, "<p>123456 for &lt;Acme&gt;</p>");
///
/// let subject = Template::compile("Your code is <<code>>", ContentType::TextPlain).unwrap();
/// assert_eq!(subject.render_header(&json!({"code": "42"})).unwrap(), "Your code is 42");
/// ```
#[derive(Clone)]
pub struct Template {
    compiled: Arc<handlebars::Template>,
    content_type: ContentType,
}

impl Template {
    /// Compiles `source`; syntax errors and unknown variables are `invalid_config`.
    ///
    /// Compiled templates are shared process-wide, keyed by content type and source: a
    /// multi-tenant server whose tenants use the same templates (Logto's defaults, say) holds one
    /// compiled copy, and compiling it again is a lookup.
    pub fn compile(source: &str, content_type: ContentType) -> Result<Self> {
        let key = (content_type, source.to_owned());
        if let Some(compiled) = lock_cache().get(&key) {
            return Ok(Self {
                compiled: Arc::clone(compiled),
                content_type,
            });
        }
        let template = Self::compile_uncached(source, content_type)?;
        let mut cache = lock_cache();
        // Bounded: a full cache starts afresh, so the templates compiled last (a config just
        // checked, about to be compiled by its factory) are always the ones found.
        if cache.len() >= TEMPLATE_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&template.compiled));
        Ok(template)
    }

    fn compile_uncached(source: &str, content_type: ContentType) -> Result<Self> {
        let source = angle_placeholders_to_handlebars(source);
        let compiled = handlebars::Template::compile(&source).map_err(|e| {
            ConnectorError::invalid_config(format!(
                "template syntax error: {}",
                describe_template_error(&e)
            ))
        })?;
        let template = Self {
            compiled: Arc::new(compiled),
            content_type,
        };
        // Rendering against a message that carries every known value finds any other variable now,
        // at create, instead of at the first send.
        template.render(sample_message()).map_err(|e| {
            ConnectorError::invalid_config(
                e.message().replace(
                    "the message does not carry",
                    "it is not a message value; known values:",
                ) + &format!(" ({})", VOCABULARY_HINT),
            )
        })?;
        Ok(template)
    }

    /// Whether two templates share one compiled copy (see [`Template::compile`]).
    pub fn shares_compiled_with(&self, other: &Template) -> bool {
        Arc::ptr_eq(&self.compiled, &other.compiled)
    }

    /// The content type given at compile time.
    pub fn content_type(&self) -> ContentType {
        self.content_type
    }

    /// Renders with the message values in `data`.
    pub fn render(&self, data: &Value) -> Result<String> {
        let registry = registry(self.content_type);
        let context = Context::wraps(data).map_err(|e| render_error(&e))?;
        let mut render_context = RenderContext::new(None);
        let mut out = StringOutput::new();
        self.compiled
            .render(registry, &context, &mut render_context, &mut out)
            .map_err(|e| render_error(&e))?;
        out.into_string().map_err(|e| {
            ConnectorError::general("the rendered template is not valid UTF-8").with_source(e)
        })
    }

    /// Renders a header value (a subject): as [`Template::render`], then refuses a result with CR or
    /// LF, which would let a message value inject headers.
    pub fn render_header(&self, data: &Value) -> Result<String> {
        let rendered = self.render(data)?;
        if rendered.contains(['\r', '\n']) {
            return Err(ConnectorError::new(
                ErrorCode::InvalidRequestParameters,
                "the rendered header contains a line break (CR or LF): refused to prevent header injection",
            ));
        }
        Ok(rendered)
    }
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// The values a message may carry (Logto's `SendMessagePayload`), as a sample with every field.
///
/// Templates may use any of these paths and nothing else.
pub const TEMPLATE_VOCABULARY: &[&str] = &[
    "code",
    "link",
    "locale",
    "uiLocales",
    "application.id",
    "application.name",
    "application.displayName",
    "application.branding.logoUrl",
    "application.branding.darkLogoUrl",
    "application.branding.favicon",
    "application.branding.darkFavicon",
    "organization.id",
    "organization.name",
    "organization.branding.logoUrl",
    "organization.branding.darkLogoUrl",
    "user.id",
    "user.name",
    "user.username",
    "user.avatar",
    "user.primaryEmail",
    "user.primaryPhone",
];

const VOCABULARY_HINT: &str =
    "code, link, locale, uiLocales, application.*, organization.*, user.*";

/// How many distinct compiled templates the process shares at most (a few KiB each).
const TEMPLATE_CACHE_CAPACITY: usize = 4096;

type TemplateCache = HashMap<(ContentType, String), Arc<handlebars::Template>>;

fn lock_cache() -> std::sync::MutexGuard<'static, TemplateCache> {
    static CACHE: OnceLock<Mutex<TemplateCache>> = OnceLock::new();
    // A poisoned lock only means a thread panicked while holding it; the map is still valid.
    CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sample_message() -> &'static Value {
    static SAMPLE: OnceLock<Value> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let mut root = json!({});
        for path in TEMPLATE_VOCABULARY {
            let mut node = &mut root;
            let segments: Vec<_> = path.split('.').collect();
            for (i, segment) in segments.iter().enumerate() {
                let last = i + 1 == segments.len();
                let map = node.as_object_mut().expect("sample nodes are objects");
                node = map.entry(segment.to_string()).or_insert_with(|| {
                    if last {
                        json!("x")
                    } else {
                        json!({})
                    }
                });
            }
        }
        root
    })
}

fn registry(content_type: ContentType) -> &'static Handlebars<'static> {
    static HTML: OnceLock<Handlebars<'static>> = OnceLock::new();
    static PLAIN: OnceLock<Handlebars<'static>> = OnceLock::new();
    let build = |escape: bool| {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        if !escape {
            registry.register_escape_fn(handlebars::no_escape);
        }
        registry
    };
    match content_type {
        ContentType::TextHtml => HTML.get_or_init(|| build(true)),
        ContentType::TextPlain => PLAIN.get_or_init(|| build(false)),
    }
}

fn render_error(error: &handlebars::RenderError) -> ConnectorError {
    use handlebars::RenderErrorReason;
    match error.reason() {
        RenderErrorReason::MissingVariable(Some(name)) => ConnectorError::new(
            ErrorCode::InsufficientRequestParameters,
            format!("the template uses `{name}`, which the message does not carry"),
        ),
        _ => ConnectorError::new(
            ErrorCode::InvalidRequestParameters,
            format!("the template could not be rendered: {}", error.reason()),
        ),
    }
}

fn describe_template_error(error: &handlebars::TemplateError) -> String {
    match error.pos() {
        Some((line, column)) => format!("{} at line {line}, column {column}", error.reason()),
        None => error.reason().to_string(),
    }
}

/// `<<code>>` → `{{code}}` for identifiers and dot paths; anything else between `<<` and `>>` is
/// left alone (it may be real text).
fn angle_placeholders_to_handlebars(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("<<") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find(">>") {
            Some(end) if is_path(after[..end].trim()) => {
                out.push_str("{{");
                out.push_str(after[..end].trim());
                out.push_str("}}");
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("<<");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_path(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|segment| {
            let mut chars = segment.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Value {
        json!({"code": "123456", "link": "https://x.test/a?b=c&d='e'", "application": {"name": "Tom & <Jerry>"}})
    }

    #[test]
    fn spacing_and_dot_paths() {
        let t = Template::compile(
            "{{code}}|{{ code }}|{{application.name}}",
            ContentType::TextPlain,
        )
        .expect("compile");
        assert_eq!(
            t.render(&data()).expect("render"),
            "123456|123456|Tom & <Jerry>"
        );
    }

    #[test]
    fn angle_placeholders_are_the_same_variable() {
        let t = Template::compile(
            "<<code>> and << application.name >> but <<not a var>>",
            ContentType::TextPlain,
        )
        .expect("compile");
        assert_eq!(
            t.render(&data()).expect("render"),
            "123456 and Tom & <Jerry> but <<not a var>>"
        );
    }

    #[test]
    fn html_is_escaped_plain_is_not() {
        let html = Template::compile(
            "<a href=\"{{link}}\">{{application.name}}</a>",
            ContentType::TextHtml,
        )
        .expect("html");
        let out = html.render(&data()).expect("render");
        assert!(out.contains("Tom &amp; &lt;Jerry&gt;"), "{out}");
        assert!(!out.contains("<Jerry>"));
        let plain = Template::compile("{{link}}", ContentType::TextPlain).expect("plain");
        assert_eq!(
            plain.render(&data()).expect("render"),
            "https://x.test/a?b=c&d='e'"
        );
    }

    #[test]
    fn unknown_variable_is_invalid_config_at_compile_time() {
        let err =
            Template::compile("Hi {{usr.name}}", ContentType::TextPlain).expect_err("unknown");
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("usr.name"), "{err}");
    }

    #[test]
    fn syntax_error_is_invalid_config_with_position() {
        let err = Template::compile("Hi {{#if code}}", ContentType::TextPlain).expect_err("syntax");
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.message().contains("syntax"), "{err}");
    }

    #[test]
    fn conditionals_on_optional_values_work() {
        let t = Template::compile(
            "{{code}}{{#if link}} {{link}}{{/if}}",
            ContentType::TextPlain,
        )
        .expect("compile");
        assert_eq!(t.render(&json!({"code": "1"})).expect("render"), "1");
    }

    #[test]
    fn missing_value_is_insufficient_parameters() {
        let t = Template::compile("Your code: {{code}}", ContentType::TextPlain).expect("compile");
        let err = t.render(&json!({"link": "x"})).expect_err("missing");
        assert_eq!(err.code(), ErrorCode::InsufficientRequestParameters);
        assert!(err.message().contains("`code`"), "{err}");
    }

    #[test]
    fn header_with_line_break_is_refused() {
        let t = Template::compile("Welcome to {{application.name}}", ContentType::TextPlain)
            .expect("compile");
        let err = t
            .render_header(&json!({"application": {"name": "Acme\r\nBcc: victim@example.com"}}))
            .expect_err("crlf");
        assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
        assert!(t
            .render_header(&json!({"application": {"name": "Acme"}}))
            .is_ok());
    }
}
