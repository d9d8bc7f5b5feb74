//! SMTP: batches of 1,000 one-time-code e-mails to the real SMTP test server on 127.0.0.1, one
//! after the other; criterion's throughput is messages per second. Modes
//! ([`connector_benches::mail::Mode`]):
//!
//! - `pooled`: one connector, its connections reused;
//! - `new_connection`: the same connector with `maxMessages: 1`, a new SMTP connection per message;
//! - `fresh_connector`: what Logto does, a new connector (transport) per message.
//!
//! Each mode runs against a plain server and against one with STARTTLS and AUTH (a production
//! config on port 587). Each batch gets a fresh server (started outside the measured time), so the server never holds
//! more than 1,000 messages and each batch starts with a cold pool.

use std::time::Duration;

use connector_benches::mail::{self, Mode, Security};
use connector_benches::{client_runtime, flows};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};

/// Messages per measured batch (issue 9: 1,000 code e-mails).
const BATCH: u64 = 1_000;

fn smtp(c: &mut Criterion) {
    let runtime = client_runtime(1);
    let registry = flows::registry();
    let mut group = c.benchmark_group("smtp");
    group
        .throughput(Throughput::Elements(BATCH))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for security in Security::ALL {
        for mode in Mode::ALL {
            let id = format!("send_1000_{}", security.name());
            group.bench_function(BenchmarkId::new(id, mode.name()), |b| {
                b.to_async(&runtime).iter_custom(|batches| {
                    let registry = &registry;
                    async move {
                        let mut total = Duration::ZERO;
                        for _ in 0..batches {
                            total += mail::batch(registry, mode, security, BATCH).await;
                        }
                        total
                    }
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, smtp);
criterion_main!(benches);
