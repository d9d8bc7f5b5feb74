//! The `wechat-web` config: Logto's fields, under our names or Logto's.

use connector_core::{ConfigProblems, ConnectorConfig, Secret};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::api::Scope;

/// The config of a `wechat-web` connector.
///
/// The AppID and AppSecret go under `clientId` / `clientSecret` (the names every connector of this
/// workspace uses) or under Logto's `appId` / `appSecret`, so a Logto config works as it is. They
/// are four optional fields rather than serde aliases because the JSON Schema, which admin UIs and
/// config error reports are built from, does not show aliases; validation requires exactly one
/// spelling of each. Read the values through the accessors.
///
/// ```
/// use connector_core::parse_config;
/// use connector_wechat_web::{api::Scope, WechatWebConfig};
///
/// let config: WechatWebConfig = parse_config(serde_json::json!({
///     "appId": "wx1234567890abcdef",
///     "appSecret": "0123456789abcdef0123456789abcdef",
/// })).unwrap();
/// assert_eq!(config.app_id(), "wx1234567890abcdef");
/// assert_eq!(config.scope(), Scope::Login);
/// assert!(!format!("{config:?}").contains("0123456789abcdef0123"));
/// ```
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WechatWebConfig {
    /// The AppID of the WeChat app (`wx` followed by 16 characters): a Website Application for
    /// `snsapi_login`, an Official Account for `snsapi_userinfo` and `snsapi_base`.
    #[serde(default)]
    client_id: Option<String>,
    /// The AppSecret of the same WeChat app.
    #[serde(default)]
    client_secret: Option<Secret>,
    /// Logto's name for `clientId`; give one or the other.
    #[serde(default)]
    app_id: Option<String>,
    /// Logto's name for `clientSecret`; give one or the other.
    #[serde(default)]
    app_secret: Option<Secret>,
    /// `snsapi_login` (default): the QR-code page for desktop browsers. `snsapi_userinfo`: the
    /// in-WeChat page with the user's profile. `snsapi_base`: the silent in-WeChat page, openid only.
    #[serde(default)]
    scope: Option<String>,
}

impl WechatWebConfig {
    /// The AppID, under whichever name it was given.
    pub fn app_id(&self) -> &str {
        self.client_id
            .as_deref()
            .or(self.app_id.as_deref())
            .unwrap_or_default()
    }

    /// The AppSecret, under whichever name it was given.
    pub fn app_secret(&self) -> Secret {
        self.client_secret
            .as_ref()
            .or(self.app_secret.as_ref())
            .cloned()
            .unwrap_or_default()
    }

    /// The configured scope; `snsapi_login` when unset or blank.
    pub fn scope(&self) -> Scope {
        self.scope
            .as_deref()
            .and_then(Scope::parse)
            .unwrap_or(Scope::Login)
    }
}

impl ConnectorConfig for WechatWebConfig {
    fn validate(&self, problems: &mut ConfigProblems) {
        one_spelling(
            problems,
            ("clientId", self.client_id.as_deref()),
            ("appId", self.app_id.as_deref()),
        );
        one_spelling(
            problems,
            (
                "clientSecret",
                self.client_secret.as_ref().map(Secret::expose),
            ),
            ("appSecret", self.app_secret.as_ref().map(Secret::expose)),
        );
        // A wrong scope would only show as a WeChat error page at sign-in: refuse it now.
        if let Some(scope) = self.scope.as_deref().filter(|s| !s.trim().is_empty()) {
            if Scope::parse(scope).is_none() {
                problems.push(
                    "scope",
                    format!("unknown scope `{scope}`, expected {}", Scope::EXPECTED),
                );
            }
        }
    }
}

/// Exactly one of our name and Logto's name must hold a non-blank value.
fn one_spelling(
    problems: &mut ConfigProblems,
    (ours, our_value): (&str, Option<&str>),
    (logto, logto_value): (&str, Option<&str>),
) {
    match (our_value, logto_value) {
        (Some(_), Some(_)) => problems.push(
            logto,
            format!("`{ours}` and Logto's `{logto}` are the same setting: give only one"),
        ),
        (None, None) => problems.push(
            ours,
            format!("missing required field `{ours}` (or Logto's `{logto}`)"),
        ),
        (Some(value), None) if value.trim().is_empty() => problems.push(ours, "must not be empty"),
        (None, Some(value)) if value.trim().is_empty() => problems.push(logto, "must not be empty"),
        _ => {}
    }
}
