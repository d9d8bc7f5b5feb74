//! Sign in with WeChat: the Open Platform QR-code page for desktop browsers (`snsapi_login`), or
//! the in-WeChat page of an Official Account (`snsapi_userinfo`, `snsapi_base`).
//!
//! WeChat is not standard OAuth 2.0 (see [`api`]), so this connector talks to it with the core's
//! [`HttpClient`] rather than the OAuth 2.0 block. The operator guide is the crate's `README.md`,
//! also served as the connector's `readme` metadata.
//!
//! ```
//! use connector_core::{AuthorizationRequest, ConnectorContext, ConnectorRegistry};
//! use connector_wechat_web::{WechatWebFactory, FACTORY_ID};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> connector_core::Result<()> {
//! let mut registry = ConnectorRegistry::new();
//! registry.register(WechatWebFactory)?;
//! let config = serde_json::json!({"appId": "wx1234567890abcdef", "appSecret": "0123456789abcdef"});
//! let connector = registry.create(FACTORY_ID, config, &ConnectorContext::default())?.into_social()?;
//! let start = connector.authorization_url(AuthorizationRequest::new("https://id.example.com/cb")).await?;
//! assert!(start.url.as_str().starts_with("https://open.weixin.qq.com/connect/qrconnect?appid=wx1234567890abcdef&"));
//! assert!(start.url.as_str().ends_with("#wechat_redirect"));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::{Arc, LazyLock};

use connector_core::{
    async_trait, config_schema, parse_config, AnyConnector, AuthorizationRequest,
    AuthorizationStart, CallbackParams, ConnectorContext, ConnectorError, ConnectorFactory,
    ConnectorMetadata, ConnectorPlatform, ConnectorType, ErrorCode, FlowState, HttpClient, Result,
    Secret, SocialConnector, SocialUserInfo,
};
use serde_json::Value;
use url::Url;

pub mod api;
pub mod config;

use api::{AccessToken, Scope, UserInfo};
pub use config::WechatWebConfig;

/// The factory id, as in Logto.
pub const FACTORY_ID: &str = "wechat-web";
/// The provider, shared with Logto's other WeChat connectors.
pub const TARGET: &str = "wechat";

/// Creates `wechat-web` connectors from a [`WechatWebConfig`] in JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct WechatWebFactory;

/// Built once and shared by every connector (a multi-tenant server holds thousands): the readme,
/// logo and config schema are the same for all, so neither `create` nor an instance copies them.
static METADATA: LazyLock<ConnectorMetadata> = LazyLock::new(|| {
    ConnectorMetadata::new(FACTORY_ID, TARGET, ConnectorType::Social, ConnectorPlatform::Web)
        .with_name("en", "WeChat")
        .with_name("zh-CN", "微信")
        .with_name("ja", "WeChat")
        .with_description("en", "Sign in with WeChat: scan a QR code on desktop browsers (Website Application), or authorize inside WeChat's browser (Official Account).")
        .with_description("zh-CN", "使用微信登录：桌面浏览器扫码登录（网站应用），或在微信内置浏览器中授权（公众号）。")
        .with_description("ja", "WeChat でサインイン：デスクトップのブラウザーでは QR コードをスキャン（ウェブサイトアプリ）、WeChat 内のブラウザーでは公式アカウントで認証します。")
        .with_logo_svg(include_str!("logo.svg"))
        .with_readme(include_str!("../README.md"))
        .with_default_scope(Scope::Login.as_str())
        .with_pkce(false)
        .with_config_schema(config_schema::<WechatWebConfig>())
});

impl ConnectorFactory for WechatWebFactory {
    fn metadata(&self) -> ConnectorMetadata {
        METADATA.clone()
    }

    fn create(&self, config: Value, ctx: &ConnectorContext) -> Result<AnyConnector> {
        let config: WechatWebConfig = parse_config(config)?;
        Ok(AnyConnector::Social(Arc::new(WechatWeb {
            app_id: config.app_id().to_owned(),
            app_secret: config.app_secret(),
            scope: config.scope(),
            http: ctx.http().clone(),
            qr_page: ctx.endpoint(api::QR_CONNECT_URL)?,
            in_wechat_page: ctx.endpoint(api::OAUTH2_AUTHORIZE_URL)?,
            access_token_url: ctx.endpoint(api::ACCESS_TOKEN_URL)?,
            userinfo_url: ctx.endpoint(api::USERINFO_URL)?,
        })))
    }
}

/// A configured connector. Its request URLs carry the AppSecret or a token: they are built just
/// before sending and never formatted into a message or a log (the core's client logs host and
/// path only).
struct WechatWeb {
    app_id: String,
    app_secret: Secret,
    scope: Scope,
    http: HttpClient,
    qr_page: Url,
    in_wechat_page: Url,
    access_token_url: Url,
    userinfo_url: Url,
}

impl fmt::Debug for WechatWeb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatWeb")
            .field("app_id", &self.app_id)
            .field("app_secret", &self.app_secret)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SocialConnector for WechatWeb {
    fn metadata(&self) -> &ConnectorMetadata {
        &METADATA
    }

    async fn authorization_url(&self, req: AuthorizationRequest) -> Result<AuthorizationStart> {
        req.parsed_redirect_uri()?;
        let requested = req.scope_or(self.scope.as_str());
        let scope = Scope::parse(requested).ok_or_else(|| {
            ConnectorError::new(
                ErrorCode::InvalidRequestParameters,
                format!(
                    "unknown WeChat scope `{requested}`, expected {}",
                    Scope::EXPECTED
                ),
            )
        })?;
        let flow = FlowState::new(req.redirect_uri.clone(), None);
        let mut url = match scope {
            Scope::Login => self.qr_page.clone(),
            Scope::UserInfo | Scope::Base => self.in_wechat_page.clone(),
        };
        // WeChat matches the authorization link strictly: parameters in its documented order, and
        // the `#wechat_redirect` fragment (quirk 4). `redirect_uri` is encoded once, here; Logto
        // encodes it twice.
        url.query_pairs_mut()
            .append_pair("appid", &self.app_id)
            .append_pair("redirect_uri", &req.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope.as_str())
            .append_pair("state", &flow.state);
        url.set_fragment(Some(api::REDIRECT_FRAGMENT));
        Ok(AuthorizationStart { url, flow })
    }

    async fn user_info(
        &self,
        callback: CallbackParams,
        flow: &FlowState,
    ) -> Result<SocialUserInfo> {
        // A user who refuses comes back with `state` and no `code` (quirk 6): authorization_failed.
        let code = flow.verify_callback(&callback)?;
        let (token, token_raw) = self.exchange_code(code).await?;
        if token.is_snapshot_user() {
            // Its ids are made up: signing it in would create an account nobody can reach again.
            return Err(ConnectorError::authorization_failed(
                "WeChat answered for a virtual account of its snapshot page (is_snapshotuser=1): the user has not authorized the page yet and must tap \"使用完整服务\" (use full service)",
            ));
        }
        // The flow does not record a per-request scope; the scope WeChat granted says it.
        let profile = if token.grants_profile(self.scope) {
            Some(self.fetch_profile(&token).await?)
        } else {
            None
        };
        Ok(social_user_info(token, token_raw, profile))
    }
}

impl WechatWeb {
    /// `GET sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`.
    async fn exchange_code(&self, code: &str) -> Result<(AccessToken, Value)> {
        let mut url = self.access_token_url.clone();
        url.query_pairs_mut()
            .append_pair("appid", &self.app_id)
            .append_pair("secret", self.app_secret.expose())
            .append_pair("code", code)
            .append_pair("grant_type", "authorization_code");
        let sent = [self.app_secret.expose(), code];
        let response = self.http.send(self.http.get(url)).await;
        response
            .and_then(|response| api::read_answer(&response, "an access token", &sent))
            .map_err(|e| e.context("token exchange"))
    }

    /// `GET sns/userinfo?access_token&openid`.
    async fn fetch_profile(&self, token: &AccessToken) -> Result<(UserInfo, Value)> {
        let mut url = self.userinfo_url.clone();
        url.query_pairs_mut()
            .append_pair("access_token", token.access_token.expose())
            .append_pair("openid", &token.openid);
        let sent = [self.app_secret.expose(), token.access_token.expose()];
        let response = self.http.send(self.http.get(url)).await;
        response
            .and_then(|response| api::read_answer(&response, "a profile", &sent))
            .map_err(|e| e.context("user info"))
    }
}

/// The normalized profile: `id` is the unionid when WeChat gave one (stable across the apps of an
/// Open Platform account), else the openid (Logto's rule); `rawData.idSource` says which.
fn social_user_info(
    token: AccessToken,
    mut token_raw: Value,
    profile: Option<(UserInfo, Value)>,
) -> SocialUserInfo {
    let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    if let Some(token_raw) = token_raw.as_object_mut() {
        token_raw.remove("access_token");
        token_raw.remove("refresh_token");
    }
    let (user, user_raw) = match profile {
        Some((user, raw)) => (Some(user), raw),
        None => (None, Value::Null),
    };
    let union_id = non_empty(user.as_ref().and_then(|u| u.unionid.clone()))
        .or_else(|| non_empty(token.unionid));
    let (id, source) = match union_id {
        Some(union_id) => (union_id, "unionid"),
        None => (token.openid, "openid"),
    };
    // Moved in, not `json!`: the macro serializes `token_raw` again (a deep copy of the body).
    let mut raw = serde_json::Map::new();
    raw.insert("token".to_owned(), token_raw);
    raw.insert("idSource".to_owned(), Value::from(source));
    if !user_raw.is_null() {
        raw.insert("userInfo".to_owned(), user_raw);
    }
    let mut info = SocialUserInfo::new(id, Value::Object(raw));
    if let Some(user) = user {
        info.name = non_empty(user.nickname);
        info.avatar = non_empty(user.headimgurl);
    }
    info
}
