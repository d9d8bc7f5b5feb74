//! The e-mail conformance suite: what every [`EmailConnector`] must do, checked against the real
//! SMTP server of [`crate::smtp`] on 127.0.0.1.
//!
//! A connector describes itself with an [`EmailFixture`] (factory, a good config for a given
//! server, bad inputs, secrets, the subject its template renders), then calls [`run`].
//!
//! # The checks
//!
//! | area | check |
//! |---|---|
//! | `metadata.*`, `schema.*`, `config.*` | as in the [social suite](crate::social), for type `Email` |
//! | `send.delivers` | the sample message arrives once, to its recipient only, with the expected subject and the rendered code in the body; the [`Delivery`] names the recipient |
//! | `send.bad_input[i]` | each bad input fails with its code and nothing is delivered |
//! | `send.reply_*`, `send.drop_during_data` | 4xx replies are `general` and retryable, 5xx `general` and permanent; a connection dropped in the middle of DATA is `general` and retryable; nothing is stored |
//! | `send.server_down` | a closed port is `general`, retryable |
//! | `send.server_never_greets` | when the fixture declares its timeouts: a server that never greets fails within them |
//! | `secrets.*` | no secret in any `Debug`, `Display`, error, delivery report, nor in tracing at TRACE level |
//!
//! ```no_run
//! use std::sync::Arc;
//! use connector_core::{ConnectorFactory, EmailMessage, ErrorCode, UsageType};
//! use connector_testkit::email::{self, EmailFixture};
//! use connector_testkit::smtp::{SmtpServer, SmtpServerBuilder};
//! use serde_json::{json, Value};
//!
//! /// In connector-smtp's tests/conformance.rs: `Smtp(Arc::new(SmtpFactory::new()))`.
//! struct Smtp(Arc<dyn ConnectorFactory>);
//!
//! impl EmailFixture for Smtp {
//!     fn factory(&self) -> Arc<dyn ConnectorFactory> {
//!         self.0.clone()
//!     }
//!     fn server(&self) -> SmtpServerBuilder {
//!         SmtpServer::builder().auth("mailer@example.test", "smtp-conformance-password")
//!     }
//!     fn good_config(&self, server: &SmtpServer) -> Value {
//!         let mut config = server.connector_config(); // host, port, TLS mode, CA, auth
//!         config["fromEmail"] = json!("no-reply@example.test");
//!         config["templates"] = json!([{"usageType": "Generic", "contentType": "text/plain",
//!             "subject": "Your code", "content": "Your code is {{code}}"}]);
//!         config
//!     }
//!     fn expected_subject(&self) -> String {
//!         "Your code".into()
//!     }
//!     fn bad_inputs(&self) -> Vec<(EmailMessage, ErrorCode)> {
//!         let to = |to: &str| EmailMessage::new(to, UsageType::SignIn).with_code("123456");
//!         vec![
//!             (to("a@example.test, b@example.test"), ErrorCode::InvalidRequestParameters),
//!             (to("a@example.test\r\nBcc: b@example.test"), ErrorCode::InvalidRequestParameters),
//!         ]
//!     }
//!     fn secrets(&self) -> Vec<String> {
//!         vec!["smtp-conformance-password".into()]
//!     }
//! }
//!
//! async fn conformance(factory: Arc<dyn ConnectorFactory>) {
//!     email::run(&Smtp(factory)).await;
//! }
//! ```

use std::sync::Arc;
use std::time::Duration;

use connector_core::{
    AnyConnector, ConnectorFactory, ConnectorType, Delivery, EmailConnector, EmailMessage,
    ErrorCode, UsageType,
};
use serde_json::Value;

use crate::common::{self, call, describe_error, expect_error, record, Called, Session};
use crate::mock::Limits;
use crate::report::Report;
use crate::smtp::{SmtpFailure, SmtpServer, SmtpServerBuilder, SmtpStage};

/// The longest a send may take before the suite calls it hung (servers are local).
pub const SEND_BOUND: Duration = Duration::from_secs(30);

/// How an e-mail connector describes itself to the suite.
pub trait EmailFixture: Send + Sync {
    /// The factory under test.
    fn factory(&self) -> Arc<dyn ConnectorFactory>;

    /// A config that sends through `server` and renders [`EmailFixture::message`] with the
    /// subject [`EmailFixture::expected_subject`] and the code in the body.
    /// [`SmtpServer::connector_config`] gives the connection fields of a Logto-shaped config.
    fn good_config(&self, server: &SmtpServer) -> Value;

    /// The subject the good config's template renders for [`EmailFixture::message`].
    fn expected_subject(&self) -> String;

    /// Messages that must fail before anything is sent, each with the code it must fail with
    /// (a recipient list, a CR/LF in the recipient, a usage type without a template...).
    fn bad_inputs(&self) -> Vec<(EmailMessage, ErrorCode)>;

    /// Values that must never appear in any output (the SMTP password). Values of `writeOnly`
    /// fields in the good config are added automatically.
    fn secrets(&self) -> Vec<String>;

    /// Configs that must fail with `invalid_config`, each with the JSON path a problem must name.
    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        Vec::new()
    }

    /// How the suite's SMTP servers are set up (TLS mode, AUTH). Default: plaintext, no AUTH.
    fn server(&self) -> SmtpServerBuilder {
        SmtpServer::builder()
    }

    /// The message the good config must deliver. Default: a `SignIn` code `493027` to
    /// `ada@example.test`.
    fn message(&self) -> EmailMessage {
        EmailMessage::new("ada@example.test", UsageType::SignIn).with_code("493027")
    }

    /// The longest a send may take against a server that accepts the connection and never greets,
    /// given the timeouts the good config sets. `None` (the default) skips that check.
    fn stalled_server_bound(&self) -> Option<Duration> {
        None
    }
}

/// Runs every check and panics with the list of failed checks (each with why) if any failed.
///
/// Call it from a `#[tokio::test]`. It starts its own SMTP servers on 127.0.0.1.
pub async fn run<F: EmailFixture + ?Sized>(fixture: &F) -> Report {
    check(fixture).await.assert_passed()
}

/// Runs every check and returns the report, whatever the outcome.
pub async fn check<F: EmailFixture + ?Sized>(fixture: &F) -> Report {
    let factory = fixture.factory();
    let meta = factory.metadata();
    let mut session = Session::new("email", &meta.id);
    let server = fixture.server().start();
    let good_config = fixture.good_config(&server);

    common::metadata_checks(
        &mut session.report,
        factory.as_ref(),
        &meta,
        ConnectorType::Email,
    );
    let secrets = common::schema_checks(
        &mut session.report,
        factory.as_ref(),
        &meta,
        &good_config,
        &fixture.secrets(),
    );
    common::distinctive_secrets(&mut session.report, &secrets);

    let ctx = Limits::default().http_client();
    let ctx = connector_core::ConnectorContext::new(ctx);
    let created = common::config_checks(
        &mut session,
        factory.clone(),
        &meta,
        &good_config,
        fixture.bad_configs(),
        &ctx,
    );
    match created {
        Some(AnyConnector::Email(connector)) => {
            let mut suite = Suite {
                fixture,
                session,
                factory: factory.clone(),
                ctx,
            };
            suite.sends(connector, &server).await;
            session = suite.session;
        }
        Some(AnyConnector::Social(_)) => {
            session.report.fail(
                "config.connector_type",
                "the good config created a social connector, not an e-mail one",
            );
        }
        None => session.report.skip("send.*", "needs config.good_creates"),
    }
    drop(server);
    common::leak_checks(&mut session, &secrets);
    session.report
}

struct Suite<'f, F: ?Sized> {
    fixture: &'f F,
    session: Session,
    factory: Arc<dyn ConnectorFactory>,
    ctx: connector_core::ConnectorContext,
}

fn describe_delivery(delivery: &Delivery) -> String {
    format!("delivered to `{}`", delivery.to)
}

impl<F: EmailFixture + ?Sized> Suite<'_, F> {
    async fn send(
        &mut self,
        label: &str,
        connector: &Arc<dyn EmailConnector>,
        message: EmailMessage,
        bound: Duration,
    ) -> Called<Delivery> {
        let connector = connector.clone();
        let called = call(self.session.capture.dispatch(), bound, async move {
            connector.send(message).await
        })
        .await;
        record(&mut self.session.transcript, label, &called, |d| {
            format!("{d:?}")
        });
        called
    }

    async fn sends(&mut self, connector: Arc<dyn EmailConnector>, server: &SmtpServer) {
        self.delivers(&connector, server).await;

        for (index, (message, code)) in self.fixture.bad_inputs().into_iter().enumerate() {
            let name = format!("send.bad_input[{index}] ({code})");
            let before = server.messages().len();
            let shown = format!("{message:?}");
            let called = self.send(&name, &connector, message, SEND_BOUND).await;
            let mut result = expect_error(&called, code, None, describe_delivery);
            let after = server.messages().len();
            if result.is_ok() && after != before {
                result = Err(format!(
                    "refused, but {} message(s) were delivered anyway",
                    after - before
                ));
            }
            self.session
                .report
                .check(&name, result.map_err(|why| format!("{shown}: {why}")));
        }

        let failures = [
            (
                "send.reply_451_at_mail",
                SmtpStage::Mail,
                451,
                "4.7.1 Try again later",
                true,
            ),
            (
                "send.reply_452_at_rcpt",
                SmtpStage::Rcpt,
                452,
                "4.2.2 Mailbox full",
                true,
            ),
            (
                "send.reply_550_at_rcpt",
                SmtpStage::Rcpt,
                550,
                "5.1.1 No such user",
                false,
            ),
            (
                "send.reply_554_at_data",
                SmtpStage::Data,
                554,
                "5.7.1 Message rejected as spam",
                false,
            ),
        ];
        for (name, at, code, text, retryable) in failures {
            let failure = SmtpFailure::Reply {
                at,
                code,
                text: text.to_owned(),
            };
            let what = format!(
                "the server answers `{code} {text}` to {}",
                match at {
                    SmtpStage::Mail => "MAIL FROM",
                    SmtpStage::Rcpt => "RCPT TO",
                    SmtpStage::Data => "the end of DATA",
                }
            );
            self.failing_server(name, &what, failure, Some(retryable))
                .await;
        }
        self.failing_server(
            "send.drop_during_data",
            "the server drops the connection in the middle of DATA",
            SmtpFailure::DropDuringData,
            Some(true),
        )
        .await;
        self.server_down().await;
        self.never_greets().await;
    }

    async fn delivers(&mut self, connector: &Arc<dyn EmailConnector>, server: &SmtpServer) {
        let name = "send.delivers";
        let message = self.fixture.message();
        let code = message
            .payload
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let to = message.to.clone();
        let before = server.messages().len();
        let called = self.send(name, connector, message, SEND_BOUND).await;
        let delivery = match called {
            Called::Returned(Ok(delivery)) => delivery,
            Called::Returned(Err(error)) => {
                self.session.report.fail(
                    name,
                    format!(
                        "sending through the fixture server failed: {}",
                        describe_error(&error)
                    ),
                );
                return;
            }
            Called::Panicked(message) => {
                self.session
                    .report
                    .fail(name, format!("send panicked: {message}"));
                return;
            }
            Called::Hung(bound) => {
                self.session
                    .report
                    .fail(name, format!("send did not return within {bound:?}"));
                return;
            }
        };
        let received = server
            .wait_for_messages(before + 1, Duration::from_secs(10))
            .await;
        let mut problems = Vec::new();
        if delivery.to != to {
            problems.push(format!(
                "the delivery report names `{}`, the message was for `{to}`",
                delivery.to
            ));
        }
        match received.get(before..) {
            Some([mail]) => {
                self.session
                    .transcript
                    .add(format!("{name}: delivered message"), mail.data.clone());
                if mail.to != [to.clone()] {
                    problems.push(format!(
                        "the envelope recipients are {:?}, expected [{to:?}]",
                        mail.to
                    ));
                }
                let subject = mail.subject();
                let expected = self.fixture.expected_subject();
                if subject != expected {
                    problems.push(format!("the subject is `{subject}`, expected `{expected}`"));
                }
                if code.is_empty() {
                    problems.push("the fixture's message has no `code` to look for".to_owned());
                } else if !mail.body_text().contains(&code) {
                    problems.push(format!(
                        "the body does not contain the code `{code}`: {:?}",
                        mail.body_text()
                    ));
                }
            }
            Some(mails) => problems.push(format!(
                "send succeeded and {} messages arrived, expected exactly 1",
                mails.len()
            )),
            None => problems.push("send succeeded but the server lost count".to_owned()),
        }
        self.session.report.check(name, common::join(problems));
    }

    /// A new server with `failure` and a connector pointing at it: the send must fail with
    /// `general` (and `retryable` as given) and store nothing.
    async fn failing_server(
        &mut self,
        name: &str,
        what: &str,
        failure: SmtpFailure,
        retryable: Option<bool>,
    ) {
        let server = self.fixture.server().fail(failure).start();
        let Some(connector) = self.connector_for(name, &server) else {
            return;
        };
        let called = self
            .send(name, &connector, self.fixture.message(), SEND_BOUND)
            .await;
        let mut result = expect_error(&called, ErrorCode::General, retryable, describe_delivery);
        if result.is_ok() && !server.messages().is_empty() {
            result = Err("the server stored the message although it refused it".to_owned());
        }
        self.session
            .report
            .check(name, result.map_err(|why| format!("{what}: {why}")));
    }

    async fn server_down(&mut self) {
        let name = "send.server_down";
        // A config for a server that then stops: its port refuses connections.
        let server = self.fixture.server().start();
        let config = self.fixture.good_config(&server);
        drop(server);
        let Some(connector) = self.create(name, config) else {
            return;
        };
        let called = self
            .send(name, &connector, self.fixture.message(), SEND_BOUND)
            .await;
        let result = expect_error(&called, ErrorCode::General, Some(true), describe_delivery)
            .map_err(|why| format!("the SMTP server's port refuses connections: {why}"));
        self.session.report.check(name, result);
    }

    async fn never_greets(&mut self) {
        let name = "send.server_never_greets";
        let Some(bound) = self.fixture.stalled_server_bound() else {
            self.session.report.skip(
                name,
                "the fixture declares no timeouts (EmailFixture::stalled_server_bound)",
            );
            return;
        };
        let server = self.fixture.server().fail(SmtpFailure::NoGreeting).start();
        let Some(connector) = self.connector_for(name, &server) else {
            return;
        };
        let called = self
            .send(
                name,
                &connector,
                self.fixture.message(),
                bound + Duration::from_secs(5),
            )
            .await;
        let result = expect_error(&called, ErrorCode::General, Some(true), describe_delivery)
            .map_err(|why| {
                format!("a server that accepts the connection and never greets (bound {bound:?}): {why}")
            });
        self.session.report.check(name, result);
    }

    fn connector_for(
        &mut self,
        name: &str,
        server: &SmtpServer,
    ) -> Option<Arc<dyn EmailConnector>> {
        let config = self.fixture.good_config(server);
        self.create(name, config)
    }

    fn create(&mut self, name: &str, config: Value) -> Option<Arc<dyn EmailConnector>> {
        let factory = self.factory.clone();
        let ctx = self.ctx.clone();
        let created = common::call_sync(self.session.capture.dispatch(), move || {
            factory
                .create(config, &ctx)
                .and_then(AnyConnector::into_email)
        });
        match created {
            Ok(Ok(connector)) => Some(connector),
            Ok(Err(error)) => {
                self.session.transcript.add_error(name, &error);
                self.session.report.fail(
                    name,
                    format!(
                        "the good config for this check's server did not create: {}",
                        describe_error(&error)
                    ),
                );
                None
            }
            Err(panic) => {
                self.session
                    .report
                    .fail(name, format!("create panicked: {panic}"));
                None
            }
        }
    }
}
