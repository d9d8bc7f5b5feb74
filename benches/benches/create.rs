//! Creating one connector from its JSON config text, as a multi-tenant server does for each tenant
//! at start-up: `serde_json::from_str`, then `ConnectorRegistry::create` with one shared context.
//! Each iteration creates tenant `i`'s connector (distinct credentials) and drops it.
//!
//! The resident memory of 10,000 live connectors is measured by `src/bin/instances.rs`.

use std::hint::black_box;
use std::time::Duration;

use connector_benches::{fixtures, flows, SOCIAL_PROVIDERS};
use connector_core::ConnectorContext;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn create(c: &mut Criterion) {
    let registry = flows::registry();
    let ctx = ConnectorContext::default();
    let mut group = c.benchmark_group("create");
    group
        .throughput(Throughput::Elements(1))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let providers = SOCIAL_PROVIDERS.into_iter().chain(["smtp"]);
    for provider in providers {
        // 1,000 tenants' configs as the server reads them (text); iterations cycle through them.
        let configs: Vec<String> = (0..1000)
            .map(|i| {
                let value = match provider {
                    // Creating a connector opens no connection: never contacted.
                    "smtp" => fixtures::smtp_tenant_config(i),
                    social => fixtures::social_config(social, i),
                };
                value.to_string()
            })
            .collect();
        let id = flows::factory_id(provider);
        group.bench_function(BenchmarkId::new(provider, "from_json"), |b| {
            let mut next = configs.iter().cycle();
            b.iter(|| {
                let text = next.next().expect("a config");
                let config = serde_json::from_str(text).expect("JSON");
                black_box(registry.create(id, config, &ctx).expect("create"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, create);
criterion_main!(benches);
