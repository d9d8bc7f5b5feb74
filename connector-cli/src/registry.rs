//! Our four connectors, and the names the command line accepts for them.
//!
//! A connector is named by its factory id (`github-universal`), its target (`github`) or one of the
//! short names `github`, `huggingface`, `wechat-web`, `smtp`.
//!
//! ```
//! use connector_cli::registry::{registry, resolve};
//! let registry = registry().unwrap();
//! assert_eq!(resolve(&registry, "smtp").unwrap(), "simple-mail-transfer-protocol");
//! assert_eq!(resolve(&registry, "github-universal").unwrap(), "github-universal");
//! let err = resolve(&registry, "gihub").unwrap_err();
//! assert!(err.message().contains("(did you mean `github`?)"), "{err}");
//! ```

use connector_core::{ConnectorError, ConnectorRegistry, ErrorCode, Result};

/// Short names accepted besides factory ids and targets: `(short name, factory id)`.
pub const SHORT_NAMES: &[(&str, &str)] = &[
    ("github", connector_github::FACTORY_ID),
    ("huggingface", connector_huggingface::FACTORY_ID),
    ("wechat-web", connector_wechat_web::FACTORY_ID),
    ("smtp", connector_smtp::FACTORY_ID),
];

/// A registry holding GitHub, Hugging Face, WeChat (website) and SMTP.
pub fn registry() -> Result<ConnectorRegistry> {
    registry_trusting(None)
}

/// [`registry`], with the SMTP connector also trusting the CA certificates in `ca_pem` (the
/// `--ca-cert` file) on top of the public CAs. The social connectors get theirs through the shared
/// HTTP client instead.
pub fn registry_trusting(ca_pem: Option<&str>) -> Result<ConnectorRegistry> {
    let mut smtp = connector_smtp::SmtpFactory::new();
    if let Some(pem) = ca_pem {
        smtp = smtp
            .with_trusted_ca(pem)
            .map_err(|e| ConnectorError::new(ErrorCode::InvalidCertificate, e.message()))?;
    }
    let mut registry = ConnectorRegistry::new();
    registry.register(connector_github::GithubFactory)?;
    registry.register(connector_huggingface::HuggingFaceFactory)?;
    registry.register(connector_wechat_web::WechatWebFactory)?;
    registry.register(smtp)?;
    Ok(registry)
}

/// The short name shown for a factory id (`github` for `github-universal`), if it has one.
pub fn short_name(id: &str) -> Option<&'static str> {
    SHORT_NAMES
        .iter()
        .find(|(_, factory)| *factory == id)
        .map(|(short, _)| *short)
}

/// The factory id for a name given on the command line: an id, a short name or a target.
///
/// An unknown name is an `invalid_request_parameters` error listing the known names, with the
/// closest one suggested.
pub fn resolve<'r>(registry: &'r ConnectorRegistry, name: &str) -> Result<&'r str> {
    let wanted = name.trim();
    let found = registry
        .iter()
        .find(|meta| meta.id == wanted)
        .or_else(|| {
            SHORT_NAMES
                .iter()
                .find(|(short, _)| short.eq_ignore_ascii_case(wanted))
                .and_then(|(_, id)| registry.iter().find(|meta| meta.id == *id))
        })
        .or_else(|| {
            let mut by_target = registry.iter().filter(|meta| meta.target == wanted);
            match (by_target.next(), by_target.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        });
    if let Some(meta) = found {
        return Ok(meta.id.as_str());
    }
    let mut known: Vec<String> = Vec::new();
    for meta in registry.iter() {
        match short_name(&meta.id) {
            Some(short) if short != meta.id => known.push(format!("{short} ({})", meta.id)),
            _ => known.push(meta.id.clone()),
        }
    }
    let candidates = registry
        .iter()
        .flat_map(|meta| [meta.id.as_str(), meta.target.as_str()])
        .chain(SHORT_NAMES.iter().map(|(short, _)| *short));
    let suggestion = candidates
        .map(|candidate| {
            (
                strsim::jaro_winkler(&wanted.to_ascii_lowercase(), candidate),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default();
    Err(ConnectorError::new(
        ErrorCode::InvalidRequestParameters,
        format!(
            "unknown connector `{wanted}`{suggestion}. Known connectors: {}",
            known.join(", ")
        ),
    ))
}
