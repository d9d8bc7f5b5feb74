//! Deliveries through a real SMTP server on 127.0.0.1: TLS modes, AUTH, the delivered message,
//! templates per usage type and locale, and connection reuse.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{
    assert_standard_message, config_for, connector, message, one_message, PASSWORD, WAIT,
};
use connector_core::{ErrorCode, UsageType};
use connector_testkit::smtp::{SmtpAuthMechanism, SmtpServer, SmtpTls};
use serde_json::json;

#[tokio::test]
async fn plain_delivery_carries_recipient_subject_body_and_headers() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({})));

    let delivery = connector
        .send(message("ada@example.com", UsageType::BindMfa))
        .await
        .expect("delivered");

    let mail = one_message(&server).await;
    assert_eq!(mail.from, "no-reply@acme.test");
    assert_eq!(mail.to, ["ada@example.com"]);
    assert_eq!(mail.header("To").as_deref(), Some("ada@example.com"));
    assert_eq!(mail.subject(), "Your Acme code");
    assert_eq!(mail.body_text().trim_end(), "Your code is 482913.");
    assert_eq!(mail.content_type(), "text/plain");
    assert_eq!(mail.charset(), "utf-8");
    let from = mail.header("From").expect("From header");
    assert!(
        from.contains("Acme Sign-in") && from.contains("<no-reply@acme.test>"),
        "{from}"
    );
    let reply_to = mail.header("Reply-To").expect("Reply-To header");
    assert!(reply_to.contains("Acme Support") && reply_to.contains("<support@acme.test>"));
    assert_eq!(mail.header("X-Campaign").as_deref(), Some("verification"));
    assert_eq!(mail.headers("X-Tag"), ["codes", "sign-in"]);
    assert!(mail.header("Message-ID").is_some() && mail.header("Date").is_some());
    assert!(!mail.tls);

    assert_eq!(delivery.to, "ada@example.com");
    assert_eq!(delivery.template_usage, UsageType::Generic);
    assert_eq!(delivery.template_locale, None);
    let reply = delivery.server_reply.expect("server reply");
    assert!(reply.starts_with("250"), "{reply}");
}

#[tokio::test]
async fn html_templates_escape_message_values() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({})));

    let hostile = message("ada@example.com", UsageType::SignIn)
        .with_value("user", json!({"name": "<script>alert('x')</script>"}))
        .with_value("application", json!({"name": "Acme & Co"}));
    connector.send(hostile).await.expect("delivered");

    let mail = one_message(&server).await;
    assert_standard_message(&mail, "ada@example.com", "text/html");
    let body = mail.body_text();
    assert!(body.contains("&lt;script&gt;"), "{body}");
    assert!(!body.contains("<script>"), "{body}");
    assert!(body.contains("<b>482913</b>"), "{body}");
    // Subjects are plain text: nothing to escape there.
    assert_eq!(mail.subject(), "Sign in to Acme & Co");
}

#[tokio::test]
async fn starttls_with_the_generated_certificate_encrypts_the_session() {
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    // connector_config(): requireTLS and tls.ca = the server's certificate.
    let connector = connector(config_for(&server, json!({})));
    connector
        .send(message("ada@example.com", UsageType::Register))
        .await
        .expect("delivered");
    let mail = one_message(&server).await;
    assert!(mail.tls, "the message must travel after STARTTLS");
    assert_standard_message(&mail, "ada@example.com", "text/plain");
    assert_eq!(mail.subject(), "Welcome to Acme");
    assert_eq!(mail.body_text().trim_end(), "Register with 482913.");
}

#[tokio::test]
async fn opportunistic_starttls_upgrades_when_the_server_offers_it() {
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    let connector = connector(config_for(&server, json!({"requireTLS": null})));
    connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect("delivered");
    let mail = one_message(&server).await;
    assert!(mail.tls);
    assert_standard_message(&mail, "ada@example.com", "text/plain");
    assert_eq!(mail.subject(), "Your Acme code");
}

#[tokio::test]
async fn ignore_tls_stays_in_plaintext_even_when_starttls_is_offered() {
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    let connector = connector(config_for(
        &server,
        json!({"requireTLS": null, "ignoreTLS": true}),
    ));
    connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect("delivered");
    let mail = one_message(&server).await;
    assert!(!mail.tls);
    assert_standard_message(&mail, "ada@example.com", "text/plain");
}

#[tokio::test]
async fn implicit_tls_delivers_over_tls_from_the_first_byte() {
    let server = SmtpServer::builder().tls(SmtpTls::Implicit).start();
    // connector_config(): secure: true and tls.ca.
    let connector = connector(config_for(&server, json!({})));
    connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect("delivered");
    let mail = one_message(&server).await;
    assert!(mail.tls);
    assert_standard_message(&mail, "ada@example.com", "text/plain");
    assert_eq!(mail.subject(), "Your Acme code");
}

#[tokio::test]
async fn a_ca_trusted_in_code_by_the_factory_verifies_the_server() {
    use connector_core::{ConnectorContext, ConnectorFactory};
    let server = SmtpServer::builder().tls(SmtpTls::StartTls).start();
    let factory = connector_smtp::SmtpFactory::new()
        .with_trusted_ca(&server.ca_pem())
        .expect("a PEM certificate");
    // No `tls.ca` in the config: the factory's CA is the one that makes the certificate valid.
    let connector = factory
        .create(
            config_for(&server, json!({"tls": null})),
            &ConnectorContext::default(),
        )
        .and_then(|c| c.into_email())
        .expect("creates");
    connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect("delivered");
    let mail = one_message(&server).await;
    assert!(mail.tls);
    assert_standard_message(&mail, "ada@example.com", "text/plain");
}

#[tokio::test]
async fn auth_plain_with_the_right_password_is_accepted() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::StartTls)
        .auth("mailer@acme.test", PASSWORD)
        .auth_mechanisms(&[SmtpAuthMechanism::Plain])
        .start();
    let connector = connector(config_for(&server, json!({})));
    connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect("delivered");
    let mail = one_message(&server).await;
    assert_standard_message(&mail, "ada@example.com", "text/plain");
    let attempts = server.auth_attempts();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].mechanism, SmtpAuthMechanism::Plain);
    assert_eq!(attempts[0].user, "mailer@acme.test");
    assert!(attempts[0].accepted);
}

#[tokio::test]
async fn auth_login_with_the_right_password_is_accepted() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::Implicit)
        .auth("mailer@acme.test", PASSWORD)
        .auth_mechanisms(&[SmtpAuthMechanism::Login])
        .start();
    let connector = connector(config_for(&server, json!({})));
    connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect("delivered");
    let mail = one_message(&server).await;
    assert_standard_message(&mail, "ada@example.com", "text/plain");
    let attempts = server.auth_attempts();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].mechanism, SmtpAuthMechanism::Login);
    assert!(attempts[0].accepted);
}

#[tokio::test]
async fn auth_method_login_is_preferred_when_configured() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::StartTls)
        .auth("mailer@acme.test", PASSWORD)
        .start();
    let connector = connector(config_for(&server, json!({"authMethod": "LOGIN"})));
    connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect("delivered");
    one_message(&server).await;
    assert_eq!(
        server.auth_attempts()[0].mechanism,
        SmtpAuthMechanism::Login
    );
}

#[tokio::test]
async fn smtp_535_is_invalid_config() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::StartTls)
        .auth("mailer@acme.test", PASSWORD)
        .start();
    let wrong = "not-the-password";
    let mut config = config_for(&server, json!({}));
    config["auth"]["pass"] = json!(wrong);
    let connector = connector(config);

    let err = connector
        .send(message("ada@example.com", UsageType::Generic))
        .await
        .expect_err("wrong password");
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    assert!(!err.is_retryable());
    assert!(
        err.message().contains("rejected the credentials") && err.message().contains("535"),
        "{err}"
    );
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(wrong) && !text.contains("482913"), "{text}");
    }
    assert!(server.messages().is_empty());
    assert!(!server.auth_attempts()[0].accepted);
}

#[tokio::test]
async fn every_usage_type_uses_its_own_template_or_generic() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({})));
    let expected = [
        (UsageType::SignIn, UsageType::SignIn, "Sign in to Acme"),
        (UsageType::Register, UsageType::Register, "Welcome to Acme"),
        (
            UsageType::ForgotPassword,
            UsageType::ForgotPassword,
            "Reset your password",
        ),
        (
            UsageType::OrganizationInvitation,
            UsageType::OrganizationInvitation,
            "Join Analytical Engines",
        ),
        (UsageType::Generic, UsageType::Generic, "Your Acme code"),
        (
            UsageType::UserPermissionValidation,
            UsageType::Generic,
            "Your Acme code",
        ),
        (
            UsageType::BindNewIdentifier,
            UsageType::Generic,
            "Your Acme code",
        ),
        (
            UsageType::MfaVerification,
            UsageType::Generic,
            "Your Acme code",
        ),
        (UsageType::BindMfa, UsageType::Generic, "Your Acme code"),
    ];
    assert_eq!(expected.len(), UsageType::ALL.len());
    for (index, (usage, template, subject)) in expected.into_iter().enumerate() {
        let to = format!("user{index}@example.com");
        let delivery = connector
            .send(message(&to, usage))
            .await
            .unwrap_or_else(|e| panic!("{usage}: {e}"));
        assert_eq!(delivery.template_usage, template, "{usage}");
        let mails = server.wait_for_messages(index + 1, WAIT).await;
        let mail = mails.last().expect("delivered");
        assert_eq!(mail.to, [to.as_str()], "{usage}");
        assert_eq!(mail.subject(), subject, "{usage}");
        assert!(mail.body_text().contains("482913"), "{usage}");
    }
}

#[tokio::test]
async fn locale_falls_back_to_the_language_then_the_default_template() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({})));
    let cases = [
        (UsageType::SignIn, "fr-CA", "Connexion", Some("fr")),
        (UsageType::SignIn, "fr", "Connexion", Some("fr")),
        (UsageType::SignIn, "de-DE", "Sign in to Acme", None),
        (
            UsageType::ForgotPassword,
            "zh-CN",
            "重置密码",
            Some("zh-CN"),
        ),
        (
            UsageType::ForgotPassword,
            "zh-TW",
            "Reset your password",
            None,
        ),
        (UsageType::MfaVerification, "fr", "Your Acme code", None),
    ];
    for (index, (usage, locale, subject, template_locale)) in cases.into_iter().enumerate() {
        let delivery = connector
            .send(message("ada@example.com", usage).with_locale(locale))
            .await
            .unwrap_or_else(|e| panic!("{usage} {locale}: {e}"));
        assert_eq!(
            delivery.template_locale.as_deref(),
            template_locale,
            "{usage} {locale}"
        );
        let mails = server.wait_for_messages(index + 1, WAIT).await;
        let mail = mails.last().expect("delivered");
        assert_eq!(mail.subject(), subject, "{usage} {locale}");
    }
    let mails = server.messages();
    assert_eq!(mails[0].body_text().trim_end(), "Votre code : 482913");
    assert_eq!(mails[3].body_text().trim_end(), "您的验证码是 482913");
}

#[tokio::test]
async fn sequential_sends_reuse_one_connection() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::StartTls)
        .auth("mailer@acme.test", PASSWORD)
        .start();
    let connector = connector(config_for(&server, json!({})));
    for n in 0..3 {
        connector
            .send(message(&format!("user{n}@example.com"), UsageType::SignIn))
            .await
            .expect("delivered");
    }
    assert_eq!(server.wait_for_messages(3, WAIT).await.len(), 3);
    assert_eq!(server.connections(), 1);
    assert_eq!(server.auth_attempts().len(), 1, "one AUTH per connection");
}

#[tokio::test]
async fn max_messages_replaces_a_connection_after_that_many_messages() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({"maxMessages": 2})));
    for n in 0..5 {
        connector
            .send(message(&format!("user{n}@example.com"), UsageType::Generic))
            .await
            .expect("delivered");
    }
    assert_eq!(server.wait_for_messages(5, WAIT).await.len(), 5);
    assert_eq!(server.connections(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_sends_share_a_few_connections() {
    let server = SmtpServer::builder()
        .tls(SmtpTls::StartTls)
        .auth("mailer@acme.test", PASSWORD)
        .start();
    let connector = connector(config_for(&server, json!({})));

    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let connector = Arc::clone(&connector);
            tokio::spawn(async move {
                connector
                    .send(message(&format!("user{n}@example.com"), UsageType::SignIn))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("delivered");
    }

    let mails = server.wait_for_messages(50, WAIT).await;
    let recipients: BTreeSet<_> = mails.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(
        recipients.len(),
        50,
        "every recipient got exactly one message"
    );
    // maxConnections defaults to 5: the pool never opens more.
    assert!(
        server.connections() <= 5,
        "{} connections for 50 sends",
        server.connections()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_one_serialises_sends_on_one_connection() {
    let server = SmtpServer::builder().start();
    let connector = connector(config_for(&server, json!({"maxConnections": 1})));
    let tasks: Vec<_> = (0..10)
        .map(|n| {
            let connector = Arc::clone(&connector);
            tokio::spawn(async move {
                connector
                    .send(message(&format!("user{n}@example.com"), UsageType::Generic))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("delivered");
    }
    assert_eq!(server.wait_for_messages(10, WAIT).await.len(), 10);
    assert_eq!(server.connections(), 1);
}
