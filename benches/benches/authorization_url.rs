//! `authorization_url` of each social connector (no I/O), against the same URL built by hand.
//!
//! `ours`: the connector's `authorization_url` (redirect URI check, state, PKCE S256 where the
//! provider has it, query in the provider's order). `bare`: oauth2's state and PKCE generators and
//! `url`'s query builder, nothing else ([`connector_benches::bare::authorization_url`]).

use std::hint::black_box;
use std::time::Duration;

use connector_benches::{bare, fixtures, flows, SOCIAL_PROVIDERS};
use connector_core::{AuthorizationRequest, ConnectorContext};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn authorization_url(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let registry = flows::registry();
    // The providers' real endpoints: nothing is sent, the URL is only built.
    let ctx = ConnectorContext::default();
    let mut group = c.benchmark_group("authorization_url");
    group
        .throughput(Throughput::Elements(1))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for provider in SOCIAL_PROVIDERS {
        let connector = flows::social_connector(&registry, provider, &ctx);
        let meta = connector.metadata();
        let authorize = url::Url::parse(match provider {
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
        group.bench_function(BenchmarkId::new(provider, "ours"), |b| {
            b.to_async(&runtime).iter(|| async {
                black_box(
                    connector
                        .authorization_url(AuthorizationRequest::new(fixtures::REDIRECT_URI))
                        .await
                        .expect("authorization URL"),
                )
            })
        });
        group.bench_function(BenchmarkId::new(provider, "bare"), |b| {
            b.iter(|| {
                black_box(bare::authorization_url(
                    &authorize, &client_id, &scope, pkce,
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, authorization_url);
criterion_main!(benches);
