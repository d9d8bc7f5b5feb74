//! Sign in with GitHub (OAuth App): authorization code with state and PKCE S256, declared on the
//! core's OAuth 2.0 block ([`api::PROVIDER`], [`api::map_token_error`]) plus GitHub's profile
//! quirks: a `User-Agent` and API version on every call, and the `/user/emails` fallback for
//! private e-mails ([`api::social_user_info`]). The operator guide is the crate's `README.md`.
//!
//! ```
//! use connector_core::{AuthorizationRequest, ConnectorContext, ConnectorRegistry};
//! use connector_github::{GithubFactory, FACTORY_ID};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> connector_core::Result<()> {
//! let mut registry = ConnectorRegistry::new();
//! registry.register(GithubFactory)?;
//! let config = serde_json::json!({
//!     "clientId": "Ov23liTq5hVtE3xHf8Gk",
//!     "clientSecret": "9f2c1e5d7a9b3c4d6c3f0a528d1e4b7a9f2c1e5d",
//! });
//! let connector = registry.create(FACTORY_ID, config, &ConnectorContext::default())?.into_social()?;
//! let start = connector
//!     .authorization_url(AuthorizationRequest::new("https://id.example.com/callback/github"))
//!     .await?;
//! assert!(start.url.as_str().starts_with("https://github.com/login/oauth/authorize?"));
//! // Keep `start.flow` (sealed or server-side) and hand it to `user_info` with the callback.
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod api;
pub mod config;

use std::fmt;
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use connector_core::oauth::OAuth2Client;
use connector_core::url::Url;
use connector_core::{
    config_schema, parse_config, AnyConnector, AuthorizationRequest, AuthorizationStart,
    CallbackParams, ConnectorContext, ConnectorFactory, ConnectorMetadata, ConnectorPlatform,
    ConnectorType, FlowState, Result, Secret, SocialConnector, SocialUserInfo, TokenSet,
};

use api::GithubEmail;
pub use config::{GithubConfig, DEFAULT_SCOPE};

/// The factory id servers create this connector with (Logto's).
pub const FACTORY_ID: &str = "github-universal";
/// The provider this connector signs in with.
pub const TARGET: &str = "github";

/// Built once: every connector shares it, and the schema is not regenerated per `create`.
static METADATA: LazyLock<ConnectorMetadata> = LazyLock::new(|| {
    ConnectorMetadata::new(
        FACTORY_ID,
        TARGET,
        ConnectorType::Social,
        ConnectorPlatform::Universal,
    )
    .with_name("en", "GitHub")
    .with_name("zh-CN", "GitHub")
    .with_name("zh-TW", "GitHub")
    .with_name("ja", "GitHub")
    .with_name("ko", "GitHub")
    .with_description("en", "Sign in with a GitHub account (OAuth App).")
    .with_description("zh-CN", "使用 GitHub 账号登录（OAuth App）。")
    .with_description("zh-TW", "使用 GitHub 帳號登入（OAuth App）。")
    .with_description("ja", "GitHub アカウントでサインイン（OAuth App）。")
    .with_description("ko", "GitHub 계정으로 로그인합니다 (OAuth App).")
    .with_logo_svg(include_str!("logo.svg"))
    .with_readme(include_str!("../README.md"))
    .with_default_scope(DEFAULT_SCOPE)
    .with_pkce(api::PROVIDER.pkce)
    .with_config_schema(config_schema::<GithubConfig>())
});

/// Creates GitHub connectors from JSON configs ([`GithubConfig`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct GithubFactory;

impl ConnectorFactory for GithubFactory {
    fn metadata(&self) -> ConnectorMetadata {
        METADATA.clone()
    }

    fn create(&self, config: serde_json::Value, ctx: &ConnectorContext) -> Result<AnyConnector> {
        let config: GithubConfig = parse_config(config)?;
        let oauth = OAuth2Client::new(
            &api::PROVIDER,
            &config.client_id,
            &config.client_secret,
            ctx,
        )?;
        Ok(AnyConnector::Social(Arc::new(Github {
            oauth,
            scope: config.scope().to_owned(),
            store_tokens: config.enable_token_storage.unwrap_or(false),
            user_url: ctx.endpoint(api::USER_URL)?,
            emails_url: ctx.endpoint(api::USER_EMAILS_URL)?,
        })))
    }
}

struct Github {
    oauth: OAuth2Client,
    scope: String,
    store_tokens: bool,
    user_url: Url,
    emails_url: Url,
}

/// Short on purpose: servers log connectors, and the metadata holds the whole README.
impl fmt::Debug for Github {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Github")
            .field("oauth", &self.oauth)
            .field("scope", &self.scope)
            .field("store_tokens", &self.store_tokens)
            .finish_non_exhaustive()
    }
}

impl Github {
    /// `GET /user/emails`, for a user whose e-mail is private. No access to the list (403 from a
    /// GitHub App without the e-mail permission, 404, or an empty list) means "no e-mail", never a
    /// failed sign-in; a rate limit, a rejected token or an outage still fails.
    async fn emails(&self, token: &Secret) -> Result<(Vec<GithubEmail>, serde_json::Value)> {
        let response = self
            .oauth
            .get_with_bearer(self.emails_url.clone(), token, &api::API_HEADERS)
            .await?;
        // `is_rate_limited` covers GitHub's primary and secondary limits: those fail the sign-in.
        if matches!(response.status(), 403 | 404) && !response.is_rate_limited() {
            return Ok((Vec::new(), serde_json::json!([])));
        }
        response.check_api_status(api::PROVIDER.name)?;
        let raw: serde_json::Value = response.json()?;
        Ok((typed(&response, &raw)?, raw))
    }
}

#[async_trait]
impl SocialConnector for Github {
    fn metadata(&self) -> &ConnectorMetadata {
        &METADATA
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
        let tokens = self.oauth.exchange_code(&callback, flow).await?;
        let response = self
            .oauth
            .get_with_bearer(
                self.user_url.clone(),
                &tokens.access_token,
                &api::API_HEADERS,
            )
            .await?;
        response.check_api_status(api::PROVIDER.name)?;
        let raw_user: serde_json::Value = response.json()?;
        let user: api::GithubUser = typed(&response, &raw_user)?;
        let (emails, raw_emails) = if user.email.as_deref().is_none_or(|e| e.trim().is_empty())
            && api::may_list_emails(tokens.scope.as_deref())
        {
            self.emails(&tokens.access_token).await?
        } else {
            (Vec::new(), serde_json::json!([]))
        };
        let mut info = api::social_user_info(user, raw_user, &emails, raw_emails);
        info.tokens = self.store_tokens.then_some(tokens);
        Ok(info)
    }

    async fn refresh_token(&self, refresh_token: &Secret) -> Result<TokenSet> {
        self.oauth.refresh(refresh_token).await
    }
}

/// Reads `T` from a body already parsed as `raw` (the profile keeps the raw JSON too), instead of
/// parsing the body a second time. A body of the wrong shape is `invalid_response`, as
/// [`connector_core::HttpResponse::json`] reports it.
fn typed<T: serde::de::DeserializeOwned>(
    response: &connector_core::HttpResponse,
    raw: &serde_json::Value,
) -> Result<T> {
    T::deserialize(raw).map_err(|e| {
        connector_core::ConnectorError::invalid_response(format!(
            "{} answered HTTP {} with JSON of an unexpected shape ({e})",
            response.endpoint(),
            response.status()
        ))
        .with_status(response.status())
        .with_body(response.body())
    })
}
