//! `connectors`, the command-line tool of identity-connectors, as a library: the commands, the
//! provider simulators, the scripted consent browser and the sample sign-in page, so integration
//! tests and other tools can reuse them.
//!
//! The binary (`src/main.rs`) only parses the command line ([`cli::Cli`]), sets up logging and
//! calls [`commands::run`].
//!
//! | module | what |
//! |---|---|
//! | [`cli`] | the commands and flags (a contract: names, flags and exit codes are stable) |
//! | [`commands`] | one module per command |
//! | [`registry`] | our four connectors and their short names |
//! | [`settings`] | global flags → shared HTTP client, endpoint override, config loading |
//! | [`simulators`] | GitHub, Hugging Face and WeChat imitations on 127.0.0.1 |
//! | [`browser`] | the scripted browser that approves a simulator's consent page |
//! | [`loopback`] | the callback server of `sign-in` and `demo` |
//! | [`sandbox`] | simulators + embedded SMTP server, as `demo` and `serve` use them |
//! | [`serve`] | the sample sign-in page |
//! | [`output`], [`redact`], [`html`] | printing without secrets; HTML escaping |
#![forbid(unsafe_code)]

pub mod browser;
pub mod cli;
pub mod commands;
pub mod html;
pub mod loopback;
pub mod output;
pub mod redact;
pub mod registry;
pub mod sandbox;
pub mod serve;
pub mod settings;
pub mod simulators;

/// Installs *ring* as the process-wide rustls crypto provider, once.
///
/// Several rustls providers are compiled into this binary (the embedded SMTP server's
/// dependencies bring one); rustls then refuses to pick one itself for code that does not pass
/// its provider explicitly. Safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
