//! `connectors`: try, check and demo identity connectors. See `connectors --help`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use connector_cli::cli::Cli;

fn main() -> ExitCode {
    // Usage errors exit with 2 here (clap), `--help` and `--version` with 0.
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    connector_cli::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(connector_cli::commands::FAILURE);
        }
    };
    runtime.block_on(connector_cli::commands::run(cli))
}

/// `-v`: debug logs of our crates on stderr; `-vv`: trace. Other crates (HTTP, SMTP libraries)
/// stay at `warn`: their debug output can include protocol lines, and secrets must never be logged.
fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let ours = match verbose {
        0 => return,
        1 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("connector_core", ours)
        .with_target("connector_github", ours)
        .with_target("connector_huggingface", ours)
        .with_target("connector_wechat_web", ours)
        .with_target("connector_smtp", ours)
        .with_target("connector_cli", ours)
        .with_target("connectors", ours);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(true),
        )
        .with(filter)
        .try_init();
}
