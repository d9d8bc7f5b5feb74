//! The command line: commands, flags and their help texts (clap derive).
//!
//! The names, flags and exit codes are a contract (see the crate README): exit 0 on success, 1 when
//! a connector or a validation fails, 2 for usage errors (clap's).
//!
//! ```
//! use clap::Parser;
//! use connector_cli::cli::{Cli, Command};
//!
//! let cli = Cli::try_parse_from(["connectors", "check", "github", "github.json", "--json"]).unwrap();
//! assert!(cli.global.json);
//! assert!(matches!(cli.command, Command::Check(_)));
//! ```

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};
use connector_core::UsageType;
use url::Url;

const EXAMPLES: &str = "\
Examples:
  connectors demo                                   # a whole sign-in with each provider, offline
  connectors list
  connectors schema github
  connectors check github github.json
  connectors authorize github --config github.json --redirect-uri http://127.0.0.1:3000/callback/github
  connectors callback github --config github.json --flow-state \"$FLOW\" --query 'code=...&state=...'
  connectors send smtp --config smtp.json --to you@example.com
  connectors sign-in github --config github.json --port 3000
  connectors serve --config-dir ./configs --port 3000

Connectors are named by factory id (github-universal) or short name (github, huggingface,
wechat-web, smtp). Exit codes: 0 success, 1 connector or validation failure, 2 usage error.";

/// `connectors`: try, check and demo identity connectors.
#[derive(Debug, Parser)]
#[command(
    name = "connectors",
    version,
    about = "Try, check and demo identity connectors (GitHub, Hugging Face, WeChat, SMTP).",
    long_about = "Try, check and demo identity connectors (GitHub, Hugging Face, WeChat, SMTP): list them, \
                  print and check configs, run a sign-in step by step or end to end, send a one-time \
                  code, or serve a sample sign-in page. `connectors demo` shows everything offline.",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// Flags every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts, before or after the command name.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Rebase the provider's endpoints onto this URL (tests, simulators, GitHub-compatible
    /// self-hosted servers).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<Url>,

    /// Trust the root certificate(s) in this PEM file for provider HTTPS and SMTP TLS (private CAs,
    /// test servers). Certificate checks are never switched off.
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Timeout of each provider request (and SMTP connection step), in seconds [default: 30].
    #[arg(long, global = true, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,

    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,

    /// Tracing logs on stderr (-v debug, -vv trace). Secrets are never logged.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every registered connector: id, target, type, platform, name, default scope.
    #[command(after_help = "Examples:\n  connectors list\n  connectors list --json")]
    List,

    /// Print a connector's config JSON Schema.
    #[command(
        after_help = "Examples:\n  connectors schema github\n  connectors schema smtp > smtp.schema.json"
    )]
    Schema(SchemaArgs),

    /// Check a config file: `ok`, or one `<json path>: <message>` line per problem (exit 1).
    #[command(
        after_help = "Examples:\n  connectors check github github.json\n  connectors check smtp smtp.json --json"
    )]
    Check(CheckArgs),

    /// Start a sign-in: print the authorization URL and the flow state to keep, as JSON.
    #[command(
        after_help = "Examples:\n  connectors authorize github --config github.json \\\n      --redirect-uri http://127.0.0.1:3000/callback/github\n  connectors authorize huggingface --config hf.json --redirect-uri https://id.example.com/cb --scope 'openid profile email'"
    )]
    Authorize(AuthorizeArgs),

    /// Finish a sign-in: exchange the callback's code and print the normalized profile as JSON.
    #[command(
        after_help = "Examples:\n  FLOW=$(connectors authorize github --config github.json --redirect-uri http://127.0.0.1:3000/cb | jq -c .flowState)\n  connectors callback github --config github.json --flow-state \"$FLOW\" --query 'code=abc&state=xyz'\n\nOn failure: exit 1 and {\"error\": {\"code\": ..., \"message\": ...}} on stderr."
    )]
    Callback(CallbackArgs),

    /// Send one e-mail (a sign-in code by default) and print what was sent.
    #[command(
        after_help = "Examples:\n  connectors send smtp --config smtp.json --to you@example.com\n  connectors send smtp --config smtp.json --to you@example.com --usage Register --code 123456 \\\n      --locale fr --payload '{\"link\": \"https://id.example.com/verify\", \"application\": {\"name\": \"Acme\"}}'"
    )]
    Send(SendArgs),

    /// Sign in through the real provider: serve the callback on 127.0.0.1, open the URL, print
    /// the profile.
    #[command(
        name = "sign-in",
        after_help = "Examples:\n  connectors sign-in github --config github.json\n  connectors sign-in huggingface --config hf.json --port 8080\n\nRegister http://127.0.0.1:<port>/callback/<connector> as the callback URL at the provider."
    )]
    SignIn(SignInArgs),

    /// Offline demo: provider simulators and an SMTP server on 127.0.0.1, a whole sign-in with
    /// each provider and a code by e-mail.
    #[command(after_help = "Examples:\n  connectors demo\n  connectors demo --json")]
    Demo,

    /// Serve the sample sign-in page: "Continue with GitHub / Hugging Face / WeChat" and e-mail
    /// codes, on simulators unless a config is given.
    #[command(
        after_help = "Examples:\n  connectors serve\n  connectors serve --config-dir ./configs --port 3000\n\nA config file in --config-dir (github.json, huggingface.json, wechat-web.json, smtp.json) makes\nthat connector use the real provider; the others use the embedded simulators."
    )]
    Serve(ServeArgs),
}

/// `schema <connector>`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Connector id or short name (github, huggingface, wechat-web, smtp).
    pub connector: String,
}

/// `check <connector> <config.json>`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Connector id or short name.
    pub connector: String,
    /// The config file (JSON).
    pub config: PathBuf,
}

/// `authorize <connector> --config F --redirect-uri URI [--scope S]`.
#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    /// Connector id or short name.
    pub connector: String,
    /// The config file (JSON).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Where the provider sends the user back (must be registered at the provider).
    #[arg(long, value_name = "URI")]
    pub redirect_uri: String,
    /// Scope for this sign-in, replacing the configured one.
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
}

/// `callback <connector> --config F --flow-state JSON --query 'code=..&state=..'`.
#[derive(Debug, Args)]
pub struct CallbackArgs {
    /// Connector id or short name.
    pub connector: String,
    /// The config file (JSON).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The flow state printed by `authorize` (its `flowState`, or its whole output), as JSON;
    /// `@FILE` reads it from a file.
    #[arg(long, value_name = "JSON")]
    pub flow_state: String,
    /// The callback's query string (`code=..&state=..`), or the whole callback URL.
    #[arg(long, value_name = "QUERY")]
    pub query: String,
    /// Print the provider's tokens instead of `[redacted]`.
    #[arg(long)]
    pub show_tokens: bool,
}

/// `send <connector> --config F --to ADDR ...`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Connector id or short name.
    pub connector: String,
    /// The config file (JSON).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The recipient: exactly one address.
    #[arg(long, value_name = "ADDR")]
    pub to: String,
    /// Why the code is sent: SignIn, Register, ForgotPassword, OrganizationInvitation, Generic,
    /// UserPermissionValidation, BindNewIdentifier, MfaVerification, BindMfa.
    #[arg(long, value_name = "USAGE", default_value = "SignIn", value_parser = parse_usage)]
    pub usage: UsageType,
    /// The code to send; a random 6-digit code when not given.
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    /// The recipient's locale (BCP 47 tag), to choose a localized template.
    #[arg(long, value_name = "TAG")]
    pub locale: Option<String>,
    /// More template values, as a JSON object: `{"link": ..., "application": {"name": ...}}`.
    #[arg(long, value_name = "JSON", value_parser = parse_payload)]
    pub payload: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `sign-in <connector> --config F [--port 3000]`.
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// Connector id or short name.
    pub connector: String,
    /// The config file (JSON).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Port of the callback server on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Scope for this sign-in, replacing the configured one.
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Do not try to open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the provider to send the browser back, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub wait: u64,
    /// Print the provider's tokens instead of `[redacted]`.
    #[arg(long)]
    pub show_tokens: bool,
}

/// `serve [--config-dir DIR] [--port 3000]`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory with connector configs (github.json, huggingface.json, wechat-web.json,
    /// smtp.json); connectors without one use the embedded simulators.
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
}

fn parse_usage(text: &str) -> Result<UsageType, String> {
    text.parse::<UsageType>()
        .map_err(|e| e.message().to_owned())
}

fn parse_payload(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => {
            Err("the payload must be a JSON object, e.g. '{\"link\": \"https://...\"}'".to_owned())
        }
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}
