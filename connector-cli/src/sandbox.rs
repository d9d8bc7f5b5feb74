//! The offline world of `demo` and `serve`: the three provider simulators and a real SMTP server,
//! all on 127.0.0.1, with connectors created against them.

use std::sync::Arc;

use connector_core::{ConnectorError, ConnectorRegistry, EmailConnector, Result, SocialConnector};
use connector_testkit::smtp::{SmtpServer, SmtpTls};
use serde_json::{json, Value};

use crate::settings::Settings;
use crate::simulators::{SimulatedProvider, Simulator};

/// The sender of the embedded SMTP server's messages.
pub const DEMO_FROM: &str = "Connectors Demo <no-reply@connectors-demo.test>";
/// The application name the sample messages carry (`{{application.name}}`).
pub const DEMO_APPLICATION: &str = "Connectors sample app";

/// A social connector created against a simulator.
#[derive(Debug)]
pub struct SimulatedSocial {
    /// The simulator (stops when dropped).
    pub simulator: Simulator,
    /// The real connector, rebased onto the simulator.
    pub connector: Arc<dyn SocialConnector>,
}

/// Starts a simulator and creates its provider's connector against it.
pub async fn simulated_social(
    provider: SimulatedProvider,
    settings: &Settings,
    registry: &ConnectorRegistry,
) -> Result<SimulatedSocial> {
    let simulator = Simulator::start(provider).await.map_err(|e| {
        ConnectorError::general(format!(
            "cannot start the {} simulator on 127.0.0.1: {e}",
            provider.name()
        ))
    })?;
    let ctx = settings.context_at(simulator.base_url());
    let connector = registry
        .create(provider.factory_id(), simulator.config(), &ctx)?
        .into_social()?;
    Ok(SimulatedSocial {
        simulator,
        connector,
    })
}

/// The embedded SMTP server and an SMTP connector that delivers to it.
#[derive(Debug)]
pub struct EmbeddedMail {
    /// The server (stops when dropped); its `messages()` are the inbox.
    pub server: SmtpServer,
    /// The real SMTP connector, configured for the server.
    pub connector: Arc<dyn EmailConnector>,
}

/// Starts the embedded SMTP server (plaintext, 127.0.0.1 only) and creates the SMTP connector.
pub fn embedded_mail(registry: &ConnectorRegistry, settings: &Settings) -> Result<EmbeddedMail> {
    let server = SmtpServer::builder().tls(SmtpTls::None).start();
    let config = embedded_smtp_config(&server);
    let connector = registry
        .create(connector_smtp::FACTORY_ID, config, &settings.context())?
        .into_email()?;
    Ok(EmbeddedMail { server, connector })
}

/// The SMTP connector config for the embedded server: its address and two templates (`SignIn`, and
/// `Generic` for every other usage).
pub fn embedded_smtp_config(server: &SmtpServer) -> Value {
    let mut config = server.connector_config();
    config["fromEmail"] = json!(DEMO_FROM);
    config["templates"] = json!([
        {
            "usageType": "SignIn",
            "contentType": "text/plain",
            "subject": "{{code}} is your sign-in code",
            "content": "Hello,\n\nYour code to sign in to {{application.name}} is {{code}}.\nIt is valid for 10 minutes.\n\nIf you did not ask for it, ignore this e-mail."
        },
        {
            "usageType": "Generic",
            "contentType": "text/plain",
            "subject": "Your verification code",
            "content": "Your verification code is {{code}}."
        }
    ]);
    config
}

/// Adapts a config to the global flags where the connector cannot take them from the context:
/// the SMTP connector takes `--timeout` as its connection, greeting and socket timeouts, unless the
/// config sets them. (`--ca-cert` reaches it through the registry: see
/// [`registry_trusting`](crate::registry::registry_trusting).)
pub fn apply_settings(id: &str, config: &mut Value, settings: &Settings) {
    if id != connector_smtp::FACTORY_ID || !settings.timeout_given() {
        return;
    }
    let Some(object) = config.as_object_mut() else {
        return;
    };
    let millis = u64::try_from(settings.timeout().as_millis()).unwrap_or(u64::MAX);
    for field in ["connectionTimeout", "greetingTimeout", "socketTimeout"] {
        object.entry(field).or_insert_with(|| json!(millis));
    }
}
