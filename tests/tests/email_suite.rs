//! The e-mail suite passes a conforming connector and fails broken ones with a message naming the
//! failed check and why.

mod support;

use connector_testkit::{email, properties};
use support::mailer::{MailFlaw, MailerFixture, PASSWORD};
use support::panic_message;

#[tokio::test]
async fn a_conforming_email_connector_passes_every_check() {
    let report = email::check(&MailerFixture(MailFlaw::None)).await;
    assert!(report.passed(), "{report}");
    for name in [
        "metadata.valid",
        "schema.secret_fields_write_only",
        "config.bad_config[0] (port)",
        "send.delivers",
        "send.bad_input[0] (invalid_request_parameters)",
        "send.bad_input[1] (invalid_request_parameters)",
        "send.reply_451_at_mail",
        "send.reply_550_at_rcpt",
        "send.reply_554_at_data",
        "send.drop_during_data",
        "send.server_down",
        "send.server_never_greets",
        "secrets.no_leak",
        "secrets.no_leak_in_tracing",
    ] {
        assert!(report.is_passed(name), "{name} did not pass:\n{report}");
    }
}

#[tokio::test]
async fn an_email_connector_that_leaks_its_password_in_debug_fails_the_leak_check() {
    let message =
        panic_message(async { email::run(&MailerFixture(MailFlaw::LeaksPasswordInDebug)).await })
            .await
            .expect("the suite must fail");
    assert!(
        message.contains("FAILED secrets.no_leak: a config secret appeared in Debug, Display, an error or a URL: secret #0"),
        "{message}"
    );
    assert!(
        message.contains("appeared in the connector (Debug)"),
        "{message}"
    );
    assert!(!message.contains(PASSWORD), "{message}");
}

#[tokio::test]
async fn an_email_connector_that_calls_4xx_permanent_fails_the_reply_checks() {
    let report = email::check(&MailerFixture(MailFlaw::TransientIsPermanent)).await;
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(
        failed,
        ["send.reply_451_at_mail", "send.reply_452_at_rcpt"],
        "{report}"
    );
    assert!(
        report.to_string().contains("FAILED send.reply_451_at_mail: the server answers `451 4.7.1 Try again later` to MAIL FROM: expected `general` (retryable), got `general`: try later"),
        "{report}"
    );
}

#[tokio::test]
async fn an_email_connector_that_sends_to_a_recipient_list_fails_the_bad_input_check() {
    let report = email::check(&MailerFixture(MailFlaw::SendsToLists)).await;
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(
        failed,
        ["send.bad_input[0] (invalid_request_parameters)"],
        "{report}"
    );
    assert!(
        report.to_string().contains("expected `invalid_request_parameters`, got success (delivered to `ada@example.test, eve@example.test`)"),
        "{report}"
    );
}

#[tokio::test]
async fn an_email_connector_whose_smtp_library_logs_auth_fails_the_tracing_check() {
    // An SMTP library with wire logging logs `AUTH PLAIN <base64 of \0user\0password>` at DEBUG:
    // the password, encoded. The suite must see through the encoding.
    let report = email::check(&MailerFixture(MailFlaw::LogsSmtpAuth)).await;
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["secrets.no_leak_in_tracing"], "{report}");
    assert!(
        report.to_string().contains("FAILED secrets.no_leak_in_tracing: a config secret appeared in the captured tracing output: secret #0"),
        "{report}"
    );
}

#[test]
fn a_conforming_email_connector_passes_every_property() {
    let report = properties::email(&MailerFixture(MailFlaw::None));
    assert_eq!(report.checks.len(), 3, "{report}");
}
