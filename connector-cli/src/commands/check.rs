//! `connectors check <connector> <config.json>`: `ok`, or every problem with its JSON path.

use std::process::ExitCode;

use connector_core::{ConfigProblem, Result};
use serde_json::json;

use super::{Env, FAILURE};
use crate::cli::CheckArgs;
use crate::settings::load_config;

/// Creates the connector from the config without calling the provider. Prints `ok` (exit 0) or
/// one `<json path>: <message>` line per problem (exit 1). Messages never carry a secret value:
/// the connectors word them so, and the config's secret values are scrubbed from output anyway.
pub fn run(env: &mut Env, args: &CheckArgs) -> Result<ExitCode> {
    let id = crate::registry::resolve(&env.registry, &args.connector)?.to_owned();
    let loaded = load_config(&args.config)?;
    env.out.redact(&loaded.secrets);
    let problems = match env
        .registry
        .create(&id, loaded.value, &env.settings.context())
    {
        Ok(_) => {
            if env.out.json() {
                env.out
                    .print_json(&json!({ "ok": true, "connector": id, "problems": [] }));
            } else {
                env.out.line("ok");
            }
            return Ok(ExitCode::SUCCESS);
        }
        Err(error) if error.problems().is_empty() => {
            vec![ConfigProblem::new("(root)", error.message())]
        }
        Err(error) => error.problems().to_vec(),
    };
    if env.out.json() {
        env.out
            .print_json(&json!({ "ok": false, "connector": id, "problems": problems }));
    } else {
        for problem in &problems {
            env.out.line(&problem.to_string());
        }
    }
    Ok(ExitCode::from(FAILURE))
}
