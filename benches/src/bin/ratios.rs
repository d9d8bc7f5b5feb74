//! The ratio table of `BENCHMARKS.md`: each of our operations against its baseline, measured in
//! the same run in interleaved rounds ([`connector_benches::paired`]), so load from other processes
//! hits both sides alike.
//!
//! ```sh
//! cargo run --release -p connector-benches --bin ratios               # everything (about 2 min)
//! cargo run --release -p connector-benches --bin ratios -- flows github
//! ```
//!
//! Arguments pick sections (`auth`, `flows`, `smtp`) and social providers (`github`,
//! `huggingface`, `wechat-web`); none means all. `BENCH_ROUNDS=20` doubles the rounds of the
//! `authorization_url` and flow measurements (narrower spread, twice the time). For profiling one side alone (`perf record`,
//! `perf stat`): `ratios solo ours|bare <provider> <concurrency> <flows>`.
// A measurement program: its output is its purpose.
#![allow(clippy::print_stdout)]
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use connector_benches::bare::{self, BareFlow};
use connector_benches::mail::{self, Mode, Security};
use connector_benches::mock::MockProvider;
use connector_benches::paired::{self, Paired};
use connector_benches::{client_runtime, fixtures, flows, SOCIAL_PROVIDERS};
use connector_core::{AuthorizationRequest, ConnectorContext, HttpClient};

/// Rounds per side of each paired measurement; `BENCH_ROUNDS` in the environment overrides it.
const ROUNDS: usize = 10;
/// `authorization_url` calls per round.
const AUTH_OPS: u64 = 20_000;
/// Sign-ins per round, by concurrency.
const FLOW_OPS: [(usize, u64); 2] = [(1, 1_500), (64, 3_000)];
/// E-mails per round (issue 9: 1,000).
const MAIL_OPS: u64 = 1_000;
/// Rounds per side of the SMTP measurements (a round of new connections takes about a second).
const MAIL_ROUNDS: usize = 4;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [solo_flag, side, provider, concurrency, n] = args.as_slice() {
        if solo_flag == "solo" {
            solo(
                side,
                provider,
                concurrency.parse().expect("a concurrency"),
                n.parse().expect("a number of flows"),
            );
            return;
        }
    }
    let wants = |name: &str| {
        let sections = ["auth", "flows", "smtp"];
        let picked: Vec<&String> = args
            .iter()
            .filter(|a| sections.contains(&a.as_str()))
            .collect();
        picked.is_empty() || picked.iter().any(|a| *a == name)
    };
    let providers: Vec<&str> = {
        let picked: Vec<&str> = SOCIAL_PROVIDERS
            .into_iter()
            .filter(|p| args.iter().any(|a| a == p))
            .collect();
        if picked.is_empty() {
            SOCIAL_PROVIDERS.to_vec()
        } else {
            picked
        }
    };
    println!("load average at start: {}", load_average());
    let started = Instant::now();
    if wants("auth") {
        authorization_urls(&providers);
    }
    if wants("flows") {
        callback_flows(&providers);
    }
    if wants("smtp") {
        smtp();
    }
    println!(
        "\nload average at end: {} ({:.0} s)",
        load_average(),
        started.elapsed().as_secs_f64()
    );
}

fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .filter(|rounds| *rounds > 0)
        .unwrap_or(ROUNDS)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M/s", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.2} k/s", per_second / 1e3)
    } else {
        format!("{per_second:.0} /s")
    }
}

fn row(label: &str, p: &Paired, goal: Option<f64>) {
    let (low, high) = p.ratio_iqr();
    let verdict = match goal {
        Some(goal) if p.ratio() >= goal => " | met",
        Some(_) => " | **missed**",
        None => "",
    };
    println!(
        "| {label} | {} | {} | **{:.3}** ({low:.3}–{high:.3}){verdict} |",
        rate(p.ours_median()),
        rate(p.bare_median()),
        p.ratio()
    );
}

fn authorization_urls(providers: &[&str]) {
    println!(
        "\n### authorization_url, no I/O ({} interleaved rounds of {AUTH_OPS} calls)\n",
        rounds()
    );
    println!("| connector | ours | bare (oauth2 generators + url) | ours / bare, median (IQR) |");
    println!("|---|---:|---:|---:|");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let registry = flows::registry();
    let ctx = ConnectorContext::default();
    for provider in providers {
        let connector = flows::social_connector(&registry, provider, &ctx);
        let meta = connector.metadata();
        let authorize = url::Url::parse(match *provider {
            "github" => connector_github::api::AUTHORIZE_URL,
            "huggingface" => connector_huggingface::api::AUTHORIZE_URL,
            _ => connector_wechat_web::api::QR_CONNECT_URL,
        })
        .expect("authorize URL");
        let config = fixtures::social_config(provider, 0);
        let client_id = config["clientId"]
            .as_str()
            .or(config["appId"].as_str())
            .unwrap_or_default()
            .to_owned();
        let scope = meta.default_scope.clone().unwrap_or_default();
        let pkce = meta.pkce;
        let result = runtime.block_on(paired::measure(
            rounds(),
            AUTH_OPS,
            || {
                let connector = Arc::clone(&connector);
                async move {
                    let started = Instant::now();
                    for _ in 0..AUTH_OPS {
                        black_box(
                            connector
                                .authorization_url(AuthorizationRequest::new(
                                    fixtures::REDIRECT_URI,
                                ))
                                .await
                                .expect("authorization URL"),
                        );
                    }
                    started.elapsed()
                }
            },
            || {
                let (authorize, client_id, scope) = (&authorize, &client_id, &scope);
                async move {
                    let started = Instant::now();
                    for _ in 0..AUTH_OPS {
                        black_box(bare::authorization_url(authorize, client_id, scope, pkce));
                    }
                    started.elapsed()
                }
            },
        ));
        row(provider, &result, None);
    }
}

fn callback_flows(providers: &[&str]) {
    println!(
        "\n### callback → profile against the local mock, flows per second ({} interleaved rounds)\n",
        rounds()
    );
    println!(
        "| provider, concurrency | ours | bare reqwest | ours / bare, median (IQR) | goal ≥ 0.90 |"
    );
    println!("|---|---:|---:|---:|---|");
    let mock = MockProvider::start();
    let runtime = client_runtime(1);
    let registry = flows::registry();
    let ctx = mock.context(HttpClient::default());
    let base = mock.base_url();
    for provider in providers {
        let ours = flows::social_connector(&registry, provider, &ctx);
        let theirs = Arc::new(BareFlow::new(
            provider,
            bare::client(),
            &base,
            &fixtures::social_config(provider, 0),
        ));
        runtime.block_on(flows::assert_same_requests(&mock, provider, &ours, &theirs));
        for (concurrency, ops) in FLOW_OPS {
            let result = runtime.block_on(paired::measure(
                rounds(),
                ops,
                || flows::ours_round(&ours, ops, concurrency),
                || flows::bare_round(&ours, &theirs, ops, concurrency),
            ));
            row(&format!("{provider}, {concurrency}"), &result, Some(0.90));
        }
    }
}

fn smtp() {
    println!("\n### SMTP, {MAIL_OPS} code e-mails one after the other, messages per second ({MAIL_ROUNDS} interleaved rounds)\n");
    println!("| server | pooled versus | pooled | baseline | pooled / baseline, median (IQR) |");
    println!("|---|---|---:|---:|---:|");
    let runtime = client_runtime(1);
    let registry = flows::registry();
    for security in Security::ALL {
        for baseline in [Mode::NewConnection, Mode::FreshConnector] {
            let result = runtime.block_on(paired::measure(
                MAIL_ROUNDS,
                MAIL_OPS,
                || mail::batch(&registry, Mode::Pooled, security, MAIL_OPS),
                || mail::batch(&registry, baseline, security, MAIL_OPS),
            ));
            row(
                &format!("{} | {}", security.name(), baseline.name()),
                &result,
                None,
            );
        }
    }
}

/// One side's flows alone, for profilers.
fn solo(side: &str, provider: &str, concurrency: usize, n: u64) {
    let mock = MockProvider::start();
    let runtime = client_runtime(1);
    let registry = flows::registry();
    let ctx = mock.context(HttpClient::default());
    let ours = flows::social_connector(&registry, provider, &ctx);
    let theirs = Arc::new(BareFlow::new(
        provider,
        bare::client(),
        &mock.base_url(),
        &fixtures::social_config(provider, 0),
    ));
    let elapsed = runtime.block_on(async {
        match side {
            "ours" => flows::ours_round(&ours, n, concurrency).await,
            _ => flows::bare_round(&ours, &theirs, n, concurrency).await,
        }
    });
    println!(
        "{side} {provider} c{concurrency}: {}",
        rate(n as f64 / elapsed.as_secs_f64())
    );
}
