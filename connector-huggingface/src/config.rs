//! The operator's config, with Logto's field names so a migrated config works as is.

use connector_core::{ConfigProblems, ConnectorConfig, Secret};
use schemars::JsonSchema;
use serde::Deserialize;

/// The scope requested when the config sets none: the profile, without the e-mail (Logto's default).
pub const DEFAULT_SCOPE: &str = "profile";

/// Config of the Hugging Face connector.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HuggingFaceConfig {
    /// Client ID of the OAuth app (Hugging Face → Settings → Connected Apps → your app).
    pub client_id: String,
    /// Client secret of the OAuth app.
    pub client_secret: Secret,
    /// Space-separated scopes; default `profile`. Add `email` for the e-mail address, `openid` for
    /// an ID token, and repo or inference scopes (`read-repos`, `inference-api`...) as needed.
    #[serde(default)]
    pub scope: Option<String>,
}

impl HuggingFaceConfig {
    /// The scope to request: the configured one, else [`DEFAULT_SCOPE`].
    pub fn scope(&self) -> &str {
        self.scope.as_deref().map_or(DEFAULT_SCOPE, str::trim)
    }
}

impl ConnectorConfig for HuggingFaceConfig {
    fn validate(&self, problems: &mut ConfigProblems) {
        if self.client_id.trim().is_empty() {
            problems.push("clientId", "must not be empty");
        }
        if self.client_secret.expose().trim().is_empty() {
            problems.push("clientSecret", "must not be empty");
        }
        if self.scope.as_deref().is_some_and(|s| s.trim().is_empty()) {
            problems.push(
                "scope",
                "must not be blank: leave it out to request `profile`",
            );
        }
    }
}
