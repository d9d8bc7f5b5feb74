//! `connectors authorize <connector> --config F --redirect-uri URI [--scope S]`.

use std::process::ExitCode;

use connector_core::{AuthorizationRequest, Result};
use serde_json::json;

use super::Env;
use crate::cli::AuthorizeArgs;

/// Prints `{"url": ..., "flowState": ...}`: send the browser to `url`, keep `flowState` for
/// `callback`.
pub async fn run(env: &mut Env, args: &AuthorizeArgs) -> Result<ExitCode> {
    let (_, connector) = env.create(&args.connector, &args.config)?;
    let connector = connector.into_social()?;
    let mut request = AuthorizationRequest::new(&args.redirect_uri);
    if let Some(scope) = &args.scope {
        request = request.with_scope(scope);
    }
    let start = connector.authorization_url(request).await?;
    env.out
        .print_json(&json!({ "url": start.url, "flowState": start.flow }));
    Ok(ExitCode::SUCCESS)
}
