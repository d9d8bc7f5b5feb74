//! The values that travel through a social sign-in: request, start, flow state, callback, profile.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use url::Url;

use crate::error::{ConnectorError, ErrorCode, Result};
use crate::secret::Secret;

/// What the identity server asks for when a user clicks "Continue with ...".
///
/// ```
/// use connector_core::AuthorizationRequest;
/// let req = AuthorizationRequest::new("https://id.example.com/callback/github")
///     .with_scope("read:user user:email repo");
/// assert_eq!(req.scope.as_deref(), Some("read:user user:email repo"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// Where the provider sends the user back; must be registered at the provider.
    pub redirect_uri: String,
    /// Replaces the configured scope for this request (incremental authorization).
    pub scope: Option<String>,
    /// The browser's `User-Agent`, for providers whose page depends on it (WeChat in-app browser).
    pub user_agent: Option<String>,
}

impl AuthorizationRequest {
    /// A request with only the redirect URI.
    pub fn new(redirect_uri: impl Into<String>) -> Self {
        Self {
            redirect_uri: redirect_uri.into(),
            scope: None,
            user_agent: None,
        }
    }

    /// Overrides the configured scope for this request.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Records the browser's `User-Agent`.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The redirect URI parsed, or an `invalid_request_parameters` error naming it.
    pub fn parsed_redirect_uri(&self) -> Result<Url> {
        let url = Url::parse(&self.redirect_uri).map_err(|e| {
            ConnectorError::new(
                ErrorCode::InvalidRequestParameters,
                format!(
                    "redirect URI `{}` is not an absolute URL: {e}",
                    self.redirect_uri
                ),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConnectorError::new(
                ErrorCode::InvalidRequestParameters,
                format!(
                    "redirect URI `{}` must use http or https",
                    self.redirect_uri
                ),
            ));
        }
        Ok(url)
    }

    /// The scope to request: the per-request override when present and not blank, else `configured`.
    pub fn scope_or<'a>(&'a self, configured: &'a str) -> &'a str {
        match self.scope.as_deref().map(str::trim) {
            Some(scope) if !scope.is_empty() => scope,
            _ => configured,
        }
    }
}

/// The start of a sign-in: where to send the browser, and what to keep until the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationStart {
    /// The provider's authorization page, with every parameter.
    pub url: Url,
    /// Keep it (sealed cookie, session store) and hand it back to `user_info`.
    pub flow: FlowState,
}

/// What a connector needs to finish a sign-in it started: kept by the server between the redirect
/// and the callback, so any replica can finish the flow.
///
/// Keep it server-side or seal it ([`FlowState::seal`]) before putting it in a cookie: the PKCE
/// verifier must not reach the browser in clear. Its `Debug` redacts the verifier.
///
/// ```
/// use connector_core::FlowState;
/// let flow = FlowState::new("https://id.example.com/callback", Some("verifier".into()));
/// let json = serde_json::to_string(&flow).unwrap();
/// let back: FlowState = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, flow);
/// assert!(!format!("{flow:?}").contains("verifier\""));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowState {
    /// The `state` parameter sent to the provider; the callback must carry it back.
    pub state: String,
    /// The PKCE code verifier, for providers that support PKCE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce_verifier: Option<Secret>,
    /// The redirect URI of the authorization request; token endpoints want it again.
    pub redirect_uri: String,
    /// When the flow started, in seconds since the Unix epoch.
    pub created_at: u64,
}

impl FlowState {
    /// A new flow with a fresh random `state` (128 bits, URL-safe) created now.
    pub fn new(redirect_uri: impl Into<String>, pkce_verifier: Option<Secret>) -> Self {
        Self {
            state: oauth2::CsrfToken::new_random().secret().clone(),
            pkce_verifier,
            redirect_uri: redirect_uri.into(),
            created_at: unix_now(),
        }
    }

    /// Checks a provider callback against this flow and returns the authorization code.
    ///
    /// In order: a provider `error=` is reported (`access_denied` → `authorization_failed`, others
    /// → `general` with the description); a missing or different `state` is refused
    /// (`authorization_failed`, compared in constant time); a callback without `code` is
    /// `authorization_failed` (WeChat sends the user back that way on refusal).
    ///
    /// ```
    /// use connector_core::{CallbackParams, ErrorCode, FlowState};
    /// let flow = FlowState::new("https://id.example.com/cb", None);
    /// let ok = CallbackParams::from_query(&format!("code=abc&state={}", flow.state)).unwrap();
    /// assert_eq!(flow.verify_callback(&ok).unwrap(), "abc");
    /// let forged = CallbackParams::from_query("code=abc&state=other").unwrap();
    /// assert_eq!(flow.verify_callback(&forged).unwrap_err().code(), ErrorCode::AuthorizationFailed);
    /// ```
    pub fn verify_callback<'c>(&self, callback: &'c CallbackParams) -> Result<&'c str> {
        if let Some(error) = callback.error() {
            return Err(callback.provider_error(error));
        }
        let Some(state) = callback.state() else {
            return Err(ConnectorError::authorization_failed(
                "the callback has no `state` parameter: the sign-in cannot be tied to the flow that started it",
            ));
        };
        let expected = self.state.as_bytes();
        if !bool::from(state.as_bytes().ct_eq(expected)) {
            return Err(ConnectorError::authorization_failed(
                "the callback `state` does not match the flow: the link is stale, was used in another browser, or was forged",
            ));
        }
        match callback.code() {
            Some(code) if !code.is_empty() => Ok(code),
            _ => Err(ConnectorError::authorization_failed(
                "the callback has no authorization `code`: the user did not authorize the application",
            )),
        }
    }

    /// Seconds since the flow started (0 if the clock went backwards).
    pub fn age_secs(&self) -> u64 {
        unix_now().saturating_sub(self.created_at)
    }
}

impl fmt::Debug for FlowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowState")
            .field("state", &self.state)
            .field(
                "pkce_verifier",
                &self.pkce_verifier.as_ref().map(|_| "[redacted]"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The query parameters of a provider's callback to the redirect URI.
///
/// ```
/// use connector_core::CallbackParams;
/// let cb = CallbackParams::from_query("?code=abc&state=xyz").unwrap();
/// assert_eq!(cb.code(), Some("abc"));
/// assert_eq!(cb.state(), Some("xyz"));
/// ```
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallbackParams {
    params: BTreeMap<String, String>,
}

impl CallbackParams {
    /// Parses a query string (with or without the leading `?`).
    ///
    /// A parameter given twice is refused (`invalid_request_parameters`): which copy a component
    /// would read is ambiguous, and parameter pollution is a known attack on OAuth callbacks.
    pub fn from_query(query: &str) -> Result<Self> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut params = BTreeMap::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if params.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(ConnectorError::new(
                    ErrorCode::InvalidRequestParameters,
                    format!("the callback repeats the `{key}` parameter"),
                ));
            }
        }
        Ok(Self { params })
    }

    /// Parses the query of a full callback URL.
    pub fn from_url(url: &Url) -> Result<Self> {
        Self::from_query(url.query().unwrap_or_default())
    }

    /// Wraps already-parsed parameters (a web framework's query map).
    pub fn from_map<K: Into<String>, V: Into<String>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            params: map.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        }
    }

    /// Any parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The authorization `code`.
    pub fn code(&self) -> Option<&str> {
        self.get("code")
    }

    /// The `state` echoed by the provider.
    pub fn state(&self) -> Option<&str> {
        self.get("state")
    }

    /// The provider's `error` code, if the user refused or the provider failed.
    pub fn error(&self) -> Option<&str> {
        self.get("error").filter(|e| !e.is_empty())
    }

    /// The error for a callback carrying `error=`: `access_denied` → `authorization_failed`,
    /// anything else → `general`, both with whatever description the provider gave.
    pub fn provider_error(&self, error: &str) -> ConnectorError {
        let mut message = format!("the provider returned error `{error}`");
        if let Some(description) = self.get("error_description").filter(|d| !d.is_empty()) {
            message.push_str(&format!(": {description}"));
        }
        if let Some(uri) = self.get("error_uri").filter(|d| !d.is_empty()) {
            message.push_str(&format!(" (see {uri})"));
        }
        let code = if error == "access_denied" {
            ErrorCode::AuthorizationFailed
        } else {
            ErrorCode::General
        };
        ConnectorError::new(code, message)
    }
}

/// The `code` is a credential until it is exchanged: never print it.
impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in &self.params {
            if crate::redact::is_secret_key(key) {
                map.entry(key, &"[redacted]");
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

/// The normalized profile every social connector returns (Logto's `SocialUserInfo`, plus
/// `username`, `email_verified` and the token set).
///
/// Serialized in camelCase with the provider JSON under `rawData`, as Logto stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SocialUserInfo {
    /// The provider's stable user id (never a renameable login).
    pub id: String,
    /// E-mail address, when the provider disclosed one.
    pub email: Option<String>,
    /// Whether the provider says it verified `email`.
    pub email_verified: bool,
    /// Phone number, when the provider disclosed one.
    pub phone: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Login or preferred username at the provider.
    pub username: Option<String>,
    /// Avatar image URL.
    pub avatar: Option<String>,
    /// The provider's own JSON, for fields the normalized profile does not carry.
    pub raw_data: serde_json::Value,
    /// The provider tokens, only when the config asks to store them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenSet>,
}

impl SocialUserInfo {
    /// A profile with only the id and raw data; set the other fields directly.
    pub fn new(id: impl Into<String>, raw_data: serde_json::Value) -> Self {
        Self {
            id: id.into(),
            email: None,
            email_verified: false,
            phone: None,
            name: None,
            username: None,
            avatar: None,
            raw_data,
            tokens: None,
        }
    }
}

impl SocialUserInfo {
    /// Maps OpenID Connect standard claims (a userinfo response or ID token payload):
    /// `id` = `sub` (required: a missing or blank `sub` is `invalid_response`), `name` = `name`
    /// else `preferred_username`, `username` = `preferred_username`, `avatar` = `picture`,
    /// `email` and `email_verified` (true only with an e-mail), `phone` = `phone_number`; the
    /// whole object is kept as `raw_data`. Blank strings count as absent.
    ///
    /// ```
    /// use connector_core::SocialUserInfo;
    /// let user = SocialUserInfo::from_oidc_claims(serde_json::json!({
    ///     "sub": "42", "preferred_username": "ada", "email": "ada@example.com", "email_verified": true
    /// })).unwrap();
    /// assert_eq!((user.id.as_str(), user.name.as_deref()), ("42", Some("ada")));
    /// assert!(user.email_verified);
    /// ```
    pub fn from_oidc_claims(claims: serde_json::Value) -> Result<SocialUserInfo> {
        let text = |key: &str| {
            claims
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let sub = match claims.get("sub") {
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => text("sub"),
        };
        let Some(sub) = sub else {
            return Err(ConnectorError::invalid_response(
                "the userinfo response has no `sub` claim: the user cannot be identified",
            ));
        };
        let username = text("preferred_username");
        let email = text("email");
        let verified = claims
            .get("email_verified")
            .and_then(serde_json::Value::as_bool)
            == Some(true);
        let mut user = SocialUserInfo::new(sub, serde_json::Value::Null);
        user.name = text("name").or_else(|| username.clone());
        user.username = username;
        user.avatar = text("picture");
        user.phone = text("phone_number");
        user.email_verified = email.is_some() && verified;
        user.email = email;
        user.raw_data = claims;
        Ok(user)
    }
}

/// Provider tokens, returned when the config asks to store them. `Debug` redacts every token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// Usually `bearer`.
    pub token_type: String,
    /// The granted scope, as the provider wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The refresh token, for providers that issue one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// When the refresh token expires, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<u64>,
    /// The OpenID Connect ID token, when one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
}

impl TokenSet {
    /// A token set with an access token and type only.
    pub fn new(access_token: Secret, token_type: impl Into<String>) -> Self {
        Self {
            access_token,
            token_type: token_type.into(),
            scope: None,
            refresh_token: None,
            expires_at: None,
            refresh_token_expires_at: None,
            id_token: None,
        }
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> FlowState {
        FlowState::new("https://id.example.com/cb", Some(Secret::new("v3rifier")))
    }

    #[test]
    fn state_is_random_and_url_safe() {
        let (a, b) = (flow(), flow());
        assert_ne!(a.state, b.state);
        assert!(a.state.len() >= 20);
        assert!(a
            .state
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn flow_state_round_trips_and_debug_redacts_verifier() {
        let flow = flow();
        let json = serde_json::to_value(&flow).expect("serialize");
        assert_eq!(json["pkceVerifier"], "v3rifier");
        assert_eq!(json["redirectUri"], "https://id.example.com/cb");
        let back: FlowState = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, flow);
        assert!(!format!("{flow:?}").contains("v3rifier"));
    }

    #[test]
    fn callback_with_matching_state_yields_code() {
        let flow = flow();
        let cb = CallbackParams::from_map([("code", "c0de"), ("state", flow.state.as_str())]);
        assert_eq!(flow.verify_callback(&cb).expect("valid"), "c0de");
    }

    #[test]
    fn callback_state_checks() {
        let flow = flow();
        let missing = CallbackParams::from_map([("code", "c")]);
        let wrong = CallbackParams::from_map([("code", "c"), ("state", "nope")]);
        let prefix = CallbackParams::from_map([("code", "c"), ("state", &flow.state[..5])]);
        for cb in [missing, wrong, prefix] {
            let err = flow.verify_callback(&cb).expect_err("refused");
            assert_eq!(err.code(), ErrorCode::AuthorizationFailed, "{err}");
        }
    }

    #[test]
    fn callback_without_code_is_authorization_failed() {
        let flow = flow();
        let cb = CallbackParams::from_map([("state", flow.state.as_str())]);
        let err = flow.verify_callback(&cb).expect_err("no code");
        assert_eq!(err.code(), ErrorCode::AuthorizationFailed);
    }

    #[test]
    fn provider_errors_are_mapped_with_any_subset_of_fields() {
        let flow = flow();
        let denied = CallbackParams::from_query("error=access_denied").expect("parse");
        let err = flow.verify_callback(&denied).expect_err("denied");
        assert_eq!(err.code(), ErrorCode::AuthorizationFailed);

        let other = CallbackParams::from_query(
            "error=application_suspended&error_description=Your+app+is+suspended&error_uri=https%3A%2F%2Fdocs",
        )
        .expect("parse");
        let err = flow.verify_callback(&other).expect_err("suspended");
        assert_eq!(err.code(), ErrorCode::General);
        assert!(err.message().contains("Your app is suspended"), "{err}");
        assert!(err.message().contains("https://docs"), "{err}");
    }

    #[test]
    fn duplicated_parameters_are_refused() {
        let err = CallbackParams::from_query("code=a&code=b&state=s").expect_err("dup");
        assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
    }

    #[test]
    fn callback_debug_hides_the_code() {
        let cb = CallbackParams::from_query("code=supersecretcode&state=s").expect("parse");
        assert!(!format!("{cb:?}").contains("supersecretcode"));
    }

    #[test]
    fn redirect_uri_must_be_absolute_http() {
        for bad in ["/callback", "javascript:alert(1)", "not a url"] {
            let err = AuthorizationRequest::new(bad)
                .parsed_redirect_uri()
                .expect_err(bad);
            assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
        }
        assert!(AuthorizationRequest::new("http://127.0.0.1:3000/cb")
            .parsed_redirect_uri()
            .is_ok());
    }

    #[test]
    fn per_request_scope_overrides_unless_blank() {
        let req = AuthorizationRequest::new("https://x/cb");
        assert_eq!(req.scope_or("a b"), "a b");
        assert_eq!(req.clone().with_scope("  ").scope_or("a b"), "a b");
        assert_eq!(req.with_scope("c").scope_or("a b"), "c");
    }

    #[test]
    fn oidc_claims_mapping() {
        let user = SocialUserInfo::from_oidc_claims(serde_json::json!({
            "sub": "u1", "name": " ", "preferred_username": "ada", "picture": "https://x/a.png",
            "email": "ada@example.com", "email_verified": true, "phone_number": "+1 555", "orgs": []
        }))
        .expect("claims");
        assert_eq!(user.id, "u1");
        assert_eq!(user.name.as_deref(), Some("ada"));
        assert_eq!(user.username.as_deref(), Some("ada"));
        assert_eq!(user.avatar.as_deref(), Some("https://x/a.png"));
        assert_eq!(user.phone.as_deref(), Some("+1 555"));
        assert!(user.email_verified);
        assert!(user.raw_data.get("orgs").is_some());

        let numeric =
            SocialUserInfo::from_oidc_claims(serde_json::json!({"sub": 7, "email_verified": true}))
                .expect("numeric sub");
        assert_eq!(numeric.id, "7");
        assert!(
            !numeric.email_verified,
            "verified without an e-mail means nothing"
        );

        for bad in [
            serde_json::json!({}),
            serde_json::json!({"sub": ""}),
            serde_json::json!("x"),
        ] {
            let err = SocialUserInfo::from_oidc_claims(bad).expect_err("no sub");
            assert_eq!(err.code(), ErrorCode::InvalidResponse);
        }
    }

    #[test]
    fn token_set_debug_redacts_tokens() {
        let mut tokens = TokenSet::new(Secret::new("at-123"), "bearer");
        tokens.refresh_token = Some(Secret::new("rt-456"));
        tokens.id_token = Some(Secret::new("id-789"));
        let text = format!("{tokens:?}");
        for secret in ["at-123", "rt-456", "id-789"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
