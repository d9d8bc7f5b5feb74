//! A complete sign-in callback (state check, code exchange, profile calls, mapping) against the
//! local mock, ours versus a bare `reqwest` client sending the same requests, at concurrency 1 and
//! 64. One iteration is one flow; criterion's throughput is flows per second.
//!
//! - GitHub: token, `/user`, `/user/emails` (the granted scope has `user:email` and the user's
//!   e-mail is private);
//! - Hugging Face: token (HTTP Basic, PKCE), `/oauth/userinfo`;
//! - WeChat: `sns/oauth2/access_token`, `sns/userinfo`.
//!
//! Before measuring, one flow of each side is recorded by the mock and the requests are compared:
//! same methods, paths, queries, headers and form bodies. The interleaved ratio of the two sides
//! (robust to other load on the machine) is measured by `src/bin/ratios.rs`.

use std::sync::Arc;
use std::time::Duration;

use connector_benches::bare::{self, BareFlow};
use connector_benches::mock::MockProvider;
use connector_benches::{client_runtime, fixtures, flows, SOCIAL_PROVIDERS};
use connector_core::HttpClient;
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};

const CONCURRENCY: [usize; 2] = [1, 64];

fn callback_flow(c: &mut Criterion) {
    let mock = MockProvider::start();
    let runtime = client_runtime(1);
    let registry = flows::registry();
    // One shared pool for our connectors, one for the bare client, with the same settings.
    let ctx = mock.context(HttpClient::default());
    let base = mock.base_url();
    let mut group = c.benchmark_group("callback_flow");
    group
        .throughput(Throughput::Elements(1))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for provider in SOCIAL_PROVIDERS {
        let ours = flows::social_connector(&registry, provider, &ctx);
        let theirs = Arc::new(BareFlow::new(
            provider,
            bare::client(),
            &base,
            &fixtures::social_config(provider, 0),
        ));
        runtime.block_on(flows::assert_same_requests(&mock, provider, &ours, &theirs));
        for concurrency in CONCURRENCY {
            let id = format!("{provider}_c{concurrency}");
            group.bench_function(BenchmarkId::new(&id, "ours"), |b| {
                b.to_async(&runtime)
                    .iter_custom(|n| flows::ours_round(&ours, n, concurrency))
            });
            group.bench_function(BenchmarkId::new(&id, "bare"), |b| {
                b.to_async(&runtime)
                    .iter_custom(|n| flows::bare_round(&ours, &theirs, n, concurrency))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, callback_flow);
criterion_main!(benches);
