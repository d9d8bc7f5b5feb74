//! A small, standard OAuth 2.0 connector ("Acme") built on the core, with one deliberate flaw at a
//! time, and its fixture. The testkit's own tests run the suites against it.
#![allow(dead_code, unreachable_pub)]

pub mod mailer;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use connector_core::oauth::{ClientAuth, OAuth2Client, OAuth2Provider};
use connector_core::url::Url;
use connector_core::{
    config_schema, parse_config, AnyConnector, AuthorizationRequest, AuthorizationStart,
    CallbackParams, ConnectorConfig, ConnectorContext, ConnectorError, ConnectorFactory,
    ConnectorMetadata, ConnectorPlatform, ConnectorType, FlowState, Result, Secret,
    SocialConnector, SocialUserInfo,
};
use connector_testkit::mock::MockEndpoint;
use connector_testkit::social::SocialFixture;
use serde_json::{json, Value};

/// The client secret of the good config.
pub const SECRET: &str = "acme-client-secret-4f9b2e71";

static ACME: OAuth2Provider = OAuth2Provider {
    name: "Acme",
    authorize_url: "https://acme.example/oauth/authorize",
    token_url: "https://acme.example/oauth/token",
    client_auth: ClientAuth::BasicAuth,
    pkce: true,
    map_token_error: None,
};

/// What is wrong with the connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Nothing: it conforms.
    None,
    /// Exchanges the code whatever the callback's `state` (and `error`) says.
    IgnoresState,
    /// Prints its client secret in `Debug`.
    LeaksSecretInDebug,
    /// Turns every provider 401 into `general`.
    Maps401ToGeneral,
    /// Logs the client secret at TRACE level when created.
    LogsSecret,
    /// Logs the client secret at TRACE level during every sign-in (an async call).
    LogsSecretWhileSigningIn,
    /// Panics on a callback without `code`.
    PanicsWithoutCode,
    /// Its config schema has the secret as a plain string (not `writeOnly`).
    PlainSecretSchema,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Config {
    client_id: String,
    client_secret: Secret,
    scope: Option<String>,
}

impl ConnectorConfig for Config {}

/// The same fields, the secret as a plain string (for `Flaw::PlainSecretSchema`'s schema).
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct PlainConfig {
    client_id: String,
    client_secret: String,
    scope: Option<String>,
}

pub struct AcmeFactory(pub Flaw);

impl ConnectorFactory for AcmeFactory {
    fn metadata(&self) -> ConnectorMetadata {
        let schema = if self.0 == Flaw::PlainSecretSchema {
            config_schema::<PlainConfig>()
        } else {
            config_schema::<Config>()
        };
        ConnectorMetadata::new(
            "acme",
            "acme",
            ConnectorType::Social,
            ConnectorPlatform::Universal,
        )
        .with_name("en", "Acme")
        .with_description("en", "Sign in with Acme.")
        .with_logo_svg(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"#)
        .with_readme("# Acme\n\nA test connector.")
        .with_default_scope("profile")
        .with_pkce(true)
        .with_config_schema(schema)
    }

    fn create(&self, config: Value, ctx: &ConnectorContext) -> Result<AnyConnector> {
        let config: Config = parse_config(config)?;
        if self.0 == Flaw::LogsSecret {
            tracing::trace!(secret = config.client_secret.expose(), "creating Acme");
        }
        Ok(AnyConnector::Social(Arc::new(Acme {
            meta: self.metadata(),
            oauth: OAuth2Client::new(&ACME, &config.client_id, &config.client_secret, ctx)?,
            secret: config.client_secret,
            scope: config.scope.unwrap_or_else(|| "profile".to_owned()),
            userinfo: ctx.endpoint("https://acme.example/oauth/userinfo")?,
            flaw: self.0,
        })))
    }
}

struct Acme {
    meta: ConnectorMetadata,
    oauth: OAuth2Client,
    secret: Secret,
    scope: String,
    userinfo: Url,
    flaw: Flaw,
}

impl fmt::Debug for Acme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Acme");
        s.field("oauth", &self.oauth).field("scope", &self.scope);
        if self.flaw == Flaw::LeaksSecretInDebug {
            s.field("client_secret", &self.secret.expose());
        }
        s.finish_non_exhaustive()
    }
}

#[async_trait]
impl SocialConnector for Acme {
    fn metadata(&self) -> &ConnectorMetadata {
        &self.meta
    }

    async fn authorization_url(&self, req: AuthorizationRequest) -> Result<AuthorizationStart> {
        self.oauth
            .authorization_url(&req, req.scope_or(&self.scope))
    }

    async fn user_info(
        &self,
        callback: CallbackParams,
        flow: &FlowState,
    ) -> Result<SocialUserInfo> {
        let callback = match self.flaw {
            Flaw::IgnoresState => CallbackParams::from_map([
                ("code", callback.code().unwrap_or("none")),
                ("state", flow.state.as_str()),
            ]),
            Flaw::PanicsWithoutCode => {
                let code = callback.code().expect("a callback always has a code");
                CallbackParams::from_map([
                    ("code", code),
                    ("state", callback.state().unwrap_or("")),
                ])
            }
            _ => callback,
        };
        if self.flaw == Flaw::LogsSecretWhileSigningIn {
            tracing::trace!(secret = self.secret.expose(), "exchanging the code");
        }
        let result = self.sign_in(callback, flow).await;
        match (self.flaw, result) {
            (Flaw::Maps401ToGeneral, Err(e)) if e.status() == Some(401) => {
                Err(ConnectorError::general(e.message().to_owned()))
            }
            (_, result) => result,
        }
    }
}

impl Acme {
    async fn sign_in(&self, callback: CallbackParams, flow: &FlowState) -> Result<SocialUserInfo> {
        let tokens = self.oauth.exchange_code(&callback, flow).await?;
        let raw: Value = self
            .oauth
            .get_json(self.userinfo.clone(), &tokens.access_token, &[])
            .await?;
        let id = raw["sub"]
            .as_str()
            .ok_or_else(|| ConnectorError::invalid_response("userinfo has no `sub`"))?;
        let mut user = SocialUserInfo::new(id, raw.clone());
        user.name = raw["name"].as_str().map(str::to_owned);
        Ok(user)
    }
}

/// The fixture for an Acme connector with `flaw`.
pub struct AcmeFixture(pub Flaw);

impl SocialFixture for AcmeFixture {
    fn factory(&self) -> Arc<dyn ConnectorFactory> {
        Arc::new(AcmeFactory(self.0))
    }

    fn good_config(&self) -> Value {
        json!({"clientId": "acme-client-id", "clientSecret": SECRET})
    }

    fn bad_configs(&self) -> Vec<(Value, &'static str)> {
        vec![
            (json!({"clientSecret": SECRET}), "clientId"),
            (
                json!({"clientId": "acme-client-id", "clientSecret": ["x"]}),
                "clientSecret",
            ),
        ]
    }

    fn secrets(&self) -> Vec<String> {
        vec![SECRET.to_owned()]
    }

    fn token_endpoint(&self) -> MockEndpoint {
        MockEndpoint::post(
            "/oauth/token",
            json!({"access_token": "acme-access-token", "token_type": "bearer", "expires_in": 3600}),
        )
    }

    fn userinfo_endpoint(&self) -> MockEndpoint {
        MockEndpoint::get("/oauth/userinfo", json!({"sub": "user-42", "name": "Ada"}))
    }
}

/// Runs `future` as a task and returns its panic message, or `None` when it did not panic.
pub async fn panic_message<F>(future: F) -> Option<String>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match tokio::spawn(future).await {
        Ok(_) => None,
        Err(error) => {
            let payload = error.into_panic();
            Some(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
            )
        }
    }
}
