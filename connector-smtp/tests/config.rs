//! Configs: Logto configs pasted as they are, every nodemailer field, the checks that refuse a
//! config that cannot work (quirks 8 and 9), and the README's examples.

mod common;

use common::{config_for, connector, create, create_error, merge, message, one_message, templates};
use connector_core::{ConnectorError, ConnectorFactory, ErrorCode, UsageType};
use connector_smtp::SmtpFactory;
use connector_testkit::smtp::{SmtpServer, SmtpTls};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// A valid config to break one field at a time.
fn base() -> Value {
    json!({
        "host": "smtp.acme.example",
        "port": 587,
        "requireTLS": true,
        "auth": {"user": "mailer@acme.example", "pass": "example-password"},
        "fromEmail": "Acme <no-reply@acme.example>",
        "templates": templates(),
    })
}

fn with(extra: Value) -> Value {
    let mut config = base();
    merge(&mut config, extra);
    config
}

/// The problem reported at `path`, failing with every problem listed when there is none.
fn problem_at(err: &ConnectorError, path: &str) -> String {
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    err.problems()
        .iter()
        .find(|p| p.path == path)
        .map(|p| p.message.clone())
        .unwrap_or_else(|| panic!("no problem at `{path}` in: {err}"))
}

#[test]
fn a_logto_config_pasted_as_is_creates() {
    create(fixture("logto-smtp-config.json")).expect("Logto's config creates");
}

#[test]
fn a_logto_config_with_every_nodemailer_field_creates() {
    create(fixture("logto-smtp-config-nodemailer-extras.json")).expect("creates");
}

#[tokio::test]
async fn a_logto_config_delivers_once_pointed_at_a_server() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::Implicit)
        .auth("acme.notifications@gmail.com", "abcdwxyzefghijkl")
        .start();
    let mut config = fixture("logto-smtp-config.json");
    config["host"] = json!(server.host());
    config["port"] = json!(server.port());
    config["tls"] = json!({"ca": server.ca_pem()});
    let connector = connector(config);
    let delivery = connector
        .send(message("ada@example.com", UsageType::MfaVerification))
        .await
        .expect("delivered");
    assert_eq!(delivery.template_usage, UsageType::Generic);
    let mail = one_message(&server).await;
    assert_eq!(mail.subject(), "Logto Generic with SMTP");
    assert!(mail.body_text().contains("482913"));
    assert_eq!(
        mail.header("Reply-To").as_deref(),
        Some("support@acme.example")
    );
}

#[tokio::test]
async fn a_port_given_as_a_numeric_string_works() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(
        &server,
        json!({"port": server.port().to_string()}),
    ));
    connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect("delivered");
    one_message(&server).await;
}

#[test]
fn ports_out_of_range_or_not_numeric_are_refused() {
    for port in [json!(0), json!(70000), json!("smtp"), json!(-1)] {
        let err = create_error(with(json!({"port": port})));
        problem_at(&err, "port");
    }
}

#[test]
fn port_465_without_secure_is_refused_with_the_fix() {
    let err = create_error(with(json!({"port": 465, "requireTLS": null})));
    assert!(problem_at(&err, "secure").contains("secure: true"), "{err}");
}

#[test]
fn secure_on_port_587_is_refused_naming_wrong_version_number() {
    let err = create_error(with(json!({"secure": true})));
    let problem = problem_at(&err, "secure");
    assert!(
        problem.contains("STARTTLS") && problem.contains("wrong version number"),
        "{problem}"
    );
}

#[test]
fn contradictory_tls_flags_are_refused() {
    let err = create_error(with(
        json!({"port": 465, "secure": true, "requireTLS": null, "ignoreTLS": true}),
    ));
    assert!(problem_at(&err, "ignoreTLS").contains("secure"), "{err}");
    let err = create_error(with(json!({"ignoreTLS": true})));
    assert!(
        problem_at(&err, "ignoreTLS").contains("requireTLS"),
        "{err}"
    );
}

#[test]
fn reject_unauthorized_false_is_refused_pointing_to_tls_ca() {
    let err = create_error(with(json!({"tls": {"rejectUnauthorized": false}})));
    let problem = problem_at(&err, "tls.rejectUnauthorized");
    assert!(problem.contains("tls.ca"), "{problem}");
    create(with(json!({"tls": {"rejectUnauthorized": true}}))).expect("true is fine");
}

#[test]
fn a_non_ascii_ehlo_name_is_refused_naming_501() {
    let err = create_error(with(json!({"name": "邮件服务器.example"})));
    assert!(problem_at(&err, "name").contains("501 5.5.4"), "{err}");
    create(with(json!({"name": "app01.acme.example"}))).expect("ASCII name");
}

#[test]
fn from_and_reply_to_must_be_one_mailbox() {
    for from in [
        "acme",
        "a@acme.example, b@acme.example",
        "Acme <no-reply@acme.example",
    ] {
        let err = create_error(with(json!({"fromEmail": from})));
        problem_at(&err, "fromEmail");
    }
    let err = create_error(with(
        json!({"replyTo": "support@acme.example\r\nBcc: x@y.example"}),
    ));
    problem_at(&err, "replyTo");
}

#[test]
fn custom_headers_cannot_inject_or_override() {
    let err = create_error(with(
        json!({"customHeaders": {"X-Note": "a\r\nBcc: eve@example.com"}}),
    ));
    assert!(
        problem_at(&err, "customHeaders.X-Note").contains("line break"),
        "{err}"
    );
    let err = create_error(with(json!({"customHeaders": {"Bcc": "eve@example.com"}})));
    problem_at(&err, "customHeaders.Bcc");
    let err = create_error(with(json!({"customHeaders": {"Bad Name": "x"}})));
    problem_at(&err, "customHeaders.Bad Name");
    let err = create_error(with(json!({"customHeaders": {"X-Empty": []}})));
    problem_at(&err, "customHeaders.X-Empty");
}

#[test]
fn placeholders_from_example_configs_are_refused() {
    let err = create_error(with(json!({
        "host": "<your-smtp-host>",
        "auth": {"user": "<smtp-user>", "pass": "<app-password>"},
    })));
    for path in ["host", "auth.user", "auth.pass"] {
        assert!(problem_at(&err, path).contains("placeholder"), "{err}");
    }
}

#[test]
fn logto_form_defaults_left_in_place_are_refused() {
    // The values Logto's admin console pre-fills (`constant.ts` form items).
    let err = create_error(with(json!({
        "host": "<host>",
        "auth": {"type": "login", "user": "<username>", "pass": "<password>"},
        "fromEmail": "<from_email_address@your.domain>",
        "replyTo": "<do-reply@your.domain>",
    })));
    for path in ["host", "auth.user", "auth.pass", "fromEmail", "replyTo"] {
        assert!(problem_at(&err, path).contains("placeholder"), "{err}");
    }
    let err = create_error(with(json!({"name": "<Logto-SMTP>"})));
    assert!(problem_at(&err, "name").contains("placeholder"), "{err}");
    create(with(json!({"fromEmail": "<no-reply@acme.example>"})))
        .expect("an angle-bracketed address is fine");
}

#[test]
fn a_misspelled_field_gets_did_you_mean() {
    let err = create_error(with(json!({"requireTls": true})));
    assert!(
        problem_at(&err, "requireTls").contains("requireTLS"),
        "{err}"
    );
}

#[test]
fn template_errors_name_the_template() {
    let mut config = base();
    config["templates"][1]["content"] = json!("{{code}} {{nope}}");
    let err = create_error(config);
    assert!(
        problem_at(&err, "templates[1].content").contains("SignIn"),
        "{err}"
    );

    let mut config = base();
    config["templates"] = json!([
        {"usageType": "SignIn", "contentType": "text/plain", "subject": "s", "content": "{{code}}"}
    ]);
    let err = create_error(config);
    assert!(problem_at(&err, "templates").contains("Generic"), "{err}");
}

#[test]
fn oauth2_needs_an_access_token() {
    create(with(json!({"auth": {
        "type": "OAuth2", "user": "mailer@acme.example", "accessToken": "ya29.token",
        "clientId": "id.apps.googleusercontent.com", "clientSecret": "secret", "refreshToken": "1//refresh",
        "expires": 1_700_000_000_000_u64, "accessUrl": "https://oauth2.googleapis.com/token",
    }})))
    .expect("XOAUTH2 with an access token");
    let err = create_error(with(json!({"auth": {
        "type": "oauth2", "user": "mailer@acme.example", "refreshToken": "1//refresh",
    }})));
    assert!(
        problem_at(&err, "auth.accessToken").contains("refresh"),
        "{err}"
    );
    let err = create_error(with(json!({"auth": {
        "user": "mailer@acme.example", "privateKey": "-----BEGIN PRIVATE KEY-----", "serviceClient": "1234",
    }})));
    assert!(
        problem_at(&err, "auth.accessToken").contains("service-account"),
        "{err}"
    );
}

#[test]
fn half_a_credential_is_refused_and_none_is_a_relay() {
    let err = create_error(with(json!({"auth": {"user": "mailer@acme.example"}})));
    problem_at(&err, "auth.pass");
    create(with(json!({"auth": null}))).expect("IP-authorised relay");
    create(with(json!({"auth": {"user": "", "pass": ""}}))).expect("empty credentials mean none");
}

#[test]
fn tls_ca_must_hold_a_certificate() {
    let err = create_error(with(json!({"tls": {"ca": "not a certificate"}})));
    problem_at(&err, "tls.ca");
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    create(with(json!({"tls": {"ca": [server.ca_pem()]}}))).expect("a list of PEM texts");
}

#[test]
fn nodemailer_service_shortcut_is_refused_with_an_explanation() {
    let err = create_error(with(json!({"service": "gmail"})));
    assert!(problem_at(&err, "service").contains("host"), "{err}");
}

#[test]
fn timeouts_and_pool_sizes_must_be_positive() {
    let err = create_error(with(
        json!({"socketTimeout": 0, "maxConnections": 0, "localAddress": "eth0"}),
    ));
    for path in ["socketTimeout", "maxConnections", "localAddress"] {
        problem_at(&err, path);
    }
}

#[test]
fn secrets_are_write_only_in_the_schema() {
    let schema = SmtpFactory::new().config_schema();
    let text = schema.to_string();
    assert!(text.contains("\"writeOnly\":true"), "{text}");
    assert!(schema["properties"]["requireTLS"].is_object());
    assert!(schema["properties"]["fromEmail"].is_object());
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for field in ["host", "port", "fromEmail", "templates"] {
        assert!(required.contains(&field), "{field} required: {required:?}");
    }
}

#[test]
fn errors_never_quote_the_password() {
    let err = create_error(with(json!({
        "auth": {"user": "mailer@acme.example", "pass": 12345},
        "port": 465,
    })));
    let text = format!("{err} {err:?}");
    assert!(!text.contains("12345"), "{text}");
}

/// Every ```json block of README.md, in order.
fn readme_json_blocks() -> Vec<String> {
    let readme = include_str!("../README.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_json_example_in_the_readme_creates_a_connector() {
    let blocks = readme_json_blocks();
    assert!(blocks.len() >= 8, "README examples: {}", blocks.len());
    for (index, block) in blocks.iter().enumerate() {
        let config: Value = serde_json::from_str(block)
            .unwrap_or_else(|e| panic!("README JSON block {index} does not parse: {e}\n{block}"));
        create(config).unwrap_or_else(|e| panic!("README JSON block {index}: {e}\n{block}"));
    }
}
