//! The commands. Each module is one command; [`run`] dispatches and turns failures into exit codes.

pub mod authorize;
pub mod callback;
pub mod check;
pub mod demo;
pub mod list;
pub mod schema;
pub mod send;
pub mod serve;
pub mod sign_in;

use std::path::Path;
use std::process::ExitCode;

use connector_core::{AnyConnector, ConnectorError, ConnectorRegistry, Result};

use crate::cli::{Cli, Command};
use crate::output::Output;
use crate::settings::{load_config, Settings};

/// Exit code of a connector or validation failure.
pub const FAILURE: u8 = 1;

/// What every command gets: the global settings, the registry and the output.
#[derive(Debug)]
pub struct Env {
    /// Settings from the global flags.
    pub settings: Settings,
    /// Our four connectors.
    pub registry: ConnectorRegistry,
    /// stdout / stderr.
    pub out: Output,
}

impl Env {
    /// Resolves a connector name, loads its config file (its secrets are scrubbed from all output
    /// from then on) and creates the connector on the shared context.
    pub fn create(&mut self, name: &str, config: &Path) -> Result<(String, AnyConnector)> {
        let id = crate::registry::resolve(&self.registry, name)?.to_owned();
        let mut loaded = load_config(config)?;
        self.out.redact(&loaded.secrets);
        crate::sandbox::apply_settings(&id, &mut loaded.value, &self.settings);
        let connector = self
            .registry
            .create(&id, loaded.value, &self.settings.context())?;
        Ok((id, connector))
    }
}

/// Runs a parsed command line and returns the process exit code: 0 success, 1 failure (clap has
/// already exited with 2 on usage errors).
pub async fn run(cli: Cli) -> ExitCode {
    let out = Output::new(cli.global.json, cli.global.verbose > 0);
    // These commands print JSON by contract, so their errors are JSON too.
    let json_errors = matches!(cli.command, Command::Authorize(_) | Command::Callback(_));
    let settings = match Settings::from_args(&cli.global) {
        Ok(settings) => settings,
        Err(error) => return fail(&out, &error, json_errors),
    };
    let registry = match crate::registry::registry_trusting(settings.ca_pem()) {
        Ok(registry) => registry,
        Err(error) => return fail(&out, &error, json_errors),
    };
    let mut env = Env {
        settings,
        registry,
        out,
    };
    let result = match cli.command {
        Command::List => list::run(&env),
        Command::Schema(args) => schema::run(&env, &args),
        Command::Check(args) => check::run(&mut env, &args),
        Command::Authorize(args) => authorize::run(&mut env, &args).await,
        Command::Callback(args) => callback::run(&mut env, &args).await,
        Command::Send(args) => send::run(&mut env, args).await,
        Command::SignIn(args) => sign_in::run(&mut env, &args).await,
        Command::Demo => demo::run(&env).await,
        Command::Serve(args) => serve::run(&env, &args).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => fail(&env.out, &error, json_errors),
    }
}

fn fail(out: &Output, error: &ConnectorError, json: bool) -> ExitCode {
    out.error(error, json);
    ExitCode::from(FAILURE)
}
