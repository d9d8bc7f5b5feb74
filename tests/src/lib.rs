//! The conformance suites and mock providers every connector crate tests itself with: ours and
//! third parties' (the OpenDAL model: one behaviour suite that every backend passes).
//!
//! - [`social::run`]: metadata, config schema, config errors, the authorization URL (client id,
//!   redirect URI, scope, state, PKCE), refused callbacks (wrong, missing or replayed `state`,
//!   provider `error=`), every way a provider can fail (4xx, 5xx, HTML, truncated JSON, a body over
//!   the cap, an answer that never comes) and secret leaks in `Debug`, `Display`, errors and
//!   tracing output, against a [`mock::MockProvider`] on 127.0.0.1.
//! - [`email::run`]: the same for e-mail connectors, against a real SMTP server
//!   ([`smtp::SmtpServer`]) that can refuse, drop the connection or never greet.
//! - [`properties::social`] and [`properties::email`]: proptest properties (arbitrary configs,
//!   provider replies, callback queries, messages): never a panic or a hang, always a typed error
//!   or a valid result.
//!
//! A connector describes itself with a small fixture trait ([`social::SocialFixture`],
//! [`email::EmailFixture`]); a suite run is then one line. Each suite returns a
//! [`report::Report`] naming every check; `run` panics listing each failed check and why, e.g.
//!
//! ```text
//! social conformance of connector `acme`: 48 checks, 45 passed, 3 failed, 0 skipped
//!   FAILED callback.wrong_state: a callback whose state differs from the flow's: expected `authorization_failed`, got success (a profile with id `user-42`)
//!   FAILED token.401 invalid_client: the token endpoint answers 401 invalid_client: expected `invalid_config`, got `general`: ...
//!   FAILED secrets.no_leak: a config secret appeared in Debug, Display, an error or a URL: secret #0 (27 chars, starts `acm…`) appeared in the connector (Debug)
//! ```
//!
//! # Running the suite for a new connector
//!
//! A complete social connector (a standard OAuth 2.0 provider on the core's OAuth block) and its
//! conformance run. In a connector crate, the fixture and the two tests live in
//! `tests/conformance.rs`, with `connector-testkit` and `tokio` as dev-dependencies.
//!
//! ```
//! use std::sync::Arc;
//! use connector_core::oauth::{ClientAuth, OAuth2Client, OAuth2Provider};
//! use connector_core::*;
//! use connector_testkit::mock::MockEndpoint;
//! use connector_testkit::social::{self, SocialFixture};
//! use serde_json::{json, Value};
//!
//! // ---- the connector (its crate's src/lib.rs) ----
//!
//! static ACME: OAuth2Provider = OAuth2Provider {
//!     name: "Acme",
//!     authorize_url: "https://acme.example/oauth/authorize",
//!     token_url: "https://acme.example/oauth/token",
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
//! #[derive(Debug)]
//! struct Acme { meta: ConnectorMetadata, oauth: OAuth2Client, scope: String, userinfo: url::Url }
//!
//! #[async_trait]
//! impl SocialConnector for Acme {
//!     fn metadata(&self) -> &ConnectorMetadata { &self.meta }
//!
//!     async fn authorization_url(&self, req: AuthorizationRequest) -> Result<AuthorizationStart> {
//!         self.oauth.authorization_url(&req, req.scope_or(&self.scope))
//!     }
//!
//!     async fn user_info(&self, callback: CallbackParams, flow: &FlowState) -> Result<SocialUserInfo> {
//!         let tokens = self.oauth.exchange_code(&callback, flow).await?;
//!         let raw: Value = self.oauth.get_json(self.userinfo.clone(), &tokens.access_token, &[]).await?;
//!         let id = raw["sub"].as_str()
//!             .ok_or_else(|| ConnectorError::invalid_response("userinfo has no `sub`"))?;
//!         Ok(SocialUserInfo::new(id, raw.clone()))
//!     }
//! }
//!
//! struct AcmeFactory;
//!
//! impl ConnectorFactory for AcmeFactory {
//!     fn metadata(&self) -> ConnectorMetadata {
//!         ConnectorMetadata::new("acme", "acme", ConnectorType::Social, ConnectorPlatform::Universal)
//!             .with_name("en", "Acme")
//!             .with_description("en", "Sign in with Acme.")
//!             .with_logo_svg(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"#)
//!             .with_readme("# Acme")
//!             .with_default_scope("profile")
//!             .with_pkce(true)
//!             .with_config_schema(config_schema::<Config>())
//!     }
//!
//!     fn create(&self, config: Value, ctx: &ConnectorContext) -> Result<AnyConnector> {
//!         let config: Config = parse_config(config)?;
//!         Ok(AnyConnector::Social(Arc::new(Acme {
//!             meta: self.metadata(),
//!             oauth: OAuth2Client::new(&ACME, &config.client_id, &config.client_secret, ctx)?,
//!             scope: config.scope.unwrap_or_else(|| "profile".into()),
//!             userinfo: ctx.endpoint("https://acme.example/oauth/userinfo")?,
//!         })))
//!     }
//! }
//!
//! // ---- its conformance test (the crate's tests/conformance.rs) ----
//!
//! struct AcmeFixture;
//!
//! impl SocialFixture for AcmeFixture {
//!     fn factory(&self) -> Arc<dyn ConnectorFactory> {
//!         Arc::new(AcmeFactory)
//!     }
//!     fn good_config(&self) -> Value {
//!         json!({"clientId": "acme-client-id", "clientSecret": "acme-secret-for-tests"})
//!     }
//!     fn bad_configs(&self) -> Vec<(Value, &'static str)> {
//!         vec![
//!             (json!({"clientSecret": "acme-secret-for-tests"}), "clientId"),
//!             (json!({"clientId": "acme-client-id", "clientSecret": 7}), "clientSecret"),
//!         ]
//!     }
//!     fn secrets(&self) -> Vec<String> {
//!         vec!["acme-secret-for-tests".into()]
//!     }
//!     // Paths as the connector calls them once rebased onto the mock, with a successful answer.
//!     fn token_endpoint(&self) -> MockEndpoint {
//!         MockEndpoint::post("/oauth/token", json!({"access_token": "acme-token", "token_type": "bearer"}))
//!     }
//!     fn userinfo_endpoint(&self) -> MockEndpoint {
//!         MockEndpoint::get("/oauth/userinfo", json!({"sub": "42", "name": "Ada"}))
//!     }
//! }
//!
//! // #[tokio::test]
//! async fn acme_passes_the_social_conformance_suite() {
//!     let report = social::run(&AcmeFixture).await; // panics listing every failed check
//!     assert!(report.is_passed("callback.wrong_state"));
//! }
//!
//! // #[test]
//! fn acme_never_panics_on_arbitrary_input() {
//!     connector_testkit::properties::social(&AcmeFixture);
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! #     acme_passes_the_social_conformance_suite().await;
//! #     acme_never_panics_on_arbitrary_input();
//! # }
//! ```
//!
//! Providers that are not standard OAuth 2.0 override what differs: WeChat names its client id
//! `appid` ([`social::SocialFixture::client_id_param`]), calls its token endpoint with `GET`
//! ([`mock::MockEndpoint::get`]) and answers errors inside HTTP 200
//! ([`social::SocialFixture::token_errors`] with [`social::ErrorCase`]s such as
//! `errcode 40029 → social_auth_code_invalid`); GitHub's sign-in calls `/user/emails` too
//! ([`social::SocialFixture::script_success`]). The e-mail suite's fixture is shown in [`email`].
//!
//! # Building blocks for a connector's own tests
//!
//! - [`mock::MockProvider`]: wiremock on 127.0.0.1 with [`mock::Route`]s, canned [`reply`]s and a
//!   [`connector_core::ConnectorContext`] rebased onto it with a short timeout and a small body cap
//!   ([`mock::Limits`]); [`mock::SilentServer`] accepts connections and never answers.
//! - [`smtp::SmtpServer`]: a real SMTP server (plain, STARTTLS, implicit TLS, AUTH, scripted failures).
//! - [`leaks::Capture`] and [`leaks::Transcript`]: capture tracing output and find secrets in text.
//! - [`properties`]: proptest strategies for JSON, bytes, callback queries, config mutations and
//!   e-mail messages.
#![forbid(unsafe_code)]

mod common;
pub mod email;
pub mod leaks;
pub mod mock;
pub mod properties;
pub mod reply;
pub mod report;
pub mod smtp;
pub mod social;
