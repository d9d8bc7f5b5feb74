//! Hugging Face's endpoints, the userinfo wire type and its mapping to the normalized profile.
//!
//! Reference: <https://huggingface.co/docs/hub/oauth> and the OpenID metadata at
//! <https://huggingface.co/.well-known/openid-configuration>.

use connector_core::oauth::{ClientAuth, OAuth2Provider};
use connector_core::{ConnectorError, Result, SocialUserInfo};
use serde::Deserialize;

/// The authorization page.
pub const AUTHORIZE_URL: &str = "https://huggingface.co/oauth/authorize";
/// The token endpoint.
pub const TOKEN_URL: &str = "https://huggingface.co/oauth/token";
/// The OpenID Connect userinfo endpoint.
pub const USERINFO_URL: &str = "https://huggingface.co/oauth/userinfo";

/// Hugging Face as a standard OAuth 2.0 provider. Its token endpoint takes the client credentials
/// as HTTP Basic (`client_secret_basic`), accepts PKCE S256, and answers the standard error codes
/// (`invalid_grant`, `invalid_client`), so the core's default error table applies as is.
pub static PROVIDER: OAuth2Provider = OAuth2Provider {
    name: "Hugging Face",
    authorize_url: AUTHORIZE_URL,
    token_url: TOKEN_URL,
    client_auth: ClientAuth::BasicAuth,
    pkce: true,
    map_token_error: None,
};

/// The body of `GET /oauth/userinfo`: OpenID Connect claims plus Hugging Face's own. Only `sub` is
/// required: the other claims depend on the granted scopes (`email` needs the `email` scope).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HuggingFaceUserInfo {
    /// The stable user id (a username can be renamed; `sub` cannot).
    pub sub: String,
    /// Full name.
    pub name: Option<String>,
    /// Username, as in `https://huggingface.co/<preferred_username>`.
    pub preferred_username: Option<String>,
    /// Avatar URL.
    pub picture: Option<String>,
    /// Profile page URL.
    pub profile: Option<String>,
    /// The user's website.
    pub website: Option<String>,
    /// E-mail address (`email` scope).
    pub email: Option<String>,
    /// Whether Hugging Face verified `email`.
    pub email_verified: Option<bool>,
    /// Whether the user has a paid subscription.
    #[serde(rename = "isPro")]
    pub is_pro: Option<bool>,
    /// Whether the user has a payment method (`read-billing` scope).
    #[serde(rename = "canPay")]
    pub can_pay: Option<bool>,
    /// The user's organizations.
    #[serde(default)]
    pub orgs: Vec<HuggingFaceOrg>,
}

/// One organization in [`HuggingFaceUserInfo::orgs`]. Every field is optional: what Hugging Face
/// discloses about an organization depends on the access the user granted the app to it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct HuggingFaceOrg {
    /// The organization's stable id.
    pub sub: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Handle, as in `https://huggingface.co/<preferred_username>`.
    pub preferred_username: Option<String>,
    /// Logo URL.
    pub picture: Option<String>,
    /// The user's role: `admin`, `write`, `contributor` or `read`.
    #[serde(rename = "roleInOrg")]
    pub role_in_org: Option<String>,
}

/// Maps a userinfo body to the normalized profile, keeping the whole body (`orgs` included) as
/// `raw_data`. A body without a non-empty string `sub`, or with claims of unexpected types, is
/// `invalid_response`.
pub fn social_user_info(raw: serde_json::Value) -> Result<SocialUserInfo> {
    // Checked before the rest, so the error names the one claim a sign-in cannot do without.
    if raw["sub"].as_str().is_none_or(|sub| sub.trim().is_empty()) {
        return Err(ConnectorError::invalid_response(
            "Hugging Face userinfo has no `sub` (a non-empty string): the user cannot be identified",
        ));
    }
    let info = HuggingFaceUserInfo::deserialize(&raw).map_err(|e| {
        ConnectorError::invalid_response(format!("Hugging Face userinfo is not usable: {e}"))
    })?;
    // Blank strings count as absent: an empty `name` should fall back to the username.
    let text = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let username = text(info.preferred_username);
    let mut user = SocialUserInfo::new(info.sub, raw);
    user.name = text(info.name).or(username.clone());
    user.username = username;
    user.avatar = text(info.picture);
    user.email = text(info.email);
    user.email_verified = user.email.is_some() && info.email_verified == Some(true);
    Ok(user)
}
