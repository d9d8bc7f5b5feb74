//! What a connector says about itself: ids, names, logo, operator guide, config schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ConnectorError, ErrorCode, Result};

/// Whether a connector signs users in through a provider or delivers codes by e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub enum ConnectorType {
    /// Sign-in through a social identity provider.
    Social,
    /// One-time codes delivered by e-mail.
    Email,
}

/// Where a connector's sign-in page works (Logto's `ConnectorPlatform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub enum ConnectorPlatform {
    /// Browser pages only.
    Web,
    /// Native apps only.
    Native,
    /// Any client.
    Universal,
}

/// A connector's metadata (Logto's `ConnectorMetadata`, with the config schema inside).
///
/// ```
/// use connector_core::{ConnectorMetadata, ConnectorPlatform, ConnectorType};
///
/// let meta = ConnectorMetadata::new("gitlab", "gitlab", ConnectorType::Social, ConnectorPlatform::Universal)
///     .with_name("en", "GitLab")
///     .with_description("en", "Sign in with GitLab.")
///     .with_logo_svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
///     .with_readme("# GitLab connector")
///     .with_default_scope("read_user")
///     .with_pkce(true);
/// meta.validate().unwrap();
/// assert_eq!(meta.display_name("fr"), "GitLab");
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConnectorMetadata {
    /// The factory id a server creates connectors with, e.g. `github-universal`.
    pub id: String,
    /// The provider, e.g. `github`; several factories may share one target.
    pub target: String,
    /// Social or e-mail.
    #[serde(rename = "type")]
    pub connector_type: ConnectorType,
    /// Where the sign-in page works.
    pub platform: ConnectorPlatform,
    /// Display name per locale (BCP 47 tag); `en` is required.
    pub name: BTreeMap<String, String>,
    /// Short description per locale; `en` is required.
    pub description: BTreeMap<String, String>,
    /// The provider logo as an SVG document.
    pub logo_svg: String,
    /// The operator guide in Markdown (the crate's README.md).
    pub readme: String,
    /// The scope requested when the config sets none (social connectors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_scope: Option<String>,
    /// Whether the authorization URL carries a PKCE S256 challenge.
    pub pkce: bool,
    /// The config's JSON Schema (filled in by the factory).
    pub config_schema: serde_json::Value,
}

impl ConnectorMetadata {
    /// Metadata with ids, type and platform; add the rest with the `with_*` methods.
    pub fn new(
        id: impl Into<String>,
        target: impl Into<String>,
        connector_type: ConnectorType,
        platform: ConnectorPlatform,
    ) -> Self {
        Self {
            id: id.into(),
            target: target.into(),
            connector_type,
            platform,
            name: BTreeMap::new(),
            description: BTreeMap::new(),
            logo_svg: String::new(),
            readme: String::new(),
            default_scope: None,
            pkce: false,
            config_schema: serde_json::Value::Null,
        }
    }

    /// Adds a display name for a locale.
    pub fn with_name(mut self, locale: &str, name: impl Into<String>) -> Self {
        self.name.insert(locale.to_owned(), name.into());
        self
    }

    /// Adds a description for a locale.
    pub fn with_description(mut self, locale: &str, description: impl Into<String>) -> Self {
        self.description
            .insert(locale.to_owned(), description.into());
        self
    }

    /// Sets the logo (an SVG document).
    pub fn with_logo_svg(mut self, svg: impl Into<String>) -> Self {
        self.logo_svg = svg.into();
        self
    }

    /// Sets the operator guide (Markdown).
    pub fn with_readme(mut self, readme: impl Into<String>) -> Self {
        self.readme = readme.into();
        self
    }

    /// Sets the default scope.
    pub fn with_default_scope(mut self, scope: impl Into<String>) -> Self {
        self.default_scope = Some(scope.into());
        self
    }

    /// Declares whether the authorization URL carries a PKCE challenge.
    pub fn with_pkce(mut self, pkce: bool) -> Self {
        self.pkce = pkce;
        self
    }

    /// Sets the config schema.
    pub fn with_config_schema(mut self, schema: serde_json::Value) -> Self {
        self.config_schema = schema;
        self
    }

    /// The display name for `locale`, falling back to its language (`zh` for `zh-CN`), then `en`.
    pub fn display_name(&self, locale: &str) -> &str {
        let language = locale.split(['-', '_']).next().unwrap_or(locale);
        [locale, language, "en"]
            .iter()
            .find_map(|l| self.name.get(*l))
            .map(String::as_str)
            .unwrap_or(&self.id)
    }

    /// Checks the metadata is complete: ids non-empty, `en` name and description, an SVG logo, a
    /// readme. A failure is `invalid_metadata`: a bug in the connector crate, not in a config.
    pub fn validate(&self) -> Result<()> {
        let mut missing = Vec::new();
        if self.id.trim().is_empty() {
            missing.push("id is empty");
        }
        if self.target.trim().is_empty() {
            missing.push("target is empty");
        }
        if self.name.get("en").is_none_or(|n| n.trim().is_empty()) {
            missing.push("no `en` name");
        }
        if self
            .description
            .get("en")
            .is_none_or(|d| d.trim().is_empty())
        {
            missing.push("no `en` description");
        }
        if !is_svg(&self.logo_svg) {
            missing.push("logo is not an SVG document");
        }
        if self.readme.trim().is_empty() {
            missing.push("readme is empty");
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ConnectorError::new(
                ErrorCode::InvalidMetadata,
                format!("connector `{}` metadata: {}", self.id, missing.join(", ")),
            ))
        }
    }
}

/// An SVG document: optional XML prolog, then an `<svg` root that is closed at the end.
/// Short on purpose: connectors are logged, and the readme, logo and schema are kilobytes long.
impl std::fmt::Debug for ConnectorMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorMetadata")
            .field("id", &self.id)
            .field("target", &self.target)
            .field("type", &self.connector_type)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

fn is_svg(text: &str) -> bool {
    let text = text.trim();
    let root = match text.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map_or("", |(_, after)| after.trim_start()),
        None => text,
    };
    root.starts_with("<svg") && (text.ends_with("</svg>") || text.ends_with("/>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> ConnectorMetadata {
        ConnectorMetadata::new("x", "x", ConnectorType::Social, ConnectorPlatform::Web)
            .with_name("en", "X")
            .with_name("zh-CN", "艾克斯")
            .with_description("en", "Sign in with X.")
            .with_logo_svg(
                "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
            )
            .with_readme("# X")
    }

    #[test]
    fn complete_metadata_validates() {
        complete().validate().expect("valid");
    }

    #[test]
    fn incomplete_metadata_names_every_gap() {
        let meta = ConnectorMetadata::new("x", "", ConnectorType::Email, ConnectorPlatform::Web)
            .with_logo_svg("<png/>");
        let err = meta.validate().expect_err("incomplete");
        assert_eq!(err.code(), ErrorCode::InvalidMetadata);
        for gap in ["target", "`en` name", "`en` description", "SVG", "readme"] {
            assert!(err.message().contains(gap), "{gap}: {err}");
        }
    }

    #[test]
    fn display_name_falls_back_by_language_then_english() {
        let meta = complete();
        assert_eq!(meta.display_name("zh-CN"), "艾克斯");
        assert_eq!(meta.display_name("ja"), "X");
    }

    #[test]
    fn serializes_like_logto() {
        let json = serde_json::to_value(complete()).expect("json");
        assert_eq!(json["type"], "Social");
        assert_eq!(json["platform"], "Web");
        assert_eq!(json["name"]["en"], "X");
        assert!(json.get("logoSvg").is_some());
    }
}
