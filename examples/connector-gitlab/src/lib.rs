//! Sign in with GitLab (gitlab.com, or a self-managed instance through
//! [`ConnectorContext::with_base_url`]).
//!
//! A third-party connector written only against `connector-core`'s public API: a declaration of
//! GitLab's OAuth 2.0 endpoints, a typed config, and the mapping of `GET /api/v4/user` to the
//! normalized profile. The core's `OAuth2Connector` does the rest (authorization URL with state and
//! PKCE S256, state check, code exchange, error mapping, the bearer user call). `tests/conformance.rs` proves it with the testkit.
//! The operator guide is the crate's `README.md`.
#![forbid(unsafe_code)]

use std::sync::{Arc, LazyLock};

use connector_core::oauth::{ClientAuth, OAuth2Client, OAuth2Provider};
use connector_core::oauth_connector::OAuth2Connector;
use connector_core::{
    config_schema, parse_config, AnyConnector, ConfigProblems, ConnectorConfig, ConnectorContext,
    ConnectorError, ConnectorFactory, ConnectorMetadata, ConnectorPlatform, ConnectorType, Result,
    Secret, SocialUserInfo,
};
use serde_json::Value;

/// The factory id servers create this connector with.
pub const FACTORY_ID: &str = "gitlab";
/// The scope requested when the config sets none: enough for `GET /api/v4/user`.
pub const DEFAULT_SCOPE: &str = "read_user";
/// The profile endpoint (rebased with the context for self-managed GitLab).
pub const USER_URL: &str = "https://gitlab.com/api/v4/user";

/// GitLab's OAuth 2.0 endpoints: <https://docs.gitlab.com/api/oauth2/>. Errors are standard
/// (`invalid_grant`, `invalid_client`), so the core's default table maps them.
pub static GITLAB: OAuth2Provider = OAuth2Provider {
    name: "GitLab",
    authorize_url: "https://gitlab.com/oauth/authorize",
    token_url: "https://gitlab.com/oauth/token",
    client_auth: ClientAuth::BasicAuth,
    pkce: true,
    map_token_error: None,
};

/// The connector's config (camelCase JSON).
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitlabConfig {
    /// The application ID from GitLab's *Applications* page.
    pub client_id: String,
    /// The application secret.
    pub client_secret: Secret,
    /// Space-separated scopes; `read_user` when absent.
    #[serde(default)]
    pub scope: Option<String>,
}

impl ConnectorConfig for GitlabConfig {
    fn validate(&self, problems: &mut ConfigProblems) {
        if self.client_id.trim().is_empty() {
            problems.push("clientId", "must not be empty");
        }
        if self.client_secret.is_empty() {
            problems.push("clientSecret", "must not be empty");
        }
        if self.scope.as_deref().is_some_and(|s| s.trim().is_empty()) {
            problems.push("scope", "is blank: leave it out to request `read_user`");
        }
    }
}

/// Built once per process and shared by every connector.
static METADATA: LazyLock<ConnectorMetadata> = LazyLock::new(|| {
    ConnectorMetadata::new(
        FACTORY_ID,
        "gitlab",
        ConnectorType::Social,
        ConnectorPlatform::Universal,
    )
    .with_name("en", "GitLab")
    .with_description(
        "en",
        "Sign in with a GitLab account (gitlab.com or self-managed).",
    )
    .with_logo_svg(include_str!("logo.svg"))
    .with_readme(include_str!("../README.md"))
    .with_default_scope(DEFAULT_SCOPE)
    .with_pkce(GITLAB.pkce)
    .with_config_schema(config_schema::<GitlabConfig>())
});

/// Creates GitLab connectors from JSON configs ([`GitlabConfig`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct GitlabFactory;

impl ConnectorFactory for GitlabFactory {
    fn metadata(&self) -> ConnectorMetadata {
        METADATA.clone()
    }

    fn create(&self, config: Value, ctx: &ConnectorContext) -> Result<AnyConnector> {
        let config: GitlabConfig = parse_config(config)?;
        let oauth = OAuth2Client::new(&GITLAB, &config.client_id, &config.client_secret, ctx)?;
        let scope = config.scope.unwrap_or_else(|| DEFAULT_SCOPE.to_owned());
        let user_url = ctx.endpoint(USER_URL)?;
        let connector = OAuth2Connector::new(&METADATA, oauth, scope, user_url, profile);
        Ok(AnyConnector::Social(Arc::new(connector)))
    }
}

/// Maps `GET /api/v4/user` to the normalized profile. The numeric `id` is the stable key (a
/// `username` can be renamed); `confirmed_at` says the primary e-mail was confirmed.
pub fn profile(raw: Value) -> Result<SocialUserInfo> {
    let id = match &raw["id"] {
        Value::Number(id) => id.to_string(),
        Value::String(id) if !id.trim().is_empty() => id.clone(),
        _ => {
            return Err(ConnectorError::invalid_response(
                "GitLab's /api/v4/user answer has no `id`",
            ))
        }
    };
    let text = |key: &str| {
        raw[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (username, name, avatar, email) = (
        text("username"),
        text("name"),
        text("avatar_url"),
        text("email"),
    );
    let confirmed = raw["confirmed_at"].is_string();
    let mut user = SocialUserInfo::new(id, raw);
    user.name = name.or_else(|| username.clone());
    user.username = username;
    user.avatar = avatar;
    user.email_verified = email.is_some() && confirmed;
    user.email = email;
    Ok(user)
}
