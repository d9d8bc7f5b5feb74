//! Turns criterion's estimates (`target/criterion/**/new/estimates.json`) into the ratio tables of
//! `BENCHMARKS.md`. Run it after the benches:
//!
//! ```sh
//! cargo bench -p connector-benches
//! cargo run --release -p connector-benches --bin report
//! ```
//!
//! Figures are criterion's point estimates of the time per iteration (the mean: the callback-flow
//! and SMTP groups use flat sampling), turned into operations per second.
// A report program: its output is its purpose.
#![allow(clippy::print_stdout)]
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use connector_benches::SOCIAL_PROVIDERS;
use serde_json::Value;

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}

/// Seconds per iteration of `group/bench/param`, if criterion measured it.
fn seconds(dir: &Path, group: &str, bench: &str, param: &str) -> Option<f64> {
    let path = dir
        .join(group)
        .join(bench)
        .join(param)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: Value = serde_json::from_str(&text).ok()?;
    let nanos = estimates["mean"]["point_estimate"].as_f64()?;
    Some(nanos * 1e-9)
}

fn rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M/s", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.1} k/s", per_second / 1e3)
    } else {
        format!("{per_second:.0} /s")
    }
}

fn duration(seconds: f64) -> String {
    if seconds < 1e-6 {
        format!("{:.0} ns", seconds * 1e9)
    } else if seconds < 1e-3 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.2} ms", seconds * 1e3)
    }
}

fn main() {
    let dir = criterion_dir();
    let missing = "not measured";

    println!("### authorization_url (no I/O)\n");
    println!("| connector | ours | bare | ours / bare (throughput) |");
    println!("|---|---:|---:|---:|");
    for provider in SOCIAL_PROVIDERS {
        let ours = seconds(&dir, "authorization_url", provider, "ours");
        let bare = seconds(&dir, "authorization_url", provider, "bare");
        match (ours, bare) {
            (Some(ours), Some(bare)) => println!(
                "| {provider} | {} ({}) | {} ({}) | {:.2} |",
                rate(1.0 / ours),
                duration(ours),
                rate(1.0 / bare),
                duration(bare),
                bare / ours
            ),
            _ => println!("| {provider} | {missing} | | |"),
        }
    }

    println!("\n### callback → profile flow against the local mock (flows per second)\n");
    println!("| provider | concurrency | ours | bare reqwest | ours / bare | goal ≥ 0.90 |");
    println!("|---|---:|---:|---:|---:|---|");
    for provider in SOCIAL_PROVIDERS {
        for concurrency in [1, 64] {
            let id = format!("{provider}_c{concurrency}");
            let ours = seconds(&dir, "callback_flow", &id, "ours");
            let bare = seconds(&dir, "callback_flow", &id, "bare");
            match (ours, bare) {
                (Some(ours), Some(bare)) => {
                    let ratio = bare / ours;
                    println!(
                        "| {provider} | {concurrency} | {} | {} | {ratio:.3} | {} |",
                        rate(1.0 / ours),
                        rate(1.0 / bare),
                        if ratio >= 0.90 { "met" } else { "**missed**" }
                    );
                }
                _ => println!("| {provider} | {concurrency} | {missing} | | | |"),
            }
        }
    }

    println!("\n### create one connector from its JSON text (criterion)\n");
    println!("| provider | time / instance | vs 50 µs goal |");
    println!("|---|---:|---:|");
    for provider in SOCIAL_PROVIDERS.into_iter().chain(["smtp"]) {
        match seconds(&dir, "create", provider, "from_json") {
            Some(s) => println!("| {provider} | {} | {:.3}× |", duration(s), s / 50e-6),
            None => println!("| {provider} | {missing} | |"),
        }
    }

    println!("\n### SMTP: 1,000 code e-mails, one after the other (messages per second)\n");
    println!("| server | mode | messages/s | time per message | this / pooled (time) |");
    println!("|---|---|---:|---:|---:|");
    for security in ["plain", "starttls_auth"] {
        let bench = format!("send_1000_{security}");
        let pooled = seconds(&dir, "smtp", &bench, "pooled");
        for mode in ["pooled", "new_connection", "fresh_connector"] {
            match (seconds(&dir, "smtp", &bench, mode), pooled) {
                (Some(batch), Some(pooled)) => println!(
                    "| {security} | {mode} | {} | {} | {:.2}× |",
                    rate(1000.0 / batch),
                    duration(batch / 1000.0),
                    batch / pooled
                ),
                _ => println!("| {security} | {mode} | {missing} | | |"),
            }
        }
    }
}
