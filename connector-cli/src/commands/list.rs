//! `connectors list [--json]`: every registered connector.

use std::process::ExitCode;

use connector_core::{ConnectorMetadata, Result};
use serde_json::json;

use super::Env;
use crate::registry::short_name;

/// Prints one row per connector (or a JSON array with `--json`).
pub fn run(env: &Env) -> Result<ExitCode> {
    let connectors: Vec<&ConnectorMetadata> = env.registry.iter().collect();
    if env.out.json() {
        let rows: Vec<_> = connectors
            .iter()
            .map(|meta| {
                json!({
                    "id": meta.id,
                    "shortName": short_name(&meta.id),
                    "target": meta.target,
                    "type": meta.connector_type,
                    "platform": meta.platform,
                    "displayName": meta.display_name("en"),
                    "name": meta.name,
                    "description": meta.description.get("en"),
                    "defaultScope": meta.default_scope,
                    "pkce": meta.pkce,
                })
            })
            .collect();
        env.out.print_json(&serde_json::Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    let header = [
        "ID",
        "SHORT NAME",
        "TARGET",
        "TYPE",
        "PLATFORM",
        "NAME",
        "DEFAULT SCOPE",
    ];
    let rows: Vec<[String; 7]> = connectors
        .iter()
        .map(|meta| {
            [
                meta.id.clone(),
                short_name(&meta.id).unwrap_or("-").to_owned(),
                meta.target.clone(),
                format!("{:?}", meta.connector_type),
                format!("{:?}", meta.platform),
                meta.display_name("en").to_owned(),
                meta.default_scope.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let format_row = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    env.out.line(&format_row(&header.map(str::to_owned)));
    for row in &rows {
        env.out.line(&format_row(row));
    }
    Ok(ExitCode::SUCCESS)
}
