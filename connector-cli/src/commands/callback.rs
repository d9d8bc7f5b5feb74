//! `connectors callback <connector> --config F --flow-state JSON --query 'code=..&state=..'`.

use std::process::ExitCode;

use connector_core::{CallbackParams, ConnectorError, ErrorCode, FlowState, Result};
use url::Url;

use super::Env;
use crate::cli::CallbackArgs;
use crate::redact::profile_json;

/// Finishes the flow and prints the normalized profile (tokens redacted unless `--show-tokens`).
pub async fn run(env: &mut Env, args: &CallbackArgs) -> Result<ExitCode> {
    let (_, connector) = env.create(&args.connector, &args.config)?;
    let connector = connector.into_social()?;
    let flow = parse_flow_state(&args.flow_state)?;
    let callback = parse_query(&args.query)?;
    let provider = connector.metadata().display_name("en").to_owned();
    env.out.progress(&format!(
        "Exchanging the code with {provider} and fetching the profile..."
    ));
    let user = connector.user_info(callback, &flow).await?;
    env.out.print_json(&profile_json(&user, args.show_tokens));
    Ok(ExitCode::SUCCESS)
}

/// The flow state: its JSON, `@file`, or the whole output of `authorize`.
pub fn parse_flow_state(text: &str) -> Result<FlowState> {
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            ConnectorError::new(
                ErrorCode::InvalidRequestParameters,
                format!("cannot read the flow state file `{path}`: {e}"),
            )
        })?,
        None => text.to_owned(),
    };
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        ConnectorError::new(
            ErrorCode::InvalidRequestParameters,
            format!(
                "--flow-state is not JSON (line {} column {}): pass the `flowState` printed by `authorize`",
                e.line(),
                e.column()
            ),
        )
    })?;
    if let Some(inner) = value.get_mut("flowState") {
        value = inner.take();
    }
    serde_json::from_value(value).map_err(|e| {
        ConnectorError::new(
            ErrorCode::InvalidRequestParameters,
            format!("--flow-state is not a flow state printed by `authorize`: {e}"),
        )
    })
}

/// The callback parameters: a query string, with or without `?`, or a whole callback URL.
pub fn parse_query(text: &str) -> Result<CallbackParams> {
    let text = text.trim();
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => CallbackParams::from_url(&url),
        _ => CallbackParams::from_query(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_state_from_authorize_output_or_alone() {
        let flow = FlowState::new("http://127.0.0.1:1/cb", None);
        let alone = serde_json::to_string(&flow).expect("json");
        let whole = serde_json::json!({"url": "http://x/", "flowState": flow}).to_string();
        assert_eq!(parse_flow_state(&alone).expect("alone"), flow);
        assert_eq!(parse_flow_state(&whole).expect("whole"), flow);
        let err = parse_flow_state("{nope").expect_err("bad");
        assert_eq!(err.code(), ErrorCode::InvalidRequestParameters);
    }

    #[test]
    fn query_or_url() {
        let a = parse_query("code=abc&state=xyz").expect("query");
        let b = parse_query("?code=abc&state=xyz").expect("query");
        let c =
            parse_query("http://127.0.0.1:3000/callback/github?code=abc&state=xyz").expect("url");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.code(), Some("abc"));
    }
}
