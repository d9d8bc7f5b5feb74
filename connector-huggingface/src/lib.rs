//! Sign in with Hugging Face: OAuth 2.0 / OpenID Connect with state and PKCE S256, declared on the
//! core's OAuth 2.0 block ([`api::PROVIDER`]) plus a profile mapping ([`api::social_user_info`]).
//!
//! ```
//! use connector_core::{AuthorizationRequest, ConnectorContext, ConnectorRegistry};
//! use connector_huggingface::{HuggingFaceFactory, FACTORY_ID};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> connector_core::Result<()> {
//! let mut registry = ConnectorRegistry::new();
//! registry.register(HuggingFaceFactory)?;
//! let config = serde_json::json!({
//!     "clientId": "6c3f0a52-8d1e-4b7a-9f2c-1e5d7a9b3c4d",
//!     "clientSecret": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
//!     "scope": "openid profile email",
//! });
//! let connector = registry.create(FACTORY_ID, config, &ConnectorContext::default())?.into_social()?;
//! let start = connector
//!     .authorization_url(AuthorizationRequest::new("https://id.example.com/callback/huggingface"))
//!     .await?;
//! assert!(start.url.as_str().starts_with("https://huggingface.co/oauth/authorize?"));
//! // Keep `start.flow` (sealed or server-side) and hand it to `user_info` with the callback.
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod api;
pub mod config;

use std::sync::{Arc, LazyLock};

use connector_core::oauth::OAuth2Client;
use connector_core::oauth_connector::OAuth2Connector;
use connector_core::{
    config_schema, parse_config, AnyConnector, ConnectorContext, ConnectorFactory,
    ConnectorMetadata, ConnectorPlatform, ConnectorType, Result,
};

pub use config::{HuggingFaceConfig, DEFAULT_SCOPE};

/// The factory id servers create this connector with (Logto's).
pub const FACTORY_ID: &str = "huggingface-universal";
/// The provider this connector signs in with.
pub const TARGET: &str = "huggingface";

/// Built once and shared by every connector: the readme, logo and schema are the same for all.
static METADATA: LazyLock<ConnectorMetadata> = LazyLock::new(|| {
    use ConnectorPlatform::Universal;
    ConnectorMetadata::new(FACTORY_ID, TARGET, ConnectorType::Social, Universal)
        .with_name("en", "Hugging Face")
        .with_name("zh-CN", "Hugging Face")
        .with_name("ja", "Hugging Face")
        .with_description("en", "Sign in with a Hugging Face account.")
        .with_description("zh-CN", "使用 Hugging Face 账号登录。")
        .with_description("ja", "Hugging Face アカウントでサインイン。")
        .with_logo_svg(include_str!("logo.svg"))
        .with_readme(include_str!("../README.md"))
        .with_default_scope(DEFAULT_SCOPE)
        .with_pkce(api::PROVIDER.pkce)
        .with_config_schema(config_schema::<HuggingFaceConfig>())
});

/// Creates Hugging Face connectors from JSON configs ([`HuggingFaceConfig`]).
///
/// Hugging Face is standard OAuth 2.0 / OpenID Connect, so the connector is the core's
/// [`OAuth2Connector`]: this crate declares the provider ([`api::PROVIDER`]), its config and its
/// profile mapping ([`api::social_user_info`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct HuggingFaceFactory;

impl ConnectorFactory for HuggingFaceFactory {
    fn metadata(&self) -> ConnectorMetadata {
        METADATA.clone()
    }

    fn create(&self, config: serde_json::Value, ctx: &ConnectorContext) -> Result<AnyConnector> {
        let config: HuggingFaceConfig = parse_config(config)?;
        let oauth = OAuth2Client::new(
            &api::PROVIDER,
            &config.client_id,
            &config.client_secret,
            ctx,
        )?;
        let userinfo = ctx.endpoint(api::USERINFO_URL)?;
        Ok(AnyConnector::Social(Arc::new(OAuth2Connector::new(
            &METADATA,
            oauth,
            config.scope(),
            userinfo,
            api::social_user_info,
        ))))
    }
}
