//! The contract every identity connector builds on.
//!
//! An identity server holds connectors as trait objects ([`SocialConnector`], [`EmailConnector`])
//! created by a [`ConnectorRegistry`] from `(id, JSON config)`. Connectors keep no per-user state:
//! a sign-in's [`FlowState`] travels with the browser (sealed, see [`FlowState::seal`]) or in the
//! server's session store, so any replica can finish a flow another started.
//!
//! What the core provides, so provider crates stay small:
//!
//! - [`ConnectorError`] with Logto's stable [`ErrorCode`]s, `http_status()` and `is_retryable()`;
//! - [`Secret`], the one redacting newtype for client secrets, passwords and tokens;
//! - [`parse_config`]: typed configs that report every problem with its JSON path;
//! - [`HttpClient`]: one shared, hardened `reqwest` client;
//! - [`oauth`]: the standard OAuth 2.0 authorization-code flow on the `oauth2` crate, and
//!   [`oauth_connector::OAuth2Connector`], a whole connector for providers that need nothing more
//!   than a declaration, a config and a profile mapping (see `connector-huggingface`);
//! - [`template`] and [`email_templates`]: strict, compile-once handlebars templates;
//! - [`ConnectorMetadata`] and the [`ConnectorFactory`] / [`ConnectorRegistry`] pair.
//!
//! # A tiny social connector
//!
//! A complete connector for a provider with a standard OAuth 2.0 flow: declaration, config,
//! factory and profile mapping. The test part runs it against a local mock provider.
//!
//! ```
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use connector_core::oauth::{ClientAuth, OAuth2Client, OAuth2Provider};
//! use connector_core::*;
//!
//! static EXAMPLE: OAuth2Provider = OAuth2Provider {
//!     name: "Example",
//!     authorize_url: "https://example.com/oauth/authorize",
//!     token_url: "https://example.com/oauth/token",
//!     client_auth: ClientAuth::BasicAuth,
//!     pkce: true,
//!     map_token_error: None,
//! };
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields)]
//! struct Config { client_id: String, client_secret: Secret, scope: Option<String> }
//! impl ConnectorConfig for Config {}
//!
//! // Built once per process and shared by every instance: a multi-tenant server may hold
//! // thousands of configured connectors, and the schema, logo and readme are the same for all.
//! fn metadata() -> &'static ConnectorMetadata {
//!     static METADATA: std::sync::OnceLock<ConnectorMetadata> = std::sync::OnceLock::new();
//!     METADATA.get_or_init(|| {
//!         ConnectorMetadata::new("example", "example", ConnectorType::Social, ConnectorPlatform::Universal)
//!             .with_name("en", "Example")
//!             .with_description("en", "Sign in with Example.")
//!             .with_logo_svg(r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#)
//!             .with_readme("# Example")
//!             .with_default_scope("profile")
//!             .with_pkce(true)
//!             .with_config_schema(config_schema::<Config>())
//!     })
//! }
//!
//! #[derive(Debug)]
//! struct Example { oauth: OAuth2Client, scope: String, userinfo: url::Url }
//!
//! #[async_trait]
//! impl SocialConnector for Example {
//!     fn metadata(&self) -> &ConnectorMetadata { metadata() }
//!
//!     async fn authorization_url(&self, req: AuthorizationRequest) -> Result<AuthorizationStart> {
//!         self.oauth.authorization_url(&req, req.scope_or(&self.scope))
//!     }
//!
//!     async fn user_info(&self, callback: CallbackParams, flow: &FlowState) -> Result<SocialUserInfo> {
//!         let tokens = self.oauth.exchange_code(&callback, flow).await?;
//!         let raw: serde_json::Value =
//!             self.oauth.get_json(self.userinfo.clone(), &tokens.access_token, &[]).await?;
//!         let id = raw["sub"].as_str()
//!             .ok_or_else(|| ConnectorError::invalid_response("userinfo has no `sub`"))?;
//!         let mut user = SocialUserInfo::new(id, raw.clone());
//!         user.name = raw["name"].as_str().map(str::to_owned);
//!         Ok(user)
//!     }
//! }
//!
//! struct ExampleFactory;
//! impl ConnectorFactory for ExampleFactory {
//!     fn metadata(&self) -> ConnectorMetadata { metadata().clone() }
//!
//!     fn create(&self, config: serde_json::Value, ctx: &ConnectorContext) -> Result<AnyConnector> {
//!         let config: Config = parse_config(config)?;
//!         Ok(AnyConnector::Social(Arc::new(Example {
//!             oauth: OAuth2Client::new(&EXAMPLE, &config.client_id, &config.client_secret, ctx)?,
//!             scope: config.scope.unwrap_or_else(|| "profile".into()),
//!             userinfo: ctx.endpoint("https://example.com/oauth/userinfo")?,
//!         })))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! # use wiremock::{Mock, MockServer, ResponseTemplate, matchers::path};
//! # let mock = MockServer::start().await;
//! # Mock::given(path("/oauth/token")).respond_with(ResponseTemplate::new(200)
//! #     .set_body_json(serde_json::json!({"access_token": "t", "token_type": "bearer"}))).mount(&mock).await;
//! # Mock::given(path("/oauth/userinfo")).respond_with(ResponseTemplate::new(200)
//! #     .set_body_json(serde_json::json!({"sub": "42", "name": "Ada"}))).mount(&mock).await;
//! let mut registry = ConnectorRegistry::new();
//! registry.register(ExampleFactory)?;
//!
//! // Tests rebase the provider onto a local mock; production uses the default context.
//! let ctx = ConnectorContext::default().with_base_url(mock.uri().parse().unwrap());
//! let config = serde_json::json!({"clientId": "id", "clientSecret": "secret"});
//! let connector = registry.create("example", config, &ctx)?.into_social()?;
//!
//! let start = connector.authorization_url(AuthorizationRequest::new("https://id.test/cb")).await?;
//! assert!(start.url.as_str().contains("code_challenge_method=S256"));
//!
//! let callback = CallbackParams::from_query(&format!("code=abc&state={}", start.flow.state))?;
//! let user = connector.user_info(callback, &start.flow).await?;
//! assert_eq!(user.id, "42");
//! assert_eq!(user.name.as_deref(), Some("Ada"));
//!
//! // Connectors that do not override `refresh_token` say so with a stable code.
//! let err = connector.refresh_token(&Secret::new("r")).await.unwrap_err();
//! assert_eq!(err.code(), ErrorCode::NotImplemented);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod config;
pub mod connector;
pub mod context;
pub mod email;
pub mod email_templates;
pub mod error;
pub mod flow;
pub mod http;
pub mod metadata;
pub mod oauth;
pub mod oauth_connector;
mod redact;
pub mod registry;
pub mod seal;
pub mod secret;
pub mod template;

pub use config::{config_schema, parse_config, ConfigProblem, ConfigProblems, ConnectorConfig};
pub use connector::{AnyConnector, EmailConnector, SocialConnector};
pub use context::ConnectorContext;
pub use email::{Delivery, EmailMessage, UsageType};
pub use error::{ConnectorError, ErrorCode, Result};
pub use flow::{
    AuthorizationRequest, AuthorizationStart, CallbackParams, FlowState, SocialUserInfo, TokenSet,
};
pub use http::{HttpClient, HttpClientBuilder, HttpResponse};
pub use metadata::{ConnectorMetadata, ConnectorPlatform, ConnectorType};
pub use registry::{ConnectorFactory, ConnectorRegistry};
pub use seal::FlowKey;
pub use secret::Secret;

// Re-exported so connector crates use the same versions as the core.
pub use async_trait::async_trait;
pub use schemars;
pub use url;
