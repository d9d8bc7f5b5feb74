//! GitHub's endpoints, wire types, token error table and profile mapping.
//!
//! Reference: <https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps>,
//! <https://docs.github.com/en/rest/users/users#get-the-authenticated-user> and
//! <https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user>.

use connector_core::oauth::{ClientAuth, OAuth2Provider, TokenCall, TokenEndpointError};
use connector_core::{ConnectorError, ErrorCode, SocialUserInfo};
use serde::Deserialize;

/// The authorization page.
pub const AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
/// The token endpoint (code exchange and, for expiring tokens, refresh).
pub const TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
/// The authenticated user's profile.
pub const USER_URL: &str = "https://api.github.com/user";
/// The authenticated user's e-mail addresses, private ones included (needs `user:email` or `user`).
pub const USER_EMAILS_URL: &str = "https://api.github.com/user/emails";
/// The REST API version we were written against; pinning it keeps GitHub from changing shapes under us.
pub const API_VERSION: &str = "2022-11-28";
/// Headers of every REST API call (the shared client adds the `User-Agent` GitHub insists on).
pub const API_HEADERS: [(&str, &str); 2] = [
    ("Accept", "application/vnd.github+json"),
    ("X-GitHub-Api-Version", API_VERSION),
];

/// GitHub as an OAuth 2.0 provider: client credentials in the form body, PKCE S256 accepted, and
/// its own error codes ([`map_token_error`]). The `oauth2` crate sends `Accept: application/json`,
/// without which GitHub answers form-encoded.
pub static PROVIDER: OAuth2Provider = OAuth2Provider {
    name: "GitHub",
    authorize_url: AUTHORIZE_URL,
    token_url: TOKEN_URL,
    client_auth: ClientAuth::RequestBody,
    pkce: true,
    map_token_error: Some(map_token_error),
};

/// GitHub's token errors, which it sends with HTTP 200. `None` leaves the rest to the core's
/// standard table, which turns unknown codes into `general` with GitHub's description.
///
/// | `error` | code |
/// |---|---|
/// | `bad_verification_code` | `social_auth_code_invalid` (Logto: `invalid_response`) |
/// | `bad_refresh_token` | `social_invalid_access_token` |
/// | `incorrect_client_credentials` | `invalid_config` |
/// | `redirect_uri_mismatch` | `invalid_config` naming the redirect URI |
pub fn map_token_error(error: &TokenEndpointError, _call: TokenCall) -> Option<ConnectorError> {
    let detail = error.detail();
    Some(match error.error.as_str() {
        "bad_verification_code" => ConnectorError::new(
            ErrorCode::SocialAuthCodeInvalid,
            format!("GitHub rejected the authorization code (wrong, expired after 10 minutes, or already used): {detail}"),
        ),
        "bad_refresh_token" => ConnectorError::new(
            ErrorCode::SocialInvalidAccessToken,
            format!("GitHub rejected the refresh token (wrong, expired or already used): {detail}"),
        ),
        "incorrect_client_credentials" => ConnectorError::invalid_config(format!(
            "GitHub rejected the client credentials: check clientId and clientSecret against the OAuth App ({detail})"
        )),
        "redirect_uri_mismatch" => ConnectorError::invalid_config(format!(
            "GitHub refused redirect URI `{}`: it must be the OAuth App's Authorization callback URL or a path under it ({detail})",
            error.redirect_uri.as_deref().unwrap_or("(none)")
        )),
        _ => return None,
    })
}

/// Whether the granted scopes let us list e-mails. GitHub writes them comma separated
/// (`read:user,user:email`); spaces are accepted too. An absent or blank scope (GitHub App tokens,
/// whose permissions are not scopes) is not a refusal: the call is tried and a 403 means no e-mail.
pub(crate) fn may_list_emails(granted: Option<&str>) -> bool {
    let Some(granted) = granted.filter(|s| !s.trim().is_empty()) else {
        return true;
    };
    granted
        .split(|c: char| c == ',' || c.is_whitespace())
        .any(|scope| scope == "user:email" || scope == "user")
}

/// The fields we read from `GET /user`; the whole body is kept as `rawData.userInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GithubUser {
    /// The stable numeric id (a login can be renamed; the id cannot).
    pub id: u64,
    /// The login, as in `https://github.com/<login>`.
    pub login: String,
    /// Display name, when the user set one.
    pub name: Option<String>,
    /// The public e-mail, `null` unless the user chose to show one.
    pub email: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
}

/// One entry of `GET /user/emails`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GithubEmail {
    /// The address.
    pub email: String,
    /// Whether it is the account's primary address.
    #[serde(default)]
    pub primary: bool,
    /// Whether GitHub verified it.
    #[serde(default)]
    pub verified: bool,
    /// `public`, `private` or `null`.
    pub visibility: Option<String>,
}

/// Maps `/user` and, when it was read, `/user/emails` (else `[]`) to the normalized profile, with
/// `rawData` = `{"userInfo": <user>, "userEmails": <list>}` as Logto stores it.
///
/// The e-mail is the public one, else the entry that is primary **and** verified; it counts as
/// verified only when the list says so.
pub fn social_user_info(
    user: GithubUser,
    raw_user: serde_json::Value,
    emails: &[GithubEmail],
    raw_emails: serde_json::Value,
) -> SocialUserInfo {
    // Blank strings count as absent: an empty `name` should fall back to the login.
    let text = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    // Moved in, not `json!`: the macro serializes each value again (a deep copy of both bodies).
    let mut raw = serde_json::Map::new();
    raw.insert("userInfo".to_owned(), raw_user);
    raw.insert("userEmails".to_owned(), raw_emails);
    let raw = serde_json::Value::Object(raw);
    let mut info = SocialUserInfo::new(user.id.to_string(), raw);
    info.email = text(user.email).or_else(|| {
        emails
            .iter()
            .find(|e| e.primary && e.verified)
            .map(|e| e.email.clone())
    });
    info.email_verified = emails
        .iter()
        .any(|e| e.verified && Some(&e.email) == info.email.as_ref());
    info.name = text(user.name).or_else(|| Some(user.login.clone()));
    info.username = Some(user.login);
    info.avatar = text(user.avatar_url);
    info
}
