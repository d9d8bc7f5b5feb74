//! `connectors serve [--config-dir DIR] [--port 3000]`: the sample sign-in page until Ctrl-C.

use std::process::ExitCode;

use connector_core::Result;

use super::Env;
use crate::cli::ServeArgs;
use crate::serve::SampleServer;

/// Starts the sample page, prints its URL (`Listening on http://127.0.0.1:<port>/`) and what each
/// connector signs in with, and serves until Ctrl-C.
pub async fn run(env: &Env, args: &ServeArgs) -> Result<ExitCode> {
    if let Some(dir) = &args.config_dir {
        if !dir.is_dir() {
            return Err(connector_core::ConnectorError::invalid_config(format!(
                "--config-dir `{}` is not a directory",
                dir.display()
            )));
        }
    }
    let server = SampleServer::start(
        &env.settings,
        &env.registry,
        args.config_dir.as_deref(),
        args.port,
    )
    .await?;
    env.out.line(&format!("Listening on {}", server.url()));
    for line in server.summary() {
        env.out.line(&line);
    }
    env.out.line("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    env.out.notice("Stopping.");
    drop(server);
    Ok(ExitCode::SUCCESS)
}
