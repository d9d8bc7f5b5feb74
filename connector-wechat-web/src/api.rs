//! WeChat's side: endpoints, scopes, wire types and the errcode table, all in one place.
//!
//! WeChat is not standard OAuth 2.0: the token call is a GET with the AppSecret in the query
//! string, errors come back as HTTP 200 bodies with an `errcode`, often served as `text/plain`.
//!
//! - Website login (QR page): <https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html>
//! - Official Account web authorization (in-WeChat page): <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html>
//! - Return codes: <https://developers.weixin.qq.com/doc/oplatform/Return_codes/Return_code_descriptions_new.html>

use connector_core::{ConnectorError, ErrorCode, HttpResponse, Result, Secret};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// The desktop QR-code page of a Website Application (`snsapi_login`).
pub const QR_CONNECT_URL: &str = "https://open.weixin.qq.com/connect/qrconnect";
/// The authorization page inside WeChat's browser, for an Official Account (`snsapi_userinfo`,
/// `snsapi_base`).
pub const OAUTH2_AUTHORIZE_URL: &str = "https://open.weixin.qq.com/connect/oauth2/authorize";
/// Exchanges the code for an access token: a GET carrying the AppSecret in its query string.
pub const ACCESS_TOKEN_URL: &str = "https://api.weixin.qq.com/sns/oauth2/access_token";
/// The user's profile; there is none with `snsapi_base`.
pub const USERINFO_URL: &str = "https://api.weixin.qq.com/sns/userinfo";
/// The fragment both authorization pages require at the end of their URL.
pub const REDIRECT_FRAGMENT: &str = "wechat_redirect";

/// A WeChat scope. It also picks the authorization page, and the kind of WeChat app whose AppID
/// the config must hold: a Website Application for `snsapi_login`, an Official Account otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `snsapi_login`: the QR-code page for desktop browsers (Website Application).
    Login,
    /// `snsapi_userinfo`: the in-WeChat page asking for the profile (Official Account).
    UserInfo,
    /// `snsapi_base`: the silent in-WeChat page; the openid only, no profile (Official Account).
    Base,
}

impl Scope {
    /// The values a config or a request may name, for error messages.
    pub const EXPECTED: &'static str = "`snsapi_login`, `snsapi_userinfo` or `snsapi_base`";

    /// WeChat's name of the scope.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Login => "snsapi_login",
            Scope::UserInfo => "snsapi_userinfo",
            Scope::Base => "snsapi_base",
        }
    }

    /// The scope named exactly `text` (surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Self> {
        [Scope::Login, Scope::UserInfo, Scope::Base]
            .into_iter()
            .find(|scope| scope.as_str() == text.trim())
    }

    /// The authorization page for this scope.
    pub const fn authorize_url(self) -> &'static str {
        match self {
            Scope::Login => QR_CONNECT_URL,
            Scope::UserInfo | Scope::Base => OAUTH2_AUTHORIZE_URL,
        }
    }

    /// Whether the scope lets us read `sns/userinfo`.
    pub const fn has_profile(self) -> bool {
        !matches!(self, Scope::Base)
    }
}

/// A successful answer of [`ACCESS_TOKEN_URL`] (only the fields the sign-in reads).
#[derive(Debug, Deserialize)]
pub struct AccessToken {
    /// The access token, good for `sns/userinfo`.
    pub access_token: Secret,
    /// The user's id within this AppID.
    pub openid: String,
    /// The granted scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// The user's id across every app of the Open Platform account, when the app is bound to one.
    #[serde(default)]
    pub unionid: Option<String>,
    /// `1` when the user is a virtual account of WeChat's "snapshot page" mode.
    #[serde(default)]
    pub is_snapshotuser: Option<Value>,
}

impl AccessToken {
    /// Whether WeChat answered for a virtual account: in "snapshot page" mode (a page that asks for
    /// `snsapi_userinfo` on opening) WeChat shows a read-only copy of the page and hands out a
    /// made-up openid and unionid until the user taps "使用完整服务" (use full service).
    /// <https://developers.weixin.qq.com/doc/service/api/webdev/access/api_snsaccesstoken>
    pub fn is_snapshot_user(&self) -> bool {
        matches!(&self.is_snapshotuser, Some(flag) if flag == 1 || flag == "1")
    }

    /// Whether the granted scope allows reading the profile; `requested` decides when WeChat did
    /// not say. WeChat separates several scopes with commas.
    pub fn grants_profile(&self, requested: Scope) -> bool {
        match self.scope.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(granted) => granted
                .split([',', ' '])
                .filter_map(Scope::parse)
                .any(Scope::has_profile),
            None => requested.has_profile(),
        }
    }
}

/// A successful answer of [`USERINFO_URL`] (only the fields the profile maps; the rest stays in
/// the raw data).
#[derive(Debug, Deserialize)]
pub struct UserInfo {
    /// The user's id within this AppID.
    pub openid: String,
    /// Display name.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Avatar URL; empty when the user has none.
    #[serde(default)]
    pub headimgurl: Option<String>,
    /// Present when the app is bound to an Open Platform account.
    #[serde(default)]
    pub unionid: Option<String>,
}

/// What one WeChat errcode means for a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errcode {
    /// WeChat's `errcode`.
    pub errcode: i64,
    /// Our error code.
    pub code: ErrorCode,
    /// Whether the same call may succeed later.
    pub retryable: bool,
    /// What it means, for the operator.
    pub meaning: &'static str,
}

const fn rule(errcode: i64, code: ErrorCode, meaning: &'static str) -> Errcode {
    Errcode {
        errcode,
        code,
        retryable: false,
        meaning,
    }
}

/// Every errcode this connector maps; any other is `general` with WeChat's errcode and errmsg.
/// Rate limits are retryable through their code.
pub const ERRCODES: &[Errcode] = &[
    rule(40029, ErrorCode::SocialAuthCodeInvalid, "invalid code"),
    rule(40163, ErrorCode::SocialAuthCodeInvalid, "code already used"),
    rule(42003, ErrorCode::SocialAuthCodeInvalid, "code expired"),
    rule(
        40001,
        ErrorCode::SocialInvalidAccessToken,
        "invalid access token",
    ),
    rule(
        40014,
        ErrorCode::SocialInvalidAccessToken,
        "invalid access token",
    ),
    rule(
        42001,
        ErrorCode::SocialInvalidAccessToken,
        "access token expired",
    ),
    rule(
        40013,
        ErrorCode::InvalidConfig,
        "invalid AppID: check `clientId`",
    ),
    rule(
        40125,
        ErrorCode::InvalidConfig,
        "invalid AppSecret: check `clientSecret`",
    ),
    rule(
        45009,
        ErrorCode::RateLimitExceeded,
        "daily API quota reached",
    ),
    rule(
        45011,
        ErrorCode::RateLimitExceeded,
        "API calls too frequent",
    ),
    Errcode {
        retryable: true,
        ..rule(-1, ErrorCode::General, "WeChat is busy, try again")
    },
];

/// The error for a WeChat `errcode`, keeping WeChat's errcode and errmsg in the message.
pub fn errcode_error(errcode: i64, errmsg: &str) -> ConnectorError {
    let errmsg = if errmsg.trim().is_empty() {
        "(no errmsg)"
    } else {
        errmsg
    };
    match ERRCODES.iter().find(|rule| rule.errcode == errcode) {
        Some(rule) => ConnectorError::new(
            rule.code,
            format!("WeChat errcode {errcode} ({}): {errmsg}", rule.meaning),
        )
        .retryable(rule.retryable),
        None => ConnectorError::general(format!("WeChat errcode {errcode}: {errmsg}")),
    }
}

/// Reads a WeChat answer into `T` and its raw JSON.
///
/// A status other than 2xx is `general` (retryable for 5xx); the body is JSON whatever its
/// `Content-Type` (WeChat serves `text/plain`); a non-zero `errcode` goes through [`ERRCODES`]; a
/// body that is neither `T` nor an errcode is `invalid_response`. `sent` holds the secrets the
/// request carried (AppSecret, code, access token): they are cut from WeChat's errmsg in case it
/// ever echoes them.
pub fn read_answer<T: DeserializeOwned>(
    response: &HttpResponse,
    what: &str,
    sent: &[&str],
) -> Result<(T, Value)> {
    let status = response.status();
    if !response.is_success() {
        return Err(ConnectorError::general(format!(
            "WeChat answered HTTP {status} at {}",
            response.endpoint()
        ))
        .retryable(status >= 500)
        .with_status(status)
        .with_body(response.body()));
    }
    let raw: Value = response.json()?;
    if let Some(errcode) = errcode_of(&raw).filter(|code| *code != 0) {
        let errmsg = raw.get("errmsg").and_then(Value::as_str).unwrap_or("");
        return Err(errcode_error(errcode, &scrub(errmsg, sent)).with_status(status));
    }
    // The error must not quote serde's message: it can contain the value of a misshapen field.
    // Read from the parsed value in place: the raw JSON is returned too, so no clone of it.
    let answer = T::deserialize(&raw).map_err(|_| {
        ConnectorError::invalid_response(format!(
            "{} answered HTTP {status} with neither {what} nor an errcode",
            response.endpoint()
        ))
        .with_status(status)
        .with_body(response.body())
    })?;
    Ok((answer, raw))
}

/// WeChat's `errcode`, a number (sometimes written as a string).
fn errcode_of(raw: &Value) -> Option<i64> {
    match raw.get("errcode")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// WeChat's text with any secret we sent replaced, cut to a readable length.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let text: String = text.chars().take(300).collect();
    secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .fold(text, |text, secret| text.replace(secret, "[redacted]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcode_table_maps_each_class() {
        use ErrorCode::*;
        let expected = [
            (40029, SocialAuthCodeInvalid, false),
            (40163, SocialAuthCodeInvalid, false),
            (42003, SocialAuthCodeInvalid, false),
            (40001, SocialInvalidAccessToken, false),
            (40014, SocialInvalidAccessToken, false),
            (42001, SocialInvalidAccessToken, false),
            (40013, InvalidConfig, false),
            (40125, InvalidConfig, false),
            (45009, RateLimitExceeded, true),
            (45011, RateLimitExceeded, true),
            (-1, General, true),
            (40999, General, false),
            (48001, General, false),
        ];
        for (errcode, code, retryable) in expected {
            let err = errcode_error(errcode, "msg from wechat");
            assert_eq!(err.code(), code, "{errcode}: {err}");
            assert_eq!(err.is_retryable(), retryable, "{errcode}: {err}");
            assert!(err.message().contains(&errcode.to_string()), "{err}");
            assert!(err.message().contains("msg from wechat"), "{err}");
        }
        let mapped: Vec<i64> = ERRCODES.iter().map(|rule| rule.errcode).collect();
        assert_eq!(
            mapped,
            [40029, 40163, 42003, 40001, 40014, 42001, 40013, 40125, 45009, 45011, -1]
        );
    }

    #[test]
    fn errcode_may_be_written_as_a_string() {
        assert_eq!(
            errcode_of(&serde_json::json!({"errcode": "40029"})),
            Some(40029)
        );
        assert_eq!(errcode_of(&serde_json::json!({"errcode": -1})), Some(-1));
        assert_eq!(errcode_of(&serde_json::json!({"openid": "x"})), None);
    }

    #[test]
    fn errmsg_is_scrubbed_of_what_we_sent() {
        let text = scrub("bad secret s3cr3t for code c0de", &["s3cr3t", "c0de", ""]);
        assert_eq!(text, "bad secret [redacted] for code [redacted]");
    }

    #[test]
    fn scopes_pick_their_page() {
        assert_eq!(Scope::parse(" snsapi_login "), Some(Scope::Login));
        assert_eq!(Scope::parse("snsapi_userinfo"), Some(Scope::UserInfo));
        assert_eq!(Scope::parse("snsapi_base"), Some(Scope::Base));
        assert_eq!(Scope::parse("snsapi_Login"), None);
        assert_eq!(Scope::Login.authorize_url(), QR_CONNECT_URL);
        assert_eq!(Scope::Base.authorize_url(), OAUTH2_AUTHORIZE_URL);
        assert!(!Scope::Base.has_profile());
    }

    #[test]
    fn granted_scope_decides_whether_a_profile_can_be_read() {
        let token = |scope: Option<&str>| AccessToken {
            access_token: Secret::new("t"),
            openid: "o".into(),
            scope: scope.map(str::to_owned),
            unionid: None,
            is_snapshotuser: None,
        };
        assert!(!token(Some("snsapi_base")).grants_profile(Scope::Login));
        assert!(token(Some("snsapi_base,snsapi_userinfo")).grants_profile(Scope::Base));
        assert!(token(None).grants_profile(Scope::Login));
        assert!(!token(Some("")).grants_profile(Scope::Base));
    }
}
