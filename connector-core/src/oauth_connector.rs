//! A complete social connector for a standard OAuth 2.0 / OpenID Connect provider.
//!
//! A provider whose sign-in is "exchange the code, GET the user-info endpoint with the bearer token,
//! map the JSON" needs only its declaration, config and profile mapping: this type is the rest.

use std::fmt;

use async_trait::async_trait;
use url::Url;

use crate::connector::SocialConnector;
use crate::error::Result;
use crate::flow::{
    AuthorizationRequest, AuthorizationStart, CallbackParams, FlowState, SocialUserInfo, TokenSet,
};
use crate::metadata::ConnectorMetadata;
use crate::oauth::OAuth2Client;
use crate::secret::Secret;

/// Turns a provider's user-info JSON into the normalized profile.
///
/// [`SocialUserInfo::from_oidc_claims`] is one for OpenID Connect providers.
pub type ProfileMapper = fn(serde_json::Value) -> Result<SocialUserInfo>;

/// A standard OAuth 2.0 social connector: authorization URL with state and PKCE, state check, code
/// exchange, one bearer user-info call, a profile mapping, optional token storage and refresh.
///
/// ```
/// use connector_core::oauth::{ClientAuth, OAuth2Client, OAuth2Provider};
/// use connector_core::oauth_connector::OAuth2Connector;
/// use connector_core::{ConnectorContext, ConnectorMetadata, ConnectorPlatform, ConnectorType, Secret, SocialUserInfo};
/// use std::sync::OnceLock;
///
/// static PROVIDER: OAuth2Provider = OAuth2Provider {
///     name: "Example",
///     authorize_url: "https://example.com/oauth/authorize",
///     token_url: "https://example.com/oauth/token",
///     client_auth: ClientAuth::BasicAuth,
///     pkce: true,
///     map_token_error: None,
/// };
/// static METADATA: OnceLock<ConnectorMetadata> = OnceLock::new();
///
/// let ctx = ConnectorContext::default();
/// let metadata = METADATA.get_or_init(|| {
///     ConnectorMetadata::new("example", "example", ConnectorType::Social, ConnectorPlatform::Universal)
/// });
/// let oauth = OAuth2Client::new(&PROVIDER, "client-id", &Secret::new("secret"), &ctx).unwrap();
/// let userinfo = ctx.endpoint("https://example.com/oauth/userinfo").unwrap();
/// let connector = OAuth2Connector::new(metadata, oauth, "openid profile", userinfo, SocialUserInfo::from_oidc_claims)
///     .with_token_storage(true);
/// assert!(!format!("{connector:?}").contains("secret\""));
/// ```
pub struct OAuth2Connector {
    metadata: &'static ConnectorMetadata,
    oauth: OAuth2Client,
    scope: String,
    userinfo_url: Url,
    userinfo_headers: &'static [(&'static str, &'static str)],
    map_profile: ProfileMapper,
    store_tokens: bool,
}

impl OAuth2Connector {
    /// A connector requesting `scope` (unless a request overrides it) and reading the profile from
    /// `userinfo_url` (already rebased through the context) with `map_profile`.
    pub fn new(
        metadata: &'static ConnectorMetadata,
        oauth: OAuth2Client,
        scope: impl Into<String>,
        userinfo_url: Url,
        map_profile: ProfileMapper,
    ) -> Self {
        Self {
            metadata,
            oauth,
            scope: scope.into(),
            userinfo_url,
            userinfo_headers: &[],
            map_profile,
            store_tokens: false,
        }
    }

    /// Extra headers on the user-info call (an API version, an `Accept` type).
    pub fn with_userinfo_headers(
        mut self,
        headers: &'static [(&'static str, &'static str)],
    ) -> Self {
        self.userinfo_headers = headers;
        self
    }

    /// Whether `user_info` returns the provider's tokens (Logto's `enableTokenStorage`).
    pub fn with_token_storage(mut self, store_tokens: bool) -> Self {
        self.store_tokens = store_tokens;
        self
    }

    /// The OAuth client, for connectors that wrap this one.
    pub fn oauth(&self) -> &OAuth2Client {
        &self.oauth
    }
}

/// Short on purpose: no secret, and not the metadata's readme.
impl fmt::Debug for OAuth2Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Connector")
            .field("id", &self.metadata.id)
            .field("oauth", &self.oauth)
            .field("scope", &self.scope)
            .field("store_tokens", &self.store_tokens)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SocialConnector for OAuth2Connector {
    fn metadata(&self) -> &ConnectorMetadata {
        self.metadata
    }

    async fn authorization_url(&self, request: AuthorizationRequest) -> Result<AuthorizationStart> {
        self.oauth
            .authorization_url(&request, request.scope_or(&self.scope))
    }

    async fn user_info(
        &self,
        callback: CallbackParams,
        flow: &FlowState,
    ) -> Result<SocialUserInfo> {
        let tokens = self.oauth.exchange_code(&callback, flow).await?;
        let raw = self
            .oauth
            .get_json(
                self.userinfo_url.clone(),
                &tokens.access_token,
                self.userinfo_headers,
            )
            .await?;
        let mut user = (self.map_profile)(raw)?;
        user.tokens = self.store_tokens.then_some(tokens);
        Ok(user)
    }

    async fn refresh_token(&self, refresh_token: &Secret) -> Result<TokenSet> {
        self.oauth.refresh(refresh_token).await
    }
}
