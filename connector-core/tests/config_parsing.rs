//! `parse_config`: every problem with its JSON path, did-you-mean, placeholders, no secret echoed.

use connector_core::email_templates::EmailTemplateConfig;
use connector_core::{parse_config, ConfigProblems, ConnectorConfig, ErrorCode, Secret};
use serde_json::json;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MailConfig {
    host: String,
    port: u16,
    from_email: String,
    #[serde(default)]
    auth: Option<Auth>,
    #[serde(default)]
    templates: Vec<EmailTemplateConfig>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Auth {
    user: String,
    pass: Secret,
}

impl ConnectorConfig for MailConfig {
    fn validate(&self, problems: &mut ConfigProblems) {
        if self.port == 0 {
            problems.push("port", "must be between 1 and 65535");
        }
        if !self.from_email.contains('@') {
            problems.push("fromEmail", "is not an e-mail address");
        }
    }
}

fn lines(err: &connector_core::ConnectorError) -> Vec<String> {
    err.problems().iter().map(ToString::to_string).collect()
}

#[test]
fn a_good_config_parses() {
    let config: MailConfig = parse_config(json!({
        "host": "smtp.example.com", "port": 587, "fromEmail": "no-reply@example.com",
        "auth": {"user": "u", "pass": "p"},
        "templates": [{"usageType": "Generic", "contentType": "text/plain", "subject": "s", "content": "{{code}}"}]
    }))
    .expect("valid");
    assert_eq!(config.host, "smtp.example.com");
    assert_eq!(config.port, 587);
    assert_eq!(config.templates.len(), 1);
    let auth = config.auth.expect("auth");
    assert_eq!((auth.user.as_str(), auth.pass.expose()), ("u", "p"));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let err = parse_config::<MailConfig>(json!({
        "hots": "smtp.example.com",
        "port": "not a number",
        "fromEmail": "x@example.com",
        "templates": [
            {"usageType": "SignIn", "contentType": "text/plain", "subject": "s", "content": "c"},
            {"usageType": "SignIn", "contentType": "text/plain", "subject": "s", "content": "c"},
            {"usageType": "Signin", "contentType": "text/plain", "subject": "s", "content": "c"}
        ]
    }))
    .expect_err("invalid");
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    let lines = lines(&err);
    let expected = [
        "hots: unknown field `hots`, did you mean `host`?",
        "host: missing required field `host`",
        "port: expected integer, found a string",
    ];
    for line in expected {
        assert!(
            lines.contains(&line.to_owned()),
            "missing `{line}` in {lines:#?}"
        );
    }
    let usage = lines
        .iter()
        .find(|l| l.starts_with("templates[2].usageType: "))
        .unwrap_or_else(|| panic!("no usageType problem in {lines:#?}"));
    assert!(
        usage.contains("`Signin`") && usage.contains("`SignIn`"),
        "{usage}"
    );
}

#[test]
fn unknown_field_suggests_the_closest_name_case_insensitively() {
    let err = parse_config::<MailConfig>(json!({
        "host": "h", "port": 25, "fromEMAIL": "a@example.com"
    }))
    .expect_err("unknown field");
    assert!(
        lines(&err).contains(
            &"fromEMAIL: unknown field `fromEMAIL`, did you mean `fromEmail`?".to_owned()
        ),
        "{:#?}",
        lines(&err)
    );
}

#[test]
fn nested_unknown_fields_have_nested_paths() {
    let err = parse_config::<MailConfig>(json!({
        "host": "h", "port": 25, "fromEmail": "a@example.com",
        "auth": {"user": "u", "pass": "p", "passwrd": "x"}
    }))
    .expect_err("unknown nested");
    assert!(
        lines(&err)
            .contains(&"auth.passwrd: unknown field `passwrd`, did you mean `pass`?".to_owned()),
        "{:#?}",
        lines(&err)
    );
}

#[test]
fn semantic_validation_runs_after_types() {
    let err = parse_config::<MailConfig>(json!({"host": "h", "port": 0, "fromEmail": "nobody"}))
        .expect_err("semantic");
    assert_eq!(
        lines(&err),
        [
            "port: must be between 1 and 65535",
            "fromEmail: is not an e-mail address"
        ]
    );
}

#[test]
fn placeholders_left_in_example_configs_are_refused() {
    let err = parse_config::<MailConfig>(json!({
        "host": "<your-smtp-host>", "port": 465, "fromEmail": "a@example.com",
        "auth": {"user": "me", "pass": "<app-password>"},
        "templates": [{"usageType": "Generic", "contentType": "text/html", "subject": "s", "content": "<custom-tag>{{code}}"}]
    }))
    .expect_err("placeholders");
    let lines = lines(&err);
    assert!(
        lines.contains(&"host: placeholder not replaced: put the real value here".to_owned()),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("auth.pass: placeholder")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("content")),
        "HTML content is not a placeholder: {lines:#?}"
    );
}

#[test]
fn logto_form_defaults_are_placeholders_but_addresses_are_not() {
    let err = parse_config::<MailConfig>(json!({
        "host": "<host>", "port": 25, "fromEmail": "<no-reply@example.com>",
        "auth": {"user": "<username>", "pass": "<password>"}
    }))
    .expect_err("form defaults");
    let mut paths: Vec<_> = err.problems().iter().map(|p| p.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["auth.pass", "auth.user", "host"]);
}

#[test]
fn secret_values_are_never_echoed() {
    let err = parse_config::<MailConfig>(json!({
        "host": "h", "port": 25, "fromEmail": "a@example.com",
        "auth": {"user": "u", "pass": 123456789}
    }))
    .expect_err("wrong type for secret");
    let text = format!(
        "{err} {err:?} {}",
        serde_json::to_string(&err).expect("json")
    );
    assert!(!text.contains("123456789"), "{text}");
    assert!(
        lines(&err).iter().any(|l| l.starts_with("auth.pass: ")),
        "{:#?}",
        lines(&err)
    );
}

#[test]
fn not_an_object_is_a_root_problem() {
    let err = parse_config::<MailConfig>(json!(["host"])).expect_err("array");
    assert_eq!(err.problems()[0].path, "(root)");
}

#[test]
fn schema_marks_secrets_write_only() {
    let schema = connector_core::config_schema::<MailConfig>();
    let text = schema.to_string();
    assert!(text.contains("\"writeOnly\":true"), "{text}");
    assert!(text.contains("\"format\":\"password\""), "{text}");
}
