//! What goes wrong: bad input refused before anything is sent, SMTP failures classified as the
//! reference says, TLS mistakes explained, and secrets kept out of every error and log.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{config_for, connector, message, one_message, PASSWORD, WAIT};
use connector_core::{ConnectorError, EmailMessage, ErrorCode, UsageType};
use connector_testkit::smtp::{closed_port, SmtpFailure, SmtpServer, SmtpStage, SmtpTls};
use serde_json::json;

/// Sends `message` and expects a refusal with `code` before the server saw anything.
async fn refused_before_sending(message: EmailMessage, code: ErrorCode) -> ConnectorError {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({})));
    let err = connector.send(message).await.expect_err("must be refused");
    assert_eq!(err.code(), code, "{err}");
    assert!(!err.is_retryable(), "{err}");
    assert!(server.messages().is_empty(), "nothing may be delivered");
    assert_eq!(
        server.connections(),
        0,
        "not even a connection may be opened"
    );
    err
}

#[tokio::test]
async fn invalid_to_is_refused_before_sending() {
    refused_before_sending(
        message("not-an-address", UsageType::SignIn),
        ErrorCode::InvalidRequestParameters,
    )
    .await;
}

#[tokio::test]
async fn to_with_two_addresses_is_refused_not_sent_to_either() {
    for to in [
        "ada@example.com, eve@example.com",
        "ada@example.com;eve@example.com",
        "Ada <ada@example.com>, eve@example.com",
    ] {
        let err = refused_before_sending(
            message(to, UsageType::SignIn),
            ErrorCode::InvalidRequestParameters,
        )
        .await;
        assert!(err.message().contains("exactly one"), "{err}");
    }
}

#[tokio::test]
async fn to_with_a_line_break_is_refused() {
    refused_before_sending(
        message("ada@example.com\r\nBcc: eve@example.com", UsageType::SignIn),
        ErrorCode::InvalidRequestParameters,
    )
    .await;
}

#[tokio::test]
async fn crlf_in_a_rendered_subject_is_refused() {
    let injected = message("ada@example.com", UsageType::OrganizationInvitation).with_value(
        "organization",
        json!({"name": "Acme\r\nBcc: eve@example.com"}),
    );
    refused_before_sending(injected, ErrorCode::InvalidRequestParameters).await;
}

#[tokio::test]
async fn header_injection_through_a_payload_value_is_refused() {
    // A bare LF is enough for many MTAs to start a new header.
    let injected = message("ada@example.com", UsageType::SignIn).with_value(
        "application",
        json!({"name": "Acme\nReply-To: phisher@example.com"}),
    );
    let err = refused_before_sending(injected, ErrorCode::InvalidRequestParameters).await;
    assert!(err.message().contains("line break"), "{err}");
}

#[tokio::test]
async fn message_without_code_is_refused_before_sending() {
    let no_code = EmailMessage::new("ada@example.com", UsageType::Register);
    let err = refused_before_sending(no_code, ErrorCode::InsufficientRequestParameters).await;
    assert!(err.message().contains("code"), "{err}");
}

#[tokio::test]
async fn smtp_4xx_reply_is_retryable_general() {
    let server = SmtpServer::builder()
        .fail(SmtpFailure::Reply {
            at: SmtpStage::Rcpt,
            code: 451,
            text: "4.7.1 Greylisted, try again later".into(),
        })
        .start();
    let connector = connector(config_for(&server, json!({})));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("4xx");
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());
    assert!(err.message().contains("451 4.7.1 Greylisted"), "{err}");
    assert!(server.messages().is_empty());

    // The retry the error invites succeeds once the server accepts again.
    server.set_failure(None);
    connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect("retry delivered");
    assert_eq!(one_message(&server).await.to, ["ada@example.com"]);
}

#[tokio::test]
async fn smtp_4xx_to_mail_from_is_retryable_general() {
    let server = SmtpServer::builder()
        .fail(SmtpFailure::Reply {
            at: SmtpStage::Mail,
            code: 452,
            text: "4.3.1 Insufficient system storage".into(),
        })
        .start();
    let connector = connector(config_for(&server, json!({})));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("4xx");
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn smtp_5xx_reply_is_permanent_general_with_the_reply_text() {
    let server = SmtpServer::builder()
        .fail(SmtpFailure::Reply {
            at: SmtpStage::Data,
            code: 554,
            text: "5.7.1 Message rejected as spam".into(),
        })
        .start();
    let connector = connector(config_for(&server, json!({})));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("5xx");
    assert_eq!(err.code(), ErrorCode::General);
    assert!(!err.is_retryable(), "{err:?}");
    assert!(
        err.message().contains("554 5.7.1 Message rejected as spam"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("482913"),
        "the code must not leak: {err}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn connection_refused_is_retryable_general() {
    let server = SmtpServer::builder().start();
    let mut config = config_for(&server, json!({}));
    config["port"] = json!(closed_port());
    let err = connector(config)
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());
    assert!(err.message().contains("connection refused"), "{err}");
}

#[tokio::test]
async fn connection_dropped_during_data_is_retryable_and_nothing_is_delivered() {
    let server = SmtpServer::builder()
        .fail(SmtpFailure::DropDuringData)
        .start();
    let connector = connector(config_for(&server, json!({})));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("dropped");
    assert_eq!(err.code(), ErrorCode::General, "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(server.messages().is_empty());

    // The broken connection is not reused: the next send opens a new one and succeeds.
    server.set_failure(None);
    connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect("delivered on a new connection");
    assert_eq!(server.wait_for_messages(1, WAIT).await.len(), 1);
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_server_that_never_greets_times_out_retryably() {
    let server = SmtpServer::builder().fail(SmtpFailure::NoGreeting).start();
    // Short timeouts so the test is quick; they only bound the wait.
    let connector = connector(config_for(
        &server,
        json!({"connectionTimeout": 2000, "greetingTimeout": 300}),
    ));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("timeout");
    assert_eq!(err.code(), ErrorCode::General);
    assert!(err.is_retryable());
    assert!(err.message().contains("greeting"), "{err}");
}

#[tokio::test]
async fn plaintext_client_on_an_implicit_tls_port_is_told_to_set_secure() {
    let server = SmtpServer::builder().tls(SmtpTls::Implicit).start();
    let connector = connector(config_for(
        &server,
        json!({"secure": null, "connectionTimeout": 2000, "greetingTimeout": 300}),
    ));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("no greeting in plaintext");
    assert!(err.is_retryable());
    assert!(err.message().contains("secure: true"), "{err}");
}

#[tokio::test]
async fn secure_true_on_a_starttls_port_says_the_tls_mode_is_wrong() {
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    let connector = connector(config_for(
        &server,
        json!({"requireTLS": null, "secure": true}),
    ));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("TLS against a plaintext greeting");
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    assert!(err.message().contains("wrong version number"), "{err}");
    assert!(err.message().contains("secure: false"), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn untrusted_certificate_is_invalid_certificate() {
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    // No tls.ca: the self-signed certificate is checked against the public CAs and fails.
    let connector = connector(config_for(&server, json!({"tls": null})));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("untrusted");
    assert_eq!(err.code(), ErrorCode::InvalidCertificate, "{err}");
    assert!(err.message().contains("tls.ca"), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn certificate_for_another_name_is_invalid_certificate() {
    let server = SmtpServer::builder().tls(SmtpTls::Implicit).start();
    let mut config = config_for(&server, json!({}));
    config["tls"]["servername"] = json!("mail.other.example");
    let err = connector(config)
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("wrong name");
    assert_eq!(err.code(), ErrorCode::InvalidCertificate, "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn require_tls_without_starttls_on_offer_is_invalid_config() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({"requireTLS": true})));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("no STARTTLS");
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    assert!(err.message().contains("STARTTLS"), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn xoauth2_against_a_server_without_it_names_the_offered_mechanisms() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::StartTls)
        .auth("mailer@acme.test", PASSWORD)
        .start();
    let token = "ya29.test-access-token";
    let connector = connector(config_for(
        &server,
        json!({"auth": {"type": "oauth2", "user": "mailer@acme.test", "accessToken": token}}),
    ));
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("no XOAUTH2");
    assert_eq!(err.code(), ErrorCode::InvalidConfig, "{err}");
    assert!(
        err.message().contains("XOAUTH2") && err.message().contains("PLAIN"),
        "{err}"
    );
    assert!(!format!("{err:?}").contains(token));
}

#[tokio::test]
async fn secrets_never_appear_in_debug_display_or_errors() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::StartTls)
        .auth("mailer@acme.test", PASSWORD)
        .fail(SmtpFailure::Reply {
            at: SmtpStage::Data,
            code: 550,
            text: "5.7.1 Refused".into(),
        })
        .start();
    let config = config_for(&server, json!({}));
    let parsed: connector_smtp::config::SmtpConfig =
        serde_json::from_value(config.clone()).expect("typed config");
    let connector = connector(config);
    let err = connector
        .send(message("ada@example.com", UsageType::SignIn))
        .await
        .expect_err("refused");
    let texts = [
        format!("{parsed:?}"),
        format!("{connector:?}"),
        format!("{err}"),
        format!("{err:?}"),
        serde_json::to_string(&err).expect("error json"),
    ];
    for text in texts {
        assert!(!text.contains(PASSWORD), "password in {text}");
        assert!(!text.contains("482913"), "code in {text}");
    }
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn smtp_traffic_is_never_logged_even_at_trace_level() {
    use base64::Engine as _;
    let server = SmtpServer::builder()
        .auth("mailer@acme.test", PASSWORD)
        .start();
    let connector = connector(config_for(&server, json!({})));

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    connector
        .send(message("ada@example.com", UsageType::Register))
        .await
        .expect("delivered");
    one_message(&server).await;

    let logs =
        String::from_utf8(captured.0.lock().expect("capture lock").clone()).expect("utf-8 logs");
    assert!(
        logs.contains("e-mail delivered"),
        "our own events are logged: {logs}"
    );
    let plain =
        base64::engine::general_purpose::STANDARD.encode(format!("\0mailer@acme.test\0{PASSWORD}"));
    for secret in [PASSWORD, plain.as_str(), "482913"] {
        assert!(!logs.contains(secret), "`{secret}` logged: {logs}");
    }
}
