//! `connectors schema <connector>`: the config's JSON Schema.

use std::process::ExitCode;

use connector_core::{ConnectorError, Result};

use super::Env;
use crate::cli::SchemaArgs;

/// Prints the connector's config JSON Schema on stdout.
pub fn run(env: &Env, args: &SchemaArgs) -> Result<ExitCode> {
    let id = crate::registry::resolve(&env.registry, &args.connector)?;
    let factory = env
        .registry
        .get(id)
        .ok_or_else(|| ConnectorError::general(format!("connector `{id}` vanished")))?;
    env.out.print_json(&factory.config_schema());
    Ok(ExitCode::SUCCESS)
}
