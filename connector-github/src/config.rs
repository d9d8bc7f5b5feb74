//! The operator's config, with Logto's field names so a migrated config works as is.

use connector_core::{ConfigProblems, ConnectorConfig, Secret};
use schemars::JsonSchema;
use serde::Deserialize;

/// The scope requested when the config sets none: the profile and the e-mail list (Logto's default;
/// older GitHub docs say `read:user` alone, which hides private e-mails).
pub const DEFAULT_SCOPE: &str = "read:user user:email";

/// Config of the GitHub connector.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GithubConfig {
    /// Client ID of the OAuth App (GitHub → Settings → Developer settings → OAuth Apps → your app).
    pub client_id: String,
    /// A client secret generated on the OAuth App's page (GitHub shows it only once).
    pub client_secret: Secret,
    /// Space-separated scopes replacing the default `read:user user:email`, e.g. add `repo` or
    /// `read:org` to call those APIs with a stored token. Never `offline_access`: GitHub OAuth App
    /// tokens do not expire.
    #[serde(default)]
    pub scope: Option<String>,
    /// Return GitHub's tokens with the profile so the server can store them and call the GitHub API
    /// on the user's behalf later. Default `false`.
    #[serde(default)]
    pub enable_token_storage: Option<bool>,
}

impl GithubConfig {
    /// The scope to request: the configured one, else [`DEFAULT_SCOPE`].
    pub fn scope(&self) -> &str {
        self.scope.as_deref().map_or(DEFAULT_SCOPE, str::trim)
    }
}

impl ConnectorConfig for GithubConfig {
    fn validate(&self, problems: &mut ConfigProblems) {
        if self.client_id.trim().is_empty() {
            problems.push("clientId", "must not be empty");
        }
        if self.client_secret.expose().trim().is_empty() {
            problems.push("clientSecret", "must not be empty");
        }
        let Some(scope) = &self.scope else { return };
        if scope.trim().is_empty() {
            problems.push(
                "scope",
                format!("must not be blank: leave it out to request `{DEFAULT_SCOPE}`"),
            );
        } else if scope
            .split(|c: char| c.is_whitespace() || c == ',')
            .any(|s| s == "offline_access")
        {
            // Other unknown scopes are left to GitHub ("Invalid scope" at sign-in): it adds scopes
            // over time. This one is an OpenID habit that can never work here, so say why now.
            problems.push(
                "scope",
                "`offline_access` is not a GitHub scope: GitHub OAuth App tokens never expire and \
                 carry no refresh token, and GitHub fails the sign-in when asked for it; remove it",
            );
        }
    }
}
