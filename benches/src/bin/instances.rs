//! 10,000 connectors of each provider from JSON configs: time per instance and resident memory per
//! instance, with one shared HTTP pool (one `ConnectorContext`), as a multi-tenant server's start-up.
//!
//! ```sh
//! cargo run --release -p connector-benches --bin instances            # every provider, 10,000 each
//! cargo run --release -p connector-benches --bin instances -- github 50000
//! ```
//!
//! Each provider is measured in a fresh child process (this binary again), so memory freed by one
//! measurement cannot hide the next one's. In the child: the configs are built as JSON text first;
//! one connector is created and dropped (process-wide, once-only work: metadata, schema, template
//! registries); then `VmRSS` is read, the N connectors are created from their texts and kept, and
//! `VmRSS` is read again. Per instance: elapsed / N and ΔRSS / N.
//!
//! Goals (issue 9): under 50 µs and under 20 KiB per instance.
// A measurement program: its output is its purpose.
#![allow(clippy::print_stdout)]
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use connector_benches::{fixtures, flows, memory, SOCIAL_PROVIDERS};
use connector_core::ConnectorContext;

const DEFAULT_COUNT: u64 = 10_000;
const GOAL_MICROS: f64 = 50.0;
const GOAL_KIB: f64 = 20.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, provider, count] if flag == "--child" => {
            let count = count.parse().expect("a count");
            let (micros, bytes) = measure(provider, count);
            // One line for the parent to read.
            println!("{micros} {bytes}");
        }
        [provider] => table(&[provider.as_str()], DEFAULT_COUNT),
        [provider, count] => table(&[provider.as_str()], count.parse().expect("a count")),
        [] => {
            let providers: Vec<&str> = SOCIAL_PROVIDERS
                .into_iter()
                .chain(["smtp", "smtp-shared-templates"])
                .collect();
            table(&providers, DEFAULT_COUNT)
        }
        _ => {
            eprintln!(
                "usage: instances [github|huggingface|wechat-web|smtp|smtp-shared-templates] [count]"
            );
            std::process::exit(2);
        }
    }
}

/// Runs one child per provider and prints the Markdown table.
fn table(providers: &[&str], count: u64) {
    let exe = std::env::current_exe().expect("this program's path");
    println!("{count} instances per provider, one shared ConnectorContext\n");
    println!("| provider | time / instance | vs 50 µs goal | RSS / instance | vs 20 KiB goal |");
    println!("|---|---:|---:|---:|---:|");
    for provider in providers {
        let output = Command::new(&exe)
            .args(["--child", provider, &count.to_string()])
            .output()
            .expect("run the measurement child");
        if !output.status.success() {
            eprintln!(
                "{provider}: the measurement failed\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::process::exit(1);
        }
        let line = String::from_utf8_lossy(&output.stdout);
        let mut fields = line
            .split_whitespace()
            .map(|f| f.parse::<f64>().unwrap_or(f64::NAN));
        let micros = fields.next().unwrap_or(f64::NAN);
        let bytes = fields.next().unwrap_or(f64::NAN);
        let kib = bytes / 1024.0;
        println!(
            "| {provider} | {micros:.2} µs | {:.2}× | {kib:.2} KiB | {:.2}× |",
            micros / GOAL_MICROS,
            kib / GOAL_KIB
        );
    }
}

/// Creates `count` connectors of `provider` and returns (µs per instance, RSS bytes per instance).
fn measure(provider: &str, count: u64) -> (f64, f64) {
    let registry = flows::registry();
    let ctx = ConnectorContext::default();
    let id = flows::factory_id(provider);
    let config = |i: u64| match provider {
        // Creating a connector opens no connection: these hosts are never contacted.
        "smtp" => fixtures::smtp_tenant_config(i),
        "smtp-shared-templates" => fixtures::smtp_tenant_config_shared_templates(i),
        social => fixtures::social_config(social, i),
    };
    let texts: Vec<String> = (0..count).map(|i| config(i).to_string()).collect();
    // Process-wide, once-only work is not per instance.
    let warm = serde_json::from_str(&config(count).to_string()).expect("JSON");
    black_box(registry.create(id, warm, &ctx).expect("create"));
    let mut connectors = Vec::with_capacity(texts.len());

    let before = memory::rss_bytes().expect("VmRSS (Linux /proc)");
    let started = Instant::now();
    for text in &texts {
        let config = serde_json::from_str(text).expect("JSON");
        connectors.push(registry.create(id, config, &ctx).expect("create"));
    }
    let elapsed = started.elapsed();
    let after = memory::rss_bytes().expect("VmRSS (Linux /proc)");
    black_box(&connectors);

    let n = count as f64;
    let micros = elapsed.as_secs_f64() * 1e6 / n;
    let bytes = after.saturating_sub(before) as f64 / n;
    (micros, bytes)
}
