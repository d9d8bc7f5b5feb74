//! E-mail templates per usage type and locale (Logto's `templates` list), compiled once.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::ConfigProblems;
use crate::email::{EmailMessage, UsageType};
use crate::error::{ConnectorError, ErrorCode, Result};
use crate::template::{ContentType, Template};

/// One template as an operator configures it (Logto's shape, plus an optional `locale`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailTemplateConfig {
    /// Which messages use this template; `Generic` serves usage types without their own.
    pub usage_type: UsageType,
    /// `text/plain` or `text/html` (values are HTML-escaped in the latter).
    #[serde(default = "default_content_type")]
    pub content_type: ContentType,
    /// The subject; `{{code}}` and other message values allowed; no line breaks.
    pub subject: String,
    /// The body; `{{code}}` is the one-time code.
    pub content: String,
    /// A BCP 47 tag (`fr`, `zh-CN`); chosen for messages in that locale or language. Leave it out
    /// for the default template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

fn default_content_type() -> ContentType {
    ContentType::TextPlain
}

/// A message rendered from its template, ready for a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// The subject, free of CR and LF.
    pub subject: String,
    /// The body.
    pub body: String,
    /// The body's content type.
    pub content_type: ContentType,
    /// The usage type of the template used (the message's own or `Generic`).
    pub template_usage: UsageType,
    /// The locale of the template used, if it had one.
    pub template_locale: Option<String>,
}

/// A connector's templates, compiled once at `create`.
///
/// Selection: the message's usage type, else `Generic`; within it, the template for the message's
/// locale, else for its language (`fr` for `fr-CA`), else the one without a locale.
///
/// ```
/// use connector_core::email_templates::{EmailTemplateConfig, EmailTemplates};
/// use connector_core::{EmailMessage, UsageType};
///
/// let templates: Vec<EmailTemplateConfig> = serde_json::from_value(serde_json::json!([
///     {"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "{{code}}"},
///     {"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "Votre code : {{code}}", "locale": "fr"},
/// ])).unwrap();
/// let compiled = EmailTemplates::compile(&templates).unwrap();
/// let message = EmailMessage::new("a@example.com", UsageType::SignIn).with_code("42").with_locale("fr-CA");
/// assert_eq!(compiled.render(&message).unwrap().body, "Votre code : 42");
/// ```
#[derive(Debug, Clone)]
pub struct EmailTemplates {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    usage: UsageType,
    /// Lowercased with `-` separators, for matching.
    locale: Option<String>,
    /// As the operator wrote it, for delivery reports.
    locale_tag: Option<String>,
    subject: Template,
    content: Template,
}

impl EmailTemplates {
    /// Compiles every template, reporting each problem with its path (`templates[2].content`):
    /// syntax errors, unknown variables, line breaks in subjects, invalid locales, two templates for
    /// the same usage type and locale, and usage types left without a template.
    ///
    /// Compiled templates are shared through [`Template::compile`]'s cache, so compiling a list
    /// that [`EmailTemplates::check`] just checked, or that another tenant uses too, is cheap.
    pub fn compile(templates: &[EmailTemplateConfig]) -> Result<Self> {
        let mut problems = ConfigProblems::default();
        let entries = compile_entries(templates, "templates", &mut problems);
        if problems.is_empty() {
            Ok(Self { entries })
        } else {
            Err(ConnectorError::config_problems(problems.into_vec()))
        }
    }

    /// Records the problems of `templates` (at `path`) into a config's validation, e.g. from
    /// [`crate::ConnectorConfig::validate`].
    pub fn check(templates: &[EmailTemplateConfig], path: &str, problems: &mut ConfigProblems) {
        compile_entries(templates, path, problems);
    }

    /// Chooses the template for a message and renders subject and body.
    ///
    /// `template_not_found` when no template serves the usage type; render errors as in
    /// [`Template::render`]; a subject that would contain CR/LF is refused.
    pub fn render(&self, message: &EmailMessage) -> Result<RenderedEmail> {
        let entry = self.select(message.usage, message.locale.as_deref())?;
        let mut data = Value::Object(message.payload.clone());
        if let (Some(locale), Value::Object(map)) = (&message.locale, &mut data) {
            map.entry("locale")
                .or_insert_with(|| Value::String(locale.clone()));
        }
        let name = entry.usage.as_str();
        let subject = entry
            .subject
            .render_header(&data)
            .map_err(|e| e.context(&format!("{name} template subject")))?;
        let body = entry
            .content
            .render(&data)
            .map_err(|e| e.context(&format!("{name} template content")))?;
        Ok(RenderedEmail {
            subject,
            body,
            content_type: entry.content.content_type(),
            template_usage: entry.usage,
            template_locale: entry.locale_tag.clone(),
        })
    }

    fn select(&self, usage: UsageType, locale: Option<&str>) -> Result<&Entry> {
        let chain = locale_chain(locale);
        let pick = |usage: UsageType| {
            let candidates: Vec<&Entry> =
                self.entries.iter().filter(|e| e.usage == usage).collect();
            chain
                .iter()
                .find_map(|wanted| {
                    candidates
                        .iter()
                        .find(|e| {
                            e.locale.as_deref().map(str::to_ascii_lowercase).as_deref()
                                == wanted.as_deref()
                        })
                        .copied()
                })
                .or_else(|| candidates.first().copied())
        };
        pick(usage)
            .or_else(|| pick(UsageType::Generic))
            .ok_or_else(|| {
                ConnectorError::new(
                    ErrorCode::TemplateNotFound,
                    format!("no template for usage type {usage}, and no Generic template"),
                )
            })
    }
}

/// `fr-CA` → [`fr-ca`, `fr`, none].
fn locale_chain(locale: Option<&str>) -> Vec<Option<String>> {
    let mut chain = Vec::new();
    if let Some(locale) = locale.map(|l| l.trim().replace('_', "-").to_ascii_lowercase()) {
        if !locale.is_empty() {
            if let Some((language, _)) = locale.split_once('-') {
                chain.push(Some(locale.clone()));
                chain.push(Some(language.to_owned()));
            } else {
                chain.push(Some(locale));
            }
        }
    }
    chain.push(None);
    chain
}

fn compile_entries(
    templates: &[EmailTemplateConfig],
    path: &str,
    problems: &mut ConfigProblems,
) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(templates.len());
    for (index, template) in templates.iter().enumerate() {
        let at = |field: &str| format!("{path}[{index}].{field}");
        let name = template.usage_type;
        if let Some(locale) = &template.locale {
            if !is_language_tag(locale) {
                problems.push(
                    at("locale"),
                    format!("`{locale}` is not a BCP 47 language tag such as `fr` or `zh-CN`"),
                );
            }
        }
        let locale = template
            .locale
            .as_deref()
            .map(|l| l.replace('_', "-").to_ascii_lowercase());
        if entries
            .iter()
            .any(|e: &Entry| e.usage == name && e.locale == locale)
        {
            problems.push(
                at("usageType"),
                format!("a second {name} template for the same locale"),
            );
        }
        if template.subject.contains(['\r', '\n']) {
            problems.push(at("subject"), "the subject must be one line (no CR or LF)");
        }
        let subject = Template::compile(&template.subject, ContentType::TextPlain)
            .map_err(|e| problems.push(at("subject"), format!("{name} template: {}", e.message())));
        let content = Template::compile(&template.content, template.content_type)
            .map_err(|e| problems.push(at("content"), format!("{name} template: {}", e.message())));
        if let (Ok(subject), Ok(content)) = (subject, content) {
            entries.push(Entry {
                usage: name,
                locale,
                locale_tag: template.locale.clone(),
                subject,
                content,
            });
        }
    }
    let has_generic = templates.iter().any(|t| t.usage_type == UsageType::Generic);
    if !has_generic {
        let uncovered: Vec<_> = UsageType::ALL
            .iter()
            .filter(|usage| !templates.iter().any(|t| t.usage_type == **usage))
            .map(|usage| usage.as_str())
            .collect();
        if !uncovered.is_empty() {
            problems.push(
                path,
                format!(
                    "no template for {}: add templates for them or a Generic template to fall back on",
                    uncovered.join(", ")
                ),
            );
        }
    }
    entries
}

fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split(['-', '_']);
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    language_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn configs(value: Value) -> Vec<EmailTemplateConfig> {
        serde_json::from_value(value).expect("template configs")
    }

    fn generic_and_localized() -> EmailTemplates {
        EmailTemplates::compile(&configs(json!([
            {"usageType": "Generic", "subject": "Code", "content": "generic {{code}}"},
            {"usageType": "SignIn", "subject": "Sign in", "content": "signin {{code}}"},
            {"usageType": "SignIn", "subject": "Connexion", "content": "fr {{code}}", "locale": "fr"},
            {"usageType": "SignIn", "subject": "Connexion", "content": "fr-CA {{code}}", "locale": "fr-CA"},
        ])))
        .expect("compile")
    }

    fn render(templates: &EmailTemplates, usage: UsageType, locale: Option<&str>) -> String {
        let mut message = EmailMessage::new("a@example.com", usage).with_code("1");
        message.locale = locale.map(str::to_owned);
        templates.render(&message).expect("render").body
    }

    #[test]
    fn tenants_with_the_same_templates_share_one_compiled_copy() {
        let list = configs(json!([
            {"usageType": "Generic", "subject": "Code", "content": "shared {{code}} 7f3a"},
        ]));
        let a = EmailTemplates::compile(&list).expect("first tenant");
        let b = EmailTemplates::compile(&list).expect("second tenant");
        assert!(a.entries[0]
            .content
            .shares_compiled_with(&b.entries[0].content));
        assert_eq!(render(&b, UsageType::SignIn, None), "shared 1 7f3a");
    }

    #[test]
    fn usage_then_generic() {
        let t = generic_and_localized();
        assert_eq!(render(&t, UsageType::SignIn, None), "signin 1");
        for usage in UsageType::ALL
            .into_iter()
            .filter(|u| *u != UsageType::SignIn)
        {
            assert_eq!(render(&t, usage, None), "generic 1", "{usage}");
        }
    }

    #[test]
    fn delivery_reports_the_locale_as_configured() {
        let t = generic_and_localized();
        let message = EmailMessage::new("a@example.com", UsageType::SignIn)
            .with_code("1")
            .with_locale("fr-ca");
        let rendered = t.render(&message).expect("render");
        assert_eq!(rendered.template_locale.as_deref(), Some("fr-CA"));
    }

    #[test]
    fn locale_then_language_then_default() {
        let t = generic_and_localized();
        assert_eq!(render(&t, UsageType::SignIn, Some("fr-CA")), "fr-CA 1");
        assert_eq!(render(&t, UsageType::SignIn, Some("fr_ca")), "fr-CA 1");
        assert_eq!(render(&t, UsageType::SignIn, Some("fr-BE")), "fr 1");
        assert_eq!(render(&t, UsageType::SignIn, Some("de")), "signin 1");
    }

    #[test]
    fn missing_coverage_is_a_config_problem() {
        let err = EmailTemplates::compile(&configs(json!([
            {"usageType": "SignIn", "subject": "s", "content": "{{code}}"},
        ])))
        .expect_err("coverage");
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert_eq!(err.problems()[0].path, "templates");
        assert!(err.message().contains("Register"), "{err}");
        assert!(!err.message().contains("SignIn,"), "{err}");
    }

    #[test]
    fn problems_name_the_template() {
        let err = EmailTemplates::compile(&configs(json!([
            {"usageType": "Generic", "subject": "s", "content": "{{code}}"},
            {"usageType": "SignIn", "subject": "s {{nope}}", "content": "{{#if}}"},
            {"usageType": "SignIn", "subject": "two\nlines", "content": "x", "locale": "not a tag"},
        ])))
        .expect_err("problems");
        let paths: Vec<_> = err.problems().iter().map(|p| p.path.as_str()).collect();
        for expected in [
            "templates[1].subject",
            "templates[1].content",
            "templates[2].subject",
            "templates[2].locale",
        ] {
            assert!(paths.contains(&expected), "{expected} in {paths:?}");
        }
        assert!(err.message().contains("SignIn template"), "{err}");
    }

    #[test]
    fn duplicate_usage_and_locale_is_refused() {
        let err = EmailTemplates::compile(&configs(json!([
            {"usageType": "Generic", "subject": "a", "content": "{{code}}"},
            {"usageType": "Generic", "subject": "b", "content": "{{code}}"},
        ])))
        .expect_err("duplicate");
        assert_eq!(err.problems()[0].path, "templates[1].usageType");
    }

    #[test]
    fn subject_injection_is_refused_at_render() {
        let t = EmailTemplates::compile(&configs(json!([
            {"usageType": "Generic", "subject": "Join {{organization.name}}", "content": "{{code}}"},
        ])))
        .expect("compile");
        let message = EmailMessage::new("a@example.com", UsageType::OrganizationInvitation)
            .with_code("1")
            .with_value("organization", json!({"name": "Acme\nBcc: x@example.com"}));
        let err = t.render(&message).expect_err("injection");
        assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
    }

    #[test]
    fn message_without_code_is_refused_before_sending() {
        let t = generic_and_localized();
        let err = t
            .render(&EmailMessage::new("a@example.com", UsageType::SignIn))
            .expect_err("no code");
        assert_eq!(err.code(), ErrorCode::InsufficientRequestParameters);
        assert!(err.message().contains("SignIn template content"), "{err}");
    }

    #[test]
    fn no_templates_at_all_is_template_not_found_when_rendering() {
        let empty = EmailTemplates {
            entries: Vec::new(),
        };
        let err = empty
            .render(&EmailMessage::new("a@example.com", UsageType::SignIn).with_code("1"))
            .expect_err("none");
        assert_eq!(err.code(), ErrorCode::TemplateNotFound);
    }
}
